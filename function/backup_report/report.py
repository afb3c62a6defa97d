"""A run's checking: discover the tagged instances per region, and judge each one, concurrently.

One pool of `MAX_CONCURRENCY` workers does both, so no more calls than that are ever in flight, and
an instance is checked as soon as its page of DescribeInstances arrives (a 10,000-instance region
is 200 pages: waiting for all of them first would idle the pool for seconds).

Faults stay where they hit: a region whose discovery fails is reported as not checked (the instances
of pages listed before the failure are still checked), an instance whose calls fail gets an `error`
verdict, and the rest of the run goes on. Work that would start after the time budget is spent is
not started; those instances are reported as not checked.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable, Protocol

from . import redact
from .model import (ApiError, Backup, BackupPolicy, BackupTask, Checked, ClusterBackupSet, Findings, Instance, Kind,
                    RegionFailure, Verdict, Window)
from .cloud import kinds
from .cloud.kvstore import Enough
from .cloud.retry import OUT_OF_TIME as OUT_OF_TIME_CODE, ApiFailure
from .judge.verdicts import Rules, decide, needs_tasks


class Cloud(Protocol):
    def instances(self, region: str, tags, on_page: Callable[[list[Instance]], None]) -> list[Instance]: ...
    def policy(self, instance: Instance) -> BackupPolicy: ...
    def backups(self, instance: Instance, start, end) -> tuple[list[Backup], list[str]]: ...
    def topology(self, instance: Instance) -> tuple[str, ...]: ...
    def cluster_backups(self, instance: Instance, start, end) -> tuple[list[ClusterBackupSet], list[str]]: ...
    def tasks(self, instance: Instance) -> list[BackupTask]: ...


@dataclass
class Budget:
    """Seconds left for starting work: FC's deadline minus what posting the digest needs."""

    deadline: float  # time.monotonic() value
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return self.deadline - self.clock()


@dataclass(frozen=True)
class Timing:
    """Timeouts scaled to FC's function timeout, so even a short timeout leaves room to post."""

    api_connect: float
    api_read: float
    post_timeout: float
    reserve: float  # kept back from the deadline: one API call in flight, then both posts

    @classmethod
    def for_timeout(cls, seconds: float) -> "Timing":
        api_read = min(10.0, max(1.0, seconds / 10))
        api_connect = min(3.0, api_read)
        post = min(10.0, max(1.0, seconds / 10))
        return cls(api_connect, api_read, post, api_connect + api_read + 2 * (post + 2.0))


log = logging.getLogger("backup_report")

OUT_OF_TIME = Verdict(Kind.ERROR, "not checked: the run ran out of time (raise the function's timeout, "
                                  "MAX_CONCURRENCY or API_QPS)")


def collect(cloud: Cloud, regions: tuple[str, ...], tags, window: Window, rules: Rules,
            budget: Budget, concurrency: int, progress: Callable[[int], None] | None = None,
            limit: int = 50_000) -> Findings:
    """Every tagged instance of `regions`, judged; at most `limit` of them (MAX_INSTANCES), the rest named
    as not checked in their region's RegionFailure (code OverLimit)."""
    findings = Findings(window=window)
    checks: list[tuple[Instance, Future]] = []
    lock = threading.Lock()
    with redact.Pool(max_workers=concurrency) as pool:
        def found(page: list[Instance]) -> None:  # called by a discovery, page by page
            with lock:  # the limit is the run's, over every region's discovery
                room = max(0, limit - len(checks))
                submitted = [(i, pool.submit(_check, cloud, i, window, rules, budget)) for i in page[:room]]
                checks.extend(submitted)
            if len(page) > room:
                raise Enough(room, limit)
            if progress:
                for _, check in submitted:
                    check.add_done_callback(lambda _: progress(1))

        discoveries = [(region, pool.submit(_discover, cloud, region, tags, found)) for region in regions]
        for region, discovery in discoveries:
            outcome = discovery.result()
            if isinstance(outcome, ApiError):
                findings.region_failures.append(RegionFailure(region, outcome))
        # Every discovery has returned, so every check is submitted.
        findings.checked = [Checked(i, check.result()) for i, check in checks]
    findings.checked.sort(key=lambda c: (c.verdict.kind.rank, c.instance.region, c.instance.name))
    return findings


def _discover(cloud: Cloud, region: str, tags, found: Callable[[list[Instance]], None]) -> list[Instance] | ApiError:
    try:
        return cloud.instances(region, tags, found)
    except ApiFailure as failure:
        return failure.error
    except Exception as exc:  # noqa: BLE001 - a bug or an answer nobody foresaw costs this region only
        log.exception("listing %s failed", region)  # the log record is scrubbed of secrets (redact.py)
        return ApiError("UnexpectedError", f"{type(exc).__name__} while listing the region", "DescribeInstances")


def _check(cloud: Cloud, instance: Instance, window: Window, rules: Rules, budget: Budget) -> Verdict:
    if budget.remaining() <= 0:
        return OUT_OF_TIME
    try:
        reading = kinds.read(cloud, instance, window, rules)
        if isinstance(reading, Verdict):
            return reading
        verdict = decide(instance, reading, window, rules)
        if needs_tasks(verdict):  # one more call, only for a would-be `missing` instance
            try:
                verdict = decide(instance, reading, window, rules, tasks=cloud.tasks(instance))
            except ApiFailure as failure:  # the backup is still missing as far as the run can tell
                return Verdict(verdict.kind, f"{verdict.detail}; DescribeBackupTasks failed: {failure.error}")
        return verdict
    except ApiFailure as failure:
        if failure.error.code == OUT_OF_TIME_CODE:  # stopped between its calls: not checked
            return OUT_OF_TIME
        return Verdict(Kind.ERROR, f"{failure.error.action or 'API'} failed: {failure.error}")
    except Exception as exc:  # noqa: BLE001 - one instance's odd data or a bug never stops the others
        # Its type only: an exception's text may quote what it was given (a URL, a record).
        log.exception("checking %s failed", instance.instance_id)
        return Verdict(Kind.ERROR, f"could not be checked: {type(exc).__name__} while reading or judging "
                                   "its backups (the function's log has the details)")
