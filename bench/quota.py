"""A per-API quota as Alibaba Cloud publishes it, staged on the sandbox: at most `calls` in any `seconds`, for
each (region, API), counted as calls arrive; a call over it is answered Throttling.User and not counted.

The sandbox's own `quota` fault is a token bucket holding one second of its rate (sandbox/kvstore_faults.py,
`_Bucket`: burst = qps), so it cannot stage "200/60 s": a bucket of 3.3 calls a second with a burst of 3.3
refuses the 200 calls a window allows at once. This sliding window is the strictest reading of "200/60 s"
(a fixed window or a 200-token bucket allow more in some 60 s), so a run that keeps within it keeps within
either. It wraps the sandbox's fault hook in the benchmark's process (`sb.kvstore._faults.apply`, after the
staged faults, so a latency fault delays the call first), and the sandbox records a refused call as it
records its own quota's (`Call.code` "Throttling.User").
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Mapping

from sandbox.kvstore_faults import throttled


class WindowQuota:
    """`quotas`: action -> (calls, seconds); actions not named are not limited."""

    def __init__(self, quotas: Mapping[str, tuple[int, float]], clock: Callable[[], float] = time.monotonic):
        self.quotas = dict(quotas)
        self._clock = clock
        self._arrivals: dict[tuple[str | None, str], deque[float]] = {}
        self._lock = threading.Lock()
        self.refused = 0
        self.arrivals: list[tuple[float, str | None, str, bool]] = []  # (time, region, action, admitted)

    def admit(self, action: str, region: str | None) -> bool:
        quota = self.quotas.get(action)
        if quota is None:
            return True
        calls, seconds = quota
        with self._lock:
            now = self._clock()
            arrivals = self._arrivals.setdefault((region, action), deque())
            while arrivals and arrivals[0] <= now - seconds:
                arrivals.popleft()
            admitted = len(arrivals) < calls
            self.arrivals.append((now, region, action, admitted))
            if not admitted:
                self.refused += 1
                return False
            arrivals.append(now)
            return True

    def install(self, sb, account: str | None = None) -> "WindowQuota":
        """Put this quota on `sb`'s R-KVStore emulator (a started sandbox.Sandbox): on the home account's calls,
        or on `account`'s (each account's quotas are its own: bench/accounts.py stages one window each)."""
        faults = sb.kvstore._faults if account is None else sb.kvstore._fleets[account][2]
        staged = faults.apply

        def apply(action: str, instance: str | None, region: str | None) -> float:
            drip = staged(action, instance, region)
            if not self.admit(action, region):
                raise throttled()
            return drip

        faults.apply = apply
        return self
