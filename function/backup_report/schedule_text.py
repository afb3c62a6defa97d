"""DescribeBackupPolicy's schedule as text, read into a `model.BackupPolicy`: at the cloud edge from the
API's answer (cloud/answers.policy), in the archive from a previous run's JSON (archive/record).

`PreferredBackupTime` is `HH:mmZ-HH:mmZ` in UTC; an end of `24:00Z` is the end of the day (the
Terraform provider's list of backup times ends with `23:00Z-24:00Z`: aliyun/terraform-provider-alicloud,
alicloud/common.go BACKUP_TIME, used by the kvstore backup policy's validation). A window may have any
length; one ending at or before its start ends the next day. `PreferredBackupPeriod` names weekdays,
comma-separated, spaces allowed.
"""
from __future__ import annotations

import re

from .model import BackupPolicy

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SLOT = re.compile(r"^(\d{2}):(\d{2})Z-(\d{2}):(\d{2})Z$")


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
