"""The report page's pictures, as inline SVG (no image file, no script): the fleet's last days (how many
instances were fine, warning, alert each day) and an instance's backup size over those days. Pure: plain
data in, SVG text out; every text in them is ours (dates, counts, sizes), escaped all the same.

Both draw one column a day, `COLUMN` units wide, oldest first, so a sparkline sits under its row's
calendar day for day. Days before the archive began are one grey span, "no data before <date>".
"""
from __future__ import annotations

from datetime import date
from html import escape

from .. import humanize

COLUMN = 10  # SVG units a day
SEVERITIES = (("alert", "#d33"), ("warning", "#f39c12"), ("fine", "#2e9d4f"))  # bottom first
BARS = 80  # the fleet chart's bar area, SVG units high
SPARK = 16  # a sparkline's height, SVG units


def leading_gap(days: list[date], known: set[date]) -> int:
    """How many of the first `days` come before the first day in `known` (all of them when none is)."""
    return next((n for n, day in enumerate(days) if day in known), len(days))


def fleet(days: list[date], tally: dict[date, dict[str, int]]) -> str:
    """The fleet chart: for each of `days` (oldest first) a bar of `tally[day]`'s alert, warning and fine
    instances, stacked in that order from the bottom; days before the first tallied one one grey span."""
    width = COLUMN * len(days)
    gap = leading_gap(days, set(tally))
    top = max([sum(tally[d].get(k, 0) for k, _ in SEVERITIES) for d in days if d in tally] + [1])
    parts = [f'<svg class="fleet" viewBox="0 0 {width} {BARS + 16}" role="img" '
             f'aria-label="instances fine, warning and alert each day, {escape(days[0].isoformat())} to '
             f'{escape(days[-1].isoformat())}">',
             f'<line x1="0" y1="{BARS}" x2="{width}" y2="{BARS}" stroke="#999" stroke-width="0.5"/>',
             f'<text x="1" y="7" font-size="7" fill="#666">{top}</text>']
    if gap:
        parts.append(_no_data(0, gap * COLUMN, BARS, days[gap] if gap < len(days) else None))
    for n, day in enumerate(days):
        if day in tally:
            parts.append(_bar(n * COLUMN, day, tally[day], top))
    parts += [f'<text x="0" y="{BARS + 12}" font-size="8" fill="#444">{escape(_short(days[0]))}</text>',
              f'<text x="{width}" y="{BARS + 12}" font-size="8" fill="#444" text-anchor="end">'
              f'{escape(_short(days[-1]))} (today)</text>', "</svg>"]
    return "".join(parts)


def _bar(x: int, day: date, counts: dict[str, int], top: int) -> str:
    said = ", ".join(f"{counts.get(k, 0)} {k}" for k, _ in reversed(SEVERITIES))
    rects, y = [], float(BARS)
    for key, colour in SEVERITIES:
        height = BARS * counts.get(key, 0) / top
        if height:
            y -= height
            rects.append(f'<rect x="{x + 1}" y="{y:.2f}" width="{COLUMN - 2}" height="{height:.2f}" fill="{colour}"/>')
    return f'<g><title>{escape(day.isoformat())}: {escape(said)}</title>{"".join(rects)}</g>'


def _no_data(x: int, width: int, height: int, first: date | None) -> str:
    words = f"no data before {first.isoformat()}" if first else "no data"
    # The words are drawn only where they fit; the title says them anyway.
    label = (f'<text x="{x + width / 2:.1f}" y="{height / 2 + 3:.1f}" font-size="8" fill="#777" '
             f'text-anchor="middle">{escape(words)}</text>') if width >= 8 * COLUMN else ""
    return (f'<g><title>{escape(words)}</title><rect x="{x}" y="0" width="{width}" height="{height}" '
            f'fill="#f1f1f1"/>{label}</g>')


def sparkline(days: list[date], sizes: dict[date, int]) -> str:
    """An instance's backup size on each of `days` (bytes, `sizes[day]`; a day without one has no point),
    scaled from 0 to the largest; "" when no day has a size."""
    points = [(n, sizes[d]) for n, d in enumerate(days) if d in sizes]
    if not points:
        return ""
    top = max(v for _, v in points) or 1
    xy = [((n + 0.5) * COLUMN, SPARK - 2 - (SPARK - 4) * v / top) for n, v in points]
    shown = [d for d in days if d in sizes]
    said = (f"backup size {humanize.size(sizes[shown[0]])} on {shown[0].isoformat()} to "
            f"{humanize.size(sizes[shown[-1]])} on {shown[-1].isoformat()}")
    if len(xy) == 1:
        mark = f'<rect x="{xy[0][0] - 3:.1f}" y="{xy[0][1] - 1:.2f}" width="6" height="2" fill="#2a6fb0"/>'
    else:
        line = " ".join(f"{x:.1f},{y:.2f}" for x, y in xy)
        mark = (f'<polyline points="{line}" fill="none" stroke="#2a6fb0" stroke-width="1.5" '
                'vector-effect="non-scaling-stroke"/>')
    return (f'<svg class="spark" viewBox="0 0 {COLUMN * len(days)} {SPARK}" preserveAspectRatio="none" '
            f'role="img" aria-label="{escape(said)}"><title>{escape(said)}</title>{mark}</svg>')


def _short(day: date) -> str:
    return f"{day:%b} {day.day}"
