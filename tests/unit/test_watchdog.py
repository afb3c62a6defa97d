"""The whole-request deadline (watchdog.py): one keeper thread for the process shuts the socket of a watch
whose deadline passed, within a small tolerance; a watch starts no thread; a watch that ended leaves
nothing behind in the keeper. On real sockets (socketpairs and a loopback server), urllib3's own
connection class and a requests Session."""
from __future__ import annotations

import gc
import random
import socket
import threading
import time
import weakref

import pytest
import requests
from urllib3.connection import HTTPConnection

from backup_report import watchdog

TOLERANCE = 0.25  # seconds past its deadline a shut may come, on a loaded 2-core machine


@pytest.fixture
def pair():
    """A connected socketpair: urllib3's connection on one end (its `sock`, as after `connect`), the peer."""
    ours, peer = socket.socketpair()
    conn = HTTPConnection("localhost")
    conn.sock = ours
    yield conn, peer
    ours.close()
    peer.close()


def until_shut(sock: socket.socket, limit: float = 5.0) -> float:
    """Seconds until a recv on `sock` ends (b"" or an error), the peer sending nothing; at most `limit`."""
    sock.settimeout(limit)
    t0 = time.monotonic()
    try:
        assert sock.recv(1) == b""
    except OSError:
        pass
    return time.monotonic() - t0


def held(attempt: watchdog.Attempt) -> bool:
    return any(a is attempt for a in watchdog._keeper.attempts())


def test_a_watch_whose_deadline_passes_shuts_its_socket_on_time(pair):
    conn, _ = pair
    started = time.monotonic()
    with watchdog.watch(0.3) as attempt:
        attempt.on(conn, sending=True)
        waited = until_shut(conn.sock)
    took = time.monotonic() - started
    assert attempt.expired and attempt.sending
    assert 0.3 <= took <= 0.3 + TOLERANCE, f"shut {took:.3f} s after a 0.3 s watch began"
    assert waited <= 0.3 + TOLERANCE


def test_a_connection_taken_after_the_deadline_is_shut_at_once(pair):
    conn, _ = pair
    with watchdog.watch(0.0) as attempt:
        deadline = time.monotonic() + 5
        while not attempt.expired and time.monotonic() < deadline:
            time.sleep(0.01)
        attempt.on(conn)  # the connection came after the deadline: shut on arrival
        assert until_shut(conn.sock) < 1.0


def test_a_watch_that_ends_in_time_never_shuts_its_socket_later(pair):
    conn, peer = pair
    with watchdog.watch(0.2) as attempt:
        attempt.on(conn)
    time.sleep(0.2 + TOLERANCE)
    assert not attempt.expired
    peer.sendall(b"x")
    conn.sock.settimeout(2)
    assert conn.sock.recv(1) == b"x", "the socket still carries bytes: it was never shut"


def test_an_earlier_deadline_comes_first_while_a_later_one_is_kept(pair):
    conn, _ = pair
    far, near = socket.socketpair()
    later = HTTPConnection("localhost")
    later.sock = far
    try:
        with watchdog.watch(30) as long_one:
            long_one.on(later)
            started = time.monotonic()
            with watchdog.watch(0.2) as short_one:
                short_one.on(conn)
                until_shut(conn.sock)
            took = time.monotonic() - started
            assert short_one.expired and not long_one.expired
            assert took <= 0.2 + TOLERANCE, f"the 0.2 s deadline behind a 30 s one came after {took:.3f} s"
        assert not long_one.expired
    finally:
        far.close()
        near.close()


def test_an_ended_watch_leaves_nothing_registered_and_no_reference_behind(pair):
    conn, _ = pair
    with watchdog.watch(60) as kept:
        kept.on(conn)
        assert held(kept)
    with watchdog.watch(0.0) as expired:
        deadline = time.monotonic() + 5
        while not expired.expired and time.monotonic() < deadline:
            time.sleep(0.01)
        assert expired.expired and not held(expired)
    assert not held(kept) and not held(expired)
    refs = [weakref.ref(kept), weakref.ref(expired)]
    del kept, expired
    gc.collect()
    assert [r() for r in refs] == [None, None], "the keeper holds no Attempt (nor its connection) of an ended watch"
    assert getattr(watchdog._posting, "attempt", None) is None


