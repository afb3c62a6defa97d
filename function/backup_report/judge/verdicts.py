"""One verdict per instance, from plain data: the instance and what was read of it (`Reading`).

The rules (README, "Verdicts"): the most recent *scheduled* slot that should be finished by
now decides whether a backup is owed; only a finished, successful FullBackup serves it; per node,
the newest finished full backup or failure decides between failed and fine (a successful
incremental one never hides a failed full one); a cluster needs every shard; a backup far smaller
than the recent ones is a warning; a backup still running when the slot is otherwise uncovered is
`running` when DescribeBackupTasks (or a RUNNING cluster backup set) says so. Nothing that could not
be read is ever called fine.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Iterable

from .. import humanize
from ..model import Backup, BackupPolicy, BackupTask, Instance, Kind, Reading, Severity, Verdict, Window
from . import details, history, policy
from .details import order
from .records import screen
from .running import resolve
from .schedule import last_due_slot, next_slot

# A backup that starts a little before its slot (clock skew, an early start) still serves it.
SLOT_TOLERANCE = timedelta(minutes=30)


@dataclass(frozen=True)
class Rules:
    grace: timedelta = timedelta(minutes=60)
    size_drop_percent: int = 50
    history_days: int = 7
    tz: tzinfo | None = None
    controls: policy.Controls = field(default_factory=policy.Controls)


def read_from(backup_policy: BackupPolicy, window: Window, rules: Rules) -> datetime:
    """How far back the backups must be read: the window, the last due slot, and HISTORY_DAYS before
    them, always: the size comparison and the history strip (`history`) both read that far."""
    start = window.start
    slot = last_due_slot(backup_policy, window.end, rules.grace)
    if slot is not None:
        start = min(start, slot.start - SLOT_TOLERANCE)
    start -= timedelta(days=rules.history_days)
    return start.replace(second=0, microsecond=0)


def decide(instance: Instance, reading: Reading, window: Window, rules: Rules,
           tasks: Iterable[BackupTask] | None = None) -> Verdict:
    """The instance's verdict. `tasks`: DescribeBackupTasks' jobs, read only when this returned
    `missing` without them (the caller then asks once and decides again)."""
    placed, problems = screen(instance, reading, window, rules.tz)
    verdict = _judge(instance, reading, placed, window, rules, problems)
    if reading.unsettled and verdict.severity is not Severity.FINE:
        # Neither API listed a backup: whether one is owed where the run looked cannot be told (kinds.py).
        return Verdict(Kind.ERROR, f"{reading.unsettled}: {verdict.detail}", policy=reading.policy)
    if verdict.kind is Kind.MISSING and tasks is not None:
        recent = [b for b in placed if b.start >= window.start]
        slot = last_due_slot(reading.policy, window.end, rules.grace)
        since = (slot.start if slot else window.start) - SLOT_TOLERANCE
        verdict = resolve(verdict, list(tasks), recent, window.end, rules.tz, since,
                          cluster_sets=reading.source == "DescribeClusterBackupList")
    if problems and verdict.severity.value != "alert":
        # The data behind a fine verdict is in doubt: say it could not be checked, never fine.
        return Verdict(Kind.ERROR, "; ".join(problems), policy=reading.policy)
    if problems:  # an alert stands, and says what else was odd in what the API answered
        verdict = Verdict(verdict.kind, "; ".join([verdict.detail] + problems))
    verdict = details.account_for_status(instance, verdict, placed, window.end)
    verdict = policy.apply(verdict, policy.breaches(instance, reading.policy, rules.controls))
    if verdict.severity is not Severity.FINE and verdict.kind is not Kind.ERROR:
        # Only what needs attention carries its strip; an `error`'s records are in doubt.
        verdict = replace(verdict, history=history.read(instance, reading, placed, window.end, rules.grace,
                                                        rules.history_days, rules.tz))
    return replace(verdict, policy=reading.policy)  # the archive keeps it, to tell a changed policy


def needs_tasks(verdict: Verdict) -> bool:
    """Whether DescribeBackupTasks could change this verdict: only a would-be `missing` one."""
    return verdict.kind is Kind.MISSING


def _judge(instance: Instance, reading: Reading, records: list[Backup], window: Window, rules: Rules,
           problems: list[str]) -> Verdict:
    tz, now = rules.tz, window.end
    slot = last_due_slot(reading.policy, now, rules.grace)
    if slot is None:
        return Verdict(Kind.ERROR, "the backup policy names no backup time in the last days")
    expected = len(reading.shards) or (reading.shard_count if reading.per_shard else 1)
    if expected < 1:
        return Verdict(Kind.ERROR, f"{instance.kind}: the number of shards is unknown")
    cover_from = slot.start - SLOT_TOLERANCE
    scope_from = min(window.start, cover_from)
    nodes = _by_node(instance, reading, [b for b in records if b.start >= scope_from])
    # Pending (running, or a Success without its end or ID) decides nothing; a successful
    # incremental backup decides nothing either: it never hides a failed full one.
    decisive = {n: [b for b in rs if _decisive(b)] for n, rs in nodes.items()}
    newest = {n: max(rs, key=order) for n, rs in decisive.items() if rs}

    odd = [b for b in newest.values() if b.unknown]
    if odd:
        return Verdict(Kind.ERROR, f"backup {odd[0].backup_id}: unrecognised BackupStatus {odd[0].status!r}")

    covered = {n for n, rs in nodes.items() if any(b.covers and b.start >= cover_from for b in rs)}
    failed = sorted((b for b in newest.values() if b.failed), key=order)
    created = instance.created
    if created is not None and created > now:
        problems.append(f"CreateTime {humanize.at(created, tz)} is in the future")
    # `new` only for an instance created after the slot, in the past, with no older backup of its own.
    older = [b for b in records if b.covers and b.start < cover_from]
    is_new = created is not None and slot.start < created <= now and not older

    if failed and failed[-1].partial and len(covered) < expected:
        return Verdict(Kind.INCOMPLETE, details.partial(failed[-1], tz))
    if failed and (len(covered) == 0 or len(covered) >= expected or not reading.per_shard):
        return Verdict(Kind.FAILED, details.failed(failed, records, reading, tz, now))
    if not covered:
        if is_new:
            return Verdict(Kind.NEW, details.new(instance, reading.policy, now, tz))
        return Verdict(Kind.MISSING, details.missing(reading, records, slot, scope_from, now, tz))
    # The whole history read names shards that went quiet, and is what shrinkage compares against.
    history = _by_node(instance, reading, records)
    if len(covered) < expected:
        return Verdict(Kind.INCOMPLETE, details.incomplete(instance, reading, history, covered, failed, expected, tz, now))
    shrunk = [s for s in (details.shrunk(rs, rules, reading.per_shard) for rs in history.values()) if s]
    return _fine(nodes, decisive, shrunk, window, reading, rules, expected)


def _decisive(b: Backup) -> bool:
    pending = b.running or (b.status == "Success" and not b.finished)
    return not pending and (b.backup_type == "FullBackup" or not b.succeeded)


def _fine(nodes: dict[str, list[Backup]], decisive: dict[str, list[Backup]], shrunk: list[str], window: Window,
          reading: Reading, rules: Rules, expected: int) -> Verdict:
    tz = rules.tz
    successes = [b for rs in nodes.values() for b in rs if b.covers]
    latest = max(successes, key=order)
    recovered = [r for r in (details.recovered(rs, window, tz) for rs in decisive.values()) if r]
    if shrunk:
        return Verdict(Kind.SHRUNK, "; ".join(shrunk + recovered))
    if recovered:
        return Verdict(Kind.RECOVERED, "; ".join(recovered))
    in_window = [b for b in successes if b.start >= window.start]
    if not in_window:
        upcoming = next_slot(reading.policy, window.end)
        notes = [f"last backup {humanize.at(latest.start, tz)} ({humanize.ago(latest.start, window.end)})"]
        if upcoming:
            notes.append(f"next scheduled {humanize.at(upcoming.start, tz)}")
        return Verdict(Kind.NOT_DUE, ", ".join(notes))
    newest = max(in_window, key=order)
    count = f" on all {expected} shards" if reading.per_shard and expected > 1 else ""
    if newest.note:
        count = f" ({newest.note})"
    return Verdict(Kind.OK, f"last backup {humanize.at(newest.start, tz)}{count}, {humanize.size(newest.size)}")


def _by_node(instance: Instance, reading: Reading, records: list[Backup]) -> dict[str, list[Backup]]:
    # One data set unless the records are a classic cluster's, one per shard.
    nodes: dict[str, list[Backup]] = {}
    for b in records:
        nodes.setdefault(b.node if reading.per_shard else instance.instance_id, []).append(b)
    return nodes
