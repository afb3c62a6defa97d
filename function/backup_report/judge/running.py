"""A would-be `missing` instance whose backup is still running: `running`, a warning. Pure.

Evidence of a running backup: a DescribeBackupTasks job whose BackupProgressStatus is not Finished
(NoStart, Preparing, Waiting, Uploading, Checking: models/_describe_backup_tasks_response_body.py),
or a cluster backup set with ClusterBackupStatus RUNNING (DescribeClusterBackupList). A record that
never finished without such evidence leaves the instance `missing`, and the detail says so.
"""
from __future__ import annotations

from datetime import datetime

from .. import humanize
from ..model import Backup, BackupTask, Kind, Verdict


def resolve(verdict: Verdict, tasks: list[BackupTask], records: list[Backup], now: datetime, tz,
            since: datetime, cluster_sets: bool) -> Verdict:
    """`verdict` (missing) turned `running` when a backup for the due slot is in progress, else said
    what never ended. `since`: the earliest start that serves the slot; a job or set that started
    before it (or whose start is unreadable) is not this slot's backup. `cluster_sets`: the records
    are DescribeClusterBackupList's sets, whose RUNNING is documented; a DescribeBackups record
    documents only Success and Failed, so its "Running" proves nothing (fail closed)."""
    job = _running_job(tasks, since, now)
    if job is not None:
        started = f"started {humanize.at(job.start, tz)}, running for {humanize.span(now - job.start)}"
        progress = f", {job.progress}%" if job.progress else ""
        return Verdict(Kind.RUNNING, f"backup task {job.job_id} {started} ({job.status}{progress}); "
                                     f"{verdict.detail}")
    first = _running_set(records, since) if cluster_sets else None
    if first is not None:
        return Verdict(Kind.RUNNING, f"backup {first.backup_id} started {humanize.at(first.start, tz)}, running "
                                     f"for {humanize.span(now - first.start)}; {verdict.detail}")
    b = _never_finished(records)
    if b is not None:
        return Verdict(verdict.kind, f"{verdict.detail}; backup {b.backup_id} started {humanize.at(b.start, tz)} "
                                     f"never finished and no backup task is running")
    return verdict


def _running_job(tasks: list[BackupTask], since: datetime, now: datetime) -> BackupTask | None:
    """The earliest job not Finished that started from `since` to `now`, or None."""
    jobs = [t for t in tasks if t.in_progress and t.start is not None and since <= t.start <= now]
    return min(jobs, key=lambda t: t.start, default=None)


def _running_set(records: list[Backup], since: datetime) -> Backup | None:
    """The earliest RUNNING cluster backup set that started from `since`, or None."""
    sets = [b for b in records if b.running and b.start is not None and since <= b.start]
    return min(sets, key=lambda b: b.start, default=None)


def _never_finished(records: list[Backup]) -> Backup | None:
    """The earliest record neither finished, Failed nor of an unknown status, with a start, or None."""
    unfinished = [b for b in records if not b.finished and not b.failed and not b.unknown and b.start is not None]
    return min(unfinished, key=lambda r: r.start, default=None)
