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
