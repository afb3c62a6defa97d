"""A cloud-native cluster's backup sets, read as records of the whole instance. Pure.

DescribeClusterBackupList (https://help.aliyun.com/document_detail/2679168.html and
models/_describe_cluster_backup_list_response_body.py): ClusterBackupStatus OK = successful,
RUNNING = in progress, any other value = failed (the Go SDK's model names Failed too); IsAvail is 0 when
the shards' backup sets are incomplete or failed; each shard's BackupStatus is OK or ERROR and its IsAvail
0 or 1. A set serves a slot only when it is OK, available, and every expected shard has an OK, available
backup. Its size is the sum of its shards' BackupSize (bytes, documented), not ClusterBackupSize, whose
unit the reference does not give.

Which shard a backup is: the reference gives each shard's backup a BackupId ("the ID of the backup
file") and an InstanceName whose form it does not document; its only public example is a backup file's
name, `hins100322105_data_20240108012127.rdb` (github.com/alibabacloud-go/r-kvstore-20150101,
client/describe_cluster_backup_list_response_body_model.go), while other answers carry the shard's node ID
(`<id>-db-N`). So a shard is known by its node ID when InstanceName is one of this cluster's, else by its
BackupId, and the set is complete when it has as many good shards as the cluster has (ShardCount, or the
topology's shard list). An InstanceName shaped like another instance or node ID (`r-other-db-0`) is
another instance's backup: reported, never counted.
"""
from __future__ import annotations

import re

from ..model import Backup, ClusterBackupSet, Instance, ShardBackup
from .records import belongs

# An instance or node ID (`r-bp1...`, `r-bp1...-db-0`, `...#688`), as DescribeInstances and the topology name them.
NODE_ID = re.compile(r"[a-z]+-[0-9a-z]+(?:-[a-z]+-[0-9]+)?(?:#[0-9]+)?")


def as_records(instance: Instance, sets: list[ClusterBackupSet], expected: int,
               shards: tuple[str, ...] = ()) -> tuple[list[Backup], list[str]]:
    """(one Backup per set, anomalies). `expected`: the shard count; `shards`: the topology's shard
    node IDs when it was read."""
    records, anomalies = [], []
    for s in sets:
        strangers = sorted({b.node for b in s.shards if _key(instance, b, shards)[0] == "stranger"})
        if strangers:
            anomalies.append(f"cluster backup set {s.set_id} lists backups of node(s) not of this cluster "
                             f"({', '.join(strangers[:3])})")
        own: dict[tuple[str, str], list[ShardBackup]] = {}
        for b in s.shards:
            own.setdefault(_key(instance, b, shards), []).append(b)
        own.pop(("stranger", ""), None)
        unknown = own.pop(("unknown", ""), [])
        if len(own) > expected:
            anomalies.append(f"cluster backup set {s.set_id} holds backups of {len(own)} shards, "
                             f"but the cluster has {expected}")
        records.append(_record(instance, s, own, unknown, expected, shards))
    return records, anomalies


def _key(instance: Instance, b: ShardBackup, shards: tuple[str, ...]) -> tuple[str, str]:
    """Which shard a backup is: ("node", its node ID) when InstanceName is one of this cluster's shard
    nodes, ("stranger", "") when it is shaped like another instance's, else ("backup", its BackupId), or
    ("unknown", "") without an ID: then it cannot be told from another shard's."""
    if belongs(instance, b.node, True, shards):
        return "node", b.node
    if NODE_ID.fullmatch(b.node):
        return "stranger", ""
    return ("backup", b.backup_id) if b.backup_id not in ("", "?") else ("unknown", "")


def _record(instance: Instance, s: ClusterBackupSet, own: dict[tuple[str, str], list[ShardBackup]],
            unknown: list[ShardBackup], expected: int, shards: tuple[str, ...]) -> Backup:
    good, bad = _split(own)
    base = dict(backup_id=s.set_id or "?", node=instance.instance_id, start=s.start, end=s.end, size=_size(own),
                expires=s.expires)
    if s.status == "RUNNING":
        return Backup(status="RUNNING", **base)
    if s.status == "OK" and s.available and not bad and not unknown and len(good) >= expected:
        return Backup(status="Success", note=f"cluster backup set on all {len(good)} shards", **base)
    note = "; ".join(_why(s, own, bad, unknown, expected, shards))
    partial = f"{min(len(good), expected)}/{expected} shards backed up; {note}" if good else ""
    return Backup(status="Failed", note=note, partial=partial, **base)


def _split(own: dict[tuple[str, str], list[ShardBackup]]) -> tuple[list[tuple[str, str]], list]:
    """(the shards whose every backup in the set is OK and available, (shard, backup) of the others)."""
    good = sorted(k for k, bs in own.items() if all(b.status == "OK" and b.available for b in bs))
    return good, [(k, b) for k, bs in own.items() if k not in good for b in bs]


def _size(own: dict[tuple[str, str], list[ShardBackup]]) -> int | None:
    """The set's bytes: one backup a shard, None when a shard's size is unknown."""
    sizes = [bs[0].size for bs in own.values()]
    return sum(sizes) if sizes and None not in sizes else None


def _why(s: ClusterBackupSet, own: dict[tuple[str, str], list[ShardBackup]], bad: list, unknown: list[ShardBackup],
         expected: int, shards: tuple[str, ...]) -> list[str]:
    """Why a set does not serve: its bad shards (named by node ID when InstanceName gave one), the
    topology's shards it lacks (only when every backup in it names its shard), how many others it lacks."""
    why = [f"{k[1] if k[0] == 'node' else 'a shard'} {b.status or 'no status'}"
           + ("" if b.available else ", not available") + f" (backup {b.backup_id})" for k, b in bad]
    if unknown:
        why.append(f"{len(unknown)} backup(s) in the set with neither a shard's node ID nor a BackupId")
    absent = [n for n in shards if ("node", n) not in own] if all(k[0] == "node" for k in own) else []
    why += [f"{n} has no backup in the set" for n in absent]
    unnamed = expected - len(own) - len(unknown) - len(absent)
    if unnamed > 0:
        why.append(f"{unnamed} shard(s) have no backup in the set")
    return why or [f"ClusterBackupStatus {s.status!r}, IsAvail {int(s.available)}"]
