"""The run's time: FC's deadline, what each call and post may take, and what is kept back to post.

A run starts with FC's function timeout `T` (the context says it). Timeouts scale with it so that even a
short one leaves room to post: an API read T/10 (1-10 s), a connect up to 3 s, a post T/10 (1-10 s) as a
whole; the scan stops starting work when `reserve` seconds are left (one API call in flight, then the
posts). Every post and wait ends a second before FC's own deadline (POST_MARGIN).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

POST_MARGIN = 1.0  # seconds before FC's deadline by which every post, ping and wait is over


@dataclass
class Budget:
    """Seconds left for starting work: FC's deadline minus what posting the digest needs."""

    deadline: float  # time.monotonic() value
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return self.deadline - self.clock()


@dataclass(frozen=True)
class Timing:
    """Timeouts scaled to FC's function timeout, so even a short timeout leaves room to post."""

    api_connect: float
    api_read: float
    post_timeout: float
    reserve: float  # kept back from the deadline: one API call in flight, then both posts

    @classmethod
    def for_timeout(cls, seconds: float) -> "Timing":
        """The timeouts of a run whose function timeout is `seconds`."""
        api_read = min(10.0, max(1.0, seconds / 10))
        api_connect = min(3.0, api_read)
        post = min(10.0, max(1.0, seconds / 10))
        return cls(api_connect, api_read, post, api_connect + api_read + 2 * (post + 2.0))


