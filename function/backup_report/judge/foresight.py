"""Foresight: risks to the backups a run can see coming in fields it already read, before they become a
failed or missing backup. Pure. Each check is made only where the API gave its fields in a readable form;
a field not given (or unreadable: bounded and parsed at the cloud edge, cloud/answers.py) means the check is
not made, never that the risk is absent (docs/foresight.md).

- `expiring`: a node's newest good backup (finished, successful, full) expires within EXPIRY_HORIZON
  (DescribeBackups' and DescribeClusterBackupList's ExpectExpireTime, "the expiration time of the backup
  set", models/_describe_cluster_backup_list_response_body.py): when it goes, nothing newer is left to
  restore from. A weekly schedule with 7 days' retention, or a backup failing for days, comes to this.
- `next_backup_late`: DescribeBackupPolicy's PreferredNextBackupTime ("the next backup time",
  models/_describe_backup_policy_response_body.py) after the end of the next slot that PreferredBackupPeriod
  and PreferredBackupTime name (`schedule.next_slot`): the schedule is not what the service will do.
- `storage_over_quota`, a cost and not a risk (`costs`): FullStorageSize plus LogStorageSize above FreeSize, the instance's free backup quota
  (bytes; the models of both listings). The excess is billed by the GB-month ("Notice on backup
  commercialization", https://help.aliyun.com/document_detail/2664017.html; the international site's
  "Automatic or manual backup", https://www.alibabacloud.com/help/en/redis/user-guide/automatic-or-manual-backup,
  gives USD 0.15 per GB-month there). No API answers the price of the account's site and region, so the
  excess is said in GB and the price is left to the billing page, never computed here. The sources disagree
  on the international site: that page describes the same free quota, the models say FreeSize "is not in
  effect" there. The check is made wherever FreeSize is a positive whole number (an answer without it, or
  with 0, is no quota the models describe: not checked); which site the account is on is not in any answer.

A fine verdict with a risk becomes `at_risk` (a warning); any other verdict keeps its kind and carries the
risk after "; ahead: " (`apply`). A cost never changes a verdict: it rides at the end of its detail after
"; cost: " (the page and the result show it, the digest does not). Backup storage above the free quota does not
endanger a restore, and the quota is about the instance's memory, so a filled instance with a week of daily
full backups is above it every day: as a warning it would cry wolf daily. An `error` verdict says only why it
could not be checked.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from .. import humanize
from ..model import Backup, BackupPolicy, BackupStorage, Instance, Kind, Reading, Verdict
from .details import noted, order
from .schedule import next_slot

EXPIRY_HORIZON = timedelta(days=1)
MAX_NODES_NAMED = 3  # a cluster's shards named in an expiry note; the rest are counted


def expiring(instance: Instance, reading: Reading, records: list[Backup], now: datetime, tz) -> str:
    """"newest good backup 717519180 (2026-11-22 02:10) expires 2026-11-29 02:10, in 17 h: nothing newer
    to restore from", per node for a classic cluster's records; "" when none expires after `now` and within
    EXPIRY_HORIZON, or a node's newest good backup has no readable ExpectExpireTime."""
    nodes: dict[str, list[Backup]] = {}
    for b in records:
        if b.covers:
            nodes.setdefault(b.node if reading.per_shard else instance.instance_id, []).append(b)
    soon = []
    for node, good in sorted(nodes.items()):
        newest = max(good, key=order)
        # One already past is no risk ahead: the API lists it still, and a stale backup is `missing`'s to say.
        if newest.expires is not None and now < newest.expires <= now + EXPIRY_HORIZON:
            soon.append((node, newest))
    if not soon:
        return ""
    said = [_expiry(node if reading.per_shard else "", b, now, tz) for node, b in soon[:MAX_NODES_NAMED]]
    if len(soon) > MAX_NODES_NAMED:
        said.append(f"and on {len(soon) - MAX_NODES_NAMED} more shard(s)")
    return "; ".join(said)


def _expiry(node: str, b: Backup, now: datetime, tz) -> str:
    who = f"{node}: " if node else ""
    return (f"{who}newest good backup {b.backup_id} ({humanize.at(b.start, tz)}) expires {humanize.at(b.expires, tz)}, "
            f"in {humanize.span(b.expires - now)}: nothing newer to restore from")


def next_backup_late(policy: BackupPolicy, now: datetime, tz) -> str:
    """"next backup 2026-12-01 02:00 (PreferredNextBackupTime), though the schedule names 2026-11-29 02:00"
    when the API's next backup is after the end of the next scheduled slot; "" otherwise, and when either
    is unknown (a policy kept from an earlier run has no PreferredNextBackupTime: model.BackupPolicy)."""
    upcoming = next_slot(policy, now)
    if policy.next_backup is None or upcoming is None or policy.next_backup <= upcoming.end:
        return ""
    return (f"next backup {humanize.at(policy.next_backup, tz)} (PreferredNextBackupTime), though the schedule "
            f"names {humanize.at(upcoming.start, tz)}")


def storage_over_quota(storage: BackupStorage | None) -> str:
    """"backup storage 14.0 GiB, above the free quota (8.0 GiB, FreeSize) by 6.0 GiB, billed by the GB-month";
    "" when within it, or when FreeSize or FullStorageSize is not given (a FreeSize of 0 is no quota the models
    describe: not checked). LogStorageSize not given counts 0: the models say it is "valid only when the
    flashback feature is enabled"."""
    if storage is None or not storage.free or storage.full is None:
        return ""
    used = storage.full + (storage.log or 0)
    if used <= storage.free:
        return ""
    return (f"backup storage {humanize.size(used)}, above the free quota ({humanize.size(storage.free)}, FreeSize) "
            f"by {humanize.size(used - storage.free)}, billed by the GB-month")


def risks(instance: Instance, reading: Reading, records: list[Backup], now: datetime, tz) -> list[str]:
    """Every risk seen in `reading` and its screened `records` at `now` (UTC), one phrase each ([]: none)."""
    found = [expiring(instance, reading, records, now, tz), next_backup_late(reading.policy, now, tz)]
    return [f for f in found if f]


def costs(reading: Reading) -> list[str]:
    """What the backups cost beyond the free, one phrase each ([]: nothing seen): a note, never a warning."""
    found = [storage_over_quota(reading.storage)]
    return [f for f in found if f]


def apply(verdict: Verdict, notes: list[str], cost: list[str] = ()) -> Verdict:
    """A fine verdict with risks (`notes`) becomes `at_risk` (a warning) and keeps what it said after them; an
    `error` stands as it is; any other verdict stands, with the risks after "; ahead: ". Each `cost` ends the
    detail after "; cost: ", the kind unchanged."""
    if verdict.kind is Kind.ERROR:
        return verdict
    verdict = noted(verdict, notes, Kind.AT_RISK, "ahead")
    return replace(verdict, detail=f"{verdict.detail}; cost: {'; '.join(cost)}") if cost else verdict
