"""`running.resolve`: a would-be `missing` verdict turned `running` on evidence of a backup in progress
(DescribeBackupTasks' BackupProgressStatus, DescribeClusterBackupList's RUNNING), else told what never ended."""
from __future__ import annotations

from datetime import timedelta

import pytest

from backup_report.judge.running import resolve
from backup_report.model import BackupTask, Kind, Verdict

from .build import AT, END, SLOT, UTC, backup

MISSING = Verdict(Kind.MISSING, "the scheduled 18:00 backup of 2026-11-27 was not done")
SINCE = SLOT - timedelta(minutes=30)
H = timedelta(hours=1)


def task(job_id: str, status: str = "Uploading", start=AT + H, progress: str = "") -> BackupTask:
    return BackupTask(job_id, status, start, "Automated", progress=progress)


@pytest.mark.parametrize("tasks,records,cluster_sets,kind,detail", [
    ([task("7", progress="40")], [], False,
     "running", "backup task 7 started 2026-11-27 19:10, running for 5 h (Uploading, 40%); " + MISSING.detail),
    ([task("8", "Preparing", AT + 2 * H), task("7", "NoStart")], [], False,  # the earliest job is named
     "running", "backup task 7 started 2026-11-27 19:10, running for 5 h (NoStart); " + MISSING.detail),
    ([task("6", "Finished")], [], False, "missing", MISSING.detail),
    ([task("5", start=SINCE - timedelta(minutes=1))], [], False, "missing", MISSING.detail),  # an earlier slot's
    ([task("4", start=END + timedelta(minutes=1))], [], False, "missing", MISSING.detail),
    ([task("3", start=None)], [], False, "missing", MISSING.detail),
    ([], [backup("r-n", status="RUNNING", minutes=None, backup_id="cb-9")], True,
     "running", "backup cb-9 started 2026-11-27 18:10, running for 6 h; " + MISSING.detail),
    ([task("7")], [backup("r-n", status="RUNNING", minutes=None, backup_id="cb-9")], True,  # a job comes first
     "running", "backup task 7 started 2026-11-27 19:10, running for 5 h (Uploading); " + MISSING.detail),
    ([], [backup("r-n", SINCE - H, status="RUNNING", minutes=None, backup_id="cb-8")], True,
     "missing", MISSING.detail + "; backup cb-8 started 2026-11-27 16:30 never finished and no backup task is running"),
    # DescribeBackups documents only Success and Failed: its "Running" proves nothing.
    ([], [backup(status="Running", minutes=None, backup_id="b-1")], False,
     "missing", MISSING.detail + "; backup b-1 started 2026-11-27 18:10 never finished and no backup task is running"),
    ([], [backup(start=AT + H, minutes=None, backup_id="b-2"), backup(minutes=None, backup_id="b-1")], False,
     "missing", MISSING.detail + "; backup b-1 started 2026-11-27 18:10 never finished and no backup task is running"),
    ([], [backup(backup_id="?")], False,  # a Success without an ID has not finished either
     "missing", MISSING.detail + "; backup ? started 2026-11-27 18:10 never finished and no backup task is running"),
    ([], [backup(status="Failed", minutes=None), backup(status="Weird", minutes=None), backup()], False,
     "missing", MISSING.detail),
])
def test_evidence_of_a_backup_in_progress_turns_missing_running(tasks, records, cluster_sets, kind, detail):
    verdict = resolve(MISSING, tasks, records, END, UTC, SINCE, cluster_sets=cluster_sets)
    assert (verdict.kind.value, verdict.detail) == (kind, detail)


def test_without_any_evidence_the_verdict_is_returned_as_it_was():
    assert resolve(MISSING, [], [], END, UTC, SINCE, cluster_sets=False) is MISSING
