"""Which verdict the records give, as rules in order: the first rule with a finding decides. Pure.

PRECEDENCE is that order. Each rule takes a `Case` and returns its `Verdict`, or None when it has
nothing to say; `ok`, the last, always decides. A rule may take for granted that every rule before it
found nothing (`missing` that there is a due slot, `ok` that a success started in the window), so
the order is more than which finding wins. `verdicts.decide` then amends the finding: an
unsettled kind, a running backup task, what was odd in the answer, the InstanceStatus, the policy
controls (docs/verdicts.md).

A `Case` holds the instance (DescribeInstances), what was read of it (`Reading`: DescribeBackupPolicy,
DescribeBackups or DescribeClusterBackupList), its records as `records.screen` kept them, the window
and the thresholds (`verdicts.Rules`). Everything else is derived from those, once, and only when a
rule asks: the last due slot, the shards expected, the records of each node, which nodes the slot's
backup covers, which failed. Times are UTC `datetime`s, sizes bytes, as in `model`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Callable

from .. import humanize
from ..model import Backup, Instance, Kind, Reading, Verdict, Window
from . import details
from .details import order
from .schedule import Slot, last_due_slot, next_slot

if TYPE_CHECKING:
    from .verdicts import Rules

# A backup that starts a little before its slot (clock skew, an early start) still serves it.
SLOT_TOLERANCE = timedelta(minutes=30)


@dataclass(frozen=True)
class Case:
    """One instance to judge. `records`: the screened records (`records.screen`), any order; the
    derived facts below are computed when first read, so a rule reads only what it needs."""

    instance: Instance
    reading: Reading
    records: list[Backup]
    window: Window
    rules: Rules

    @property
    def now(self) -> datetime:
        """The window's end: the run's moment."""
        return self.window.end

    @property
    def tz(self) -> tzinfo | None:
        """The team's time zone, for the times a detail names."""
        return self.rules.tz

    @cached_property
    def slot(self) -> Slot | None:
        """The newest scheduled slot that should be finished by now, grace included; None when the
        policy names none in the last days (`schedule.last_due_slot`)."""
        return last_due_slot(self.reading.policy, self.now, self.rules.grace)

    @cached_property
    def expected(self) -> int:
        """How many nodes must be covered: the topology's shards, else ShardCount for per-shard records,
        else 1 (one data set). 0 or less: unknown."""
        reading = self.reading
        return len(reading.shards) or (reading.shard_count if reading.per_shard else 1)

    @cached_property
    def cover_from(self) -> datetime:
        """The earliest start that serves the slot: SLOT_TOLERANCE before it. Needs a `slot`."""
        return self.slot.start - SLOT_TOLERANCE

    @cached_property
    def scope_from(self) -> datetime:
        """The earliest start the verdict reads: the window's start, or `cover_from` when earlier."""
        return min(self.window.start, self.cover_from)

    @cached_property
    def nodes(self) -> dict[str, list[Backup]]:
        """The records from `scope_from`, by node (`by_node`)."""
        return by_node(self.instance, self.reading, [b for b in self.records if b.start >= self.scope_from])

    @cached_property
    def decisive(self) -> dict[str, list[Backup]]:
        """Each node's records that decide anything (`is_decisive`)."""
        # Pending (running, or a Success without its end or ID) decides nothing; a successful
        # incremental backup decides nothing either: it never hides a failed full one.
        return {n: [b for b in rs if is_decisive(b)] for n, rs in self.nodes.items()}

    @cached_property
    def newest(self) -> dict[str, Backup]:
        """Each node's newest decisive record (`details.order`), for nodes that have one."""
        return {n: max(rs, key=order) for n, rs in self.decisive.items() if rs}

    @cached_property
    def covered(self) -> set[str]:
        """The nodes with a finished, successful full backup (`Backup.covers`) from `cover_from`."""
        return {n for n, rs in self.nodes.items() if any(b.covers and b.start >= self.cover_from for b in rs)}

    @cached_property
    def failures(self) -> list[Backup]:
        """The nodes' newest decisive records that are Failed, oldest first."""
        return sorted((b for b in self.newest.values() if b.failed), key=order)

    @cached_property
    def is_new(self) -> bool:
        """Created after the slot, in the past, with no older backup of its own (CreateTime)."""
        created = self.instance.created
        older = [b for b in self.records if b.covers and b.start < self.cover_from]
        return created is not None and self.slot.start < created <= self.now and not older

    @cached_property
    def doubts(self) -> tuple[str, ...]:
        """What of the instance itself is odd, one phrase each: a CreateTime in the future."""
        created = self.instance.created
        if created is not None and created > self.now:
            return (f"CreateTime {humanize.at(created, self.tz)} is in the future",)
        return ()

    @cached_property
    def all_nodes(self) -> dict[str, list[Backup]]:
        """Every record read, by node: it names shards that went quiet, and is what shrinkage compares
        against."""
        return by_node(self.instance, self.reading, self.records)

    @cached_property
    def shrunk(self) -> list[str]:
        """Each node's newest full backup far below its earlier ones (`details.shrunk`), in words."""
        found = (details.shrunk(rs, self.rules, self.reading.per_shard) for rs in self.all_nodes.values())
        return [s for s in found if s]

    @cached_property
    def successes(self) -> list[Backup]:
        """The records from `scope_from` that cover a slot (`Backup.covers`)."""
        return [b for rs in self.nodes.values() for b in rs if b.covers]

    @cached_property
    def recovered(self) -> list[str]:
        """Each node whose failure in the window was followed by a success (`details.recovered`), in words."""
        found = (details.recovered(rs, self.window, self.tz) for rs in self.decisive.values())
        return [r for r in found if r]

    @cached_property
    def in_window(self) -> list[Backup]:
        """The `successes` that started in the window."""
        return [b for b in self.successes if b.start >= self.window.start]


