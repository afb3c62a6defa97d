"""One verdict per instance, from plain data: the instance, its backup policy and its backup records.

The rules (README, "Verdicts"): the most recent *scheduled* slot that should be finished by
now decides whether a backup is owed; per node, the newest attempt decides between failed and
fine; a cluster needs every shard; a backup far smaller than the recent ones is a warning. Nothing
that could not be read is ever called fine.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Iterable

from .. import humanize
from ..model import Backup, BackupPolicy, Instance, Kind, Verdict, Window
from .schedule import Slot, last_due_slot, next_slot

# A backup that starts a little before its slot (clock skew, an early start) still serves it.
SLOT_TOLERANCE = timedelta(minutes=30)
# The API filters on whole minutes: a start within a few minutes after the window's end is clock skew.
LATE_TOLERANCE = timedelta(minutes=5)

STATUS_MEANING = {
    "Creating": "being created",
    "Changing": "changing its configuration",
    "Migrating": "being migrated",
    "Transforming": "being transformed",
    "BackupRecovering": "restoring a backup",
    "Flushing": "being flushed",
    "Released": "released",
    "Inactive": "expired or locked",
    "Unavailable": "unavailable",
    "MajorVersionUpgrading": "upgrading its major version",
    "MinorVersionUpgrading": "upgrading its minor version",
    "NetworkModifying": "changing its network",
    "SSLModifying": "changing SSL",
}


@dataclass(frozen=True)
class Rules:
    grace: timedelta = timedelta(minutes=60)
    size_drop_percent: int = 50
    history_days: int = 7
    tz: tzinfo | None = None


def read_from(policy: BackupPolicy, window: Window, rules: Rules) -> datetime:
    """How far back DescribeBackups must read: the window, the last due slot, and the history."""
    start = window.start
    slot = last_due_slot(policy, window.end, rules.grace)
    if slot is not None:
        start = min(start, slot.start - SLOT_TOLERANCE)
    if rules.size_drop_percent:
        start -= timedelta(days=rules.history_days)
    return start.replace(second=0, microsecond=0)


def decide(instance: Instance, policy: BackupPolicy, backups: Iterable[Backup], window: Window,
           rules: Rules, anomalies: Iterable[str] = ()) -> Verdict:
    records = list(backups)
    # A cluster's record names its shard; one that does not cannot stand in for any shard.
    nodeless = [b for b in records if instance.is_cluster and not b.node]
    # DescribeBackups was asked for starts up to the window's end: a later one is not to be believed.
    late = [b for b in records if b.start is not None and b.start > window.end + LATE_TOLERANCE]
    placed = [b for b in records if b.start is not None and b.start <= window.end + LATE_TOLERANCE
              and (b.node or not instance.is_cluster)]
    verdict = _judge(instance, policy, placed, window, rules)
    problems = list(anomalies)
    unplaced = len([b for b in records if b.start is None])
    if unplaced:
        problems.append(f"{unplaced} backup record(s) without a readable start time")
    if late:
        problems.append(f"{len(late)} backup record(s) starting after the end of the window "
                        f"(first {humanize.at(min(b.start for b in late), rules.tz)})")
    if nodeless:
        problems.append(f"{len(nodeless)} backup record(s) of a cluster without a NodeInstanceId")
    if problems and verdict.severity.value != "alert":
        # The data behind a fine verdict is in doubt: say it could not be checked, never fine.
        return Verdict(Kind.ERROR, "; ".join(problems))
    if problems:  # an alert stands, and says what else was odd in what the API answered
        verdict = Verdict(verdict.kind, "; ".join([verdict.detail] + problems))
    return _account_for_status(instance, verdict)


def _judge(instance: Instance, policy: BackupPolicy, records: list[Backup], window: Window,
           rules: Rules) -> Verdict:
    tz, now = rules.tz, window.end
    slot = last_due_slot(policy, now, rules.grace)
    if slot is None:
        return Verdict(Kind.ERROR, "the backup policy names no slot in the last days")
    cover_from = slot.start - SLOT_TOLERANCE
    scope_from = min(window.start, cover_from)
    nodes = _by_node(instance, [b for b in records if b.start >= scope_from])
    newest = {node: max(rs, key=_order) for node, rs in nodes.items()}

    odd = [b for b in newest.values() if not b.succeeded and not b.failed]
    if odd:
        return Verdict(Kind.ERROR, f"backup {odd[0].backup_id}: unrecognised BackupStatus {odd[0].status!r}")

    covered = {n for n, rs in nodes.items() if any(b.succeeded and b.start >= cover_from for b in rs)}
    failed = sorted((b for b in newest.values() if b.failed), key=_order)
    expected = 1
    if instance.is_cluster:
        expected = instance.shard_count or max(1, len({b.node for b in records if b.node}))
    is_new = instance.created is not None and instance.created > slot.start

    if failed and (len(covered) == 0 or len(covered) >= expected or not instance.is_cluster):
        return Verdict(Kind.FAILED, _failed_detail(failed, records, instance, tz, now))
    if not covered:
        if is_new:
            return Verdict(Kind.NEW, _new_detail(instance, policy, now, tz))
        return Verdict(Kind.MISSING, _missing_detail(records, slot, scope_from, now, tz))
    # The whole history read names shards that went quiet, and is what shrinkage compares against.
    history = _by_node(instance, records)
    if len(covered) < expected:
        return Verdict(Kind.INCOMPLETE, _incomplete_detail(history, covered, failed, expected, tz))
    shrunk = [s for s in (_shrunk(rs, rules, instance.is_cluster) for rs in history.values()) if s]
    return _fine(nodes, shrunk, window, policy, rules)


def _fine(nodes: dict[str, list[Backup]], shrunk: list[str], window: Window, policy: BackupPolicy,
          rules: Rules) -> Verdict:
    tz = rules.tz
    successes = [b for rs in nodes.values() for b in rs if b.succeeded]
    latest = max(successes, key=_order)
    notes = []
    recovered = [r for r in (_recovered(rs, window, tz) for rs in nodes.values()) if r]
    if shrunk:
        return Verdict(Kind.SHRUNK, "; ".join(shrunk + recovered))
    if recovered:
        return Verdict(Kind.RECOVERED, "; ".join(recovered))
    in_window = [b for b in successes if b.start >= window.start]
    if not in_window:
        upcoming = next_slot(policy, window.end)
        notes.append(f"last backup {humanize.at(latest.start, tz)} ({humanize.ago(latest.start, window.end)})")
        if upcoming:
            notes.append(f"next scheduled {humanize.at(upcoming.start, tz)}")
        return Verdict(Kind.NOT_DUE, ", ".join(notes))
    newest = max(in_window, key=_order)
    count = f" on all {len(nodes)} shards" if len(nodes) > 1 else ""
    return Verdict(Kind.OK, f"last backup {humanize.at(newest.start, tz)}{count}, {humanize.size(newest.size)}")


def _by_node(instance: Instance, records: list[Backup]) -> dict[str, list[Backup]]:
    # A standard or read/write-split instance has one data set, whatever node ID its records carry.
    nodes: dict[str, list[Backup]] = {}
    for b in records:
        node = (b.node or instance.instance_id) if instance.is_cluster else instance.instance_id
        nodes.setdefault(node, []).append(b)
    return nodes


def _order(b: Backup) -> tuple:
    # Never the API's order: by start, then end, then ID, so equal starts still sort the same way.
    return (b.start, b.end or b.start, str(b.backup_id))


def _failed_detail(failed: list[Backup], records: list[Backup], instance: Instance, tz, now) -> str:
    last = failed[-1]
    where = f" on {len(failed)} node(s)" if instance.is_cluster else ""
    text = f"backup {last.backup_id} failed at {humanize.at(last.start, tz)}{where}"
    good = [b for b in records if b.succeeded]
    if good:
        best = max(good, key=_order)
        return text + f"; last success {humanize.at(best.start, tz)} ({humanize.ago(best.start, now)})"
    return text + "; no successful backup in the records read"


def _missing_detail(records: list[Backup], slot: Slot, scope_from: datetime, now: datetime, tz) -> str:
    text = f"no backup for the slot of {humanize.at(slot.start, tz)}"
    good = [b for b in records if b.succeeded]
    if good:
        best = max(good, key=_order)
        return text + f"; last success {humanize.at(best.start, tz)} ({humanize.ago(best.start, now)})"
    earliest = min([scope_from] + [b.start for b in records])
    return text + f"; no successful backup in the last {humanize.span(now - earliest)}"


def _incomplete_detail(nodes: dict[str, list[Backup]], covered: set[str], failed: list[Backup],
                       expected: int, tz) -> str:
    parts = [f"{min(len(covered), expected)}/{expected} shards backed up"]
    parts += [f"{b.node or '?'} failed (backup {b.backup_id} at {humanize.at(b.start, tz)})" for b in failed]
    failed_nodes = {b.node for b in failed}
    known_absent = sorted(n for n in nodes if n not in covered and n not in failed_nodes)
    unseen = expected - len(covered) - len(failed_nodes) - len(known_absent)
    parts += [f"{n} has no backup" for n in known_absent]
    if unseen > 0:
        parts.append(f"{unseen} shard(s) have no backup record at all")
    return "; ".join(parts)


def _new_detail(instance: Instance, policy: BackupPolicy, now: datetime, tz) -> str:
    upcoming = next_slot(policy, now)
    text = f"created {humanize.ago(instance.created, now)}, after the last scheduled slot"
    return text + (f"; first backup due {humanize.at(upcoming.start, tz)}" if upcoming else "")


def _recovered(records: list[Backup], window: Window, tz) -> str:
    ordered = sorted(records, key=_order)
    newest = ordered[-1]
    earlier_failures = [b for b in ordered if b.failed and b.start >= window.start]
    if not newest.succeeded or not earlier_failures:
        return ""
    failure = earlier_failures[-1]
    return (f"backup {failure.backup_id} failed at {humanize.at(failure.start, tz)}, "
            f"then {newest.backup_id} succeeded at {humanize.at(newest.start, tz)}")


def _shrunk(records: list[Backup], rules: Rules, name_node: bool) -> str:
    if not rules.size_drop_percent:
        return ""
    full = sorted((b for b in records if b.succeeded and b.backup_type == "FullBackup" and b.size is not None),
                  key=_order)
    if len(full) < 2:
        return ""
    newest = full[-1]
    earlier = [b.size for b in full[:-1] if b.start >= newest.start - timedelta(days=rules.history_days)]
    if not earlier:
        return ""
    median = statistics.median(earlier)
    if median <= 0 or newest.size >= median * (100 - rules.size_drop_percent) / 100:
        return ""
    drop = round(100 * (1 - newest.size / median))
    who = f"{newest.node}: " if name_node and newest.node else ""
    return (f"{who}newest full backup {newest.backup_id} is {humanize.size(newest.size)}, {drop}% below the "
            f"{rules.history_days}-day median of {humanize.size(int(median))}")


def _account_for_status(instance: Instance, verdict: Verdict) -> Verdict:
    """A non-Normal instance is not blamed for a backup it could not take, and is named as such."""
    if instance.status == "Normal" or verdict.kind not in (Kind.MISSING, Kind.INCOMPLETE, Kind.NEW):
        return verdict
    meaning = STATUS_MEANING.get(instance.status, "not in service")
    if instance.status == "Creating":
        return Verdict(Kind.NEW, f"status Creating: {meaning}")
    return Verdict(Kind.INACTIVE, f"status {instance.status} ({meaning}): {verdict.detail}")