def test_a_watch_ended_by_an_exception_is_taken_out_too(pair):
    conn, _ = pair
    with pytest.raises(RuntimeError):
        with watchdog.watch(60) as attempt:
            attempt.on(conn)
            raise RuntimeError("the call failed")
    assert not held(attempt) and not attempt.expired


def test_many_watches_at_once_share_one_keeper_thread_and_no_watch_starts_one(monkeypatch):
    with watchdog.watch(1):  # the keeper, started by the first watch of the process if none came before
        pass
    keeper = watchdog._keeper._thread
    assert keeper is not None and keeper.is_alive() and keeper.daemon

    started: list[threading.Thread] = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self), start(self))[1])
    expired, kept, errors = [], [], []
    ready = threading.Barrier(16)

    def worker(n: int) -> None:
        ours, peer = socket.socketpair()
        conn = HTTPConnection("localhost")
        conn.sock = ours
        try:
            ready.wait(5)
            for k in range(50):  # 49 calls that end in time, then one whose deadline passes
                with watchdog.watch(0.05 * (n % 4 + 1) if k == 49 else 30) as attempt:
                    attempt.on(conn)
                    if k == 49:
                        until_shut(ours)
                (expired if attempt.expired else kept).append(attempt)
        except Exception as exc:  # noqa: BLE001 - said below
            errors.append(exc)
        finally:
            ours.close()
            peer.close()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert errors == []
    assert len(expired) == 16 and len(kept) == 16 * 49
    assert started == workers, "800 watches started no thread but the test's own 16"
    assert watchdog._keeper._thread is keeper
    assert [t for t in threading.enumerate() if t.name == "watchdog"] == [keeper]
    assert not any(held(a) for a in expired + kept)


def test_a_drip_fed_answer_through_a_session_ends_at_the_deadline():
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:  # a status line, then a header byte every 50 ms: no read timeout ever passes
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.is_set():
                try:
                    conn.sendall(b"X")
                except OSError:
                    return
                time.sleep(0.05)

    threading.Thread(target=drip, daemon=True).start()
    session = watchdog.Session()
    started = time.monotonic()
    try:
        with watchdog.watch(0.5) as attempt:
            try:  # a shut socket ends the headers: a failure or an answer cut short, told by `expired`
                session.get(f"http://127.0.0.1:{server.getsockname()[1]}/", timeout=(2, 2))
            except requests.RequestException:
                pass
        took = time.monotonic() - started
        assert attempt.expired and attempt.sending
        assert 0.5 <= took <= 0.5 + TOLERANCE + 0.25, f"the drip-fed answer ended after {took:.3f} s"
        assert not held(attempt)
    finally:
        stop.set()
        session.close()
        server.close()


def test_the_keepers_heap_keeps_its_order_and_places_as_watches_come_and_go():
    keeper = watchdog._Keeper()  # its own heap, no thread: only add's first call would start one
    rng = random.Random(23)
    live: list[watchdog._Entry] = []
    for _ in range(2000):
        if live and rng.random() < 0.45:
            entry = live.pop(rng.randrange(len(live)))
            with keeper._cond:
                keeper._take(entry.index)
            assert entry.index == -1
        else:
            entry = watchdog._Entry(rng.uniform(0, 100), watchdog.Attempt())
            with keeper._cond:
                keeper._push(entry)
            live.append(entry)
        heap = keeper._heap
        assert all(e.index == i for i, e in enumerate(heap))
        assert all(heap[(i - 1) // 2].deadline <= heap[i].deadline for i in range(1, len(heap)))
        assert sorted(id(e) for e in heap) == sorted(id(e) for e in live)
    while keeper._heap:
        first = min(e.deadline for e in keeper._heap)
        assert keeper._take(0).deadline == first
    assert keeper._thread is None
