"""`verdicts.decide` on small plain inputs: each verdict and its detail, word for word.

One row a path through the judge: the rule that picks the verdict (judge.precedence, tested rule by
rule in test_precedence.py), then what `decide` does to it: an unsettled kind, a running task, what was
odd in the answer, the InstanceStatus, the policy controls, the history strip. These pin the texts the
digest shows; they were written against `_judge` before its rules moved, and pass unchanged since.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from backup_report.judge.policy import Controls
from backup_report.judge.verdicts import decide
from backup_report.model import BackupTask, Reading

from .build import (AT, CLASSIC, CLOUD_NATIVE, DAILY, END, GB, NEVER, RULES, SHARDS, STANDARD, SUNDAYS, WINDOW,
                    backup, classic, cloud_native, nightly, standard)

DAY = timedelta(days=1)
FUTURE = replace(STANDARD, created=END + DAY)
LAST_SUCCESS = "last success 2026-11-26 18:10 (30 h ago)"
NOT_DONE = "the scheduled 18:00 backup of 2026-11-27 was not done"
UP_TO_YESTERDAY = nightly(days=7, at=AT - DAY)  # the slot of 2026-11-27 has no backup
FAILED_NOW = backup(status="Failed")
RETENTION_7 = replace(DAILY, retention_days=7)

CASES = [
    ("no due slot", STANDARD, standard(*nightly(), policy=NEVER),
     "error", "the backup policy names no backup time in the last days"),
    ("shard count unknown", CLASSIC, Reading(DAILY, tuple(nightly("r-c-db-0")), per_shard=True, shard_count=0),
     "error", "classic cluster: the number of shards is unknown"),
    ("unrecognised BackupStatus", STANDARD, standard(*UP_TO_YESTERDAY, backup(status="Weird")),
     "error", "backup r-s@1127T1810: unrecognised BackupStatus 'Weird'; backup r-s@1127T1810 has BackupStatus "
              "'Weird', which the API does not document (Success, Failed)"),
    ("partial cluster backup set", CLOUD_NATIVE, cloud_native(*nightly("r-n", at=AT - DAY), backup(
        "r-n", status="Failed", backup_id="cb-1", note="r-n-db-2 ERROR (backup b2)",
        partial="2/3 shards backed up; r-n-db-2 ERROR (backup b2)")),
     "incomplete", "cluster backup set cb-1 at 2026-11-27 18:10: 2/3 shards backed up; r-n-db-2 ERROR (backup b2)"),
    ("failed", STANDARD, standard(*UP_TO_YESTERDAY, FAILED_NOW),
     "failed", f"backup r-s@1127T1810 failed at 2026-11-27 18:10; {LAST_SUCCESS}"),
    ("failed on every shard", CLASSIC, classic(*[b for n in SHARDS for b in nightly(n, 7, at=AT - DAY)],
                                               *[backup(n, status="Failed") for n in SHARDS]),
     "failed", f"backup r-c-db-2@1127T1810 failed at 2026-11-27 18:10 on 3 node(s); {LAST_SUCCESS}"),
    ("new", replace(STANDARD, created=END - timedelta(hours=3)), standard(),
     "new", "created 3 h ago, after the last scheduled backup time; first backup due 2026-11-28 18:00"),
    ("missing", STANDARD, standard(*UP_TO_YESTERDAY),
     "missing", f"{NOT_DONE}; {LAST_SUCCESS}"),
    ("incomplete", CLASSIC, classic(*[b for n in SHARDS[:2] for b in nightly(n)]),
     "incomplete", "2/3 shards backed up (classic cluster); r-c-db-2 has no backup record at all"),
    ("shrunk", STANDARD, standard(*nightly(days=7, size=6 * GB, at=AT - DAY), backup(size=300 * 2 ** 20)),
     "shrunk", "newest full backup r-s@1127T1810 is 300.0 MiB, 95% below the 7-day median of 6.0 GiB"),
    ("recovered", STANDARD, standard(*UP_TO_YESTERDAY, FAILED_NOW, backup(start=AT + timedelta(hours=1), mode="Manual")),
     "recovered", "backup r-s@1127T1810 failed at 2026-11-27 18:10, then r-s@1127T1910 succeeded at 2026-11-27 19:10"),
    ("not due", STANDARD, standard(backup(start=AT - 12 * DAY), backup(start=AT - 5 * DAY), policy=SUNDAYS),
     "not_due", "last backup 2026-11-22 18:10 (5 days ago), next scheduled 2026-11-29 18:00"),
    ("ok", STANDARD, standard(*nightly()),
     "ok", "last backup 2026-11-27 18:10, 1.0 GiB"),
    ("ok on every shard", CLASSIC, classic(*[b for n in SHARDS for b in nightly(n)]),
     "ok", "last backup 2026-11-27 18:10 on all 3 shards, 1.0 GiB"),
    ("ok on a cluster backup set", CLOUD_NATIVE,
     cloud_native(*[backup("r-n", AT - d * DAY, backup_id=f"cb-{d}", note="cluster backup set on all 3 shards")
                    for d in range(3)]),
     "ok", "last backup 2026-11-27 18:10 (cluster backup set on all 3 shards), 1.0 GiB"),
    # What decide does to the rules' verdict.
    ("kind unsettled", CLASSIC, classic(unsettled="NodeType 'double' leaves the kind open"),
     "error", f"NodeType 'double' leaves the kind open: {NOT_DONE}; no successful backup in the last 24 h"),
    ("CreateTime in the future, records fine", FUTURE, standard(*nightly()),
     "error", "CreateTime 2026-11-29 01:00 is in the future"),
    ("CreateTime in the future, no due slot", FUTURE, standard(*nightly(), policy=NEVER),
     "error", "the backup policy names no backup time in the last days"),
    ("CreateTime in the future, missing", FUTURE, standard(*UP_TO_YESTERDAY),
     "missing", f"{NOT_DONE}; {LAST_SUCCESS}; CreateTime 2026-11-29 01:00 is in the future"),
    ("TotalCount disagrees, records fine", STANDARD,
     standard(*nightly(), anomalies=("DescribeBackups listed 8 records but its TotalCount says 9",)),
     "error", "DescribeBackups listed 8 records but its TotalCount says 9"),
    ("TotalCount disagrees, missing", STANDARD,
     standard(*UP_TO_YESTERDAY, anomalies=("DescribeBackups listed 7 records but its TotalCount says 9",)),
     "missing", f"{NOT_DONE}; {LAST_SUCCESS}; DescribeBackups listed 7 records but its TotalCount says 9"),
    ("InstanceStatus Changing, missing", replace(STANDARD, status="Changing"), standard(*UP_TO_YESTERDAY),
     "inactive", f"status Changing (changing its configuration): {NOT_DONE}; {LAST_SUCCESS}"),
    ("InstanceStatus Creating, no records", replace(STANDARD, status="Creating"), standard(),
     "new", "status Creating: being created"),
    ("InstanceStatus undocumented, missing", replace(STANDARD, status="Sleeping"), standard(*UP_TO_YESTERDAY),
     "missing", f"{NOT_DONE}; {LAST_SUCCESS}; InstanceStatus 'Sleeping' is not one the API documents, "
                "so it excuses nothing"),
]
CONTROLLED = [
    ("retention below MIN_RETENTION_DAYS, ok", standard(*nightly(), policy=RETENTION_7),
     "policy", "retention 7 days < 30 required; backups fine: last backup 2026-11-27 18:10, 1.0 GiB"),
    ("retention below MIN_RETENTION_DAYS, failed", standard(*UP_TO_YESTERDAY, FAILED_NOW, policy=RETENTION_7),
     "failed", f"backup r-s@1127T1810 failed at 2026-11-27 18:10; {LAST_SUCCESS}; policy: retention 7 days < 30 required"),
]


@pytest.mark.parametrize("name,instance,reading,kind,detail", CASES, ids=[c[0] for c in CASES])
def test_each_path_gives_its_verdict_and_detail(name, instance, reading, kind, detail):
    verdict = decide(instance, reading, WINDOW, RULES)
    assert (verdict.kind.value, verdict.detail) == (kind, detail)
    assert verdict.policy == reading.policy


@pytest.mark.parametrize("name,reading,kind,detail", CONTROLLED, ids=[c[0] for c in CONTROLLED])
def test_a_policy_control_warns_on_a_fine_verdict_and_rides_on_an_alert(name, reading, kind, detail):
    verdict = decide(STANDARD, reading, WINDOW, replace(RULES, controls=Controls(min_retention_days=30)))
    assert (verdict.kind.value, verdict.detail) == (kind, detail)


@pytest.mark.parametrize("tasks,kind,detail", [
    ([BackupTask("42", "Uploading", AT + timedelta(hours=4), "Automated", progress="40")],
     "running", f"backup task 42 started 2026-11-27 22:10, running for 2 h (Uploading, 40%); {NOT_DONE}; "
                f"{LAST_SUCCESS}"),
    ([BackupTask("41", "Finished", AT, "Automated")], "missing", f"{NOT_DONE}; {LAST_SUCCESS}"),
], ids=["in progress", "finished"])
def test_describe_backup_tasks_turns_a_missing_backup_running_only_while_its_job_runs(tasks, kind, detail):
    verdict = decide(STANDARD, standard(*UP_TO_YESTERDAY), WINDOW, RULES, tasks=tasks)
    assert (verdict.kind.value, verdict.detail) == (kind, detail)


def test_a_record_that_never_finished_without_a_task_stays_missing_and_says_so():
    reading = standard(*UP_TO_YESTERDAY, backup(minutes=None))
    verdict = decide(STANDARD, reading, WINDOW, RULES, tasks=[])
    assert (verdict.kind.value, verdict.detail) == (
        "missing", f"{NOT_DONE}; {LAST_SUCCESS}; backup r-s@1127T1810 started 2026-11-27 18:10 never finished and "
                   "no backup task is running")


@pytest.mark.parametrize("name,instance,reading,strip,streak", [
    ("failed", STANDARD, standard(*UP_TO_YESTERDAY, FAILED_NOW), "✓✓✓✓✓✓✗", "failing since Nov 27"),
    ("missing", STANDARD, standard(*UP_TO_YESTERDAY), "✓✓✓✓✓✓○", "first scheduled backup missed"),
    ("incomplete", CLASSIC, classic(*[b for n in SHARDS[:2] for b in nightly(n)]), "○○○○○○○",
     "every scheduled backup of the last 7 days missed (7 in a row)"),
    ("shrunk", STANDARD, standard(*nightly(days=7, size=6 * GB, at=AT - DAY), backup(size=300 * 2 ** 20)),
     "✓✓✓✓✓✓✓", ""),
], ids=["failed", "missing", "incomplete", "shrunk"])
def test_what_needs_attention_carries_its_history_strip(name, instance, reading, strip, streak):
    verdict = decide(instance, reading, WINDOW, RULES)
    assert (verdict.history.strip, verdict.history.streak) == (strip, streak)


@pytest.mark.parametrize("name,instance,reading", [
    ("ok", STANDARD, standard(*nightly())),
    ("error", STANDARD, standard(*nightly(), policy=NEVER)),
], ids=["ok", "error"])
def test_a_fine_verdict_or_an_error_carries_no_strip(name, instance, reading):
    assert decide(instance, reading, WINDOW, RULES).history is None
