"""Generated fleets for the benchmark: specs in the sandbox's scenario format, loaded by its loader."""
from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.fleet import Scenario
from sandbox.scenario import load

ANCHOR = "2026-11-28T01:00:00Z"
TAG_KEY, TAG_VALUE = "backup-report", "daily"
REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen")
DAILY = {"period": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "time": "18:00Z-19:00Z"}


def instances(n: int, regions: int = 4, healthy: bool = False) -> list[dict]:
    """`n` tagged instances over four regions (uneven: half in the first) or all in one; every 25th a
    classic 4-shard cluster (no ShardCount: its topology is asked), every 25th from the 13th a cloud-native
    4-shard cluster (DescribeClusterBackupList), 1 in 100 with a failed last backup unless `healthy`; 8 days
    of daily history each (what the default HISTORY_DAYS=7 reads: 8 records a standard instance, 32 a classic
    cluster, 8 sets a cloud-native one, one page each)."""
    out = []
    for k in range(n):
        region = _region(k) if regions > 1 else REGIONS[0]
        spec = {"id": f"r-bench{k:06d}", "name": f"cache-{k:05d}", "region": region,
                "tags": {TAG_KEY: TAG_VALUE, "team": f"t{k % 7}"}, "created": "-400d", "policy": DAILY,
                "history": {"days": 8, "at": "18:10", "size": "2GB", "jitter": 0.02}}
        if k % 25 == 0:
            spec.update(architecture="cluster", shards=4)
        elif k % 25 == 12:
            spec.update(architecture="cluster", shards=4, node_type="MASTER_SLAVE")
        if k % 100 == 50 and not healthy:  # a few alerts, so the digest lists some instances
            spec["latest"] = {"status": "Failed"}
        out.append(spec)
    return out


def _region(k: int) -> str:
    r = k % 8
    return REGIONS[0] if r < 4 else REGIONS[1] if r < 6 else REGIONS[2] if r < 7 else REGIONS[3]


def day(offset: int) -> str:
    """ANCHOR moved by `offset` days (the archive cases run on two days)."""
    moved = datetime.fromisoformat(ANCHOR.replace("Z", "+00:00")) + timedelta(days=offset)
    return moved.strftime("%Y-%m-%dT%H:%M:%SZ")


def scenario(n: int, faults: list[dict], seed: int = 0, regions: int = 4, healthy: bool = False,
             anchor: str = ANCHOR) -> Scenario:
    """The fleet of `n` instances with `faults`, read by the sandbox's loader in one call."""
    return load({"seed": seed, "instances": instances(n, regions, healthy), "faults": faults}, anchor)


def minimum_calls(specs: list[dict]) -> int:
    """The fewest R-KVStore calls that can judge `specs` on a healthy day: one backup read an instance
    (DescribeBackups, or DescribeClusterBackupList for a cloud-native cluster; one page each here), its
    topology for a classic cluster (DescribeInstances gives it no ShardCount), the listing (one
    DescribeInstances page per 50 instances of a region, plus the short page that ends it) and one
    DescribeRegions."""
    per_region: dict[str, int] = {}
    calls = 1  # DescribeRegions
    for spec in specs:
        per_region[spec["region"]] = per_region.get(spec["region"], 0) + 1
        classic = spec.get("architecture") == "cluster" and spec.get("node_type") not in ("MASTER_SLAVE", "STAND_ALONE")
        calls += 1 + (1 if classic else 0)
    return calls + sum(n // 50 + 1 for n in per_region.values())
