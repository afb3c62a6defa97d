"""The backup schedule of `DescribeBackupPolicy`: which slot was due last, which comes next.

`PreferredBackupTime` is `HH:mmZ-HH:mmZ` in UTC; an end of `24:00Z` is the end of the day (the
Terraform provider's list of backup times ends with `23:00Z-24:00Z`: aliyun/terraform-provider-alicloud,
alicloud/common.go BACKUP_TIME, used by the kvstore backup policy's validation). A window may have any
length; one ending at or before its start ends the next day. `PreferredBackupPeriod` names weekdays,
comma-separated, spaces allowed. The weekdays are those of the slot's start in UTC, like the times.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from ..model import BackupPolicy

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SLOT = re.compile(r"^(\d{2}):(\d{2})Z-(\d{2}):(\d{2})Z$")
# Far enough back for a weekly schedule plus the longest grace.
_SEARCH_DAYS = 9


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


def parse_policy(period: object, slot: object) -> BackupPolicy:
    """Raises ValueError naming the field when the API's policy cannot be read."""
    weekdays = _weekdays(period)
    start_minute, end_minute = _slot_minutes(slot)
    return BackupPolicy(weekdays=weekdays, slot_start_minute=start_minute, slot_end_minute=end_minute)


def _weekdays(period: object) -> frozenset[int]:
    """PreferredBackupPeriod's weekdays, 0 = Monday; ValueError unless it names only WEEKDAYS."""
    names = [p.strip() for p in period.split(",") if p.strip()] if isinstance(period, str) else []
    if not names or any(n not in WEEKDAYS for n in names):
        raise ValueError(f"PreferredBackupPeriod {period!r} is not a list of weekdays")
    return frozenset(WEEKDAYS.index(n) for n in names)


def _slot_minutes(slot: object) -> tuple[int, int]:
    """PreferredBackupTime's (start, end) in UTC minutes of the day (an end of 24:00Z is 1440);
    ValueError unless it is HH:mmZ-HH:mmZ."""
    match = _SLOT.match(slot.strip()) if isinstance(slot, str) else None
    if not match:
        raise ValueError(f"PreferredBackupTime {slot!r} is not HH:mmZ-HH:mmZ")
    start_hour, start_minute, end_hour, end_minute = (int(g) for g in match.groups())
    end_of_day = (end_hour, end_minute) == (24, 0)
    if start_hour > 23 or (end_hour > 23 and not end_of_day) or start_minute > 59 or end_minute > 59:
        raise ValueError(f"PreferredBackupTime {slot!r} is not HH:mmZ-HH:mmZ")
    return start_hour * 60 + start_minute, end_hour * 60 + end_minute


def _slots_around(policy: BackupPolicy, moment: datetime, days_back: int, days_ahead: int) -> list[Slot]:
    # A slot like 23:00Z-01:00Z ends the next day; equal ends mean a whole day.
    length = (policy.slot_end_minute - policy.slot_start_minute) % 1440 or 1440
    today = moment.astimezone(timezone.utc).date()
    slots = []
    for offset in range(-days_back, days_ahead + 1):
        day = today + timedelta(days=offset)
        if day.weekday() in policy.weekdays:
            start = datetime.combine(day, time(), tzinfo=timezone.utc) + timedelta(minutes=policy.slot_start_minute)
            slots.append(Slot(start, start + timedelta(minutes=length)))
    return slots


def last_due_slot(policy: BackupPolicy, now: datetime, grace: timedelta) -> Slot | None:
    """The newest slot whose window, plus the grace for the backup to finish, ended by `now`."""
    due = [s for s in _slots_around(policy, now, _SEARCH_DAYS, 0) if s.end + grace <= now]
    return max(due, key=lambda s: s.start, default=None)


def next_slot(policy: BackupPolicy, after: datetime) -> Slot | None:
    ahead = [s for s in _slots_around(policy, after, 0, 8) if s.start > after]
    return min(ahead, key=lambda s: s.start, default=None)
