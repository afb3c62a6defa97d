"""The cloud edge: R-KVStore through the official Tea SDK, turned into plain model objects.

One SDK client per region (the SDK keeps a pooled HTTP session per endpoint, so connections are
reused). Every call has connect/read timeouts and a deadline as a whole (connect + read: a
drip-fed answer is a timeout too, `sdk.whole_call`), is paced by its API's quota in its region and the
run's overall rate (pacing.Pacer), and is retried by
`retry.call`. What leaves this module is model data or an `ApiFailure`; never an SDK exception,
never a download URL.
"""
from __future__ import annotations

from typing import Callable, Iterable

from alibabacloud_r_kvstore20150101 import models
from alibabacloud_r_kvstore20150101.client import Client

from . import answers, paging, retry, sdk
from .. import bounded
from ..model import ApiError, Backup, BackupPolicy, BackupStorage, BackupTask, ClusterBackupSet, Instance
from ..window import api_minute, parse_api_time

INSTANCES_PAGE = 50  # DescribeInstances' largest page
BACKUPS_PAGE = 300  # DescribeBackups' largest page: fewest calls for a cluster's history
CLUSTER_BACKUPS_PAGE = 30  # DescribeClusterBackupList: no documented range; the reference's example
MAX_PAGES = 1000  # a guard against an API that never returns a short page


class Enough(Exception):
    """Raised by an `on_page` callback of `KVStore.instances`: `taken` of the page were taken, the run takes
    no more (its limit is `limit` instances); the listing stops and says how many it did not reach."""

    def __init__(self, taken: int, limit: int):
        super().__init__(taken, limit)
        self.taken, self.limit = taken, limit


