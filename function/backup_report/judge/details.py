"""The one fact behind each verdict, in words: what failed, what is missing, which shard. Pure."""
from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime, timedelta

from .. import humanize
from ..model import Backup, BackupPolicy, Instance, Kind, Reading, Severity, Verdict, Window
from .schedule import Slot, next_slot

# Every InstanceStatus the public sources document, in plain words. Sources:
# - DescribeInstances' and DescribeInstanceAttribute's answers (alibabacloud_r_kvstore20150101/models/
#   _describe_instances_response_body.py, _describe_instance_attribute_response_body.py, InstanceStatus):
#   Normal, Creating, Changing, Inactive, Flushing, Released, Transforming, Unavailable, Error, Migrating,
#   BackupRecovering, MinorVersionUpgrading, NetworkModifying, SSLModifying, MajorVersionUpgrading;
# - the Terraform provider's instance list (aliyun/terraform-provider-alicloud,
#   alicloud/data_source_alicloud_kvstore_instances.go, `status`): also CleaningUpExpiredData, HASwitching,
#   Rebooting, ZoneMigrating ("Deleting Expired Data" in Instance states and impacts,
#   https://help.aliyun.com/en/redis/user-guide/instance-states-and-impacts).
# The sources disagree on Flushing: the answers say "being released", DescribeInstances' request "purge in
# progress" and the states page "Flushing Instance" (data deleted); the words follow the latter two, and
# either way the instance is not Normal, which is all the verdict rests on.
STATUS_MEANING = {
    "Creating": "being created",
    "Changing": "changing its configuration",
    "Migrating": "being migrated",
    "Transforming": "changing its billing method",
    "BackupRecovering": "restoring a backup",
    "Flushing": "clearing its data",
    "Released": "released",
    "Inactive": "expired or locked",
    "Unavailable": "unavailable",
    "Error": "failed to be created",
    "Rebooting": "restarting",
    "CleaningUpExpiredData": "deleting expired data",
    "HASwitching": "switching over to its replica",
    "ZoneMigrating": "moving to another zone",
    "MajorVersionUpgrading": "upgrading its major version",
    "MinorVersionUpgrading": "upgrading its minor version",
    "NetworkModifying": "changing its network",
    "SSLModifying": "changing SSL",
}


def order(b: Backup) -> tuple:
    """Never the API's order: by start, then end, then ID, so equal starts still sort the same way."""
    return (b.start, b.end or b.start, str(b.backup_id))


def _last_success(records: list[Backup], now: datetime, tz) -> str:
    good = [b for b in records if b.covers]
    if not good:
        return ""
    best = max(good, key=order)
    return f"; last success {humanize.at(best.start, tz)} ({humanize.ago(best.start, now)})"


def failed(failures: list[Backup], records: list[Backup], reading: Reading, tz, now: datetime) -> str:
    last = failures[-1]
    where = f" on {len(failures)} node(s)" if reading.per_shard else ""
    what = "cluster backup set" if reading.source == "DescribeClusterBackupList" else "backup"
    text = f"{what} {last.backup_id} failed at {humanize.at(last.start, tz)}{where}"
    if last.note:
        text += f" ({last.note})"
    return text + (_last_success(records, now, tz) or "; no successful backup in the records read")


def missing(reading: Reading, records: list[Backup], slot: Slot, scope_from: datetime, now: datetime, tz) -> str:
    what = "cluster backup set" if reading.source == "DescribeClusterBackupList" else "backup"
    day, _, hour = humanize.at(slot.start, tz).partition(" ")
    text = f"the scheduled {hour} {what} of {day} was not done"
    last = _last_success(records, now, tz)
    if last:
        return text + last
    earliest = min([scope_from] + [b.start for b in records])
    return text + f"; no successful backup in the last {humanize.span(now - earliest)}"


def partial(failure: Backup, tz) -> str:
    return f"cluster backup set {failure.backup_id} at {humanize.at(failure.start, tz)}: {failure.partial}"


def incomplete(instance: Instance, reading: Reading, nodes: dict[str, list[Backup]], covered: set[str],
               failures: list[Backup], expected: int, tz, now: datetime) -> str:
    parts = [f"{min(len(covered), expected)}/{expected} shards backed up ({reading.kind(instance)})"]
    parts += [f"{b.node or '?'} failed (backup {b.backup_id} at {humanize.at(b.start, tz)}){_without(nodes, b.node, now)}"
              for b in failures]
    failed_nodes = {b.node for b in failures}
    known_absent = sorted(n for n in nodes if n not in covered and n not in failed_nodes)
    parts += [f"{n} has had no backup for {_gone(nodes, n, now)}" if _gone(nodes, n, now) else f"{n} has no backup"
              for n in known_absent]
    never = [s for s in reading.shards if s not in nodes]
    parts += [f"{s} has no backup record at all" for s in never]
    unseen = expected - len(covered) - len(failed_nodes) - len(known_absent) - len(never)
    if unseen > 0:
        parts.append(f"{unseen} shard(s) have no backup record at all")
    return "; ".join(parts)


