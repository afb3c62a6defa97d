"""Fakes of the outside world the tests share (never of our own code)."""
from __future__ import annotations


class Clock:
    """A clock a test moves by hand: `clock()` is its time in seconds (from `now`); `clock.sleep(s)` moves it on
    and records `s` in `slept`, as time.sleep would have waited."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
