"""What every channel is, the registry the app iterates, and fitting a list into a channel's limits.

A channel is one module under `channels/` with `from_settings(settings, http) -> Channel | None`
(None when its settings are empty). Adding a channel is that module plus one line in `REGISTRY`.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Callable, Protocol, TypeVar

from ..model import Delivery

if TYPE_CHECKING:
    from ..digest import Digest
    from ..settings import Settings
    from .http import Transport

# Module names under channels/, in the order the result lists their deliveries.
REGISTRY = (
    "dingtalk",
    "slack",
)


class Channel(Protocol):
    """`render` dresses the digest for the channel (a JSON-ready dict); `send` posts it and never raises."""

    name: str

    def render(self, dg: "Digest") -> dict: ...

    def send(self, message: dict) -> Delivery: ...


def configured(settings: "Settings", transport: "Transport") -> list[Channel]:
    """The channels whose settings are given, in REGISTRY order."""
    channels = []
    for name in REGISTRY:
        channel = import_module(f"{__package__}.{name}").from_settings(settings, transport)
        if channel is not None:
            channels.append(channel)
    return channels


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
