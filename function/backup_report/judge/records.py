"""Which of an instance's records can be believed, and what was odd about the rest. Pure.

A record is an instance's only when its node is one of the instance's: `<id>-db-<N>` for a shard of
a cluster (DescribeBackups' NodeInstanceId, e.g. `r-bp10noxlhcoim2****-db-1`, in the API reference
https://help.aliyun.com/document_detail/473823.html and shared/seed/DescribeBackups-api.txt), one of
the topology's shards when it named them, or the instance ID itself (or no node) for a standard
instance. A read/write splitting instance's records may name its one data node instead: DescribeBackups
promises the instance ID only "if the instance uses the standard architecture"
(models/_describe_backups_response_body.py, NodeInstanceId), DescribeInstanceAttribute's ReplicationMode
counts read/write splitting instances as "cluster" (models/_describe_instance_attribute_response_body.py),
and their data node is `<id>-db-0`, which DescribeLogicInstanceTopology answers as `<id>-db-0#<number>`
(https://help.aliyun.com/document_detail/473786.html; DescribeAvailableResource's NodeId: "remove the
number sign (#) and the content that follows", models/_describe_available_resource_request.py). Any
other node (another shard, another instance) is reported (fail closed).
"""
from __future__ import annotations

import re
from datetime import timedelta

from .. import humanize
from ..model import Backup, Instance, Reading, Window

# The API filters on whole minutes: a start within a few minutes after the window's end is clock skew.
LATE_TOLERANCE = timedelta(minutes=5)


def belongs(instance: Instance, node: str, per_shard: bool, shards: tuple[str, ...] = ()) -> bool:
    """Whether a record's node is one of this instance's (see the module's docstring). `per_shard`:
    the node should be a shard's; `shards`: the topology's shard node IDs, when it was read."""
    if not per_shard:
        data_node = instance.architecture == "rwsplit" and re.fullmatch(
            re.escape(instance.instance_id) + r"-db-0(#\d+)?", node) is not None
        return data_node or node in ("", instance.instance_id)
    if shards:
        return node in shards
    shard = re.fullmatch(re.escape(instance.instance_id) + r"-db-(\d+)", node)
    # With ShardCount given, shards are -db-0 … -db-(ShardCount-1): a record of a shard beyond them
    # means ShardCount does not tell the whole cluster, so it is odd data, never a covered shard.
    return shard is not None and (instance.shard_count <= 1 or int(shard[1]) < instance.shard_count)


def screen(instance: Instance, reading: Reading, window: Window, tz) -> tuple[list[Backup], list[str]]:
    """(the records to judge, what was odd): records of other nodes, without a node, without a
    readable start, starting after the window, and BackupIds listed more than once are set aside and
    said. Of a BackupId listed twice, a Failed copy wins over a Success one: never resolved to fine."""
    records, duplicates, conflicts = _unique(reading.records)
    problems = list(reading.anomalies) + _listed_more_than_once(reading.source, duplicates, conflicts)
    nodeless, strangers = _not_placed_on_a_node(instance, reading, records)
    unplaced = [b for b in records if b.start is None]
    late = _late(records, window)
    if unplaced:
        problems.append(f"{len(unplaced)} backup record(s) without a readable start time")
    # A status the API does not document, in the window the report speaks for, is never passed over
    # because a later record looks fine: what it means is unknown (fail closed).
    undocumented = _undocumented(records, window, late)
    if undocumented:
        problems.append(_undocumented_said(undocumented))
    if late:
        problems.append(f"{len(late)} backup record(s) starting after the end of the window "
                        f"(first {humanize.at(min(b.start for b in late), tz)})")
    if nodeless:
        problems.append(f"{len(nodeless)} backup record(s) of a cluster without a NodeInstanceId")
    if strangers:
        names = sorted({b.node for b in strangers})
        problems.append(f"{len(strangers)} backup record(s) of node(s) not of this {reading.kind(instance)} "
                        f"({', '.join(names[:3])})")
    set_aside = {id(b) for b in nodeless + strangers + unplaced + late}
    return [b for b in records if id(b) not in set_aside], problems


def _listed_more_than_once(source: str, duplicates: list[str], conflicts: list[str]) -> list[str]:
    """What `_unique` found, in words: BackupIds listed more than once, those with conflicting statuses."""
    said = []
    if duplicates:
        said.append(f"{source} listed {len(duplicates)} BackupId(s) more than once ({', '.join(duplicates[:3])})")
    if conflicts:
        said.append(f"BackupId(s) listed with conflicting statuses: {', '.join(conflicts[:3])}")
    return said


def _not_placed_on_a_node(instance: Instance, reading: Reading, records: list[Backup]) -> tuple[list, list]:
    """(a cluster's records without a node, records of a node not of this instance: `belongs`)."""
    nodeless = [b for b in records if reading.per_shard and not b.node]
    strangers = [b for b in records if b.node and not belongs(instance, b.node, reading.per_shard, reading.shards)]
    return nodeless, strangers


def _late(records: list[Backup], window: Window) -> list[Backup]:
    """Records starting after the window's end, beyond LATE_TOLERANCE."""
    return [b for b in records if b.start is not None and b.start > window.end + LATE_TOLERANCE]


def _undocumented(records: list[Backup], window: Window, late: list[Backup]) -> list[Backup]:
    """Records of a BackupStatus the API does not document (`Backup.unknown`) that started in the window,
    `late` ones aside."""
    return [b for b in records if b.unknown and b.start is not None and window.start <= b.start and b not in late]


def _undocumented_said(undocumented: list[Backup]) -> str:
    first = undocumented[0]
    return (f"backup {first.backup_id} has BackupStatus {first.status!r}, which the API does not document "
            "(Success, Failed)" + (f", and {len(undocumented) - 1} more" if len(undocumented) > 1 else ""))


def _unique(records) -> tuple[list[Backup], list[str], list[str]]:
    by_id: dict[str, list[Backup]] = {}
    kept: list[Backup] = []
    for b in records:
        if b.backup_id in ("", "?"):
            kept.append(b)  # no ID to compare: unfinished, judged as such
            continue
        by_id.setdefault(b.backup_id, []).append(b)
    duplicates, conflicts = [], []
    for backup_id, copies in by_id.items():
        if len(copies) > 1:
            duplicates.append(backup_id)
            if len({c.status for c in copies}) > 1:
                conflicts.append(backup_id)
        # The worst copy stands: a Failed one over any other, an unknown status over Success.
        kept.append(min(copies, key=lambda c: (not c.failed, not c.unknown, not c.running)))
    return kept, duplicates, conflicts