class KVStore(sdk.Edge):
    """R-KVStore 2015-01-01 with one account's credentials: one SDK client per region (sdk.Edge)."""

    CLIENT = Client

    def region_ids(self, home: str) -> frozenset[str]:
        """The region IDs where ApsaraDB for Redis is offered to this account (`DescribeRegions`,
        asked through `home`'s endpoint: a region known to be real, such as the function's own).
        Raises ApiFailure. Source: DescribeRegions answers `RegionIds.KVStoreRegion[].RegionId`
        (SDK model alibabacloud_r_kvstore20150101/models/_describe_regions_response_body.py)."""
        request = models.DescribeRegionsRequest()
        body = self._call(home, "DescribeRegions", lambda c, o: c.describe_regions_with_options(request, o))
        listed = (body.region_ids.kvstore_region if body.region_ids else None) or []
        return frozenset(str(r.region_id) for r in listed if r.region_id)

    def instances(self, region: str, tags: Iterable[tuple[str, str | None]],
                  on_page: Callable[[list[Instance]], None] = lambda page: None) -> list[Instance]:
        """Every page of DescribeInstances asked for the tags (`Tag.N.Key`/`Tag.N.Value`). Each page's new
        instances also go to `on_page` as it arrives, so they can be checked while the rest is listed.

        Pages are read until a short one: TotalCount is only cross-checked, never trusted to stop
        early. The time budget is checked before every page. An instance listed again is checked
        once; a page that brings nothing new stops the listing. A TotalCount that disagrees and a
        repeated page are odd answers: raised as an `ApiFailure` (code InconsistentAnswer) after the
        instances listed so far were handed to `on_page`, so the run reports the region."""
        tag_filter = [models.DescribeInstancesRequestTag(key=k, value=v) for k, v in tags]
        listing = paging.Listing(tuple(tags))
        for page in range(1, MAX_PAGES + 1):
            request = models.DescribeInstancesRequest(region_id=region, tag=tag_filter,
                                                      page_size=INSTANCES_PAGE, page_number=page)
            body = self._page(region, request, listing.listed, listing.total)
            items = (body.instances.kvstore_instance if body.instances else None) or []
            fresh, more = listing.page(page, [answers.instance(item, region) for item in items], body.total_count,
                                       INSTANCES_PAGE)
            try:
                on_page(fresh)
            except Enough as enough:  # the run's limit: say how many the listing still promised
                raise retry.ApiFailure(listing.over_limit(len(fresh) - enough.taken, enough.limit)) from None
            if not more:
                break
        odd = listing.inconsistent()
        if odd is not None:
            raise retry.ApiFailure(odd)
        return listing.instances

    def _page(self, region: str, request, listed: int, total) -> object:
        """One DescribeInstances page; out of time, an ApiFailure OutOfTime saying how many instances the
        listing's TotalCount promised and were not reached (a fleet cut short must not look whole)."""
        try:
            self._in_time("DescribeInstances")
            return self._call(region, "DescribeInstances", lambda c, o: c.describe_instances_with_options(request, o))
        except retry.ApiFailure as failure:
            if failure.error.code != retry.OUT_OF_TIME or not isinstance(total, int) or total <= listed:
                raise
            raise retry.ApiFailure(ApiError(retry.OUT_OF_TIME, f"{total - listed:,} of {total:,} instances not "
                                            "listed: the run ran out of time", "DescribeInstances")) from None

    def tagged_count(self, region: str, tags: Iterable[tuple[str, str | None]]) -> int | None:
        """DescribeInstances' TotalCount for the tags (one page asked; None when the answer gives no whole
        number). Raises ApiFailure."""
        self._in_time("DescribeInstances")
        request = models.DescribeInstancesRequest(
            region_id=region, tag=[models.DescribeInstancesRequestTag(key=k, value=v) for k, v in tags],
            page_size=INSTANCES_PAGE, page_number=1)
        body = self._call(region, "DescribeInstances", lambda c, o: c.describe_instances_with_options(request, o))
        total = body.total_count
        return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None

    def policy(self, instance: Instance) -> BackupPolicy:
        self._in_time("DescribeBackupPolicy")
        request = models.DescribeBackupPolicyRequest(instance_id=instance.instance_id)
        body = self._call(instance.region, "DescribeBackupPolicy",
                          lambda c, o: c.describe_backup_policy_with_options(request, o))
        try:
            return answers.policy(body)
        except ValueError as exc:
            raise retry.ApiFailure(ApiError("UnreadablePolicy", str(exc), "DescribeBackupPolicy")) from None

    def backups(self, instance: Instance, start, end) -> tuple[list[Backup], list[str], BackupStorage | None]:
        """Every page of DescribeBackups in [start, end]; returns the records, any anomalies and the instance's
        backup storage figures (the last page's: each page gives the whole instance's, `answers.storage`)."""
        records: list[Backup] = []
        total = 0
        figures = None
        for page in range(1, MAX_PAGES + 1):
            self._in_time("DescribeBackups")  # a long read stops at the budget, page by page
            request = models.DescribeBackupsRequest(
                instance_id=instance.instance_id, start_time=api_minute(start), end_time=api_minute(end),
                page_size=BACKUPS_PAGE, page_number=page)
            body = self._call(instance.region, "DescribeBackups",
                              lambda c, o: c.describe_backups_with_options(request, o))
            items = (body.backups.backup if body.backups else None) or []
            records += [answers.backup(item) for item in items]
            figures = answers.storage(body)
            total = body.total_count if isinstance(body.total_count, int) else -1
            # A short page ends the list whatever TotalCount says; the count is checked after.
            if len(items) < BACKUPS_PAGE:
                break
        anomalies = []
        if total != len(records):
            anomalies.append(f"DescribeBackups listed {len(records)} records but its TotalCount says {total}")
        return records, anomalies, figures

    def topology(self, instance: Instance) -> tuple[str, ...]:
        """DescribeLogicInstanceTopology's shard node IDs (RedisShardList.NodeInfo, NodeType `db`).
        The reference's NodeId carries a `#<number>` suffix (`r-bp10noxlhcoim2****-db-0#688****`,
        https://help.aliyun.com/document_detail/473786.html) that DescribeBackups' NodeInstanceId
        (`...-db-1`) does not: it is cut off. A shard listed twice counts once."""
        self._in_time("DescribeLogicInstanceTopology")
        request = models.DescribeLogicInstanceTopologyRequest(instance_id=instance.instance_id)
        body = self._call(instance.region, "DescribeLogicInstanceTopology",
                          lambda c, o: c.describe_logic_instance_topology_with_options(request, o))
        nodes = (body.redis_shard_list.node_info if body.redis_shard_list else None) or []
        ids = [bounded.text(str(n.node_id).split("#", 1)[0], bounded.ID) for n in nodes if n.node_id and n.node_type == "db"]
        return tuple(dict.fromkeys(ids))

    def cluster_backups(self, instance: Instance, start,
                        end) -> tuple[list[ClusterBackupSet], list[str], BackupStorage | None]:
        """Every page of DescribeClusterBackupList in [start, end] (StartTime/EndTime yyyy-MM-ddTHH:mmZ,
        UTC, per models/_describe_cluster_backup_list_request.py). The reference gives no PageSize
        range, only 30 as its example: 30 it is, read until a short page (the answer has no TotalCount).
        Returns the sets, anomalies ([]) and the storage figures, as `backups` does."""
        sets: list[ClusterBackupSet] = []
        figures = None
        for page in range(1, MAX_PAGES + 1):
            self._in_time("DescribeClusterBackupList")
            request = models.DescribeClusterBackupListRequest(
                instance_id=instance.instance_id, region_id=instance.region, start_time=api_minute(start),
                end_time=api_minute(end), page_size=CLUSTER_BACKUPS_PAGE, page_number=page)
            body = self._call(instance.region, "DescribeClusterBackupList",
                              lambda c, o: c.describe_cluster_backup_list_with_options(request, o))
            items = body.cluster_backups or []
            sets += [answers.cluster_set(item) for item in items]
            figures = answers.storage(body)
            if len(items) < CLUSTER_BACKUPS_PAGE:
                break
        return sets, [], figures

    def tasks(self, instance: Instance) -> list[BackupTask]:
        """DescribeBackupTasks' jobs of the instance (all modes)."""
        self._in_time("DescribeBackupTasks")
        request = models.DescribeBackupTasksRequest(instance_id=instance.instance_id)
        body = self._call(instance.region, "DescribeBackupTasks",
                          lambda c, o: c.describe_backup_tasks_with_options(request, o))
        return [BackupTask(job_id=answers.identifier(j.backup_job_id),
                           status=bounded.text(j.backup_progress_status or "unknown", bounded.WORD),
                           start=parse_api_time(j.start_time), mode=bounded.text(j.job_mode or "", bounded.WORD),
                           node=bounded.text(j.node_id or "", bounded.ID),
                           progress=bounded.text(j.progress or "", bounded.WORD))
                for j in (body.backup_jobs or [])]
