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
- a cluster whose NodeType says neither classic nor cloud-native: not read (`error`), since which
  API lists its backups is not known.
DescribeBackupTasks is asked by the caller, only for a would-be `missing` instance.
"""
from __future__ import annotations

from ..model import Instance, Reading, Verdict, Kind, Window
from ..judge.cluster_sets import as_records
from ..judge.verdicts import Rules, read_from


def read(cloud, instance: Instance, window: Window, rules: Rules) -> Reading | Verdict:
    """The instance's Reading, or an `error` Verdict when its kind cannot be read.
    Raises `retry.ApiFailure` when a call fails (the caller makes it an `error`)."""
    if instance.kind == "cluster":
        return Verdict(Kind.ERROR, f"a cluster whose NodeType {instance.node_type or '(none)'!r} says neither "
                                   "classic (double/single) nor cloud-native (MASTER_SLAVE/STAND_ALONE): "
                                   "not known which API lists its backups")
    policy = cloud.policy(instance)
    start = read_from(policy, window, rules)
    shards: tuple[str, ...] = ()
    if instance.is_cluster and instance.shard_count < 1:
        shards = cloud.topology(instance)
        if not shards:
            return Verdict(Kind.ERROR, f"{instance.kind}: DescribeLogicInstanceTopology named no shard, and "
                                       "DescribeInstances gave no ShardCount: its shards are unknown")
    count = len(shards) or instance.shard_count
    if instance.kind == "cloud-native cluster":
        sets, anomalies = cloud.cluster_backups(instance, start, window.end)
        records, odd = as_records(instance, sets, count, shards)
        return Reading(policy, tuple(records), anomalies=tuple(anomalies + odd), source="DescribeClusterBackupList")
    records, anomalies = cloud.backups(instance, start, window.end)
    return Reading(policy, tuple(records), per_shard=instance.is_cluster, shard_count=count, shards=shards,
                   anomalies=tuple(anomalies))
