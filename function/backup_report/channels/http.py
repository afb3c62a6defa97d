"""One post to a webhook, and the retries around it that can never post a digest twice.

A post takes the proxy `requests` would take (environment, NO_PROXY honoured), as a CONNECT tunnel.
One post has one deadline as a whole: connect, send and every byte of the answer. A watchdog
shuts the socket when it passes, so a peer that drip-feeds its answer costs at most that (a
per-read timeout alone restarts with every byte). Redirects are never followed: `http.client`
does not, so a 3xx is the answer the channel reads. Answers are read up to 64 KB, counted after
decompression, so neither a huge body nor a gzip bomb can fill the function's 256 MB.

Retry rule: a post is tried again only when it certainly did not land. That is a connection that
could not be made, or a request that could not be sent whole (the service never had it), or an
answer the channel says is safe to retry (429, 5xx, DingTalk -1). A post that was sent and got
no complete answer (read timeout, reset after sending) may have been delivered: it is reported as
"unknown whether delivered" and not retried. Error texts are written here and never carry the URL.
"""
from __future__ import annotations

import base64
import http.client
import random
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Callable, Mapping
from urllib.parse import unquote, urlsplit

from requests.utils import get_environ_proxies, select_proxy

from ..model import Delivery

MAX_ANSWER_BYTES = 64 * 1024  # every real answer is a few bytes: "ok", {"errcode":0,"errmsg":"ok"}


