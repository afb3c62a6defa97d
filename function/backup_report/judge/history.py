"""An instance's last scheduled days as a strip, and the streak of its newest outcome in words. Pure.

Read only from the records already read: the run reads DescribeBackups (or DescribeClusterBackupList)
back HISTORY_DAYS days before the last due slot (`verdicts.read_from`), so every day of the strip is
inside what was read. A day is that of a slot's start in UTC, as the schedule's weekdays are
(`schedule`). A slot counts as done when, from `SLOT_TOLERANCE` before its start to a day later,
every expected node has a finished, successful full backup; else as failed when a backup of it
failed; else as missing.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

from ..model import Backup, BackupPolicy, History, Instance, Reading
from .schedule import last_due_slot

SLOT_TOLERANCE = timedelta(minutes=30)  # as verdicts.SLOT_TOLERANCE: an early start still serves its slot
DAY = timedelta(days=1)


def read(instance: Instance, reading: Reading, records: list[Backup], now: datetime, grace: timedelta,
         days: int, tz: tzinfo | None) -> History | None:
    """The last `days` days up to the last due slot's, oldest first, and the streak; None when the
    policy names no due slot. `records`: the screened records; `tz`: for the dates the streak names."""
    policy = reading.policy
    slot = last_due_slot(policy, now, grace)
    if slot is None:
        return None
    last_day = slot.start.date()
    expected = len(reading.shards) or (reading.shard_count if reading.per_shard else 1)
    outcomes = []
    for offset in range(days - 1, -1, -1):
        day = last_day - timedelta(days=offset)
        outcomes.append(_day(instance, reading, records, policy, day, expected))
    first_day = last_day - timedelta(days=days - 1)
    streak = _streak(first_day, outcomes, policy, tz or timezone.utc)
    return History(days=tuple(outcomes), first_day=first_day, streak=streak)


def sizes(reading: Reading, records: list[Backup], tz: tzinfo | None) -> tuple[tuple[date, int], ...]:
    """The bytes backed up on each day (`tz`'s days, UTC when None, oldest first) of the screened `records`:
    per node, the newest finished, successful full backup that started that day, summed over the nodes; a
    day counts only when every expected node has one with a known size (a classic cluster's shards each
    have their records). Sizes are DescribeBackups' BackupSize, bytes (alibabacloud_r_kvstore20150101,
    models/_describe_backups_response_body.py), or a cluster backup set's shards' sum (cluster_sets)."""
    expected = max(len(reading.shards) or (reading.shard_count if reading.per_shard else 1), 1)
    newest: dict[date, dict[str, Backup]] = {}
    for b in records:
        if not b.covers or b.size is None or b.start is None:
            continue
        nodes = newest.setdefault(b.start.astimezone(tz or timezone.utc).date(), {})
        node = b.node if reading.per_shard else ""
        if node not in nodes or nodes[node].start < b.start:
            nodes[node] = b
    return tuple((day, sum(b.size for b in nodes.values())) for day, nodes in sorted(newest.items())
                 if len(nodes) >= expected)


def _day(instance: Instance, reading: Reading, records: list[Backup], policy: BackupPolicy, day, expected: int) -> str:
    if day.weekday() not in policy.weekdays:
        return History.UNSCHEDULED
    start = _slot_start(policy, day)
    if instance.created is not None and instance.created > start:
        return History.UNCREATED
    mine = [b for b in records if b.start is not None and start - SLOT_TOLERANCE <= b.start < start + DAY - SLOT_TOLERANCE]
    covered = {b.node if reading.per_shard else "" for b in mine if b.covers}
    if len(covered) >= max(expected, 1):
        return History.DONE
    return History.FAILED if any(b.failed for b in mine) else History.MISSING


def _slot_start(policy: BackupPolicy, day) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc) + timedelta(minutes=policy.slot_start_minute)


def _streak(first_day, outcomes: list[str], policy: BackupPolicy, tz: tzinfo) -> str:
    """"3rd scheduled backup missed in a row", "failing since Nov 25", or "" when the newest was done."""
    scheduled = [(first_day + timedelta(days=i), day) for i, day in enumerate(outcomes)
                 if day not in (History.UNSCHEDULED, History.UNCREATED)]
    run = []
    for day, outcome in reversed(scheduled):
        if outcome == History.DONE:
            break
        run.append((day, outcome))
    if not run:
        return ""
    whole = len(run) == len(scheduled)  # nothing done in the whole strip: the run may be longer
    kinds = {outcome for _, outcome in run}
    since = _slot_start(policy, run[-1][0]).astimezone(tz)
    date = f"{since:%b} {since.day}"
    if kinds == {History.MISSING}:
        if whole:
            return f"every scheduled backup of the last {len(outcomes)} days missed ({len(run)} in a row)"
        if len(run) == 1:
            return "first scheduled backup missed"
        return f"{_ordinal(len(run))} scheduled backup missed in a row"
    verb = "failing" if kinds == {History.FAILED} else "not backed up"
    return f"{verb} since {'at least ' if whole else ''}{date}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
