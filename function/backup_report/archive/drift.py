"""What changed since the last archived run: instances gone from the report, instances new to it, and
policy changes that weaken protection or move it. Pure: plain result dicts in, lines out.

An instance that vanished from the report lost the report's watch, and often its backups' protection
with it (released, or its tag removed): the line says what it was last judged. Instances of a region
this run could not check are not "gone": they were not looked at.
"""
from __future__ import annotations

from ..model import BackupPolicy
from ..schedule_text import WEEKDAYS


def policy_json(policy: BackupPolicy | None) -> dict | None:
    """The result's form of a policy: `period` (PreferredBackupPeriod's weekday names), `slot`
    (PreferredBackupTime's HH:MMZ-HH:MMZ), `retention_days` and `backup_log` (1, 0 or None)."""
    if policy is None:
        return None
    return {"period": ",".join(WEEKDAYS[d] for d in sorted(policy.weekdays)),
            "slot": f"{_hhmm(policy.slot_start_minute)}Z-{_hhmm(policy.slot_end_minute)}Z",
            "retention_days": policy.retention_days, "backup_log": policy.backup_log}


def _hhmm(minute: int) -> str:
    return f"{minute // 60 % 24:02}:{minute % 60:02}"


def changes(previous: list[dict], current: list[dict], unchecked: set[tuple[str, str]], when: str,
            seen: frozenset[str] | None = None) -> list[str]:
    """One line per change between `previous` and `current` (the result's `instances` entries:
    instance_id, name, region, account_id when ACCOUNTS, verdict, policy), gone first, then new, then policy
    changes, each in instance order. `unchecked`: (account ID, region) of the regions this run could not
    check and (account ID, "") of its accounts not checked ("" for the function's own account): their
    instances were not looked at, so they are not gone; `seen`, when not None (the directory was not listed),
    the only accounts looked at. `when`: how the lines name the previous run ("yesterday", "on 2026-11-26")."""
    before = {i["instance_id"]: i for i in previous if isinstance(i, dict) and i.get("instance_id")}
    now = {i["instance_id"]: i for i in current}
    lines = [f"no longer reported: {i} ({_name(before[i])}, {before[i].get('verdict', '?')} {when}) — "
             "released or untagged?"
             for i in sorted(before) if i not in now and not _unseen(before[i], unchecked, seen)]
    lines += [f"newly reported: {i} ({_name(now[i])})" for i in sorted(now) if i not in before]
    for i in sorted(set(before) & set(now)):
        old, new = before[i].get("policy"), now[i].get("policy")
        if isinstance(old, dict) and isinstance(new, dict):
            lines += [f"{i} ({_name(now[i])}): {change}" for change in _policy_changes(old, new)]
    return lines


def _unseen(entry: dict, unchecked: set[tuple[str, str]], seen: frozenset[str] | None) -> bool:
    account = entry.get("account_id") or ""
    return (account, entry.get("region")) in unchecked or (account, "") in unchecked or \
        (seen is not None and account not in seen)


def _name(entry: dict) -> str:
    return str(entry.get("name") or "no name")


def _policy_changes(old: dict, new: dict) -> list[str]:
    found = []
    a, b = old.get("retention_days"), new.get("retention_days")
    if isinstance(a, int) and isinstance(b, int) and b < a:
        found.append(f"retention shortened from {a} to {b} days")
    if (old.get("period"), old.get("slot")) != (new.get("period"), new.get("slot")):
        found.append(f"schedule changed from {old.get('period')} {old.get('slot')} to "
                     f"{new.get('period')} {new.get('slot')}")
    if old.get("backup_log") == 1 and new.get("backup_log") == 0:
        found.append("backup log (data flashback) turned off")
    return found