def _without(nodes: dict[str, list[Backup]], node: str, now: datetime) -> str:
    gone = _gone(nodes, node, now)
    return f", without a backup for {gone}" if gone else ""


def _gone(nodes: dict[str, list[Backup]], node: str, now: datetime) -> str:
    """How long the shard has gone without a successful full backup ("30 h"), as far as the records
    read reach ("over 8 days" when none of them is one); "" when it has no record at all."""
    records = nodes.get(node, [])
    good = [b for b in records if b.covers]
    if good:
        return humanize.span(now - max(good, key=order).start)
    earliest = min((b.start for b in records), default=now)
    return f"over {humanize.span(now - earliest)}" if earliest < now else ""


def new(instance: Instance, policy: BackupPolicy, now: datetime, tz) -> str:
    upcoming = next_slot(policy, now)
    text = f"created {humanize.ago(instance.created, now)}, after the last scheduled backup time"
    return text + (f"; first backup due {humanize.at(upcoming.start, tz)}" if upcoming else "")


def recovered(decisive: list[Backup], window: Window, tz) -> str:
    ordered = sorted(decisive, key=order)
    if not ordered:
        return ""
    newest = ordered[-1]
    earlier_failures = [b for b in ordered if b.failed and b.start >= window.start]
    if not newest.covers or not earlier_failures:
        return ""
    failure = earlier_failures[-1]
    return (f"backup {failure.backup_id} failed at {humanize.at(failure.start, tz)}, "
            f"then {newest.backup_id} succeeded at {humanize.at(newest.start, tz)}")


def shrunk(records: list[Backup], rules, name_node: bool) -> str:
    """A newest full backup far below the median of the earlier ones in `rules.history_days`."""
    if not rules.size_drop_percent:
        return ""
    full = sorted((b for b in records if b.covers and b.size is not None), key=order)
    if len(full) < 2:
        return ""
    newest = full[-1]
    earlier = [b.size for b in full[:-1] if b.start >= newest.start - timedelta(days=rules.history_days)]
    if not earlier:
        return ""
    median = statistics.median(earlier)
    if median <= 0 or newest.size >= median * (100 - rules.size_drop_percent) / 100:
        return ""
    drop = round(100 * (1 - newest.size / median))
    who = f"{newest.node}: " if name_node and newest.node else ""
    return (f"{who}newest full backup {newest.backup_id} is {humanize.size(newest.size)}, {drop}% below the "
            f"{rules.history_days}-day median of {humanize.size(int(median))}")


def account_for_status(instance: Instance, verdict: Verdict, records: list[Backup], now: datetime) -> Verdict:
    """A non-Normal instance is not blamed for a backup it could not take, and is named as such.

    Only a status the sources document (STATUS_MEANING) excuses anything; an absent or unknown one keeps
    the alert and says so. `Creating` reads `new` only for an instance that could be new: no
    successful backup among its `records`, and a CreateTime that is not after `now`."""
    if instance.status == "Normal" or verdict.kind not in (Kind.MISSING, Kind.INCOMPLETE, Kind.NEW):
        return verdict
    meaning = STATUS_MEANING.get(instance.status)
    if meaning is None:
        if verdict.kind is Kind.NEW:
            return verdict
        return Verdict(verdict.kind, f"{verdict.detail}; InstanceStatus {instance.status!r} is not one the API "
                                     "documents, so it excuses nothing")
    if instance.status == "Creating":
        backed_up = any(b.succeeded for b in records)
        future = instance.created is not None and instance.created > now
        if verdict.kind is Kind.NEW or not (backed_up or future):
            return Verdict(Kind.NEW, f"status Creating: {meaning}")
        why = "it has earlier successful backups" if backed_up else "its CreateTime is in the future"
        return Verdict(verdict.kind, f"{verdict.detail}; status Creating, yet {why}")
    return Verdict(Kind.INACTIVE, f"status {instance.status} ({meaning}): {verdict.detail}")


def noted(verdict: Verdict, notes: list[str], kind: Kind, label: str) -> Verdict:
    """A fine verdict with `notes` becomes `kind` (a warning) and keeps what it said after them ("…; backups
    fine: …"); any other verdict stands, with the notes after "; <label>: ". The way policy breaches
    (policy.apply) and risks seen coming (foresight.apply) ride on a verdict."""
    if not notes:
        return verdict
    if verdict.severity is Severity.FINE:
        return replace(verdict, kind=kind, detail=f"{'; '.join(notes)}; backups fine: {verdict.detail}")
    return replace(verdict, detail=f"{verdict.detail}; {label}: {'; '.join(notes)}")
