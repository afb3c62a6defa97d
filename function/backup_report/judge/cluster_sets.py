"""A cloud-native cluster's backup sets, read as records of the whole instance. Pure.

DescribeClusterBackupList (https://help.aliyun.com/document_detail/2679168.html and
models/_describe_cluster_backup_list_response_body.py): ClusterBackupStatus OK = successful,
RUNNING = in progress, any other value = failed; IsAvail is 0 when the shards' backup sets are
incomplete or failed; each shard's BackupStatus is OK or ERROR and its IsAvail 0 or 1. A set
serves a slot only when it is OK, available, and every expected shard has an OK, available backup.
Its size is the sum of its shards' BackupSize (bytes, documented), not ClusterBackupSize, whose unit
the reference does not give.
"""
from __future__ import annotations

from ..model import Backup, ClusterBackupSet, Instance
from .records import belongs


def as_records(instance: Instance, sets: list[ClusterBackupSet], expected: int,
               shards: tuple[str, ...] = ()) -> tuple[list[Backup], list[str]]:
    """(one Backup per set, anomalies). `expected`: the shard count; `shards`: the topology's shard
    node IDs when it was read. A shard backup is the cluster's when its InstanceName is one of its
    shard nodes (`<id>-db-N`); others are reported, never counted."""
    records, anomalies = [], []
    for s in sets:
        own = [b for b in s.shards if belongs(instance, b.node, True, shards)]
        strangers = sorted({b.node or "?" for b in s.shards if b not in own})
        if strangers:
            anomalies.append(f"cluster backup set {s.set_id} lists backups of node(s) not of this cluster "
                             f"({', '.join(strangers[:3])})")
        records.append(_record(instance, s, own, expected, shards))
    return records, anomalies


def _record(instance: Instance, s: ClusterBackupSet, own, expected: int, shards: tuple[str, ...]) -> Backup:
    good = sorted({b.node for b in own if b.status == "OK" and b.available})
    bad = [b for b in own if b.node not in good]
    absent = [n for n in shards if n not in {b.node for b in own}]
    sizes = [b.size for b in own]
    size = sum(sizes) if sizes and None not in sizes else None
    base = dict(backup_id=s.set_id or "?", node=instance.instance_id, start=s.start, end=s.end, size=size)
    if s.status == "RUNNING":
        return Backup(status="RUNNING", **base)
    if s.status == "OK" and s.available and not bad and len(good) >= expected:
        return Backup(status="Success", note=f"cluster backup set on all {len(good)} shards", **base)
    why = [f"{b.node or '?'} {b.status or 'no status'}" + ("" if b.available else ", not available")
           + f" (backup {b.backup_id})" for b in bad]
    why += [f"{n} has no backup in the set" for n in absent]
    unnamed = expected - len(good) - len(bad) - len(absent)
    if unnamed > 0:
        why.append(f"{unnamed} shard(s) have no backup in the set")
    if not why:
        why.append(f"ClusterBackupStatus {s.status!r}, IsAvail {int(s.available)}")
    note = "; ".join(why)
    partial = f"{len(good)}/{expected} shards backed up; {note}" if good else ""
    return Backup(status="Failed", note=note, partial=partial, **base)
