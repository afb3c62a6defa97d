"""`precedence`: each rule on small plain inputs, the order of PRECEDENCE, and `judge`.

Each rule is called as `judge` calls it: on a case where every rule before it found nothing. A row
gives the finding (verdict kind and detail) or None. Records go in as `records.screen` keeps them
(every start readable, in the window or before it).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from backup_report.judge import precedence
from backup_report.judge.precedence import (PRECEDENCE, UNJUDGEABLE, Case, by_node, failed, incomplete, is_decisive,
                                            judge, missing, new, no_due_slot, not_due, ok, partial_cluster_backup_set,
                                            recovered, shard_count_unknown, shrunk, unrecognised_backup_status)
from backup_report.model import Reading

from .build import (AT, CLASSIC, CLOUD_NATIVE, DAILY, END, GB, NEVER, RULES, SHARDS, STANDARD, SUNDAYS, WINDOW,
                    backup, classic, cloud_native, nightly, standard)

DAY, H = timedelta(days=1), timedelta(hours=1)
MIB = 2 ** 20
LAST_SUCCESS = "last success 2026-11-26 18:10 (30 h ago)"
NOT_DONE = "the scheduled 18:00 backup of 2026-11-27 was not done"
UP_TO_YESTERDAY = nightly(days=7, at=AT - DAY)  # nothing for the slot of 2026-11-27
FAILED_NOW = backup(status="Failed")
EVERY_SHARD = [b for n in SHARDS for b in nightly(n)]
TWO_SHARDS = [b for n in SHARDS[:2] for b in nightly(n)]
PARTIAL = "2/3 shards backed up; r-n-db-2 ERROR (backup b2)"
PARTIAL_SET = backup("r-n", status="Failed", backup_id="cb-1", note="r-n-db-2 ERROR (backup b2)", partial=PARTIAL)
CREATED_3H_AGO = replace(STANDARD, created=END - 3 * H)


def case(instance, reading: Reading, rules=RULES) -> Case:
    return Case(instance, reading, list(reading.records), WINDOW, rules)


def finding(rule, c: Case):
    verdict = rule(c)
    return None if verdict is None else (verdict.kind.value, verdict.detail)


def rows(*table):
    """pytest.param for each (name, instance, reading, expected), named."""
    return [pytest.param(instance, reading, expected, id=name) for name, instance, reading, expected in table]


# --- The order --------------------------------------------------------------------------------------

def test_the_rules_are_in_this_order_and_a_reorder_is_a_decision():
    # Changing this list changes which verdict an instance gets: say why in the commit that does it.
    assert [rule.__name__ for rule in PRECEDENCE] == [
        "no_due_slot", "shard_count_unknown", "unrecognised_backup_status",  # the records cannot be judged
        "partial_cluster_backup_set", "failed", "new", "missing", "incomplete",  # alerts, and new
        "shrunk", "recovered",  # warnings
        "not_due", "ok",  # fine
    ]
    assert PRECEDENCE[:len(UNJUDGEABLE)] == UNJUDGEABLE
    assert [rule.__name__ for rule in UNJUDGEABLE] == ["no_due_slot", "shard_count_unknown",
                                                       "unrecognised_backup_status"]
    assert PRECEDENCE[-1] is ok
    assert all(getattr(precedence, rule.__name__) is rule for rule in PRECEDENCE)


@pytest.mark.parametrize("instance,reading,finders", [
    pytest.param(CREATED_3H_AGO, standard(), [new, missing], id="new over missing"),
    pytest.param(STANDARD, standard(FAILED_NOW), [failed, missing], id="failed over missing"),
    pytest.param(CLOUD_NATIVE, cloud_native(*nightly("r-n", 3, at=AT - DAY), PARTIAL_SET),
                 [partial_cluster_backup_set, failed, missing], id="a partial set over failed and missing"),
    pytest.param(STANDARD, standard(*nightly(days=7, size=6 * GB, at=AT - DAY), FAILED_NOW,
                                    backup(start=AT + H, size=300 * MIB)),
                 [shrunk, recovered], id="shrunk over recovered"),
    pytest.param(STANDARD, standard(*nightly(days=3, at=AT - DAY), backup(status="Weird")),
                 [unrecognised_backup_status, missing], id="an unrecognised status over missing"),
])
def test_where_several_rules_find_something_the_first_in_precedence_decides(instance, reading, finders):
    c = case(instance, reading)
    assert all(rule(c) is not None for rule in finders)
    assert judge(c)[0] == finders[0](c)
    assert all(rule(c) is None for rule in PRECEDENCE[:PRECEDENCE.index(finders[0])])


# --- The records cannot be judged -------------------------------------------------------------------

@pytest.mark.parametrize("instance,reading,expected", rows(
    ("no weekday", STANDARD, standard(*nightly(), policy=NEVER),
     ("error", "the backup policy names no backup time in the last days")),
    ("daily", STANDARD, standard(*nightly()), None),
    ("weekly, last due 5 days ago", STANDARD, standard(policy=SUNDAYS), None),
))
def test_no_due_slot(instance, reading, expected):
    assert finding(no_due_slot, case(instance, reading)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("classic cluster, no topology, no ShardCount", CLASSIC,
     Reading(DAILY, tuple(nightly("r-c-db-0")), per_shard=True, shard_count=0),
     ("error", "classic cluster: the number of shards is unknown")),
    ("the topology names them", CLASSIC, classic(*EVERY_SHARD), None),
    ("ShardCount alone", CLASSIC, Reading(DAILY, (), per_shard=True, shard_count=4), None),
    ("one data set", STANDARD, Reading(DAILY, (), shard_count=0), None),
    ("cluster backup sets", CLOUD_NATIVE, cloud_native(shard_count=0), None),
))
def test_shard_count_unknown(instance, reading, expected):
    assert finding(shard_count_unknown, case(instance, reading)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("the newest attempt", STANDARD, standard(*UP_TO_YESTERDAY, backup(status="Weird")),
     ("error", "backup r-s@1127T1810: unrecognised BackupStatus 'Weird'")),
    ("one shard's newest", CLASSIC, classic(*TWO_SHARDS, backup("r-c-db-2", status="")),
     ("error", "backup r-c-db-2@1127T1810: unrecognised BackupStatus ''")),
    ("a newer success decides", STANDARD, standard(backup(start=AT - H, status="Weird"), backup()), None),
    ("before the records read", STANDARD, standard(backup(start=WINDOW.start - H, status="Weird"), backup()), None),
    ("RUNNING is pending, not unknown", STANDARD, standard(*nightly(), backup(start=AT + H, status="RUNNING")),
     None),
))
def test_unrecognised_backup_status(instance, reading, expected):
    assert finding(unrecognised_backup_status, case(instance, reading)) == expected


# --- The records judged -----------------------------------------------------------------------------

@pytest.mark.parametrize("instance,reading,expected", rows(
    ("some shards backed up", CLOUD_NATIVE, cloud_native(*nightly("r-n", 3, at=AT - DAY), PARTIAL_SET),
     ("incomplete", f"cluster backup set cb-1 at 2026-11-27 18:10: {PARTIAL}")),
    ("no shard backed up", CLOUD_NATIVE, cloud_native(replace(PARTIAL_SET, partial="")), None),
    ("an earlier complete set covers the slot", CLOUD_NATIVE,
     cloud_native(backup("r-n", AT - timedelta(minutes=20), backup_id="cb-0"), PARTIAL_SET), None),
    ("a newer complete set", CLOUD_NATIVE, cloud_native(PARTIAL_SET, backup("r-n", AT + H, backup_id="cb-2")), None),
))
def test_partial_cluster_backup_set(instance, reading, expected):
    assert finding(partial_cluster_backup_set, case(instance, reading)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("the newest attempt failed", STANDARD, standard(*UP_TO_YESTERDAY, FAILED_NOW),
     ("failed", f"backup r-s@1127T1810 failed at 2026-11-27 18:10; {LAST_SUCCESS}")),
    ("nothing ever succeeded", STANDARD, standard(FAILED_NOW),
     ("failed", "backup r-s@1127T1810 failed at 2026-11-27 18:10; no successful backup in the records read")),
    ("a failure after the slot's success", STANDARD, standard(*nightly(), backup(start=AT + H, status="Failed")),
     ("failed", "backup r-s@1127T1910 failed at 2026-11-27 19:10; last success 2026-11-27 18:10 (6 h ago)")),
    ("a successful incremental backup does not hide it", STANDARD,
     standard(*UP_TO_YESTERDAY, FAILED_NOW, backup(start=AT + H, backup_type="IncrementalBackup")),
     ("failed", f"backup r-s@1127T1810 failed at 2026-11-27 18:10; {LAST_SUCCESS}")),
    ("every shard failed", CLASSIC,
     classic(*[b for n in SHARDS for b in nightly(n, 7, at=AT - DAY)], *[backup(n, status="Failed") for n in SHARDS]),
     ("failed", f"backup r-c-db-2@1127T1810 failed at 2026-11-27 18:10 on 3 node(s); {LAST_SUCCESS}")),
    ("every shard covered, then one failed", CLASSIC,
     classic(*EVERY_SHARD, backup("r-c-db-0", AT + H, status="Failed", mode="Manual")),
     ("failed", "backup r-c-db-0@1127T1910 failed at 2026-11-27 19:10 on 1 node(s); "
                "last success 2026-11-27 18:10 (6 h ago)")),
    ("a cluster backup set", CLOUD_NATIVE,
     cloud_native(*nightly("r-n", 3, at=AT - DAY), replace(PARTIAL_SET, partial="")),
     ("failed", f"cluster backup set cb-1 failed at 2026-11-27 18:10 (r-n-db-2 ERROR (backup b2)); {LAST_SUCCESS}")),
    ("one data set, whatever shards it names", STANDARD,
     Reading(DAILY, (backup(), backup(start=AT + H, status="Failed")), shards=("r-s-db-0", "r-s-db-1")),
     ("failed", "backup r-s@1127T1910 failed at 2026-11-27 19:10; last success 2026-11-27 18:10 (6 h ago)")),
    ("some shards covered: incomplete says it", CLASSIC,
     classic(*TWO_SHARDS, backup("r-c-db-2", status="Failed")), None),
    ("the newest attempt succeeded", STANDARD, standard(FAILED_NOW, backup(start=AT + H)), None),
    ("nothing failed", STANDARD, standard(*UP_TO_YESTERDAY), None),
))
def test_failed(instance, reading, expected):
    assert finding(failed, case(instance, reading)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("created after the slot", CREATED_3H_AGO, standard(),
     ("new", "created 3 h ago, after the last scheduled backup time; first backup due 2026-11-28 18:00")),
    ("created before the slot", replace(STANDARD, created=END - 10 * H), standard(), None),
    ("an older backup of its own", CREATED_3H_AGO, standard(*UP_TO_YESTERDAY), None),
    ("CreateTime in the future", replace(STANDARD, created=END + H), standard(), None),
    ("no CreateTime", replace(STANDARD, created=None), standard(), None),
    ("already backed up", CREATED_3H_AGO, standard(backup(start=END - 2 * H)), None),
))
def test_new(instance, reading, expected):
    assert finding(new, case(instance, reading)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("the slot has no backup", STANDARD, standard(*UP_TO_YESTERDAY), ("missing", f"{NOT_DONE}; {LAST_SUCCESS}")),
    ("and never had", STANDARD, standard(), ("missing", f"{NOT_DONE}; no successful backup in the last 24 h")),
    ("a cluster backup set", CLOUD_NATIVE, cloud_native(*nightly("r-n", 3, at=AT - DAY)),
     ("missing", f"the scheduled 18:00 cluster backup set of 2026-11-27 was not done; {LAST_SUCCESS}")),
    ("started too early for the slot", STANDARD, standard(backup(start=AT - timedelta(minutes=41))),
     ("missing", f"{NOT_DONE}; last success 2026-11-27 17:29 (7 h ago)")),
    ("an early start still serves it", STANDARD, standard(backup(start=AT - timedelta(minutes=40))), None),
    ("a manual backup after the slot serves it", STANDARD, standard(backup(start=END - H, mode="Manual")), None),
    ("one shard of three serves", CLASSIC, classic(*nightly("r-c-db-0")), None),
))
def test_missing(instance, reading, expected):
    assert finding(missing, case(instance, reading)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("a shard never backed up", CLASSIC, classic(*TWO_SHARDS),
     ("incomplete", "2/3 shards backed up (classic cluster); r-c-db-2 has no backup record at all")),
    ("a shard failed", CLASSIC,
     classic(*TWO_SHARDS, *nightly("r-c-db-2", 7, at=AT - DAY), backup("r-c-db-2", status="Failed")),
     ("incomplete", "2/3 shards backed up (classic cluster); r-c-db-2 failed (backup r-c-db-2@1127T1810 at "
                    "2026-11-27 18:10), without a backup for 30 h")),
    ("a shard went quiet", CLASSIC, classic(*TWO_SHARDS, *nightly("r-c-db-2", 7, at=AT - DAY)),
     ("incomplete", "2/3 shards backed up (classic cluster); r-c-db-2 has had no backup for 30 h")),
    ("ShardCount without the topology's names", CLASSIC,
     Reading(DAILY, tuple(TWO_SHARDS), per_shard=True, shard_count=4),
     ("incomplete", "2/4 shards backed up (classic cluster); 2 shard(s) have no backup record at all")),
    ("every shard", CLASSIC, classic(*EVERY_SHARD), None),
))
def test_incomplete(instance, reading, expected):
    assert finding(incomplete, case(instance, reading)) == expected


SHRANK = "newest full backup r-s@1127T1810 is 300.0 MiB, 95% below the 7-day median of 6.0 GiB"


@pytest.mark.parametrize("instance,reading,rules,expected", [
    pytest.param(STANDARD, standard(*nightly(days=7, size=6 * GB, at=AT - DAY), backup(size=300 * MIB)), RULES,
                 ("shrunk", SHRANK), id="far below the median"),
    pytest.param(STANDARD, standard(*nightly(days=7, size=6 * GB, at=AT - DAY), backup(size=300 * MIB)),
                 replace(RULES, size_drop_percent=0), None, id="SIZE_DROP_PERCENT 0: off"),
    pytest.param(STANDARD, standard(*nightly(days=7, size=6 * GB, at=AT - DAY), backup(size=3 * GB + 1)), RULES,
                 None, id="half the median is not below it"),
    pytest.param(STANDARD, standard(*nightly(days=7, size=6 * GB, at=AT - DAY), FAILED_NOW,
                                    backup(start=AT + H, size=300 * MIB)), RULES,
                 ("shrunk", "newest full backup r-s@1127T1910 is 300.0 MiB, 95% below the 7-day median of 6.0 GiB; "
                            "backup r-s@1127T1810 failed at 2026-11-27 18:10, then r-s@1127T1910 succeeded at "
                            "2026-11-27 19:10"), id="a recovery is said with it"),
    pytest.param(CLASSIC, classic(*[b for n in SHARDS for b in nightly(n, 7, size=4 * GB, at=AT - DAY)],
                                  *[backup(n, size=100 * MIB if n == "r-c-db-1" else 4 * GB) for n in SHARDS]), RULES,
                 ("shrunk", "r-c-db-1: newest full backup r-c-db-1@1127T1810 is 100.0 MiB, 98% below the 7-day "
                            "median of 4.0 GiB"), id="a shard, named"),
    pytest.param(STANDARD, standard(backup(start=AT - DAY, size=6 * GB), backup(size=None)), RULES, None,
                 id="size unknown"),
])
def test_shrunk(instance, reading, rules, expected):
    assert finding(shrunk, case(instance, reading, rules)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("a failure, then a success", STANDARD, standard(*UP_TO_YESTERDAY, FAILED_NOW, backup(start=AT + H)),
     ("recovered", "backup r-s@1127T1810 failed at 2026-11-27 18:10, then r-s@1127T1910 succeeded at 2026-11-27 19:10")),
    ("the failure before the window", STANDARD,
     standard(backup(start=WINDOW.start - H, status="Failed"), *nightly(days=1)), None),
    ("only successes", STANDARD, standard(*nightly()), None),
))
def test_recovered(instance, reading, expected):
    assert finding(recovered, case(instance, reading)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("weekly, off its day", STANDARD, standard(backup(start=AT - 12 * DAY), backup(start=AT - 5 * DAY), policy=SUNDAYS),
     ("not_due", "last backup 2026-11-22 18:10 (5 days ago), next scheduled 2026-11-29 18:00")),
    ("a success in the window", STANDARD, standard(*nightly()), None),
))
def test_not_due(instance, reading, expected):
    assert finding(not_due, case(instance, reading)) == expected


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("one data set", STANDARD, standard(*nightly()), ("ok", "last backup 2026-11-27 18:10, 1.0 GiB")),
    ("the newest success in the window", STANDARD, standard(*nightly(), backup(start=AT + 2 * H, size=None)),
     ("ok", "last backup 2026-11-27 20:10, size unknown")),
    ("every shard", CLASSIC, classic(*EVERY_SHARD), ("ok", "last backup 2026-11-27 18:10 on all 3 shards, 1.0 GiB")),
    ("a one-shard topology", CLASSIC, classic(*nightly("r-c-db-0"), shards=("r-c-db-0",)),
     ("ok", "last backup 2026-11-27 18:10, 1.0 GiB")),
    ("a cluster backup set's note", CLOUD_NATIVE,
     cloud_native(backup("r-n", backup_id="cb-1", note="cluster backup set on all 3 shards")),
     ("ok", "last backup 2026-11-27 18:10 (cluster backup set on all 3 shards), 1.0 GiB")),
))
def test_ok(instance, reading, expected):
    assert finding(ok, case(instance, reading)) == expected


# --- judge, and what the rules read -----------------------------------------------------------------

FUTURE = replace(STANDARD, created=END + DAY)


@pytest.mark.parametrize("instance,reading,expected", rows(
    ("a verdict on the records carries the doubt", FUTURE, standard(*nightly()),
     ("ok", ("CreateTime 2026-11-29 01:00 is in the future",))),
    ("so does an alert", FUTURE, standard(*UP_TO_YESTERDAY),
     ("missing", ("CreateTime 2026-11-29 01:00 is in the future",))),
    ("records that cannot be judged: only why", FUTURE, standard(*nightly(), policy=NEVER), ("error", ())),
    ("nothing odd", STANDARD, standard(*nightly()), ("ok", ())),
))
def test_judge_gives_the_first_finding_and_what_to_doubt_with_it(instance, reading, expected):
    verdict, doubts = judge(case(instance, reading))
    assert (verdict.kind.value, doubts) == expected


@pytest.mark.parametrize("record,decides", [
    (backup(), True),
    (backup(status="Failed"), True),
    (backup(status="Failed", backup_type="IncrementalBackup"), True),
    (backup(status="Weird"), True),
    (backup(backup_type="IncrementalBackup"), False),  # never hides a failed full one
    (backup(minutes=None), False),  # a Success without its end: pending
    (backup(backup_id="?"), False),  # nor without its ID
    (backup(status="RUNNING", minutes=None), False),
])
def test_is_decisive(record, decides):
    assert is_decisive(record) is decides


def test_by_node_groups_a_classic_clusters_records_by_shard_and_any_other_under_the_instance():
    records = [backup("r-c-db-0", backup_id="a"), backup("r-c-db-1", backup_id="b"), backup("r-c-db-0", backup_id="c")]
    grouped = by_node(CLASSIC, classic(), records)
    assert {n: [b.backup_id for b in rs] for n, rs in grouped.items()} == {"r-c-db-0": ["a", "c"], "r-c-db-1": ["b"]}
    one = by_node(STANDARD, standard(), [backup("", backup_id="a"), backup("r-s", backup_id="b")])
    assert {n: [b.backup_id for b in rs] for n, rs in one.items()} == {"r-s": ["a", "b"]}


def test_a_case_reads_only_what_a_rule_asks_for():
    c = case(STANDARD, standard(*nightly(), policy=NEVER))
    assert no_due_slot(c) is not None
    assert "nodes" not in vars(c) and "covered" not in vars(c)  # never derived: there is no slot to derive them from
