"""A timer trigger's `cronExpression` as Function Compute reads it: refused with the accepted form, before `s deploy`.

FC's time trigger (https://www.alibabacloud.com/help/doc-detail/171746.htm, 定时触发器; the API's TimerTriggerConfig,
https://www.alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-timertriggerconfig) takes either an
interval, `@every 4m`, or a cron expression of six fields, seconds first: `Seconds Minutes Hours Day-of-month Month
Day-of-week`, read in UTC unless prefixed `CRON_TZ=<IANA zone> ` (`CRON_TZ=Asia/Shanghai 0 0 4 1 * *`). The fields'
ranges and special characters are that page's table: Seconds 0-59, Minutes 0-59, Hours 0-23, Day-of-month 1-31,
Month 1-12 or JAN-DEC, Day-of-week MON-SUN; `*`, `,`, `-` and `/` in each, `?` in Day-of-month and Day-of-week only.
A five-field crontab line (`7 9 * * *`) is the commonest mistake: it is refused, never read as something else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FORM = "`second minute hour day month weekday`, optionally prefixed `CRON_TZ=<zone> `, e.g. " \
       "`CRON_TZ=Asia/Shanghai 0 7 9 * * *`, or `@every <minutes>m`"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class Field:
    """One field of the six: its name, its range, its names (the first one is `low`), whether `?` is allowed."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    question: bool = False


# Day-of-week: FC's page gives 1-7 for MON-SUN, robfig/cron (the Go library whose syntax FC's CRON_TZ= and @every
# follow) 0-6 for SUN-SAT. Both are accepted as numbers 0-7; `numbered_weekdays` says when a number is used, since
# the two read it differently, and names (MON-FRI) mean the same day to both.
FIELDS = (Field("second", 0, 59), Field("minute", 0, 59), Field("hour", 0, 23),
          Field("day", 1, 31, question=True), Field("month", 1, 12, MONTHS),
          Field("weekday", 0, 7, WEEKDAYS, question=True))
EVERY = re.compile(r"@every ([1-9][0-9]*h)?([1-9][0-9]*m)?")
ITEM = re.compile(r"(?P<range>\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/(?P<step>[1-9][0-9]*))?")


@dataclass(frozen=True)
class Schedule:
    """A cron expression read: `zone` (the CRON_TZ zone, "" without one: UTC), `fields` (the six, or () for an
    @every interval)."""

    zone: str
    fields: tuple[str, ...]


def parse(expression: str) -> Schedule:
    """`expression` as FC reads it. Raises ValueError saying what is wrong and the accepted form (FORM)."""
    text = " ".join(str(expression).split())
    if text.startswith("@") and not text.startswith("@every"):  # robfig/cron's @daily, @hourly, …: not FC's
        raise ValueError(f"{text[:20]} is a crontab shorthand; FC's time trigger takes `@every` or six fields: {FORM}")
    if text.startswith("@every"):
        match = EVERY.fullmatch(text)
        if not match or not any(match.groups()):
            raise ValueError(f"an interval is `@every` and whole minutes or hours, like `@every 15m` or `@every 1h30m` "
                             f"(FC's time trigger); the other form is {FORM}")
        return Schedule("", ())
    zone = ""
    if text.startswith("CRON_TZ="):
        zone, _, text = text[len("CRON_TZ="):].partition(" ")
        _zone(zone)
    elif text.split(" ", 1)[0].upper().startswith(("TZ=", "CRON_TZ")):
        raise ValueError(f"the time zone prefix is `CRON_TZ=<zone> ` (FC's time trigger): {FORM}")
    fields = tuple(text.split(" ")) if text else ()
    if len(fields) != len(FIELDS):
        raise ValueError(_count(fields, zone))
    for field, value in zip(FIELDS, fields):
        _field(field, value)
    return Schedule(zone, fields)


def numbered_weekdays(schedule: Schedule) -> bool:
    """True when the weekday field names a day by number, which FC's page (1-7, MON-SUN) and Go's cron (0-6,
    SUN-SAT) read differently."""
    return bool(schedule.fields) and re.search(r"(?<![/0-9])[0-9]", schedule.fields[5]) is not None


def _zone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"CRON_TZ={zone[:40]!r} is not an IANA time zone; e.g. CRON_TZ=Asia/Shanghai, CRON_TZ=UTC") \
            from None


def _count(fields: tuple[str, ...], zone: str) -> str:
    prefix = f"CRON_TZ={zone} " if zone else ""
    if len(fields) == 5:  # a crontab line: minute hour day month weekday
        return (f"{len(fields)} fields, a crontab line; FC's cron has 6, seconds first: {FORM} "
                f"(this one with seconds: `{prefix}0 {' '.join(fields)}`)")
    extra = " (FC's cron has no year field)" if len(fields) == 7 else ""
    return f"{len(fields)} fields{extra}; FC's cron has 6, seconds first: {FORM}"


def _field(field: Field, value: str) -> None:
    """One field's text: comma-separated items, each `*`, `?` (day and weekday), `n` or `n-m`, with an optional
    `/step`. Raises ValueError naming the field and its range."""
    accepted = f"{field.low}-{field.high}" + (f" or {field.names[0]}-{field.names[-1]}" if field.names else "")
    for item in value.split(","):
        if item == "?" and field.question:
            continue
        match = ITEM.fullmatch(item)
        bounds = [_number(field, part) for part in match.group("range").split("-")] \
            if match and match.group("range") != "*" else []
        if field.name == "weekday" and bounds[1:] == [0]:  # MON-SUN: Sunday as 7, FC's page's numbering
            bounds[1] = 7
        if not match or None in bounds or (len(bounds) == 2 and bounds[0] > bounds[1]):
            special = ", ?" if field.question else ""
            raise ValueError(f"{field.name} field {value[:40]!r}: {accepted}, with * , - /{special} (FC's time trigger); "
                             f"the whole expression is {FORM}")


def _number(field: Field, text: str) -> int | None:
    """A value of the field by number or name (case-insensitive), None when out of its range."""
    names = [n.upper() for n in field.names]
    if text.upper() in names:
        return field.low + names.index(text.upper()) if field.name == "month" else names.index(text.upper())
    if text.isdigit() and field.low <= int(text) <= field.high:
        return int(text)
    return None
