"""A deadline for one HTTP request as a whole, for any requests Session: connect, send and every byte of
the answer.

requests' timeout bounds each socket operation, so a peer that drip-feeds its answer restarts it with
every byte, and no timeout at all bounds a status line that trickles in. `watch(seconds)` arms a
watchdog for the request the calling thread makes next: when the seconds pass it shuts that
connection's socket (`socket.shutdown`, safe from another thread, under TLS too), so the request fails
at once wherever it is, in the thread that made it (no thread of its own, none left behind). The
connection classes here only tell the watchdog which socket that is, and when the request began to leave
(`Attempt.sending`: a failure before that certainly never reached the service).

They are urllib3's pools' connection classes for the whole process: the Alibaba Cloud SDK builds its own
requests Sessions (darabonba-core 1.0.9, `DaraCore._get_session`) and takes none from its caller, so the
classes are set where urllib3 looks them up (`HTTPConnectionPool.ConnectionCls`, `HTTPSConnectionPool.
ConnectionCls`). A watched connection is urllib3's own unless its thread is inside `watch()`. (A SOCKS
proxy's pools, PySocks's, keep their own classes: not packaged, and not watched.)

Used by the R-KVStore calls (cloud/kvstore.py), the webhooks' posts (channels/http/transport.py) and the archive's
OSS calls (archive/oss.py).
"""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import Iterator

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Attempt:
    """One request on the wire: the connection carrying it, whether its request began to leave, and
    whether its deadline passed (then the connection's socket is shut, whatever it is doing)."""

    def __init__(self) -> None:
        self.conn: HTTPConnection | None = None
        self.sending = False
        self.expired = False
        self._lock = threading.Lock()

    def on(self, conn: HTTPConnection, sending: bool = False) -> None:
        with self._lock:
            self.conn, self.sending = conn, self.sending or sending
            if self.expired:
                _shut(conn)

    def expire(self) -> None:
        """The watchdog: ends every pending read or write of the post."""
        with self._lock:
            self.expired = True
            if self.conn is not None:
                _shut(self.conn)


def _shut(conn: HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        try:  # the plain socket call: safe from another thread, under TLS too (no TLS shutdown)
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass


_posting = threading.local()  # the Attempt of the request this thread is making, if any


class _Watched:
    """A urllib3 connection that shows the post on its thread which socket to shut at the deadline
    (`connect` for a new one, `request` for a pooled one too) and when its request starts to leave.
    urllib3 connects an https connection before `request` (connectionpool.py, `_validate_conn`) and a
    plain one inside it (http.client's `send`); the latter's connect failures are told by type."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        attempt = getattr(_posting, "attempt", None)
        if attempt is not None:
            attempt.on(self)

    def request(self, *args, **kwargs) -> None:
        attempt = getattr(_posting, "attempt", None)
        if attempt is not None:
            attempt.on(self, sending=True)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


# Every urllib3 pool of the process opens watched connections (see the module's docstring).
HTTPConnectionPool.ConnectionCls = _HTTPConnection
HTTPSConnectionPool.ConnectionCls = _HTTPSConnection


class Session(requests.Session):
    """A Session that never follows a redirect (its connections answer to `watch`, as every one does)."""

    def get_redirect_target(self, resp) -> None:
        # No next hop: requests would otherwise read the whole 3xx body to release the connection
        # for one (requests/sessions.py, `resolve_redirects`), even with allow_redirects=False.
        return None


@contextmanager
def watch(seconds: float) -> Iterator[Attempt]:
    """The Attempt of the next request this thread makes through a Session, whose connection is shut
    `seconds` from now if the request is still going on; disarmed when the block ends."""
    attempt = _posting.attempt = Attempt()
    timer = threading.Timer(max(0.0, seconds), attempt.expire)
    timer.daemon = True
    timer.start()
    try:
        yield attempt
    finally:
        timer.cancel()
        _posting.attempt = None
