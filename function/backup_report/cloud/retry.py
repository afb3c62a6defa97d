"""When an R-KVStore call is worth trying again, and how long to wait: one small policy object.

Which failures are transient is errors.py's to say (by the service's error code and HTTP status); this
module only retries what it is told is, within the attempts and the run's time budget.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from ..model import ApiError

T = TypeVar("T")

OUT_OF_TIME = "OutOfTime"  # the code of a call not started because the run's time budget was spent


class ApiFailure(Exception):
    """An API call that failed for good: carries the ApiError that the report shows, and the HTTP status the
    service answered with (None when it did not answer)."""

    def __init__(self, error: ApiError, transient: bool = False, status: int | None = None):
        super().__init__(str(error))
        self.error = error
        self.transient = transient
        self.status = status

    @property
    def throttled(self) -> bool:
        return self.error.code.startswith("Throttling")


@dataclass(frozen=True)
class Backoff:
    attempts: int = 6
    base: float = 0.2
    cap: float = 8.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        # "Full jitter": spreads the retries of many concurrent workers instead of syncing them.
        return rand() * min(self.cap, self.base * 2 ** attempt)


def call(fn: Callable[[], T], backoff: Backoff, remaining: Callable[[], float],
         on_throttle: Callable[[], None] = lambda: None, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `fn`, retrying transient ApiFailures while attempts and the time budget last. A retry
    that the budget cut short (OUT_OF_TIME) says nothing new: the failure that called for it is raised."""
    attempt = 0
    earlier: ApiFailure | None = None
    while True:
        try:
            return fn()
        except ApiFailure as failure:
            if earlier is not None and failure.error.code == OUT_OF_TIME:
                raise earlier from None
            earlier = failure
            if failure.throttled:
                on_throttle()
            attempt += 1
            wait = backoff.delay(attempt)
            if not failure.transient or attempt >= backoff.attempts or wait >= remaining():
                raise
            sleep(wait)

