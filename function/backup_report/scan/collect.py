"""A run's checking: discover the tagged instances per region, and judge each one, concurrently.

A pool of `MAX_CONCURRENCY` workers checks the instances, beside at most DISCOVERY_THREADS listings,
and an instance is checked as soon as its page of DescribeInstances arrives (a 10,000-instance region
is 200 pages: waiting for all of them first would idle the pool for seconds). At most QUEUED checks a
worker wait: the listing waits for them beyond that, so memory holds a few pages, not the fleet.

Faults stay where they hit: a region whose discovery fails is reported as not checked (the instances
of pages listed before the failure are still checked), an instance whose calls fail gets an `error`
verdict, and the rest of the run goes on. Work that would start after the time budget is spent is
not started; those instances are reported as not checked.
"""
from __future__ import annotations

import logging
import threading
import zlib
from concurrent.futures import Future
from dataclasses import replace
from datetime import date, timezone
from typing import Callable, Mapping, Protocol

from .. import redact
from ..deadlines import Budget
from ..model import (ApiError, Backup, BackupPolicy, BackupStorage, BackupTask, Checked, ClusterBackupSet, Findings, Instance, Kind,
                    KnownPolicy,
                    RegionFailure, Verdict, Window)
from . import kinds
from ..cloud.kvstore import Enough
from ..coverage import carries
from ..cloud.retry import OUT_OF_TIME as OUT_OF_TIME_CODE, ApiFailure
from ..judge.policy import Controls
from ..judge.verdicts import Rules, decide, needs_tasks


class Cloud(Protocol):
    def instances(self, region: str, tags, on_page: Callable[[list[Instance]], None]) -> list[Instance]: ...
    def tagged_count(self, region: str, tags) -> int | None: ...
    def policy(self, instance: Instance) -> BackupPolicy: ...
    def backups(self, instance: Instance, start, end) -> tuple[list[Backup], list[str], BackupStorage | None]: ...
    def topology(self, instance: Instance) -> tuple[str, ...]: ...
    def cluster_backups(self, instance: Instance, start,
                        end) -> tuple[list[ClusterBackupSet], list[str], BackupStorage | None]: ...
    def tasks(self, instance: Instance) -> list[BackupTask]: ...


log = logging.getLogger("backup_report")

OUT_OF_TIME = Verdict(Kind.ERROR, "not checked: the run ran out of time (raise the function's timeout, "
                                  "MAX_CONCURRENCY or API_QPS)")


DISCOVERY_THREADS = 4  # regions listed at once, beside the MAX_CONCURRENCY checks
QUEUED = 4  # checks waiting for a worker, at most, per worker: discovery waits for them beyond that


def collect(cloud: Cloud, regions: tuple[str, ...], tags, window: Window, rules: Rules,
            budget: Budget, concurrency: int, progress: Callable[[int], None] | None = None,
            limit: int = 50_000, whole: bool = False, known: Mapping[str, KnownPolicy] | None = None,
            refresh_days: int = 0) -> Findings:
    """Every tagged instance of `regions`, judged, `concurrency` at a time; at most `limit` of them
    (MAX_INSTANCES), the rest named as not checked in their region's RegionFailure (code OverLimit).
    `whole` (COVERAGE): each region is listed once without the tag filter, the tags matched here, and
    the instances not carrying them kept in `findings.unwatched` (one listing serves both). `known`: the
    policies an earlier run read, by instance ID, that may stand in for DescribeBackupPolicy (`cached`)."""
    known = known or {}
    findings = Findings(window=window)
    checks: list[tuple[Instance, Future]] = []
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(QUEUED * concurrency)  # a bounded queue between discovery and checks
    with redact.Pool(max_workers=concurrency) as pool, \
            redact.Pool(max_workers=max(1, min(len(regions), DISCOVERY_THREADS))) as listers:
        def found(page: list[Instance]) -> None:  # called by a discovery, page by page
            for taken, instance in enumerate(page):
                with lock:  # the limit is the run's, over every region's discovery
                    if len(checks) >= limit:
                        raise Enough(taken, limit)
                    checks.append((instance, None))
                    at = len(checks) - 1
                slots.acquire()
                check = pool.submit(_check, cloud, instance, window, rules, budget, known.get(instance.instance_id),
                                    refresh_days)
                check.add_done_callback(lambda _: slots.release())
                if progress:
                    check.add_done_callback(lambda _: progress(1))
                checks[at] = (instance, check)

        discoveries = [(region, listers.submit(_discover, cloud, region, tags, found, whole)) for region in regions]
        for region, discovery in discoveries:
            failure, unwatched = discovery.result()
            if failure is not None:
                findings.region_failures.append(RegionFailure(region, failure))
            if whole:
                findings.unwatched[region] = unwatched
        # Every discovery has returned, so every check is submitted.
        findings.checked = [Checked(i, check.result()) for i, check in checks]
    findings.checked.sort(key=lambda c: (c.verdict.kind.rank, c.instance.region, c.instance.name))
    return findings


