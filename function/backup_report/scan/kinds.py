"""How each kind of instance is read: which calls, in which order, into one `Reading`.

- standard and read/write splitting: DescribeBackupPolicy, DescribeBackups (one data set).
- classic (local-disk) cluster: DescribeBackupPolicy, DescribeBackups (one record per shard node),
  and DescribeLogicInstanceTopology for its shard node IDs when DescribeInstances gave no ShardCount
  (the DescribeInstances reference, https://help.aliyun.com/document_detail/473778.html, returns
  ShardCount only for cloud-native cluster and read/write splitting instances).
- cloud-native cluster: DescribeBackupPolicy and DescribeClusterBackupList over the same range
  (the DescribeBackups reference points cloud-native clusters to it, and DescribeClusterBackupList's,
  https://help.aliyun.com/document_detail/2679168.html, says it applies only to cloud-native
  instances); the topology too when ShardCount is missing.

Which of the two a cluster is: a cloud-native NodeType (MASTER_SLAVE / STAND_ALONE) settles it. Any other
NodeType does not (an answer's double / single are given for both kinds: model.CLOUD_NATIVE_NODE_TYPES),
so the cluster is read the way its other fields point (`Instance.cloud_native`: ShardCount or ReplicaCount
point to cloud-native), and what that API lists settles it: a cluster set is cloud-native, a record of
DescribeBackups classic. Only when that API lists nothing over the whole range is the other one asked (one
more call, for such clusters only); when neither lists anything, the reading carries why its kind is
unsettled, and an alert on it becomes `error` (judge.verdicts), never `missing`.
DescribeBackupTasks is asked by the caller, only for a would-be `missing` instance.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..cloud import retry
from ..model import Instance, Reading, Verdict, Kind, Window, BackupPolicy
from ..judge.cluster_sets import as_records
from ..judge.verdicts import Rules, read_from


def read(cloud, instance: Instance, window: Window, rules: Rules,
         policy: BackupPolicy | None = None) -> Reading | Verdict:
    """The instance's Reading, or an `error` Verdict when a cluster's shards cannot be known. `policy`:
    one the archive kept (scan.collect decides when it may stand in), else DescribeBackupPolicy's.
    Raises `retry.ApiFailure` when a call fails (the caller makes it an `error`)."""
    policy = policy or cloud.policy(instance)
    start = read_from(policy, window, rules)
    if not instance.is_cluster:
        records, anomalies, storage = cloud.backups(instance, start, window.end)
        return Reading(policy, tuple(records), anomalies=tuple(anomalies), storage=storage)
    shards: tuple[str, ...] = ()
    if instance.shard_count < 1:
        shards = cloud.topology(instance)
        if not shards:
            return Verdict(Kind.ERROR, f"{instance.kind}: DescribeLogicInstanceTopology named no shard, and "
                                       "DescribeInstances gave no ShardCount: its shards are unknown")
    first, second = (_as_sets, _as_records) if instance.cloud_native else (_as_records, _as_sets)
    reading = first(cloud, instance, policy, start, window.end, shards)
    if instance.kind_settled or reading.records or reading.anomalies:
        return reading
    try:
        other = second(cloud, instance, policy, start, window.end, shards)
    except retry.ApiFailure as failure:
        if failure.error.code == retry.OUT_OF_TIME:
            raise
        why = f"{reading.source} lists no backup of it and {failure.error.action} failed: {failure.error}"
        return replace(reading, unsettled=unsettled(instance, why))
    if other.records or other.anomalies:
        return other
    return replace(reading, unsettled=unsettled(instance, "neither DescribeBackups nor DescribeClusterBackupList "
                                                          "lists a backup of it"))


def unsettled(instance: Instance, why: str) -> str:
    """Why a cluster's kind is not known, naming the fields that left it open."""
    node = f"NodeType {instance.node_type!r}" if instance.node_type else "no NodeType"
    count = f"ShardCount {instance.shard_count}" if instance.shard_count else "no ShardCount"
    return (f"not known whether a classic or a cloud-native cluster: {node} does not tell them apart, "
            f"DescribeInstances gave {count}, and {why}")


def _as_records(cloud, instance: Instance, policy: BackupPolicy, start: datetime, end: datetime,
                shards: tuple[str, ...]) -> Reading:
    """A classic cluster's reading: DescribeBackups, one record per shard node."""
    records, anomalies, storage = cloud.backups(instance, start, end)
    return Reading(policy, tuple(records), per_shard=True, shard_count=len(shards) or instance.shard_count,
                   shards=shards, anomalies=tuple(anomalies), storage=storage)


def _as_sets(cloud, instance: Instance, policy: BackupPolicy, start: datetime, end: datetime,
             shards: tuple[str, ...]) -> Reading:
    """A cloud-native cluster's reading: DescribeClusterBackupList's sets, each one record of the whole."""
    sets, anomalies, storage = cloud.cluster_backups(instance, start, end)
    records, odd = as_records(instance, sets, len(shards) or instance.shard_count, shards)
    return Reading(policy, tuple(records), anomalies=tuple(anomalies + odd), source="DescribeClusterBackupList",
                   storage=storage)
