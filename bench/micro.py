"""CPU per R-KVStore call: the function's KVStore edge against the raw SDK client, in one fresh process.

Run by bench/run.py as a child of the process that holds the sandbox (no latency staged, quotas lifted),
so this process's CPU is the client's alone. The same `BENCH_MICRO_CALLS` DescribeBackups calls (one page
of 300, the fleet's instances in turn) go through

  edge  backup_report.cloud.kvstore.KVStore.backups: the pacer (API_QPS and the per-API window), the
        whole-call watchdog, retry.call, and the answer turned into model.Backup records;
  raw   alibabacloud_r_kvstore20150101.client.Client.describe_backups_with_options, the SDK's own models,
        with the same connect/read timeouts and pool size;
  bare  the edge again with `watchdog.watch` swapped, in this process only, for one that keeps no deadline (the
        Attempt is kept, nothing shuts the socket): what the whole-call deadline (its one keeper thread's
        heap) costs;

in alternating rounds after a warm-up of each, and prints JSON: CPU milliseconds per call of each (thread CPU
of the calling thread, and process CPU, which also counts the watchdog's keeper thread, or any thread a call
starts, and the kernel's work for them) as the median over the rounds, and the median of the rounds' ratios (each round's edge against the
raw round beside it, so a machine whose load drifts moves both alike). One thread, one call at a time: what
is compared is the CPU each call costs, not concurrency.
"""
from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "function"))

from alibabacloud_r_kvstore20150101 import models  # noqa: E402
from alibabacloud_r_kvstore20150101.client import Client  # noqa: E402
from alibabacloud_tea_openapi import models as openapi  # noqa: E402
from darabonba.runtime import RuntimeOptions  # noqa: E402

from backup_report import watchdog  # noqa: E402
from backup_report.cloud.kvstore import BACKUPS_PAGE, KVStore  # noqa: E402
from backup_report.cloud.pacing import Pacer, Quota  # noqa: E402
from backup_report.cloud.ratelimit import RateLimiter  # noqa: E402
from backup_report.invocation import Credentials  # noqa: E402
from backup_report.model import Instance  # noqa: E402
from backup_report.window import api_minute  # noqa: E402

ROUNDS = 8


def main() -> int:
    endpoint, region = os.environ["KVSTORE_ENDPOINT"], os.environ["BENCH_REGION"]
    ids = os.environ["BENCH_IDS"].split(",")
    calls = int(os.environ.get("BENCH_MICRO_CALLS", "2000"))
    end = datetime.fromisoformat(os.environ["BENCH_TRIGGER"].replace("Z", "+00:00")).astimezone(timezone.utc)
    start = end - timedelta(days=9)
    key, secret = os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"], os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    token = os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None
    connect, read, pool = 3000, 10000, 16

    # The edge as app.py builds it (report.Timing for a 900 s timeout: 3 s connect, 10 s read), its quotas lifted.
    lifted = {action: Quota(100000, 1.0) for action in ("DescribeBackups",)}
    edge = KVStore(Credentials(key, secret, token or ""), endpoint=endpoint, protocol="http",
                   pacer=Pacer(RateLimiter(1000.0), lifted), remaining=lambda: 3600.0,
                   connect_timeout=connect / 1000, read_timeout=read / 1000, pool_size=pool)
    instances = [Instance(instance_id=i, name=i, region=region) for i in ids]

    client = Client(openapi.Config(access_key_id=key, access_key_secret=secret, security_token=token,
                                   region_id=region, endpoint=endpoint, protocol="http"))
    options = RuntimeOptions(connect_timeout=connect, read_timeout=read, max_idle_conns=pool)
    first, last = api_minute(start), api_minute(end)

    def via_edge(n: int, at: int) -> int:
        records = 0
        for k in range(n):
            got, _, _ = edge.backups(instances[(at + k) % len(instances)], start, end)
            records += len(got)
        return records

    def via_sdk(n: int, at: int) -> int:
        records = 0
        for k in range(n):
            request = models.DescribeBackupsRequest(instance_id=ids[(at + k) % len(ids)], start_time=first,
                                                    end_time=last, page_size=BACKUPS_PAGE, page_number=1)
            body = client.describe_backups_with_options(request, options).body
            records += len((body.backups.backup if body.backups else None) or [])
        return records

    armed = watchdog.watch

    @contextlib.contextmanager
    def unarmed(seconds: float):
        attempt = watchdog._posting.attempt = watchdog.Attempt()
        try:
            yield attempt
        finally:
            watchdog._posting.attempt = None

    def via_bare(n: int, at: int) -> int:
        watchdog.watch = unarmed
        try:
            return via_edge(n, at)
        finally:
            watchdog.watch = armed

    def measure(fn, n: int, at: int) -> tuple[float, float, float, int]:
        t0, p0, w0 = time.thread_time(), time.process_time(), time.perf_counter()
        records = fn(n, at)
        return ((time.thread_time() - t0) / n, (time.process_time() - p0) / n, (time.perf_counter() - w0) / n,
                records)

    warm = max(20, calls // 20)
    measure(via_edge, warm, 0)
    measure(via_sdk, warm, 0)
    measure(via_bare, warm, 0)
    per_round = max(1, calls // ROUNDS)
    figures: dict[str, list[tuple[float, float, float, int]]] = {"edge": [], "raw": [], "bare": []}
    variants = [("edge", via_edge), ("raw", via_sdk), ("bare", via_bare)]
    for r in range(ROUNDS):  # each first in turn: drift and noise fall on all
        for name, fn in variants[r % 3:] + variants[:r % 3]:
            figures[name].append(measure(fn, per_round, r * per_round))
    out = {"calls_each": per_round * ROUNDS, "rounds": ROUNDS,
           "ratio": statistics.median(e[1] / r[1] for e, r in zip(figures["edge"], figures["raw"])),
           "thread_ratio": statistics.median(e[0] / r[0] for e, r in zip(figures["edge"], figures["raw"])),
           "bare_ratio": statistics.median(b[1] / r[1] for b, r in zip(figures["bare"], figures["raw"]))}
    for name, rows in figures.items():
        out[name] = {"thread_cpu_ms": 1000 * statistics.median(r[0] for r in rows),
                     "process_cpu_ms": 1000 * statistics.median(r[1] for r in rows),
                     "wall_ms": 1000 * statistics.median(r[2] for r in rows),
                     "records_per_call": rows[0][3] / per_round}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
