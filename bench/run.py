"""`make bench`: the real `index.handler` against the sandbox at scale, with the figures of issue 6.

Each case runs the sandbox (R-KVStore with 50 ms of latency on every call, DingTalk, Slack, Feishu, WeCom) in
this process and the handler in a child process (bench/child.py), so the child's peak RSS is the
function's own. Figures:
  calls     R-KVStore calls the sandbox saw (`sb.kvstore.calls`, retries included)
  serial    calls × latency: the same run one call at a time
  floor     max(calls × latency ÷ MAX_CONCURRENCY, calls ÷ API_QPS[, calls ÷ quota])
  wall      the handler's wall time in the child (import excluded); ratio = wall ÷ floor
  throttled calls answered Throttling.*, as a share of all calls
  RSS       the child's peak resident set (VmHWM, see child.py), import included
The size cases run with API_QPS at its maximum (1000) so that the pool, not the pacer, is the bound
they measure; the pacer is measured by the quota cases and by one case at the function's defaults.

    python -m bench.run [--sizes 100,1000,10000] [--concurrency N] [--json] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sandbox

from . import fleet

ROOT = Path(__file__).resolve().parents[1]
LATENCY_MS = 50
QUOTA_QPS = 100
UNPACED = 1000.0  # API_QPS's largest value: the pacer never binds at 50 ms and MAX_CONCURRENCY ≤ 50
TARGET_RATIO = 1.3
TARGET_THROTTLED = 0.05
TARGET_RSS_MB = 128
TARGET_IMPORT_S = 0.5
# What `import index` spends its time on (cumulative -X importtime figures, nested in this order).
HEAVY = ("backup_report.cloud.kvstore", "alibabacloud_r_kvstore20150101.client", "alibabacloud_credentials.client",
         "Tea.core", "aiohttp", "alibabacloud_r_kvstore20150101.models", "requests",
         "backup_report.channels.dingtalk", "backup_report.digest", "backup_report.report", "backup_report.settings")

@dataclass(frozen=True)
class Case:
    name: str
    size: int
    concurrency: int
    qps: float
    quota: float | None = None
    latency_ms: int = LATENCY_MS
    regions: int = 4
    repeat: int = 1


def defaults() -> tuple[int, float]:
    sys.path.insert(0, str(ROOT / "function"))
    from backup_report.settings import Settings
    return Settings.max_concurrency, Settings.api_qps


def run_case(case: Case, timeout: int) -> dict:
    faults = ([{"kind": "latency", "ms": case.latency_ms}] if case.latency_ms else []) \
        + ([{"kind": "quota", "qps": case.quota}] if case.quota else [])
    t0 = time.perf_counter()
    with sandbox.start(fleet.scenario(case.size, faults, regions=case.regions)) as sb:
        setup = time.perf_counter() - t0  # the fleet loaded and the emulators built, before any call
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
        env.update(sb.env())
        env.update(INSTANCE_TAGS=f"{fleet.TAG_KEY}={fleet.TAG_VALUE}", MAX_CONCURRENCY=str(case.concurrency),
                   API_QPS=f"{case.qps:g}", BENCH_TIMEOUT=str(timeout), BENCH_TRIGGER=fleet.ANCHOR,
                   BENCH_REPEAT=str(case.repeat), PYTHONDONTWRITEBYTECODE="1")
        sandbox_cpu = time.process_time()
        child = subprocess.run([sys.executable, str(ROOT / "bench" / "child.py")], env=env, cwd=ROOT,
                               capture_output=True, text=True)
        sandbox_cpu = time.process_time() - sandbox_cpu
        calls = sb.kvstore.calls
        posts = sum(len(hook.messages) for hook in (sb.dingtalk, sb.slack, sb.feishu, sb.wecom))
    if child.returncode != 0:
        raise SystemExit(f"bench: the case {case} failed:\n{child.stderr[-4000:]}")
    out = json.loads(child.stdout.strip().splitlines()[-1])
    n = len(calls) // case.repeat
    latency = case.latency_ms / 1000
    floor = max(n * latency / case.concurrency, n / case.qps, n / case.quota if case.quota else 0.0)
    by_action: dict[str, int] = {}
    for c in calls:
        by_action[c.action] = by_action.get(c.action, 0) + 1
    throttled = sum(c.code.startswith("Throttling") for c in calls)
    return {**out, **case.__dict__, "calls": n, "by_action": by_action, "throttled": throttled,
            "throttled_share": throttled / max(n, 1),
            "other_errors": sum(c.code != "OK" and not c.code.startswith("Throttling") for c in calls),
            "serial_s": n * latency, "floor_s": floor, "ratio": out["wall_s"] / floor if floor else 0.0,
            "setup_s": setup, "posts": posts, "sandbox_cpu_s": sandbox_cpu}


def import_figures() -> dict:
    """`python -X importtime -c "import index"` from function/, best of 5, and the process's wall time."""
    cmd = [sys.executable, "-X", "importtime", "-c", "import index"]
    best, best_total, walls = "", float("inf"), []
    for _ in range(5):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT / "function", capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        walls.append(time.perf_counter() - t0)
        total = int([l for l in done.stderr.splitlines() if l.rstrip().endswith("| index")][-1].split("|")[1])
        if total < best_total:
            best, best_total = done.stderr, total
    cumulative = {l.split("|")[2].strip(): int(l.split("|")[1]) for l in best.splitlines()
                  if l.startswith("import time:") and l.count("|") == 2 and l.split("|")[1].strip().isdigit()}
    shown = [f"{name} {cumulative[name] / 1000:.0f} ms" for name in HEAVY if name in cumulative]
    return {"importtime_s": best_total / 1e6, "process_s": min(walls),
            "heaviest": shown}


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(l.split(":", 1)[1].strip() for l in info if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} CPUs (nproc; {model}), Python {platform.python_version()}, {platform.system()}"


