"""When a run could not reach its whole fleet: how long each region's fleet needs at its API quotas, and
what to raise. Pure: the findings and the quotas in, one line per region out, for the digest's notes.

Each region's instances need one DescribeBackups read and (without a policy the archive kept) one
DescribeBackupPolicy read; each API has its own quota window per region (cloud/pacing.py), so the two
proceed side by side and the slower decides: a window's first `calls` go at once, the rest at its rate.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Callable

from .cloud.pacing import Quota
from .model import Findings

ACTIONS = ("DescribeBackups", "DescribeBackupPolicy")


def seconds_needed(instances: int, quota: Quota) -> float:
    """Seconds `instances` calls of one API take in one region within `quota` (its first calls at once)."""
    return max(0, instances - quota.calls) / quota.per_second


def shortfall(findings: Findings, quota_of: Callable[[str], Quota], scan_seconds: float, reserve: float,
              not_reached: Callable[[], bool]) -> list[str]:
    """A line for each region whose instances the run did not all reach (`not_reached()`: some were not
    checked, or a listing was cut short), saying how long they need at the quotas and the function timeout
    that would fit them (`reserve`: what a run keeps back from its timeout; `scan_seconds`: what it had)."""
    if not not_reached():
        return []
    # Quotas are per account and region (cloud/pacing.py): each account's region is counted on its own.
    per_region = Counter((c.instance.account_id, c.instance.region) for c in findings.checked)
    lines = []
    for (account, region), count in sorted(per_region.items()):
        needs = {action: seconds_needed(count, quota_of(action)) for action in ACTIONS}
        action, seconds = max(needs.items(), key=lambda item: item[1])
        if seconds <= scan_seconds * 0.8:
            continue
        timeout = int(math.ceil((seconds + reserve) / 100.0) * 100)
        where = f"{region} of account {account}" if account else region
        lines.append(f"{count:,} instances in {where} need about {seconds:,.0f} s of {action} at its quota "
                     f"({quota_of(action)}); raise the function's timeout to {timeout} (s.yaml, at most 86400) or the "
                     "quota (Quota Center, then API_QUOTAS)")
    return lines
