"""A client-side pacer over all R-KVStore calls, shared by every worker of a run.

The API quota is shared with the account's consoles and other automation, so the report paces
itself (`API_QPS`) instead of running into `Throttling.User`: call starts are spaced 1/rate apart,
with no burst, which a server-side token bucket of at least that rate never refuses.

When throttled anyway (the quota is below API_QPS, or others are using it), it looks for the rate
the quota leaves, then stays just under it rather than bouncing off it:
- decrease: the rate halves, from what the run was really sending (a pool that cannot reach
  API_QPS sends less than that), never below one call a second. Calls waiting for a slot spaced at
  the old rate take a new one, and a throttle of a call granted its slot before the last decrease
  says nothing new (it was paced at the old rate): it is ignored.
- increase: every success wins back a little: quickly up to 85% of the rate last throttled, then
  slowly, so probing above it costs a throttle now and then, not one call in ten. After 10 s
  without a throttle, that memory fades (the rate last throttled counts double), so a quota that
  others stopped using is won back in seconds, not minutes.
`bench/limitsim.py` runs this class against a simulated quota; `bench/RESULTS.md` has the figures.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

WINDOW = 1.0  # seconds of call starts over which the rate actually sent is measured
MIN_RATE = 1.0  # calls a second (or API_QPS when lower): the rate never drops below this
NEAR = 0.85  # up to this share of the rate last throttled, the rate comes back quickly...
FAST = 1 / 50  # ...by this share of that rate per success,
SLOW = 1 / 1000  # and beyond it by this share per success
CALM = 10.0  # seconds without a throttle after which the rate last throttled is doubled (up to API_QPS)


class RateLimiter:
    def __init__(self, qps: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.target = qps
        self.rate = qps
        self.ceiling = qps  # the rate last throttled; API_QPS until a throttle says otherwise
        self.decreases = 0
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = clock()  # the earliest moment the next call may start
        self._first = self._calm_since = self._next
        self._starts: deque[float] = deque()  # call starts of the last WINDOW seconds
        self._ticket = threading.local()  # `decreases` when this thread's last call got its slot

    def acquire(self, within: float = float("inf")) -> int | None:
        """Wait for this call's turn. Returns its ticket (also kept for this thread), or None without
        waiting when the turn comes more than `within` seconds from now (the run's time budget: a
        low API_QPS must never hold a call past it). The slot so given up stays unused."""
        while True:
            start, ticket = self.reserve()
            delay = start - self._clock()
            if delay > within:
                return None
            if delay > 0:
                self._sleep(delay)
            if self.confirm(start, ticket):
                self._ticket.value = ticket
                return ticket

    def reserve(self) -> tuple[float, int]:
        """A slot: (when the call may start, its ticket). `acquire` is reserve, wait, confirm."""
        with self._lock:
            start = max(self._clock(), self._next)
            self._next = start + 1.0 / self.rate
            return start, self.decreases

    def confirm(self, start: float, ticket: int) -> bool:
        """At the slot's time: False when the rate was decreased meanwhile (reserve again)."""
        with self._lock:
            if ticket != self.decreases:
                return False
            self._starts.append(start)
            while self._starts[0] < start - WINDOW:
                self._starts.popleft()
            return True

    def throttled(self, ticket: int | None = None) -> None:
        """The call this thread last started (or the one holding `ticket`) was throttled."""
        ticket = getattr(self._ticket, "value", None) if ticket is None else ticket
        with self._lock:
            if ticket is not None and ticket != self.decreases:
                return
            now = self._clock()
            floor = min(self.target, MIN_RATE)
            span = min(WINDOW, now - self._first)
            sending = len(self._starts) / span if span > 0 else self.rate
            self.ceiling = max(floor, min(self.rate, sending))
            self.rate = max(floor, self.ceiling / 2)
            self._next = now + 1.0 / self.rate  # waiting calls take new slots, spaced at the new rate
            self._calm_since = now
            self.decreases += 1

    def succeeded(self) -> None:
        if self.rate < self.target:
            with self._lock:
                now = self._clock()
                if now - self._calm_since >= CALM:
                    self.ceiling, self._calm_since = min(self.target, 2 * self.ceiling), now
                step = FAST if self.rate < NEAR * self.ceiling else SLOW
                self.rate = min(self.target, self.rate + step * self.ceiling)
