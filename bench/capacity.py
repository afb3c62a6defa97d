"""How many instances a run fits, from the per-API quotas and the way the function paces them:
docs/performance.md's sizing table, computed from the function's own constants (no run).

    python -m bench.capacity [--timeouts 300,900] [--latency-ms 50]

The model is the pacer's (cloud/pacing.py): each (region, API) window lets `calls` starts go at once, then
the next `calls` one window later, the window kept MARGIN (5%) longer than the quota's, so N calls of one API
in one region start last at floor((N - 1) / calls) × seconds × MARGIN; the run's last batch then drains
(`calls` instances × 2 calls × latency ÷ MAX_CONCURRENCY). A run scans for its timeout minus what it keeps back
to post (report.Timing.for_timeout: 37 s for any timeout of 100 s or more). Regions run side by side, each
within its own windows; across regions every call also passes API_QPS. With the archive's policy cache
(POLICY_REFRESH_DAYS=7) about a seventh of the policies is read on a given day, so DescribeBackups, at its
assumed 200/60 s, is the window that binds: the cache saves calls but fits no more instances a region unless
the account's DescribeBackups quota is higher (Quota Center, then API_QUOTAS).
`make bench`'s published case (600 instances in one region at 200/60 s) measures the model's two windows.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "function"))

from backup_report.cloud.pacing import MARGIN, Quota, default_quota  # noqa: E402
from backup_report.deadlines import Timing  # noqa: E402
from backup_report.settings import Settings  # noqa: E402
from backup_report.sizing import seconds_needed  # noqa: E402

CACHED_SHARE = 1 / 7  # POLICY_REFRESH_DAYS=7: the policies read afresh on a given day


def drain(calls: int, latency: float, concurrency: int) -> float:
    """Seconds the last batch of `calls` instances takes: a policy, then its backups, `concurrency` at a time."""
    return calls * 2 * latency / concurrency


def seconds_for(calls: int, quota: Quota) -> float:
    """When the last of `calls` calls of one API in one region starts, as the pacer spaces them."""
    return math.floor(max(0, calls - 1) / quota.calls) * quota.seconds * MARGIN


def fits(budget: float, quota: Quota, per_instance: float, latency: float, concurrency: int) -> int:
    """The most instances of one region whose calls of one API (`per_instance` each) start and drain in `budget`."""
    windows = math.floor(max(0.0, budget - drain(quota.calls, latency, concurrency)) / (quota.seconds * MARGIN)) + 1
    return int(windows * quota.calls / per_instance)


def timeout_for(instances: int, quota: Quota, per_instance: float, latency: float, concurrency: int) -> int:
    """The function timeout (s) one region of `instances` needs at `quota`."""
    scan = seconds_for(math.ceil(instances * per_instance), quota) + drain(quota.calls, latency, concurrency)
    return int(math.ceil(scan + Timing.for_timeout(900).reserve))


def table(timeouts: list[int], latency: float) -> str:
    concurrency, qps = Settings.max_concurrency, Settings.api_qps
    policy, backups = default_quota("DescribeBackupPolicy"), default_quota("DescribeBackups")
    out = ["| timeout | scan (timeout − kept back) | one region, no archive (DescribeBackupPolicy and DescribeBackups "
           f"{policy} each) | one region, archive's policy cache (DescribeBackups binds) | all regions together at "
           f"API_QPS {qps:g}, no archive / cache |", "|---|---|---|---|---|"]
    for timeout in timeouts:
        budget = timeout - Timing.for_timeout(timeout).reserve
        plain = min(fits(budget, policy, 1, latency, concurrency), fits(budget, backups, 1, latency, concurrency))
        cached = min(fits(budget, policy, CACHED_SHARE, latency, concurrency),
                     fits(budget, backups, 1, latency, concurrency))
        across = (int(budget * qps / 2), int(budget * qps / (1 + CACHED_SHARE)))
        out.append(f"| {timeout:,} s | {budget:,.0f} s | {plain:,} | {cached:,} | {across[0]:,} / {across[1]:,} |")
    return "\n".join(out)


def needs(sizes: list[int], latency: float) -> str:
    concurrency, qps = Settings.max_concurrency, Settings.api_qps
    backups = default_quota("DescribeBackups")
    out = ["| instances in one region | timeout it needs (s) | the run's own estimate (sizing.py, s of DescribeBackups) "
           f"| all in 4 regions at API_QPS {qps:g}: timeout (s) |", "|---|---|---|---|"]
    for n in sizes:
        one = timeout_for(n, backups, 1, latency, concurrency)
        four = max(timeout_for(math.ceil(n / 4), backups, 1, latency, concurrency),
                   int(math.ceil(2 * n / qps + Timing.for_timeout(900).reserve)))
        out.append(f"| {n:,} | {one:,} | {seconds_needed(n, backups):,.0f} | {four:,} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--timeouts", default="300,900")
    parser.add_argument("--sizes", default="600,1000,2800,5000,10000,50000")
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000
    print(table([int(t) for t in args.timeouts.split(",")], latency))
    print()
    print(needs([int(n) for n in args.sizes.split(",")], latency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
