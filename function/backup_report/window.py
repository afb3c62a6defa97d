"""The window a run looks at, and the API's time formats."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .model import Window

# DescribeBackups takes yyyy-MM-ddTHH:mmZ and nothing else (InvalidStartTime.Malformed otherwise).
API_MINUTE = "%Y-%m-%dT%H:%MZ"
# The times any answer can sensibly carry. ApsaraDB for Redis dates from 2014 and the Unix epoch bounds
# every clock the API runs on; 2200 leaves centuries for a run's window. Outside this, a time is odd data
# (a record without a readable time), never something to compute with: year 1 minus a UTC offset, or
# 9999-12-31T23:00Z shown in Asia/Shanghai, does not fit in a datetime and raised OverflowError.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)
_API_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?(Z|[+-]\d{2}:\d{2})?$")


def window_for(trigger_time: datetime | None, lookback_hours: int, now: datetime) -> Window:
    """end = the trigger time (or now) truncated to the minute, in UTC; start = end - lookback."""
    end = (trigger_time or now).astimezone(timezone.utc).replace(second=0, microsecond=0)
    return Window(start=end - timedelta(hours=lookback_hours), end=end)


def api_minute(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(API_MINUTE)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_api_time(text: object) -> datetime | None:
    """The API's UTC times (`…T…Z`, with or without seconds); None when unreadable or outside
    [EARLIEST, LATEST). A time without a zone designator is UTC: the API reference gives every time
    of these answers in UTC (e.g. models/_describe_backup_tasks_response_body.py, StartTime
    "displayed in UTC").

    A regex, not datetime.fromisoformat: Python 3.10 (the FC runtime) accepts fewer forms than 3.11.
    """
    if not isinstance(text, str):
        return None
    match = _API_TIME.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                          int((fraction or "0").ljust(6, "0")), tzinfo=timezone.utc)
    except ValueError:
        return None
    if not EARLIEST.year <= moment.year < LATEST.year:  # before the offset: year 1 minus +01:00 overflows
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment if EARLIEST <= moment < LATEST else None
