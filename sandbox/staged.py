"""Staged faults for the webhook emulators: the scenario's `faults:` list, consumed post by post.

Each post that would otherwise succeed asks `take()` for the fault to act out instead. The first
fault in list order that still has budget wins; `first: K` gives a fault a budget of K posts, and a
fault without `first` applies to every post from then on (so it shadows whatever follows it).
`{kind: reset}` and `{kind: hang, seconds: N}` are acted out over the socket by `httpserver`.

Answers that are not the service's, the same for every webhook (`generic`): the behaviours issue 13
lists from public reports against webhook notifiers (a login-page redirect, a proxy's 200 HTML, a
400 MB body, a 1 MB gzip bomb inflating to 3 GB, error texts that repeat the URL):
- `{kind: redirect[, status: 302][, location: URL][, bytes: N]}`: a redirect to a login page (an SSO
  proxy, or a webhook moved); a client that follows it turns the POST into a GET and drops the body
  (RFC 9110 §15.4.3, the 302 "user agents MAY change the request method from POST to GET"). With
  `bytes`, the redirect carries N bytes of body, written as the client reads (requests reads a 3xx
  body whole to find the next hop, even when told not to follow it).
- `{kind: html}`: HTTP 200 with an HTML page (a captive portal or a proxy's error page).
- `{kind: body, body: TEXT[, status: 200][, content_type: T]}`: any answer, byte for byte.
- `{kind: huge, bytes: N}`: HTTP 200 with N bytes of body, written as the client reads.
- `{kind: gzip_bomb, bytes: N}`: N zero bytes gzip-compressed (~1,000:1), `Content-Encoding: gzip`.
Per service: `{kind: late, seconds: S}` accepts the message, then answers only after S seconds;
`{kind: drip, seconds: S}` accepts it, then answers one byte every S seconds (a slowloris peer);
`{kind: echo_url}` refuses with an error text that repeats the request's URL (token included).
"""
from __future__ import annotations

import threading
import zlib
from collections import deque
from functools import lru_cache

from sandbox.httpserver import Hang, Reply, Reset

LOGIN_PAGE = "https://login.invalid/sso?next=/hooks"  # .invalid never resolves (RFC 2606)
HTML = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>"


@lru_cache(maxsize=4)
def _bomb(size: int) -> bytes:
    """`size` zero bytes as one gzip stream, compressed a MiB at a time (never held whole)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    mib = b"\0" * (1 << 20)
    parts = [packer.compress(mib) for _ in range(size >> 20)]
    return b"".join(parts) + packer.compress(b"\0" * (size & ((1 << 20) - 1))) + packer.flush()


def _stream(size) -> tuple[bytes, int]:
    """A body of about `size` bytes (whole 64 KiB chunks, at least one), written as the client reads."""
    return b"x" * 65536, max(1, int(size) // 65536)


def generic(fault: dict) -> Reply:
    """The Reply for a fault kind every webhook stages the same way; ValueError for another kind."""
    kind = fault.get("kind")
    if kind == "redirect":
        body = _stream(fault["bytes"]) if "bytes" in fault else None
        return Reply(int(fault.get("status", 302)), "", {"Location": fault.get("location", LOGIN_PAGE)}, stream=body)
    if kind == "html":
        return Reply(200, HTML, {"Content-Type": "text/html; charset=utf-8"})
    if kind == "body":
        headers = {"Content-Type": fault["content_type"]} if "content_type" in fault else {}
        return Reply(int(fault.get("status", 200)), str(fault["body"]), headers)
    if kind == "huge":
        return Reply(200, "", stream=_stream(fault.get("bytes", 400_000_000)))
    if kind == "gzip_bomb":
        return Reply(200, _bomb(int(fault.get("bytes", 1 << 30))), {"Content-Encoding": "gzip", "Content-Type": "text/plain"})
    raise ValueError(f"unknown webhook fault kind {kind!r}")


class Staged:
    def __init__(self, faults=()):
        self._faults = [dict(f) for f in faults]
        self._used = [0] * len(self._faults)
        for fault in self._faults:  # built now, so the answer is not slowed by building it
            if fault.get("kind") == "gzip_bomb":
                _bomb(int(fault.get("bytes", 1 << 30)))
        self._lock = threading.Lock()

    def take(self) -> dict | None:
        """The fault answering this post (or None: answer normally); raises Reset / Hang."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if "first" in fault and self._used[i] >= int(fault["first"]):
                    continue
                self._used[i] += 1
                break
            else:
                return None
        if fault.get("kind") == "reset":
            raise Reset()
        if fault.get("kind") == "hang":
            raise Hang(float(fault.get("seconds", 600)))
        return fault


class RateWindow:
    """A robot's rate limits over sliding windows: `limits` are (messages, seconds) pairs, e.g.
    DingTalk's and WeCom's ((20, 60.0),), Feishu's ((5, 1.0), (100, 60.0)). Not locked: the emulator
    calls it under its own lock."""

    def __init__(self, limits: tuple[tuple[int, float], ...]):
        self.limits = limits
        self._accepted: deque[float] = deque()

    def full(self, now: float) -> bool:
        """Whether one more message at `now` would break a limit."""
        longest = max(seconds for _, seconds in self.limits)
        while self._accepted and self._accepted[0] <= now - longest:
            self._accepted.popleft()
        return any(sum(1 for t in self._accepted if t > now - seconds) >= count for count, seconds in self.limits)

    def accepted(self, now: float) -> None:
        self._accepted.append(now)


def strings(value):
    """Every string in a JSON value (a message), depth first: where a robot looks for its keywords."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
