"""The backup schedule of `DescribeBackupPolicy`: which slot was due last, which comes next.

The policy is read from its text by `schedule_text.parse_policy` (PreferredBackupTime in UTC, a window of
any length, one ending at or before its start ending the next day). The weekdays are those of the slot's
start in UTC, like the times.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from ..model import BackupPolicy

# Far enough back for a weekly schedule plus the longest grace.
_SEARCH_DAYS = 9


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


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
