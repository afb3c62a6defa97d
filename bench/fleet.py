"""Generated fleets for the benchmark: specs in the sandbox's scenario format, loaded by its loader."""
from __future__ import annotations

from sandbox.fleet import Scenario
from sandbox.scenario import load

ANCHOR = "2026-11-28T01:00:00Z"
TAG_KEY, TAG_VALUE = "backup-report", "daily"
REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen")
DAILY = {"period": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "time": "18:00Z-19:00Z"}


def instances(n: int, regions: int = 4) -> list[dict]:
    """`n` tagged instances over four regions (uneven: half in the first) or all in one; every 25th
    a 4-shard cluster, 1 in 100 with a failed last backup; 8 days of daily history each (what the
    default HISTORY_DAYS=7 reads: 8 records a standard instance, 32 a cluster, one page each)."""
    out = []
    for k in range(n):
        region = _region(k) if regions > 1 else REGIONS[0]
        spec = {"id": f"r-bench{k:06d}", "name": f"cache-{k:05d}", "region": region,
                "tags": {TAG_KEY: TAG_VALUE, "team": f"t{k % 7}"}, "created": "-400d", "policy": DAILY,
                "history": {"days": 8, "at": "18:10", "size": "2GB", "jitter": 0.02}}
        if k % 25 == 0:
            spec.update(architecture="cluster", shards=4)
        if k % 100 == 50:  # a few alerts, so the digest lists some instances
            spec["latest"] = {"status": "Failed"}
        out.append(spec)
    return out


def _region(k: int) -> str:
    r = k % 8
    return REGIONS[0] if r < 4 else REGIONS[1] if r < 6 else REGIONS[2] if r < 7 else REGIONS[3]


def scenario(n: int, faults: list[dict], seed: int = 0, regions: int = 4) -> Scenario:
    """The fleet of `n` instances with `faults`, read by the sandbox's loader in one call."""
    return load({"seed": seed, "instances": instances(n, regions), "faults": faults}, ANCHOR)
