"""Generated fleets for the benchmark, loaded fast enough for 10,000 instances.

The sandbox's loader is written for hand-made scenarios: its duplicate-ID check is quadratic in
the instances, and `Scenario.instance` / `Scenario.backups_of` scan the whole fleet on every call
(about 30 s of setup and a linear scan per API call at 10,000 instances, see RESULTS.md). The
benchmark therefore loads the fleet in chunks through the real loader (same format, same history
expansion) and serves it from a `Scenario` with dict indexes. Likewise `acs3.NonceStore.use` scans
every nonce of the last 30 minutes on each call (quadratic in the calls of a run: ~30 s of the
emulator's CPU over a 20,000-call run); `NonceWindow` keeps the same rule with amortised O(1)
pruning. Nothing here changes what the emulator answers.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import fields

from sandbox import acs3
from sandbox.fleet import Scenario
from sandbox.scenario import load

ANCHOR = "2026-11-28T01:00:00Z"
TAG_KEY, TAG_VALUE = "backup-report", "daily"
REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen")
DAILY = {"period": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "time": "18:00Z-19:00Z"}
CHUNK = 250


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


class IndexedScenario(Scenario):
    """A `Scenario` whose per-call lookups are dict hits instead of scans of the whole fleet."""

    def __init__(self, **values):
        super().__init__(**values)
        backups = defaultdict(list)
        for b in self.backups:
            backups[b.instance_id].append(b)
        object.__setattr__(self, "_by_id", {i.id: i for i in self.instances})
        object.__setattr__(self, "_backups", {k: tuple(v) for k, v in backups.items()})

    def instance(self, instance_id: str):
        return self._by_id.get(instance_id)

    def backups_of(self, instance_id: str):
        return self._backups.get(instance_id, ())


def scenario(n: int, faults: list[dict], seed: int = 0, regions: int = 4) -> IndexedScenario:
    """The fleet of `n` instances with `faults`, loaded by the sandbox's loader in chunks."""
    specs = instances(n, regions)
    chunks = [load({"seed": seed + c, "instances": specs[c:c + CHUNK], "faults": faults}, ANCHOR)
              for c in range(0, max(n, 1), CHUNK)]
    first = chunks[0]
    values = {f.name: getattr(first, f.name) for f in fields(Scenario)}
    values.update(instances=tuple(i for c in chunks for i in c.instances),
                  backups=tuple(b for c in chunks for b in c.backups),
                  regions=tuple(sorted({s["region"] for s in specs})))
    return IndexedScenario(**values)


class NonceWindow(acs3.NonceStore):
    """`acs3.NonceStore`'s rule (a nonce is refused when seen within 2 × MAX_SKEW), pruning only the
    expired head of an insertion-ordered dict (nonces arrive in time order) instead of scanning it."""

    def use(self, nonce: str, now) -> bool:
        with self._lock:
            while self._seen:
                oldest = next(iter(self._seen))
                if now - self._seen[oldest] <= 2 * acs3.MAX_SKEW:
                    break
                del self._seen[oldest]
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True
