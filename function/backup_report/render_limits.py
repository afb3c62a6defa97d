"""Fitting a list into a channel's limits: show as many items as fit, then "…and N more"."""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


def fit(total: int, render: Callable[[int], T], fits: Callable[[T], bool]) -> T:
    """The rendering with the most items shown (of `total`) that still fits; 0 items always renders."""
    best = render(total)
    if fits(best):
        return best
    low, high = 0, total - 1  # invariant: render(low) is the fallback, answers above high do not fit
    while low < high:
        middle = (low + high + 1) // 2
        if fits(render(middle)):
            low = middle
        else:
            high = middle - 1
    return render(low)


def more_line(hidden: int) -> str:
    return f"…and {hidden} more (all are in the run's result and log)"
