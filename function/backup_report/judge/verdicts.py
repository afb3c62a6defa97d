"""One verdict per instance, from plain data: the instance and what was read of it (`Reading`).

The rules (docs/verdicts.md): the most recent *scheduled* slot that should be finished by
now decides whether a backup is owed; only a finished, successful FullBackup serves it; per node,
the newest finished full backup or failure decides between failed and fine (a successful
incremental one never hides a failed full one); a cluster needs every shard; a backup far smaller
than the recent ones is a warning; a backup still running when the slot is otherwise uncovered is
`running` when DescribeBackupTasks (or a RUNNING cluster backup set) says so. Nothing that could not
be read is ever called fine.

Which verdict the records give is `precedence.PRECEDENCE`, rules in order; `decide` then amends it,
in this order: an unsettled kind makes an alert `error`; DescribeBackupTasks may turn `missing`
`running`; what was odd in the answer (`records.screen`, `Case.doubts`) makes a fine verdict `error`
and rides on an alert; the InstanceStatus may excuse it (`inactive`, `new`); a broken policy control
makes a fine one `policy` and rides on any other; a risk seen coming (`foresight`) makes a fine one `at_risk`
and rides on any other but `error`; what needs attention gets its history strip.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Iterable

from ..model import BackupPolicy, BackupTask, Instance, Kind, Reading, Severity, Verdict, Window
from . import details, foresight, history, policy
from .precedence import SLOT_TOLERANCE, Case, judge
from .records import screen
from .running import resolve
from .schedule import last_due_slot


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
    verdict, doubts = judge(Case(instance, reading, placed, window, rules))
    problems += doubts
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
    verdict = policy.apply(verdict, policy.breaches(instance, reading.policy, rules.controls, window.end))
    verdict = foresight.apply(verdict, foresight.risks(instance, reading, placed, window.end, rules.tz),
                              foresight.costs(reading))
    if verdict.severity is not Severity.FINE and verdict.kind is not Kind.ERROR:
        # Only what needs attention carries its strip; an `error`'s records are in doubt.
        verdict = replace(verdict, history=history.read(instance, reading, placed, window.end, rules.grace,
                                                        rules.history_days, rules.tz))
    # The archive keeps the policy, to tell a changed one, and the sizes, for the page's size history.
    return replace(verdict, policy=reading.policy, sizes=history.sizes(reading, placed, rules.tz))


def needs_tasks(verdict: Verdict) -> bool:
    """Whether DescribeBackupTasks could change this verdict: only a would-be `missing` one."""
    return verdict.kind is Kind.MISSING