# A rule: the case's verdict, or None when the rule has nothing to say of it.
Rule = Callable[[Case], "Verdict | None"]


# --- The records cannot be judged (UNJUDGEABLE): the verdict says only why ------------------------

def no_due_slot(case: Case) -> Verdict | None:
    """`error` when DescribeBackupPolicy's PreferredBackupPeriod and PreferredBackupTime name no slot due
    in the last days (`schedule.last_due_slot`): no backup can be owed or served."""
    if case.slot is None:
        return Verdict(Kind.ERROR, "the backup policy names no backup time in the last days")
    return None


def shard_count_unknown(case: Case) -> Verdict | None:
    """`error` when how many shards must be covered is unknown (no topology, no positive ShardCount):
    a cluster is never judged by the records it happens to have."""
    if case.expected < 1:
        return Verdict(Kind.ERROR, f"{case.instance.kind}: the number of shards is unknown")
    return None


def unrecognised_backup_status(case: Case) -> Verdict | None:
    """`error` when a node's newest decisive record has a BackupStatus the API does not document
    (DescribeBackups: Success, Failed; `Backup.unknown`): what it means cannot be told."""
    odd = [b for b in case.newest.values() if b.unknown]
    if odd:
        return Verdict(Kind.ERROR, f"backup {odd[0].backup_id}: unrecognised BackupStatus {odd[0].status!r}")
    return None


UNJUDGEABLE: tuple[Rule, ...] = (no_due_slot, shard_count_unknown, unrecognised_backup_status)


# --- The records judged ----------------------------------------------------------------------------

def partial_cluster_backup_set(case: Case) -> Verdict | None:
    """`incomplete` when the newest failure is a cluster backup set that backed up some shards
    (`Backup.partial`, `cluster_sets`) and not every node is covered: it names what the set lacks."""
    failures = case.failures
    if failures and failures[-1].partial and len(case.covered) < case.expected:
        return Verdict(Kind.INCOMPLETE, details.partial(failures[-1], case.tz))
    return None


def failed(case: Case) -> Verdict | None:
    """`failed` when a node's newest decisive record is Failed, unless a classic cluster has some but
    not all of its shards covered: then `incomplete` names the failed shard with the others."""
    covered = len(case.covered)
    if case.failures and (covered == 0 or covered >= case.expected or not case.reading.per_shard):
        return Verdict(Kind.FAILED, details.failed(case.failures, case.records, case.reading, case.tz, case.now))
    return None


