"""The retry rule around a post, which can never post a digest twice.

A post is tried again only when it certainly did not land: no connection was made (refused, DNS,
connect timeout, TLS handshake, the proxy), or it failed before the request began to leave; or the
channel says the answer is safe to retry (429, 5xx, DingTalk -1). A post whose request had begun to
leave and got no complete answer (read timeout, a reset or close after sending, the deadline) may have
been delivered: it is "unknown whether delivered" and not retried.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from .answer import Refusal


@dataclass(frozen=True)
class Retries:
    """At most `attempts` posts; between them exponential backoff with jitter (seconds).

    DingTalk's global return codes: -1 "系统繁忙 … 建议稍后再重试1次，最多重试3次" (retry at most 3
    times), as reproduced at https://mabiji.com/dingtalk/errcode.html.
    """

    attempts: int = 4
    base: float = 1.0
    cap: float = 20.0

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    def after(self, refusal: Refusal, attempt: int, attempt_timeout: float,
              remaining: Callable[[], float]) -> tuple[float | None, str]:
        """The rule after attempt number `attempt` was refused: (seconds to wait, "") to try again, or
        (None, the error the post ends with). Tried again only when the refusal says `retry`, attempts
        are left, and the wait (the service's own, else the backoff) and one more attempt of
        `attempt_timeout` seconds fit in the `remaining()` seconds: the retry itself must end in time too.
        A wait the service asked for that does not fit ends the post with the refusal's own error,
        which says the wait; a backoff that does not fit says "out of time to retry"."""
        if not refusal.retry or attempt >= self.attempts:
            return None, refusal.error
        wait = refusal.wait if refusal.wait is not None else self.delay(attempt)
        if wait + attempt_timeout > remaining():
            return None, refusal.error + ("" if refusal.wait is not None else "; out of time to retry")
        return wait, ""
