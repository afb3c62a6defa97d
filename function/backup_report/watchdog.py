"""A deadline for one HTTP request as a whole, for any requests Session: connect, send and every byte of
the answer.

requests' timeout bounds each socket operation, so a peer that drip-feeds its answer restarts it with
every byte, and no timeout at all bounds a status line that trickles in. `watch(seconds)` arms a
watchdog for the request the calling thread makes next: when the seconds pass it shuts that
connection's socket (`socket.shutdown`, safe from another thread, under TLS too), so the request fails
at once wherever it is, in the thread that made it. The connection classes here only tell the watchdog
which socket that is, and when the request began to leave (`Attempt.sending`: a failure before that
certainly never reached the service).

One keeper for the whole process keeps every deadline (`_Keeper`): a single daemon thread, started by
the first `watch`, sleeping on a Condition until the earliest deadline of a heap of the watches in
progress. `watch` adds its entry and takes it out when its block ends (O(log n) each, under one lock)
and starts no thread: it wakes the keeper only when its deadline comes before the one the keeper sleeps
towards (calls whose deadlines follow one another wake it about once per deadline's length, not once a
call). An entry is taken out of the heap the moment its block ends, so between two invocations of a warm
instance the keeper holds nothing of either: no watch, no Attempt, no connection. A deadline is shut
under the keeper's lock, so once `watch`'s block has ended its connection (by then perhaps back in the
pool, carrying another request) is never shut for it.

They are urllib3's pools' connection classes for the whole process: the Alibaba Cloud SDK builds its own
requests Sessions (darabonba-core 1.0.9, `DaraCore._get_session`) and takes none from its caller, so the
classes are set where urllib3 looks them up (`HTTPConnectionPool.ConnectionCls`, `HTTPSConnectionPool.
ConnectionCls`). A watched connection is urllib3's own unless its thread is inside `watch()`. (A SOCKS
proxy's pools, PySocks's, keep their own classes: not packaged, and not watched.)

Used by the R-KVStore calls (cloud/kvstore.py), the webhooks' posts (channels/http/transport.py) and the archive's
OSS calls (archive/oss.py).
"""
from __future__ import annotations

import math
import socket
import threading
import time

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


class _Entry:
    """One watch in the keeper's heap: its deadline (time.monotonic), its Attempt and where it is in the heap
    (-1 once out of it)."""

    __slots__ = ("deadline", "attempt", "index")

    def __init__(self, deadline: float, attempt: Attempt) -> None:
        self.deadline, self.attempt, self.index = deadline, attempt, -1


class _Keeper:
    """Every watch's deadline, kept by one daemon thread for the process (see the module's docstring): a
    binary heap of the entries in progress by deadline, each entry knowing its place so that one ending
    early leaves it in O(log n)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[_Entry] = []
        self._wake_at = math.inf  # the deadline the keeper sleeps towards (inf: until told)
        self._thread: threading.Thread | None = None

    def add(self, seconds: float, attempt: Attempt) -> _Entry:
        entry = _Entry(time.monotonic() + seconds, attempt)
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
                self._thread.start()
            self._push(entry)
            if entry.deadline < self._wake_at:  # earlier than the keeper means to look: tell it
                self._wake_at = entry.deadline
                self._cond.notify()
        return entry

    def remove(self, entry: _Entry) -> None:
        """Out of the heap, if the keeper has not expired it already (the keeper's next wake-up then comes
        early and finds nothing due: no need to tell it)."""
        with self._cond:
            if entry.index >= 0:
                self._take(entry.index)
        entry.attempt = None  # type: ignore[assignment]

    def attempts(self) -> list[Attempt]:
        """The Attempts of the watches in progress, earliest deadline first (the tests' window on the heap)."""
        with self._cond:
            return [e.attempt for e in sorted(self._heap, key=lambda e: e.deadline)]

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0].deadline <= now:
                    self._expire(self._take(0))
                self._wake_at = self._heap[0].deadline if self._heap else math.inf
                self._cond.wait(None if self._wake_at == math.inf else self._wake_at - now)

    @staticmethod
    def _expire(entry: _Entry) -> None:
        try:  # under the keeper's lock: the watch's block cannot end, nor its connection move on, meanwhile
            entry.attempt.expire()
        except Exception:  # noqa: BLE001 - the keeper outlives any one connection's failure to shut
            pass

    # --- the heap, each entry's index kept -----------------------------------------------------------------

    def _push(self, entry: _Entry) -> None:
        entry.index = len(self._heap)
        self._heap.append(entry)
        self._up(entry.index)

    def _take(self, i: int) -> _Entry:
        heap = self._heap
        entry, last = heap[i], heap.pop()
        entry.index = -1
        if last is not entry:
            heap[i], last.index = last, i
            self._up(i)
            self._down(last.index)
        return entry

    def _up(self, i: int) -> None:
        heap = self._heap
        entry = heap[i]
        while i > 0:
            parent = (i - 1) >> 1
            if heap[parent].deadline <= entry.deadline:
                break
            heap[i] = heap[parent]
            heap[i].index = i
            i = parent
        heap[i], entry.index = entry, i

    def _down(self, i: int) -> None:
        heap, n = self._heap, len(self._heap)
        entry = heap[i]
        while True:
            child = 2 * i + 1
            if child >= n:
                break
            if child + 1 < n and heap[child + 1].deadline < heap[child].deadline:
                child += 1
            if entry.deadline <= heap[child].deadline:
                break
            heap[i] = heap[child]
            heap[i].index = i
            i = child
        heap[i], entry.index = entry, i


_keeper = _Keeper()


class watch:  # noqa: N801 - used as a function: `with watch(seconds) as attempt`
    """The Attempt of the next request this thread makes through a Session, whose connection is shut
    `seconds` from now if the request is still going on; disarmed when the block ends (no thread started:
    the process's one keeper keeps the deadline)."""

    __slots__ = ("_seconds", "_entry")

    def __init__(self, seconds: float) -> None:
        self._seconds = max(0.0, seconds)

    def __enter__(self) -> Attempt:
        attempt = _posting.attempt = Attempt()
        self._entry = _keeper.add(self._seconds, attempt)
        return attempt

    def __exit__(self, *exc: object) -> None:
        _keeper.remove(self._entry)
        _posting.attempt = None