def new(case: Case) -> Verdict | None:
    """`new` when nothing covers the slot and the instance was created after it (`Case.is_new`)."""
    if not case.covered and case.is_new:
        return Verdict(Kind.NEW, details.new(case.instance, case.reading.policy, case.now, case.tz))
    return None


def missing(case: Case) -> Verdict | None:
    """`missing` when no node has a backup that serves the due slot."""
    if not case.covered:
        return Verdict(Kind.MISSING, details.missing(case.reading, case.records, case.slot, case.scope_from,
                                                     case.now, case.tz))
    return None


def incomplete(case: Case) -> Verdict | None:
    """`incomplete` when some, not all, of the expected nodes are covered: it names each shard left."""
    if len(case.covered) < case.expected:
        return Verdict(Kind.INCOMPLETE, details.incomplete(case.instance, case.reading, case.all_nodes, case.covered,
                                                           case.failures, case.expected, case.tz, case.now))
    return None


def shrunk(case: Case) -> Verdict | None:
    """`shrunk` when a node's newest successful full backup is below (100 - SIZE_DROP_PERCENT)% of the
    median of its earlier ones in HISTORY_DAYS (`details.shrunk`, bytes); a recovery is said with it."""
    if case.shrunk:
        return Verdict(Kind.SHRUNK, "; ".join(case.shrunk + case.recovered))
    return None


def recovered(case: Case) -> Verdict | None:
    """`recovered` when a node's failure in the window was followed by a success (`details.recovered`)."""
    if case.recovered:
        return Verdict(Kind.RECOVERED, "; ".join(case.recovered))
    return None


def not_due(case: Case) -> Verdict | None:
    """`not_due` when the slot is covered but no success started in the window (a weekly schedule off
    its day): it names the last backup and the next slot."""
    if case.in_window:
        return None
    latest = max(case.successes, key=order)
    upcoming = next_slot(case.reading.policy, case.now)
    notes = [f"last backup {humanize.at(latest.start, case.tz)} ({humanize.ago(latest.start, case.now)})"]
    if upcoming:
        notes.append(f"next scheduled {humanize.at(upcoming.start, case.tz)}")
    return Verdict(Kind.NOT_DUE, ", ".join(notes))


def ok(case: Case) -> Verdict | None:
    """`ok`: always, the last rule. It names the newest success in the window, its shards, its size."""
    newest = max(case.in_window, key=order)
    count = f" on all {case.expected} shards" if case.reading.per_shard and case.expected > 1 else ""
    if newest.note:
        count = f" ({newest.note})"
    return Verdict(Kind.OK, f"last backup {humanize.at(newest.start, case.tz)}{count}, {humanize.size(newest.size)}")


# The order is the precedence: a change to it is a change of what the digest says.
PRECEDENCE: tuple[Rule, ...] = UNJUDGEABLE + (partial_cluster_backup_set, failed, new, missing, incomplete,
                                              shrunk, recovered, not_due, ok)


def judge(case: Case) -> tuple[Verdict, tuple[str, ...]]:
    """(the first finding in PRECEDENCE, what to doubt with it): the instance's own doubts
    (`Case.doubts`) come with a verdict on its records, never with one that they cannot be judged
    (UNJUDGEABLE). `verdicts.decide` says them as it says what was odd in the answer."""
    for rule in PRECEDENCE:
        verdict = rule(case)
        if verdict is not None:
            return verdict, () if rule in UNJUDGEABLE else case.doubts
    raise AssertionError("ok, the last rule, always decides")


def is_decisive(b: Backup) -> bool:
    """Whether a record decides between failed and fine: not pending (running, or a Success without its
    end or ID), and a FullBackup or not a success (DescribeBackups' BackupType)."""
    pending = b.running or (b.status == "Success" and not b.finished)
    return not pending and (b.backup_type == "FullBackup" or not b.succeeded)


def by_node(instance: Instance, reading: Reading, records: list[Backup]) -> dict[str, list[Backup]]:
    """`records` by node: by NodeInstanceId for a classic cluster's (`Reading.per_shard`), else all
    under the instance ID (one data set)."""
    nodes: dict[str, list[Backup]] = {}
    for b in records:
        nodes.setdefault(b.node if reading.per_shard else instance.instance_id, []).append(b)
    return nodes