@dataclass(frozen=True)
class Answer:
    """What the service answered: status, headers (lower-case names), and at most MAX_ANSWER_BYTES of body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    truncated: bool = False  # the body was longer (after decompression) or could not be decompressed


@dataclass(frozen=True)
class Refusal:
    """A channel's reading of an answer that is not success.

    `retry`: the service certainly did not take the message and trying again may help.
    `wait`: seconds the service asked for (Slack's Retry-After); when they do not fit the budget,
    the channel gives up at once with `error`, which says so.
    """

    error: str
    retry: bool = False
    wait: float | None = None


class NotSent(Exception):
    """The request certainly did not reach the service whole: retrying cannot post twice."""


class Unknown(Exception):
    """The request was sent and no complete answer came: it may have been delivered."""


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


def _tls() -> ssl.SSLContext:
    try:
        import certifi  # requests' CA bundle, as the rest of the function uses
        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi comes with requests
        return ssl.create_default_context()


def _cut(sock: socket.socket) -> None:
    """The watchdog: end every pending read or write on the socket (plain socket call: safe under TLS)."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class Transport:
    """Posts JSON to webhooks, each post within `attempt_timeout` seconds and all before `deadline`.

    `deadline`: a `clock()` value (monotonic seconds) by which every post and wait must be over:
    the run's FC deadline minus the time it needs to return. `connect_timeout`: seconds for the
    TCP and TLS handshake, within the attempt's deadline.
    """

    def __init__(self, attempt_timeout: float, deadline: float, connect_timeout: float = 3.0,
                 retries: Retries = Retries(), clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, max_answer: int = MAX_ANSWER_BYTES):
        self.attempt_timeout, self.deadline, self.connect_timeout = attempt_timeout, deadline, connect_timeout
        self.retries, self.clock, self.sleep, self.max_answer = retries, clock, sleep, max_answer
        self._tls: ssl.SSLContext | None = None

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def deliver(self, channel: str, url: Callable[[], str], body: bytes,
                read: Callable[[Answer], Refusal | None]) -> Delivery:
        """Post `body` until the channel's `read` accepts an answer (None), under the retry rule.

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
                return _failed(channel, f"{exc}: unknown whether delivered, so not retried (a retry could post it "
                                        "twice)", attempt)
            except Exception as exc:  # noqa: BLE001 - a bug here costs this channel only, and is never retried
                return _failed(channel, f"the post failed ({type(exc).__name__})", attempt)
            else:
                try:
                    refusal = read(answer)
                except Exception as exc:  # noqa: BLE001 - parsing an answer never raises past the channel
                    refusal = Refusal(f"the answer could not be read ({type(exc).__name__})")
            if refusal is None:
                return Delivery(channel, True)
            if not refusal.retry or attempt >= self.retries.attempts:
                return _failed(channel, refusal.error, attempt)
            wait = refusal.wait if refusal.wait is not None else self.retries.delay(attempt)
            if wait + self.attempt_timeout > self.remaining():  # the retry itself must end in time too
                suffix = "" if refusal.wait is not None else "; out of time to retry"
                return _failed(channel, refusal.error + suffix, attempt)
            self.sleep(wait)

    def post(self, url: str, body: bytes) -> Answer:
        """One POST of a JSON body; raises NotSent or Unknown (texts without the URL)."""
        started = self.clock()
        deadline = min(started + self.attempt_timeout, self.deadline)
        if deadline - started <= 0:
            raise NotSent("no time left in the run to post")
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        port = parts.port or (443 if secure else 80)
        proxy = _proxy_for(url)
        host, host_port = (proxy.hostname, proxy.port or 80) if proxy else (parts.hostname, port)
        timeout = min(self.connect_timeout, deadline - started)
        if secure:
            self._tls = self._tls or _tls()
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, host_port, timeout=timeout,
                                                                          context=self._tls)
        else:
            conn = http.client.HTTPConnection(host, host_port, timeout=timeout)
        if proxy:  # a CONNECT tunnel, plain http too: the proxy never sees the path and its token
            conn.set_tunnel(parts.hostname, port, headers=_proxy_auth(proxy))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            try:
                conn.connect()
            except OSError as exc:  # refused, unreachable, DNS, TLS handshake, connect timeout
                raise NotSent(f"could not connect ({_why(exc)})") from None
            watchdog = threading.Timer(max(0.0, deadline - self.clock()), _cut, (conn.sock,))
            watchdog.daemon = True
            watchdog.start()
            try:
                conn.sock.settimeout(max(0.001, deadline - self.clock()))
                try:
                    conn.request("POST", target, body=body,
                                 headers={"Content-Type": "application/json; charset=utf-8"})
                except OSError as exc:  # the body did not leave whole: the service cannot act on it
                    raise NotSent(f"the connection failed while sending ({_why(exc)})") from None
                try:
                    response = conn.getresponse()
                    return _read(response, self.max_answer)
                except Exception as exc:  # noqa: BLE001 - after sending, any failure leaves the outcome unknown
                    if self.clock() >= deadline - 0.05:
                        raise Unknown(f"no complete answer within {deadline - started:.0f} s") from None
                    raise Unknown(f"the connection failed after the post was sent ({_why(exc)})") from None
            finally:
                watchdog.cancel()
        finally:
            conn.close()


def _proxy_for(url: str):
    """The proxy `requests` would take for `url` (HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, NO_PROXY
    honoured), as parts, or None: the webhooks take the same route the rest of the function does."""
    proxy = select_proxy(url, get_environ_proxies(url))
    return urlsplit(proxy if "://" in proxy else f"http://{proxy}") if proxy else None


def _proxy_auth(proxy) -> dict[str, str]:
    if not proxy.username:
        return {}
    user = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
    return {"Proxy-Authorization": "Basic " + base64.b64encode(user.encode()).decode()}


def _read(response: http.client.HTTPResponse, cap: int) -> Answer:
    """The answer, its body read in chunks up to `cap` bytes after decompression; the rest is never read."""
    headers = {k.lower(): v for k, v in response.getheaders()}
    encoding = headers.get("content-encoding", "").strip().lower()
    # wbits 47 = 32 + 15: zlib detects a gzip or a zlib header itself.
    decoder = zlib.decompressobj(47) if encoding in ("gzip", "x-gzip", "deflate") else None
    out = bytearray()
    truncated = False
    while len(out) <= cap:
        chunk = response.read(16 * 1024)
        if not chunk:
            break
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, cap + 1 - len(out))  # never more than the cap, whatever the ratio
            except zlib.error:
                return Answer(response.status, headers, b"", truncated=True)
            if decoder.unconsumed_tail:
                truncated = True
        out += chunk
        if truncated:
            break
    if decoder is not None and not truncated and len(out) <= cap:
        try:
            out += decoder.flush()
        except zlib.error:
            return Answer(response.status, headers, b"", truncated=True)
    if len(out) > cap:
        truncated = True
    return Answer(response.status, headers, bytes(out[:cap]), truncated)


def _why(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, socket.gaierror):
        return "host not found"
    if isinstance(exc, ssl.SSLError):
        return "TLS failed"
    return type(exc).__name__


def _failed(channel: str, error: str, attempts: int) -> Delivery:
    return Delivery(channel, False, error=f"{error} (after {attempts} attempt{'s' if attempts > 1 else ''})")
