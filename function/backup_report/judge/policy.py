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

A value the answer did not give cannot be checked: with its control on, that is a breach too
(fail closed), worded as such.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..model import BackupPolicy, Instance, Kind, Severity, Verdict


@dataclass(frozen=True)
class Controls:
    """0 / False: the control is off."""

    min_retention_days: int = 0
    min_backups_per_week: int = 0
    require_backup_log: bool = False


def supports_backup_log(instance: Instance) -> bool:
    """Whether data flashback (EnableBackupLog) applies: Tair (Enterprise Edition) instances only."""
    return instance.instance_type == "Tair" or instance.edition_type == "Enterprise"


def breaches(instance: Instance, policy: BackupPolicy, controls: Controls) -> list[str]:
    """What of the policy breaks a control, one short phrase each ([] when nothing does)."""
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
    return found


def apply(verdict: Verdict, notes: list[str]) -> Verdict:
    """A fine verdict with breaches becomes `policy` (a warning) and keeps what it said after them;
    any other verdict stands, with the breaches added to its detail."""
    if not notes:
        return verdict
    said = "policy: " + "; ".join(notes)
    if verdict.severity is Severity.FINE:
        return replace(verdict, kind=Kind.POLICY, detail=f"{'; '.join(notes)}; backups fine: {verdict.detail}")
    return replace(verdict, detail=f"{verdict.detail}; {said}")
