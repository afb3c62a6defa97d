"""One SDK call within a whole deadline: what every cloud edge (R-KVStore, STS, ResourceManager) calls through."""
from __future__ import annotations

from typing import Callable, TypeVar

from . import errors, retry
from .. import watchdog
from ..model import ApiError

T = TypeVar("T")


def whole_call(call: Callable[[], T], timeout: float, budget: float, action: str) -> T:
    """`call()` (one SDK call), in this thread, within `timeout` seconds as a whole (connect + read) and
    never past the run's `budget` (seconds left). The SDK's timeouts bound each socket operation, not the
    answer: darabonba-core 1.0.9's `DaraCore.do_action` hands (connect, read) to requests'
    `session.send` and reads `resp.content` whole, so a drip-fed answer would hold the run; the
    watchdog shuts the call's socket at the deadline instead (watchdog.py), and the call fails at once.
    Past `timeout`: a retryable ApiFailure `Timeout` (Describe* calls are safe to repeat); past the
    budget: `OutOfTime`; any other failure of the SDK: `errors.failure`."""
    wait = min(timeout, budget)
    if wait <= 0:
        raise retry.ApiFailure(ApiError(retry.OUT_OF_TIME, "the run ran out of time", action))
    with watchdog.watch(wait) as attempt:
        try:
            return call()
        except Exception as exc:  # the SDK raises many types; all become an ApiFailure here
            if not attempt.expired:
                raise errors.failure(exc, action) from None
    if budget < timeout:
        raise retry.ApiFailure(ApiError(retry.OUT_OF_TIME, "the run ran out of time", action))
    raise retry.ApiFailure(ApiError("Timeout", f"no complete answer within {round(timeout, 1):g} s", action), True)
