"""Policy controls over the `DescribeBackupPolicy` answer already read (no extra call). Pure.

Controls, each off unless set (docs/settings.md):
- MIN_RETENTION_DAYS: BackupRetentionPeriod (days a backup is kept; 7 to 730, ModifyBackupPolicy's
  BackupRetentionPeriod, models/_modify_backup_policy_request.py) at least this.
- MIN_BACKUPS_PER_WEEK: the weekdays of PreferredBackupPeriod at least this many.
- REQUIRE_BACKUP_LOG: EnableBackupLog (data flashback, AOF-based log backup) is 1. The SDK says it
  "is supported only by Tair (Enterprise Edition) memory-optimized and persistent memory-optimized
  instances" (ModifyBackupPolicy's EnableBackupLog, models/_modify_backup_policy_request.py), so only
  an instance whose DescribeInstances InstanceType is Tair or EditionType Enterprise is held to it; a
  disk-based Tair instance cannot tell itself apart in these fields and is held to it too (docs/settings.md
  says so: leave the control off for a fleet with ESSD-based Tair instances).
- MIN_RESTORE_WINDOW_HOURS: where data flashback is on (EnableBackupLog 1), how far back it reaches, from
  BackupLogStartTime ("the earliest point in time to which data can be restored",
  models/_describe_instance_attribute_response_body.py; DescribeBackupPolicy's answer carries the same field,
  cloud/answers.py) to now, at least this many hours. Where flashback is off there is no window to measure:
  REQUIRE_BACKUP_LOG is the control for that.

A value the answer did not give cannot be checked: with its control on, that is a breach too
(fail closed), worded as such.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import humanize
from ..model import BackupPolicy, Instance, Kind, Verdict
from . import details


@dataclass(frozen=True)
class Controls:
    """0 / False: the control is off."""

    min_retention_days: int = 0
    min_backups_per_week: int = 0
    require_backup_log: bool = False
    min_restore_window_hours: int = 0


def supports_backup_log(instance: Instance) -> bool:
    """Whether data flashback (EnableBackupLog) applies: Tair (Enterprise Edition) instances only."""
    return instance.instance_type == "Tair" or instance.edition_type == "Enterprise"


def breaches(instance: Instance, policy: BackupPolicy, controls: Controls, now: datetime) -> list[str]:
    """What of the policy breaks a control at `now` (UTC), one short phrase each ([] when nothing does)."""
    found = []
    if controls.min_retention_days:
        if policy.retention_days is None:
            found.append("BackupRetentionPeriod not given: retention unknown")
        elif policy.retention_days < controls.min_retention_days:
            found.append(f"retention {policy.retention_days} days < {controls.min_retention_days} required")
    if controls.min_backups_per_week and len(policy.weekdays) < controls.min_backups_per_week:
        found.append(f"{len(policy.weekdays)} backup{'s' if len(policy.weekdays) != 1 else ''} a week "
                     f"< {controls.min_backups_per_week} required")
    if controls.require_backup_log and supports_backup_log(instance) and policy.backup_log != 1:
        found.append("data flashback (EnableBackupLog) off" if policy.backup_log == 0
                     else "EnableBackupLog not given: data flashback unknown")
    if controls.min_restore_window_hours and policy.backup_log == 1:
        found += _restore_window(policy, controls.min_restore_window_hours, now)
    return found


def _restore_window(policy: BackupPolicy, hours: int, now: datetime) -> list[str]:
    """Data flashback's reach (now - BackupLogStartTime) below `hours`, or why it is unknown."""
    start = policy.backup_log_start
    if start is None:
        return ["BackupLogStartTime not given: data flashback's restore window unknown"]
    if start > now:  # odd data: a window that starts after now is no window anyone can restore in
        return ["BackupLogStartTime is in the future: data flashback's restore window unknown"]
    reach = now - start
    if reach.total_seconds() < hours * 3600:
        return [f"data flashback reaches back {humanize.span(reach)} < {hours} h required"]
    return []


def apply(verdict: Verdict, notes: list[str]) -> Verdict:
    """A fine verdict with breaches becomes `policy` (a warning) and keeps what it said after them;
    any other verdict stands, with the breaches added to its detail."""
    return details.noted(verdict, notes, Kind.POLICY, "policy")