def _discover(cloud: Cloud, region: str, tags, found: Callable[[list[Instance]], None],
              whole: bool) -> tuple[ApiError | None, list[Instance] | ApiError]:
    """(the region's failure or None, its instances not carrying the tags, or the error its listing met).
    `whole`: one listing without the tag filter, the tags matched here (coverage.carries), and the API's
    own filter asked for its TotalCount only (one call); when the two disagree (an answer whose Tags are
    incomplete, or contradict the filter), the filtered listing is read whole as well, and an instance it
    alone names is checked (and the contradiction said), never left out."""
    wanted = tuple(tags)
    if not whole:
        return _listing(lambda: cloud.instances(region, wanted, found), region), []
    others: list[Instance] = []
    mine: set[str] = set()
    over: list[Enough] = []  # the run's limit was reached: the tagged instances past it, counted

    def take(tagged: list[Instance]) -> None:
        try:
            found(tagged)
        except Enough as enough:
            over.extend([enough] * (len(tagged) - enough.taken))

    def page(instances: list[Instance]) -> None:
        others.extend(i for i in instances if not carries(i, wanted))
        tagged = [i for i in instances if carries(i, wanted)]
        mine.update(i.instance_id for i in tagged)
        take(tagged)

    def listing() -> None:
        cloud.instances(region, (), page)
        if cloud.tagged_count(region, wanted) != len(mine):
            filtered = cloud.instances(region, wanted, lambda p: take([i for i in p if i.instance_id not in mine]))
            named = {i.instance_id for i in filtered}
            mine.update(named)
            others[:] = [i for i in others if i.instance_id not in named]

    failure = _listing(listing, region)
    if failure is None and over:
        failure = ApiError("OverLimit", f"{len(over):,} of {len(mine):,} instances not checked: over the run's "
                                        f"limit of {over[0].limit:,} instances ({len(mine) - len(over):,} checked "
                                        "here)", "DescribeInstances")
        return failure, others  # the listing itself was whole: the coverage stands
    return failure, failure if failure is not None else others


def _listing(work: Callable[[], object], region: str) -> ApiError | None:
    """`work()`'s failure as the region's ApiError, or None."""
    try:
        work()
        return None
    except ApiFailure as failure:
        return failure.error
    except Exception as exc:  # noqa: BLE001 - a bug or an answer nobody foresaw costs this region only
        log.exception("listing %s failed", region)  # the log record is scrubbed of secrets (redact.py)
        return ApiError("UnexpectedError", f"{type(exc).__name__} while listing the region", "DescribeInstances")


def _check(cloud: Cloud, instance: Instance, window: Window, rules: Rules, budget: Budget,
           known: KnownPolicy | None = None, refresh_days: int = 0) -> Verdict:
    """The instance's Verdict. `known`: its policy as an earlier run read it; it stands in for
    DescribeBackupPolicy (`cached`) only for a verdict of ok: anything else is judged again with the
    policy the API gives now, so every alert and warning reads exactly as without the archive."""
    if budget.remaining() <= 0:
        return OUT_OF_TIME
    today = window.end.astimezone(timezone.utc).date()
    if cached(known, instance.instance_id, today, rules, refresh_days):
        verdict = _judge(cloud, instance, window, rules, known.policy)
        if verdict.kind is Kind.OK:
            return replace(verdict, policy_read=known.read_on)
        if budget.remaining() <= 0 or verdict.detail == OUT_OF_TIME.detail:
            return OUT_OF_TIME
    return replace(_judge(cloud, instance, window, rules), policy_read=today)


def cached(known: KnownPolicy | None, instance_id: str, today: date, rules: Rules, refresh_days: int) -> bool:
    """Whether an earlier run's policy may stand in for DescribeBackupPolicy today: it is younger than
    `refresh_days` (POLICY_REFRESH_DAYS; 0: never), today is not the instance's own day to read it afresh
    (each instance's policy is read at least once in every `refresh_days` days, on a day its ID spreads
    it to, so a fleet's reads spread over the days rather than all falling on one), and no policy
    control is on (a control judges the policy itself: it is always read)."""
    if known is None or refresh_days < 1 or rules.controls != Controls():
        return False
    age = (today - known.read_on).days
    own_day = zlib.crc32(instance_id.encode("utf-8")) % refresh_days == today.toordinal() % refresh_days
    return 0 <= age < refresh_days and not (age >= 1 and own_day)


def _judge(cloud: Cloud, instance: Instance, window: Window, rules: Rules, policy: BackupPolicy | None = None) -> Verdict:
    try:
        reading = kinds.read(cloud, instance, window, rules, policy)
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
