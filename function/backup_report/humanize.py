"""How times, ages and sizes read in a message: short, in the team's time zone."""
from __future__ import annotations

from datetime import datetime, timedelta, tzinfo


def at(moment: datetime | None, tz: tzinfo) -> str:
    """`YYYY-MM-DD HH:MM` in `tz`; never raises (a time at the edge of datetime's range shown in a
    zone east of UTC overflows: it reads as an unknown time)."""
    if moment is None:
        return "an unknown time"
    try:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, ValueError):
        return "an unknown time"


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "at an unknown time"
    try:
        seconds = (now - moment).total_seconds()
    except (OverflowError, TypeError):  # out of range, or a zoneless time against an aware one
        return "at an unknown time"
    if seconds < 0:
        return "in the future"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{int(hours)} h" if hours < 48 else f"{int(hours // 24)} days"


def size(value: int | None) -> str:
    if value is None:
        return "size unknown"
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")
