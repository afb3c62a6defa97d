"""R-KVStore's answers (the SDK's response models) made into the report's plain data, every field bounded
where it is read (bounded.py) and every number believed only when it is one: what leaves here is model
data, never an SDK object, never a backup's download URL.

Sources: the SDK's response models, alibabacloud_r_kvstore20150101/models/ (_describe_instances_response_body.py,
_describe_backups_response_body.py, _describe_cluster_backup_list_response_body.py,
_describe_backup_policy_response_body.py).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable

from .. import bounded
from ..model import Backup, BackupPolicy, BackupStorage, ClusterBackupSet, Instance, ShardBackup
from ..schedule_text import parse_policy
from ..window import parse_api_time


def instance(item, region: str) -> tuple[Instance, object]:
    """A DescribeInstances entry as an Instance (and the entry itself, for has_tags)."""
    instance = Instance(
        instance_id=bounded.text(item.instance_id or "?", bounded.ID),
        name=bounded.text(item.instance_name or item.instance_id or "?", bounded.NAME),
        region=bounded.text(item.region_id or region, bounded.WORD),
        status=bounded.text(item.instance_status or "Unknown", bounded.WORD),
        architecture=bounded.text(item.architecture_type or "", bounded.WORD),
        shard_count=positive(item.shard_count),
        replica_count=positive(item.replica_count),
        created=parse_api_time(item.create_time),
        node_type=bounded.text(item.node_type or "", bounded.WORD),
        instance_type=bounded.text(item.instance_type or "", bounded.WORD),
        edition_type=bounded.text(item.edition_type or "", bounded.WORD),
        tags=_tags(item),
        instance_class=bounded.text(item.instance_class or "", bounded.WORD),
    )
    return instance, item


def _tags(item) -> tuple[tuple[str, str], ...]:
    """A DescribeInstances entry's tags with a key, the first MAX_TAGS, as (key, value) pairs."""
    tags = [t for t in ((item.tags.tag if item.tags else None) or []) if t.key][:bounded.MAX_TAGS]
    return tuple((bounded.text(t.key, bounded.TAG), bounded.text(t.value if t.value is not None else "", bounded.TAG))
                 for t in tags)


def positive(value) -> int:
    """A positive integer as answered, else 0 (unknown): a ShardCount of "4", 0, -1 or null is not believed,
    and a cluster's shards then come from its topology."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def has_tags(item, tags: Iterable[tuple[str, str | None]]) -> bool:
    """Whether a DescribeInstances entry carries `tags`, as far as its Tags say."""
    # The API filtered by the tags already; an entry whose Tags field is empty is kept (the answer
    # just did not carry them). Only tags that are present and contradict the filter exclude it.
    carried = {(t.key, t.value) for t in ((item.tags.tag if item.tags else None) or [])}
    if not carried:
        return True
    keys = {k for k, _ in carried}
    return all((k in keys) if v is None else ((k, v) in carried) for k, v in tags)


def whole(value) -> int | None:
    """A non-negative whole number given as an integer or as ASCII digits, else None."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def size(value) -> int | None:
    # DescribeClusterBackupList's sizes are strings in the SDK model; DescribeBackups' are integers.
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,20}", value.strip()):  # not str.isdigit: "¹" passes it
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def cluster_set(item) -> ClusterBackupSet:
    """A DescribeClusterBackupList cluster backup set as a ClusterBackupSet."""
    shards = tuple(ShardBackup(backup_id=identifier(b.backup_id), node=bounded.text(b.instance_name or "", bounded.ID),
                               status=bounded.text(b.backup_status or "", bounded.WORD),
                               available=str(b.is_avail) == "1", size=size(b.backup_size))
                   for b in (item.backups or []))
    return ClusterBackupSet(set_id=bounded.text(item.cluster_backup_id or "?", bounded.ID),
                            status=bounded.text(item.cluster_backup_status or "", bounded.WORD),
                            available=str(item.is_avail) == "1", start=parse_api_time(item.cluster_backup_start_time),
                            end=parse_api_time(item.cluster_backup_end_time), shards=shards,
                            progress=bounded.text(item.progress or "", bounded.WORD),
                            # "The expiration time of the backup set", yyyy-MM-ddTHH:mmZ, UTC (the model's ExpectExpireTime)
                            expires=parse_api_time(item.expect_expire_time))


def identifier(value) -> str:
    """An ID as answered (a number or text), "?" when absent."""
    return bounded.text(value if value is not None else "?", bounded.ID)


def backup(item) -> Backup:
    """A DescribeBackups record as a Backup, without its download URLs."""
    return Backup(
        backup_id=identifier(item.backup_id),
        node=bounded.text(item.node_instance_id or "", bounded.ID),
        status=bounded.text(item.backup_status, bounded.WORD) if item.backup_status else "unknown",
        start=parse_api_time(item.backup_start_time),
        end=parse_api_time(item.backup_end_time),
        size=size(item.backup_size) if not isinstance(item.backup_size, str) else None,
        backup_type=bounded.text(item.backup_type or "FullBackup", bounded.WORD),
        mode=bounded.text(item.backup_mode or "", bounded.WORD),
        # ExpectExpireTime: the model gives it no words; DescribeClusterBackupList's field of the same name is
        # "the expiration time of the backup set" (yyyy-MM-ddTHH:mmZ, UTC), read alike. Unreadable: None, unknown.
        expires=parse_api_time(item.expect_expire_time),
    )


def storage(body) -> BackupStorage | None:
    """A DescribeBackups or DescribeClusterBackupList answer's FreeSize, FullStorageSize and LogStorageSize
    (bytes), None when it gave none of them as a whole number. Each is the instance's whole, "independent of
    the number and size of backup sets returned" (the models' words), so any page of the listing gives them."""
    figures = BackupStorage(free=size(body.free_size), full=size(body.full_storage_size), log=size(body.log_storage_size))
    return figures if figures != BackupStorage() else None


def policy(body) -> BackupPolicy:
    """A DescribeBackupPolicy answer as a BackupPolicy. Raises ValueError naming the field when its
    schedule cannot be read (schedule_text.parse_policy)."""
    parsed = parse_policy(body.preferred_backup_period, body.preferred_backup_time)
    # BackupRetentionPeriod is a string in the answer's model, EnableBackupLog an integer
    # (models/_describe_backup_policy_response_body.py); either may come as the other. Anything
    # else is None: unknown, which a policy control reports rather than passes.
    # PreferredNextBackupTime: "the next backup time", yyyy-MM-ddTHH:mmZ, UTC (the model). BackupLogStartTime has
    # no words in this model; DescribeInstanceAttribute's field of that name is "the earliest point in time to
    # which data can be restored", "returned only when the data flashback feature is enabled"
    # (models/_describe_instance_attribute_response_body.py), and is read so here. Unreadable: None, unknown.
    return replace(parsed, retention_days=whole(body.backup_retention_period), backup_log=whole(body.enable_backup_log),
                   next_backup=parse_api_time(body.preferred_next_backup_time),
                   backup_log_start=parse_api_time(body.backup_log_start_time))
