"""The scenario's `faults:` acted out on R-KVStore API calls, after the signature check.

Faults are tried in list order. A fault matches a call by `action`, `instance` (the call's
`InstanceId`) and `region` (its `RegionId`, else the instance's region), each optional; `first: K`
limits it to the first K matching calls. `latency` delays and lets later faults act too; `quota`
refuses only when its token bucket is empty; `drip` lets the call succeed but has its answer
written one byte every `seconds` (default 1; status line and headers included: a slowloris peer
or a congested path, which a per-read timeout never cuts: issue 13, item 4); any other matching
fault ends the call.
"""
from __future__ import annotations

import threading
import time

from .apierror import ApiError
from .fleet import Fault
from .httpserver import Hang, Reset


def throttled() -> ApiError:
    return ApiError(400, "Throttling.User", "Request was denied due to user flow control.")


_ANSWERS = {
    "throttle": throttled,
    "unavailable": lambda: ApiError(503, "ServiceUnavailable",
                                    "The request has failed due to a temporary failure of the server."),
    "forbidden": lambda: ApiError(403, "Forbidden.RAM", "User not authorized to operate on the specified "
                                                        "resource, or this API doesn't support RAM."),
    "not_found": lambda: ApiError(404, "InvalidInstanceId.NotFound", "The specified instance is not found."),
}


class _Bucket:
    """`qps` tokens a second, holding at most `qps` (the burst)."""

    def __init__(self, qps: float, now: float):
        self.qps, self.tokens, self.at = qps, qps, now

    def take(self, now: float) -> bool:
        self.tokens = min(self.qps, self.tokens + (now - self.at) * self.qps)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Faults:
    def __init__(self, faults: tuple[Fault, ...], clock=time.monotonic, sleep=time.sleep):
        self._faults = faults
        self._clock, self._sleep = clock, sleep
        self._matched = [0] * len(faults)
        self._buckets = {i: _Bucket(f.qps, clock()) for i, f in enumerate(faults) if f.kind == "quota"}
        self._lock = threading.Lock()

    def apply(self, action: str, instance: str | None, region: str | None) -> float:
        """Raise the answer of the fault that ends this call (`ApiError`, `Reset`, `Hang`), if any;
        else the seconds between the bytes of its answer (0: written at once)."""
        for i, fault in enumerate(self._faults):
            if not self._fires(i, fault, action, instance, region):
                continue
            if fault.kind == "latency":
                self._sleep(fault.ms / 1000)
            elif fault.kind == "quota":
                with self._lock:
                    if not self._buckets[i].take(self._clock()):
                        raise throttled()
            elif fault.kind == "reset":
                raise Reset()
            elif fault.kind == "hang":
                raise Hang(fault.seconds)
            elif fault.kind == "drip":
                return fault.seconds
            else:
                raise _ANSWERS[fault.kind]()
        return 0.0

    def firing(self, action: str, instance: str | None = None, region: str | None = None) -> list[Fault]:
        """The faults that match this call (counted for `first`), to be acted out by the caller."""
        return [f for i, f in enumerate(self._faults) if self._fires(i, f, action, instance, region)]

    def _fires(self, i: int, fault: Fault, action: str, instance: str | None, region: str | None) -> bool:
        if (fault.action not in (None, action) or fault.instance not in (None, instance)
                or fault.region not in (None, region)):
            return False
        with self._lock:
            self._matched[i] += 1
            return fault.first is None or self._matched[i] <= fault.first
