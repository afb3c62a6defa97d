"""One post to a webhook, and the retries around it (retries.py) that can never post a digest twice.

Posts go through `requests`: its proxy handling (HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, NO_PROXY
honoured; https through a proxy is urllib3's CONNECT tunnel, with the proxy URL's credentials),
certificate checks (certifi's bundle), pooled keep-alive connections and content decoding. What
requests leaves to its caller is added here:
- One deadline per post as a whole: connect, send and every byte of the answer. requests' timeout
  bounds each socket operation, so a peer that drip-feeds its answer would restart it with every
  byte: the answer is streamed (`stream=True`) in chunks with the deadline checked between them,
  and a watchdog (`watchdog.py`) shuts the connection's socket when the deadline passes, even while
  the status line is still arriving.
- No redirect: `allow_redirects=False`, and the session names no redirect target, since requests
  reads a 3xx body whole (uncapped) to find the next hop even when it will not follow it
  (requests/sessions.py, `Session.send` -> `resolve_redirects`). A 3xx is the answer the channel reads.
- Answers read up to 64 KB, counted after decompression (`iter_content`, i.e. urllib3's
  `HTTPResponse.stream(decode_content=True)`): urllib3 >= 2.6 inflates only as much as a read asks
  for (GHSA-2xpw-w6gg-jr37), so neither a huge body nor a gzip bomb can fill the function's 256 MB.
Error texts are written here and never carry the URL.
"""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Callable, Iterator

import requests

from ... import watchdog
from ...model import Delivery
from .answer import MAX_ANSWER_BYTES, Answer, NotSent, Refusal, Unknown
from .causes import failed_after_sending, failure
from .retries import Retries

CHUNK_BYTES = 16 * 1024
JSON = {"Content-Type": "application/json; charset=utf-8"}


class Transport:
    """Posts JSON to webhooks, each post within `attempt_timeout` seconds and all before `deadline`.

    `deadline`: a `clock()` value (monotonic seconds) by which every post and wait must be over:
    the run's FC deadline minus the time it needs to return. `connect_timeout`: seconds for the
    TCP and TLS handshake, within the attempt's deadline. One requests Session per posting thread
    (the channels post concurrently; requests' maintainers advise a Session per thread,
    psf/requests#2766, #1871), all closed by `close()` (or leaving a `with` block).
    """

    def __init__(self, attempt_timeout: float, deadline: float, connect_timeout: float = 3.0,
                 retries: Retries = Retries(), clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, max_answer: int = MAX_ANSWER_BYTES):
        self.attempt_timeout, self.deadline, self.connect_timeout = attempt_timeout, deadline, connect_timeout
        self.retries, self.clock, self.sleep, self.max_answer = retries, clock, sleep, max_answer
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Closes every session's pooled connections."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def deliver(self, channel: str, url: Callable[[], str], body: bytes,
                read: Callable[[Answer], Refusal | None]) -> Delivery:
        """Post `body` until the channel's `read` accepts an answer (None), under the retry rule
        (retries.py): a post that was not sent is refused with `retry`; one that may have been
        delivered is never tried again.

        `url` is called for every attempt (a signed URL carries a fresh timestamp). Never raises:
        whatever goes wrong, including `read` itself, is a failed Delivery naming it.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = self.post(url(), body)
            except NotSent as exc:
                refusal = Refusal(str(exc), retry=True)
            except Unknown as exc:
                return replace(_failed(channel, f"{exc}: unknown whether delivered, so not retried (a retry could "
                                                "post it twice)", attempt), maybe_delivered=True)
            except Exception as exc:  # noqa: BLE001 - a bug here costs this channel only, and is never retried
                return _failed(channel, f"the post failed ({type(exc).__name__})", attempt)
            else:
                try:
                    refusal = read(answer)
                except Exception as exc:  # noqa: BLE001 - parsing an answer never raises past the channel
                    refusal = Refusal(f"the answer could not be read ({type(exc).__name__})")
            if refusal is None:
                return Delivery(channel, True)
            wait, error = self.retries.after(refusal, attempt, self.attempt_timeout, self.remaining)
            if wait is None:
                return _failed(channel, error, attempt)
            self.sleep(wait)

    def post(self, url: str, body: bytes) -> Answer:
        """One POST of a JSON body; raises NotSent or Unknown (texts without the URL), or any other
        error (an invalid URL or header: not retried)."""
        started = self.clock()
        left = min(started + self.attempt_timeout, self.deadline) - started
        if left <= 0:
            raise NotSent("no time left in the run to post")
        late = f"no complete answer within {left:.0f} s"
        with watchdog.watch(left) as attempt:
            try:
                response = self._session().post(url, data=body, headers=JSON, allow_redirects=False, stream=True,
                                                timeout=(min(self.connect_timeout, left), left))
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise failure(exc, attempt, late) from None
            with response:  # closes a connection whose answer was not read to its end: never reused
                try:
                    body_read, truncated = _capped(response.iter_content(CHUNK_BYTES), self.max_answer,
                                                   lambda: attempt.expired or self.clock() - started >= left)
                except requests.exceptions.ContentDecodingError:
                    body_read, truncated = b"", True
                except Exception as exc:  # noqa: BLE001 - after sending, any failure leaves the outcome unknown
                    if attempt.expired or isinstance(exc, _Late):
                        raise Unknown(late) from None
                    raise failed_after_sending(exc) from None
                headers = {name.lower(): value for name, value in response.headers.items()}
                return Answer(response.status_code, headers, body_read, truncated)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = watchdog.Session()
            with self._lock:
                self._sessions.append(session)
        return session


class _Late(Exception):
    """The post's deadline passed between two chunks of the answer."""


def _capped(chunks: Iterator[bytes], cap: int, late: Callable[[], bool]) -> tuple[bytes, bool]:
    """At most `cap` bytes of the (decoded) chunks, and whether there was more; raises _Late."""
    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > cap:
            return bytes(out[:cap]), True
        if late():
            raise _Late()
    return bytes(out), False


def _failed(channel: str, error: str, attempts: int) -> Delivery:
    return Delivery(channel, False, error=f"{error} (after {attempts} attempt{'s' if attempts > 1 else ''})")