def table(rows: list[dict]) -> str:
    head = ("| case | instances | MAX_CONCURRENCY | API_QPS | calls | throttled | serial s | floor s | wall s "
            "| wall/floor | function CPU s | peak RSS MB | unchecked |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        unchecked = r["counts"].get("error", 0) + (r["size"] - r["instances"]) + len(r["unchecked_regions"])
        lines.append(f"| {r['name']} | {r['size']:,} | {r['concurrency']} | {r['qps']:g} | {r['calls']:,} "
                     f"| {r['throttled']} ({100 * r['throttled_share']:.1f}%) | {r['serial_s']:.1f} "
                     f"| {r['floor_s']:.1f} | {r['wall_s']:.1f} | {r['ratio']:.2f} | {r['cpu_s']:.1f} "
                     f"| {r['peak_rss_mb']:.0f} | {unchecked} |")
    return "\n".join(lines)


def missed(rows: list[dict], figures: dict) -> list[str]:
    problems = []
    for r in rows:
        if r["ratio"] > TARGET_RATIO:
            problems.append(f"{r['name']} {r['size']:,}: wall {r['wall_s']:.1f} s is {r['ratio']:.2f}× the floor "
                            f"(target ≤ {TARGET_RATIO})")
        if r["counts"].get("error") or r["instances"] != r["size"] or r["unchecked_regions"]:
            problems.append(f"{r['name']} {r['size']:,}: instances left unchecked: {r['counts'].get('error', 0)} "
                            f"error verdicts, {r['size'] - r['instances']} missing, regions {r['unchecked_regions']}")
        if r["quota"] and r["throttled_share"] >= TARGET_THROTTLED:
            problems.append(f"{r['name']}: {100 * r['throttled_share']:.1f}% of calls throttled (target < 5%)")
        if r["size"] >= 10_000 and r["peak_rss_mb"] >= TARGET_RSS_MB:
            problems.append(f"{r['name']} {r['size']:,}: peak RSS {r['peak_rss_mb']:.0f} MB "
                            f"(target < {TARGET_RSS_MB})")
        if not all(d["ok"] for d in r["deliveries"]) or r["posts"] != 4 * r["repeat"]:
            problems.append(f"{r['name']} {r['size']:,}: deliveries {r['deliveries']}, {r['posts']} posts")
    if figures["importtime_s"] >= TARGET_IMPORT_S:
        problems.append(f"import index: {figures['importtime_s'] * 1000:.0f} ms (target < 500)")
    return problems


def main(argv: list[str] | None = None) -> int:
    conc, qps = defaults()
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="fleet sizes of the latency cases")
    parser.add_argument("--concurrency", type=int, default=conc, help=f"MAX_CONCURRENCY (default {conc})")
    parser.add_argument("--regions", type=int, choices=(1, 4), default=4,
                        help="spread the fleets over 4 regions or put them all in one")
    parser.add_argument("--over-quota", default="10", help="API_QPS multiples of the quota for extra quota cases "
                                                           "(comma-separated; '' for none)")
    parser.add_argument("--quick", action="store_true", help="sizes 100,1000 only, no extra cases")
    parser.add_argument("--timeout", type=int, default=900, help="the function timeout the context claims (s)")
    parser.add_argument("--json", action="store_true", help="also print every figure as JSON")
    args = parser.parse_args(argv)
    sizes = [100, 1000] if args.quick else [int(s) for s in args.sizes.split(",") if s]

    cases = [Case(f"latency {LATENCY_MS} ms", size, args.concurrency, UNPACED, regions=args.regions)
             for size in sizes]
    cases.append(Case(f"quota {QUOTA_QPS}/s", 1000, args.concurrency, QUOTA_QPS, QUOTA_QPS, regions=args.regions))
    if not args.quick:
        for m in (float(m) for m in args.over_quota.split(",") if m):
            cases.append(Case(f"quota {QUOTA_QPS}/s, API_QPS {m * QUOTA_QPS:g}", 1000, args.concurrency,
                              m * QUOTA_QPS, QUOTA_QPS, regions=args.regions))
        cases.append(Case("defaults", 1000, conc, qps, regions=args.regions))
    cold = Case("cold start", 1, conc, UNPACED, latency_ms=0, repeat=4)

    started = time.perf_counter()
    print(f"machine: {machine()}", flush=True)
    figures = import_figures()
    first = run_case(cold, args.timeout)
    rows = []
    for case in cases:
        rows.append(run_case(case, args.timeout))
        print(f"  {case.name}, {case.size:,} instances: {rows[-1]['wall_s']:.1f} s "
              f"(sandbox setup {rows[-1]['setup_s']:.1f} s)", file=sys.stderr, flush=True)
    print()
    print(table(rows))
    print()
    warm = min(first["walls_s"][1:])
    print(f"cold start: import index {figures['importtime_s'] * 1000:.0f} ms (-X importtime, best of 5); "
          f"`python -c 'import index'` {figures['process_s'] * 1000:.0f} ms as a process; first invocation "
          f"(1 instance, no latency) {first['walls_s'][0] * 1000:.0f} ms, then {warm * 1000:.0f} ms warm; "
          f"RSS {first['rss_import_mb']:.0f} MB after import, {first['peak_rss_mb']:.0f} MB after the runs")
    print("where import index goes (cumulative, nested): " + "; ".join(figures["heaviest"]))
    print(f"bench took {time.perf_counter() - started:.0f} s")
    if args.json:
        print(json.dumps({"machine": machine(), "import": figures, "cold": first, "rows": rows}, indent=1))
    problems = missed(rows, figures)
    for p in problems:
        print(f"MISSED: {p}")
    if not problems:
        print("all targets hold")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
