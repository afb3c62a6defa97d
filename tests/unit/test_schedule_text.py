"""`schedule_text.parse_policy`: DescribeBackupPolicy's PreferredBackupPeriod and PreferredBackupTime read,
or refused naming the field."""
from __future__ import annotations

import pytest

from backup_report.schedule_text import parse_policy
from backup_report.model import BackupPolicy


@pytest.mark.parametrize("period,slot,weekdays,start,end", [
    ("Monday", "18:00Z-19:00Z", {0}, 1080, 1140),
    (" Monday, Wednesday ,Sunday,", "22:30Z-02:15Z", {0, 2, 6}, 1350, 135),
    ("Friday", "00:00Z-24:00Z", {4}, 0, 1440),  # 24:00Z: the end of the day (Terraform's BACKUP_TIME)
    ("Saturday", " 23:59Z-23:59Z ", {5}, 1439, 1439),
])
def test_a_readable_policy_reads_as_utc_minutes_of_the_day(period, slot, weekdays, start, end):
    assert parse_policy(period, slot) == BackupPolicy(frozenset(weekdays), start, end)


@pytest.mark.parametrize("period,slot,says", [
    ("", "18:00Z-19:00Z", "PreferredBackupPeriod '' is not a list of weekdays"),
    (None, "18:00Z-19:00Z", "PreferredBackupPeriod None is not a list of weekdays"),
    ("Monday,Funday", "18:00Z-19:00Z", "PreferredBackupPeriod 'Monday,Funday' is not a list of weekdays"),
    ("monday", None, "PreferredBackupPeriod 'monday' is not a list of weekdays"),  # the period is read first
    ("Monday", None, "PreferredBackupTime None is not HH:mmZ-HH:mmZ"),
    ("Monday", "18:00-19:00", "PreferredBackupTime '18:00-19:00' is not HH:mmZ-HH:mmZ"),
    ("Monday", "24:00Z-01:00Z", "PreferredBackupTime '24:00Z-01:00Z' is not HH:mmZ-HH:mmZ"),
    ("Monday", "23:00Z-24:30Z", "PreferredBackupTime '23:00Z-24:30Z' is not HH:mmZ-HH:mmZ"),
    ("Monday", "23:00Z-25:00Z", "PreferredBackupTime '23:00Z-25:00Z' is not HH:mmZ-HH:mmZ"),
    ("Monday", "18:60Z-19:00Z", "PreferredBackupTime '18:60Z-19:00Z' is not HH:mmZ-HH:mmZ"),
    ("Monday", "18:00Z-19:60Z", "PreferredBackupTime '18:00Z-19:60Z' is not HH:mmZ-HH:mmZ"),
])
def test_an_unreadable_policy_is_refused_naming_the_field(period, slot, says):
    with pytest.raises(ValueError) as raised:
        parse_policy(period, slot)
    assert str(raised.value) == says
