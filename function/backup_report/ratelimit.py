"""A client-side token bucket over all R-KVStore calls, shared by every worker of a run.

The API quota is shared with the account's consoles and other automation, so the report paces
itself (`API_QPS`) instead of running into `Throttling.User`. When throttled anyway it halves its
rate, then wins it back slowly (additive increase), like TCP.
"""
from __future__ import annotations

import threading
import time
from typing import Callable


class RateLimiter:
    def __init__(self, qps: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.target = qps
        self.rate = qps
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = clock()  # the earliest moment the next call may start

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + 1.0 / self.rate
        if start > now:
            self._sleep(start - now)

    def throttled(self) -> None:
        with self._lock:
            self.rate = max(self.target / 16, self.rate / 2)

    def succeeded(self) -> None:
        if self.rate < self.target:
            with self._lock:
                self.rate = min(self.target, self.rate + self.target / 50)
