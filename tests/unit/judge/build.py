"""Small plain-data inputs for the judge's unit tests: no sockets, no sandbox.

The run ends at 2026-11-28 01:00Z, a Saturday; the policy backs up daily 18:00Z-19:00Z, so the last
due slot began 2026-11-27 18:00Z, 7 hours before the end, inside the 24-hour window. Times are UTC,
sizes bytes, as in `model.Backup`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backup_report.schedule_text import parse_policy
from backup_report.judge.verdicts import Rules
from backup_report.model import Backup, BackupPolicy, Instance, Reading, Window

UTC = timezone.utc
END = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
WINDOW = Window(END - timedelta(hours=24), END)
DAILY = parse_policy("Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "18:00Z-19:00Z")
SUNDAYS = parse_policy("Sunday", "18:00Z-19:00Z")  # last due 2026-11-22 18:00Z, before the window
NEVER = BackupPolicy(weekdays=frozenset(), slot_start_minute=18 * 60, slot_end_minute=19 * 60)
SLOT = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # the last due slot's start
AT = SLOT + timedelta(minutes=10)  # when the slot's backup ran
RULES = Rules(tz=UTC)
GB = 2 ** 30

STANDARD = Instance("r-s", "s", "cn-hangzhou", created=END - timedelta(days=400))
CLASSIC = Instance("r-c", "c", "cn-hangzhou", architecture="cluster", shard_count=0, node_type="double",
                   created=END - timedelta(days=400))
CLOUD_NATIVE = Instance("r-n", "n", "cn-hangzhou", architecture="cluster", shard_count=3, node_type="MASTER_SLAVE",
                        created=END - timedelta(days=400))
SHARDS = ("r-c-db-0", "r-c-db-1", "r-c-db-2")


def backup(node: str = "r-s", start: datetime = AT, status: str = "Success", *, minutes: int = 4,
           size: int | None = GB, backup_type: str = "FullBackup", backup_id: str = "", **more) -> Backup:
    """One finished record of `node` (`minutes` long; minutes=None: no end), its ID from node and start."""
    end = start + timedelta(minutes=minutes) if minutes is not None else None
    return Backup(backup_id or f"{node}@{start:%m%dT%H%M}", node, status, start, end, size, backup_type, **more)


def nightly(node: str = "r-s", days: int = 8, size: int | None = GB, at: datetime = AT) -> list[Backup]:
    """A successful backup of `node` on each of the `days` nights up to `at`, oldest first."""
    return [backup(node, at - timedelta(days=d), size=size) for d in range(days - 1, -1, -1)]


def standard(*records: Backup, policy: BackupPolicy = DAILY, **more) -> Reading:
    return Reading(policy, tuple(records), **more)


def classic(*records: Backup, shards: tuple[str, ...] = SHARDS, **more) -> Reading:
    return Reading(DAILY, tuple(records), per_shard=True, shard_count=len(shards), shards=shards, **more)


def cloud_native(*records: Backup, **more) -> Reading:
    return Reading(DAILY, tuple(records), source="DescribeClusterBackupList", **more)
