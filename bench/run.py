"""`make bench`: the real `index.handler` against the sandbox, each figure as a ratio to what bounds it.

Every case runs the sandbox in this process (or, for the one at the published quotas and the calls cases,
in a background `python -m bench.run --only …` of their own, beside the 50,000-instance case) and the handler
in a child process (bench/child.py), so the child's CPU and peak RSS (VmHWM) are the function's own.
Measured, each against its target (TARGETS), in one table:

  1 wall ÷ floor    floor = max(calls × latency ÷ MAX_CONCURRENCY; for each (region, API), its calls
                    beyond its window's first `calls` ÷ the quota's rate; calls ÷ API_QPS; the child's CPU
                    seconds in the run, one core). The quota is a sliding window staged on the emulator
                    (bench/quota.py) and told to the function in API_QUOTAS: the function's own figures
                    (cloud/pacing.py: 200 calls a 60 s window) with the window 10× shorter (200/6 s, API_QPS
                    500: 10× the default 50), and once as published (600 instances in one region at 200/60 s,
                    the defaults, API_QUOTAS unset).
  2 calls ÷ minimum one backup read an instance (plus a classic cluster's topology), the listing pages and
                    DescribeRegions (fleet.minimum_calls), on a healthy fleet: the second day with the archive
                    on (POLICY_REFRESH_DAYS 7), the first day, and without the archive.
  3 CPU per call    the same DescribeBackups calls through the function's KVStore edge and the raw SDK client
                    (bench/micro.py), and the whole run's CPU ÷ its calls beside it.
  4 peak RSS        VmHWM of the child at 10,000 and at 50,000 instances (MAX_INSTANCES' most).
  5 import          `import index` ÷ `import alibabacloud_r_kvstore20150101.client, alibabacloud_tea_openapi`,
                    each in a fresh interpreter, alternating, the median of IMPORT_RUNS.
  6 simple script   bench/simple.py (the SDK, 16 threads, no pacing) beside the function, same fleet and latency.
  7 package         dist/redis-backup-report.zip's size if `make build` made it, else one scripts/build.py builds
                    into a temporary directory (beside the cases; --no-build: not measured).
  8 many accounts   (bench/accounts.py, after the cases) a fanned-out run of 20 accounts × 500 instances on the
                    sandbox, each FC invocation in a process of its own; one collect over 200 such pieces; computed
                    from them: 200 accounts' floor and wall, and one day's cost in FC and OSS. No target (issue 25
                    sets none).

    python -m bench.run [--quick] [--only KEY,…] [--json] [--json-out FILE] [--readme] [--no-build]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import sandbox

from . import accounts, fleet
from .quota import WindowQuota

ROOT = Path(__file__).resolve().parents[1]
FUNCTION = ROOT / "function"
sys.path.insert(0, str(FUNCTION))

from backup_report.cloud.pacing import ACTIONS, default_quota  # noqa: E402
from backup_report.settings import Settings  # noqa: E402

SCALE = 10  # the staged quotas' windows are this many times shorter than the published ones, API_QPS this much higher
CONCURRENCY, API_QPS = Settings.max_concurrency, Settings.api_qps
UNPACED = 1000.0  # API_QPS's largest value
TARGETS = {"wall": 1.2, "calls": 1.15, "cpu": 1.2, "rss_10k": 100.0, "rss_50k": 200.0, "import": 1.15,
           "zip_mib": 10.0}
IMPORT_RUNS = 7
MICRO_CALLS = 2000
ZIP = ROOT / "dist" / "redis-backup-report.zip"
README = ROOT / "docs" / "performance.md"  # the user docs' page with the bench:summary block
BESIDE = ("published", "calls-off", "calls-day1", "calls-day2")  # run beside rss-50k (see main)
SUMMARY_START, SUMMARY_END = "<!-- bench:summary -->", "<!-- /bench:summary -->"


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    size: int
    regions: int = 4
    latency_ms: int = 50
    concurrency: int = CONCURRENCY
    qps: float = API_QPS * SCALE
    quotas: str = "scaled"  # scaled: the function's figures, windows SCALE× shorter, staged and in API_QUOTAS;
    #                          published: staged at the function's own figures, API_QUOTAS unset; lifted: none
    archive: str = ""  # "", "day1" (fills the bucket), "day2" (reads it)
    healthy: bool = False
    timeout: int = 900
    repeat: int = 1
    program: str = "function"  # or "simple" (bench/simple.py)

    def staged(self) -> dict[str, tuple[int, float]]:
        """action -> (calls, seconds) the emulator enforces in each region."""
        if self.quotas == "lifted":
            return {}
        scale = SCALE if self.quotas == "scaled" else 1
        return {a: (default_quota(a).calls, default_quota(a).seconds / scale) for a in ACTIONS}

    def describe(self) -> str:
        regions = "1 region" if self.regions == 1 else f"{self.regions} regions"
        quota = {"lifted": "no quota"}.get(self.quotas) or \
            ("200/60 s (published)" if self.quotas == "published" else f"200/{60 / SCALE:g} s ({SCALE}× the rate)")
        return (f"{self.size:,} instances, {regions}, latency {self.latency_ms} ms, {quota}, "
                f"API_QPS {self.qps:g}, MAX_CONCURRENCY {self.concurrency}")


def cases(quick: bool) -> list[Case]:
    big, huge = (2_000, 5_000) if quick else (10_000, 50_000)
    out = [
        Case("published", "wall, published quotas", 600, regions=1, qps=API_QPS, quotas="published", timeout=300),
        Case("rss-50k", f"peak RSS, {huge:,} instances", huge, latency_ms=0, qps=UNPACED, quotas="lifted"),
        Case("wall-1k", "wall, 1,000 instances", 1_000, regions=1),
        Case("wall-10k", f"wall, {big:,} instances", big),
        Case("calls-off", "calls, no archive", 1_000, latency_ms=0, qps=UNPACED, quotas="lifted", healthy=True),
        Case("calls-day1", "calls, archive day 1", 1_000, latency_ms=0, qps=UNPACED, quotas="lifted", healthy=True,
             archive="day1"),
        Case("calls-day2", "calls, archive day 2", 1_000, latency_ms=0, qps=UNPACED, quotas="lifted", healthy=True,
             archive="day2"),
        Case("function-1k", "function, no quota", 1_000, qps=UNPACED, quotas="lifted"),
        Case("simple-1k", "simple script, no quota", 1_000, qps=UNPACED, quotas="lifted", program="simple"),
        Case("simple-1k-quota", "simple script, 200/6 s", 1_000, regions=1, program="simple"),
        Case("cold", "cold start", 1, latency_ms=0, qps=UNPACED, quotas="lifted", repeat=4),
    ]
    return [c for c in out if not (quick and c.key == "published")]


def region_of(call, scenario) -> str:
    region = call.params.get("RegionId")
    if region:
        return region
    instance = scenario.instance(call.params.get("InstanceId", ""))
    return instance.region if instance else "-"


def floor_terms(case: Case, calls: list, scenario, cpu_s: float) -> dict:
    """The floor's terms (seconds) and which (region, API) sets the quota's."""
    n = len(calls) / case.repeat
    quota_s, binding = 0.0, ""
    staged = case.staged()
    arrived = Counter((region_of(c, scenario), c.action) for c in calls if c.code == "OK")
    for (region, action), k in sorted(arrived.items()):
        if action in staged:
            allowed, seconds = staged[action]
            t = max(0, k - allowed) / (allowed / seconds)
            if t > quota_s:
                quota_s, binding = t, f"{action} in {region}: {k:,} calls at {allowed}/{seconds:g} s"
    terms = {"latency": n * case.latency_ms / 1000 / case.concurrency, "quota": quota_s,
             "api_qps": n / case.qps, "cpu": cpu_s}
    return {"terms": terms, "floor_s": max(terms.values()), "bound_by": max(terms, key=terms.get),
            "quota_binding": binding}


def child_env(case: Case, sb, anchor: str) -> dict[str, str]:
    """The child's environment: this one's without its own credentials, the sandbox's, and the case's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    env.update(sb.env())
    if case.quotas == "published":
        env.pop("API_QUOTAS")  # the function's own figures: DescribeBackupPolicy's published, the rest assumed
    elif case.quotas == "scaled":
        env["API_QUOTAS"] = ",".join(f"{a}={c}/{s:g}" for a, (c, s) in case.staged().items())
    if case.archive:
        env.update(sb.archive_env(), POLICY_REFRESH_DAYS="7")
    env.update(INSTANCE_TAGS=f"{fleet.TAG_KEY}={fleet.TAG_VALUE}", MAX_CONCURRENCY=str(case.concurrency),
               API_QPS=f"{case.qps:g}", BENCH_TIMEOUT=str(case.timeout), BENCH_TRIGGER=anchor,
               BENCH_REPEAT=str(case.repeat), BENCH_FIGURES="1", BENCH_FC_REGION=sb.ARCHIVE_REGION)
    return env


def child_figures(case: Case, child: subprocess.CompletedProcess) -> dict:
    """What the child printed: the function's figures on its stdout, bench/simple.py's on its stderr."""
    if child.returncode != 0:
        raise SystemExit(f"bench: the case {case.key} failed:\n{child.stderr[-4000:]}")
    if case.program == "function":
        return json.loads(child.stdout.strip().splitlines()[-1])
    out = json.loads(child.stderr.strip().splitlines()[-1])
    out.update(counts={}, unchecked_regions=[], deliveries=[], walls_s=[out["wall_s"]])
    return out


def call_counts(calls: list) -> dict:
    """The calls the sandbox saw, by action, and how many were throttled or failed otherwise."""
    return {"by_action": dict(Counter(c.action for c in calls)),
            "throttled": sum(c.code.startswith("Throttling") for c in calls),
            "other_errors": sum(c.code != "OK" and not c.code.startswith("Throttling") for c in calls)}


def run_case(case: Case, bucket: dict | None = None) -> dict:
    """One case: its sandbox here, the program in a child process; every figure of it."""
    anchor = fleet.day(-1) if case.archive == "day1" else fleet.ANCHOR
    faults = [{"kind": "latency", "ms": case.latency_ms}] if case.latency_ms else []
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    scenario = fleet.scenario(case.size, faults, regions=case.regions, healthy=case.healthy, anchor=anchor)
    options = {"oss_objects": bucket} if case.archive else {}
    with sandbox.start(scenario, **options) as sb:
        setup = time.perf_counter() - t0
        window = WindowQuota(case.staged()).install(sb) if case.staged() else None
        env = child_env(case, sb, anchor)
        script = ROOT / "bench" / ("child.py" if case.program == "function" else "simple.py")
        parent_cpu = time.process_time()
        child = subprocess.run([sys.executable, str(script)], env=env, cwd=ROOT, capture_output=True, text=True)
        parent_cpu = time.process_time() - parent_cpu
        calls = sb.kvstore.calls
        posts = sum(len(hook.messages) for hook in (sb.dingtalk, sb.slack, sb.feishu, sb.wecom))
    out = child_figures(case, child)
    n = len(calls) // case.repeat
    row = {**out, "case": asdict(case), "calls": n, **call_counts(calls), "setup_s": setup, "posts": posts, "sandbox_cpu_s": parent_cpu, "load": [load0, os.getloadavg()[0]],
           "refused_by_window": window.refused if window else 0, "minimum": fleet.minimum_calls(
               fleet.instances(case.size, case.regions, case.healthy))}
    row.update(floor_terms(case, calls, scenario, out["cpu_s"]))
    if window is not None and row["quota_binding"]:
        row["timeline"] = timeline(window, row["quota_binding"])
    row["ratio"] = row["wall_s"] / row["floor_s"] if row["floor_s"] else 0.0
    return row


def timeline(window: WindowQuota, binding: str) -> dict:
    """The binding (region, API)'s admitted calls in each window length from the first call: how full the
    run kept the window that bounds it."""
    action, _, rest = binding.partition(" in ")
    region = rest.split(":")[0]
    _, seconds = window.quotas[action]
    t0 = window.arrivals[0][0] if window.arrivals else 0.0
    counts: Counter = Counter(int((t - t0) // seconds) for t, r, a, ok in window.arrivals
                              if ok and r == region and a == action)
    return {"region": region, "action": action, "seconds": seconds,
            "per_window": [counts[i] for i in range(max(counts) + 1)] if counts else []}


def import_figures(runs: int = IMPORT_RUNS) -> dict:
    """`import index` (from function/) and the SDK alone, each in a fresh interpreter, alternating; the
    in-process time of the import statement, median of `runs`; and -X importtime's heaviest modules."""
    code = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
    stmts = {"function": "import index",
             "sdk": "import alibabacloud_r_kvstore20150101.client, alibabacloud_tea_openapi"}
    times: dict[str, list[float]] = {k: [] for k in stmts}
    for r in range(runs + 1):  # the first round writes the function's own .pyc files (as the SDK's were at install)
        for name in (stmts if r % 2 else reversed(list(stmts))):
            done = subprocess.run([sys.executable, "-c", code.format(stmt=stmts[name])], cwd=FUNCTION,
                                  capture_output=True, text=True, check=True)
            if r:
                times[name].append(float(done.stdout.strip().splitlines()[-1]))
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {"function_s": medians["function"], "sdk_s": medians["sdk"], "runs": runs, "all": times,
            "ratio": medians["function"] / medians["sdk"], "heaviest": heaviest_imports()}


def heaviest_imports() -> list[str]:
    """-X importtime's modules of `import index` with the most cumulative time (20 ms or more, at most 8)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import index"], cwd=FUNCTION,
                          capture_output=True, text=True, check=True)
    cumulative = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
            cumulative[parts[2].strip()] = int(parts[1]) / 1000
    heavy = sorted(((ms, name) for name, ms in cumulative.items() if not name.startswith(" ") and ms >= 20),
                   reverse=True)[:8]
    return [f"{name.strip()} {ms:.0f} ms" for ms, name in heavy]


def micro_figures(calls: int = MICRO_CALLS) -> dict:
    """bench/micro.py in a child against a sandbox of 100 standard instances, no latency, no quota."""
    scenario = fleet.scenario(100, [], regions=1, healthy=True)
    with sandbox.start(scenario) as sb:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
        env.update(sb.env(), BENCH_REGION=fleet.REGIONS[0], BENCH_TRIGGER=fleet.ANCHOR, BENCH_MICRO_CALLS=str(calls),
                   BENCH_IDS=",".join(i.id for i in scenario.instances if i.architecture == "standard"))
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "micro.py")], env=env, cwd=ROOT,
                              capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench: the CPU micro-benchmark failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def package_figures(build: bool) -> dict:
    """The zip's size: dist/'s if there, else one built in a temporary directory when `build`."""
    if ZIP.exists():
        return {"bytes": ZIP.stat().st_size, "source": f"dist/{ZIP.name}, built "
                f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(ZIP.stat().st_mtime))}"}
    if not build:
        return {"bytes": None, "source": "not measured: no dist/redis-backup-report.zip (make build, or --build)"}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build.py"), "--out", tmp], cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode != 0:
            return {"bytes": None, "source": f"scripts/build.py failed: {done.stderr.strip()[-300:]}"}
        size = (Path(tmp) / ZIP.name).stat().st_size
        return {"bytes": size, "source": f"scripts/build.py into a temporary directory ({time.perf_counter() - t0:.0f} s)"}


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(l.split(":", 1)[1].strip() for l in info if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} CPUs (nproc; {model}), Python {platform.python_version()}, {platform.system()}"


# --- the table -----------------------------------------------------------------------------------------------

def unchecked(r: dict) -> int:
    if r["case"]["program"] != "function":
        return r["errors"]
    return r["counts"].get("error", 0) + (r["case"]["size"] - r["instances"]) + len(r["unchecked_regions"])


def line(measure: str, case: str, figure: str, ratio: float | None, target: float | None,
         unit: str = "×") -> dict:
    """One line of the table: what, figure, target, ratio, whether it holds (None: no target)."""
    holds = None if target is None or ratio is None else ratio <= target
    return {"measure": measure, "case": case, "figure": figure, "ratio": ratio, "target": target, "unit": unit,
            "holds": holds}


def wall_lines(rows: dict[str, dict]) -> list[dict]:
    out = []
    for key in ("wall-1k", "wall-10k", "published"):
        if key in rows:
            r = rows[key]
            t = r["terms"]
            out.append(line("1 wall ÷ floor", Case(**r["case"]).describe(),
                            f"{r['wall_s']:.1f} s ÷ {r['floor_s']:.1f} s (latency {t['latency']:.1f}, quota "
                            f"{t['quota']:.1f}, API_QPS {t['api_qps']:.1f}, CPU {t['cpu']:.1f}; "
                            f"{r['throttled']} throttled)", r["ratio"], TARGETS["wall"]))
    return out


def calls_lines(rows: dict[str, dict]) -> list[dict]:
    out = []
    for key, target in (("calls-day2", TARGETS["calls"]), ("calls-day1", None), ("calls-off", None)):
        if key in rows:
            r = rows[key]
            policies = r["by_action"].get("DescribeBackupPolicy", 0)
            out.append(line("2 calls ÷ minimum", r["case"]["title"] + f" ({r['case']['size']:,} instances, healthy)",
                            f"{r['calls']:,} ÷ {r['minimum']:,} ({policies:,} DescribeBackupPolicy)",
                            r["calls"] / r["minimum"], target))
    return out


def cpu_lines(rows: dict[str, dict], figures: dict) -> list[dict]:
    if "micro" not in figures:
        return []
    m = figures["micro"]
    out = [line("3 CPU per call ÷ raw SDK", f"{m['calls_each']:,} DescribeBackups each, no latency, one thread",
                f"{m['edge']['process_cpu_ms']:.2f} ms ÷ {m['raw']['process_cpu_ms']:.2f} ms (calling thread only: "
                f"{m['edge']['thread_cpu_ms']:.2f} ÷ {m['raw']['thread_cpu_ms']:.2f}); median of {m['rounds']} "
                "paired rounds", m["ratio"], TARGETS["cpu"]),
           line("3 CPU per call ÷ raw SDK",
                "the same edge, watchdog.watch swapped for one that keeps no deadline (bench only)",
                f"{m['bare']['process_cpu_ms']:.2f} ms ÷ {m['raw']['process_cpu_ms']:.2f} ms", m["bare_ratio"], None)]
    for key in ("wall-10k", "function-1k"):
        if key in rows:
            r = rows[key]
            per = 1000 * r["cpu_s"] / max(r["calls"], 1)
            out.append(line("3 CPU per call ÷ raw SDK", f"the whole run, {r['case']['size']:,} instances ({key})",
                            f"{per:.2f} ms ({r['cpu_s']:.1f} s ÷ {r['calls']:,} calls) ÷ "
                            f"{m['raw']['process_cpu_ms']:.2f} ms", per / m["raw"]["process_cpu_ms"], None))
    return out


def rss_lines(rows: dict[str, dict]) -> list[dict]:
    out = []
    for key, target in (("wall-10k", "rss_10k"), ("rss-50k", "rss_50k")):
        if key in rows:
            r = rows[key]
            out.append(line("4 peak RSS (MB)", f"{r['case']['size']:,} instances ({key})",
                            f"{r['peak_rss_mb']:.0f} MB ({r['rss_import_mb']:.0f} MB after import)", r["peak_rss_mb"],
                            TARGETS[target], unit="MB"))
    return out


def import_lines(figures: dict) -> list[dict]:
    if "import" not in figures:
        return []
    i = figures["import"]
    return [line("5 import ÷ SDK alone", f"fresh interpreter, median of {i['runs']}",
                 f"{1000 * i['function_s']:.0f} ms ÷ {1000 * i['sdk_s']:.0f} ms", i["ratio"], TARGETS["import"])]


def simple_lines(rows: dict[str, dict]) -> list[dict]:
    out = []
    if "function-1k" in rows and "simple-1k" in rows:
        f, s = rows["function-1k"], rows["simple-1k"]
        out += [line("6 function ÷ simple script", "1,000 instances, 4 regions, latency 50 ms, no quota: wall",
                     f"{f['wall_s']:.1f} s ÷ {s['wall_s']:.1f} s", f["wall_s"] / s["wall_s"], None),
                line("6 function ÷ simple script", "the same: calls", f"{f['calls']:,} ÷ {s['calls']:,}",
                     f["calls"] / s["calls"], None),
                line("6 function ÷ simple script", "the same: peak RSS",
                     f"{f['peak_rss_mb']:.0f} MB ÷ {s['peak_rss_mb']:.0f} MB", f["peak_rss_mb"] / s["peak_rss_mb"],
                     None)]
    if "simple-1k-quota" in rows and "wall-1k" in rows:
        f, s = rows["wall-1k"], rows["simple-1k-quota"]
        out.append(line("6 function ÷ simple script", f"under {Case(**s['case']).describe()}: instances not checked",
                        f"function {unchecked(f)}, script {s['errors']:,} of {s['instances']:,} "
                        f"({s['throttled']:,} calls throttled)", None, None))
    return out


def package_lines(figures: dict) -> list[dict]:
    if "package" not in figures:
        return []
    p = figures["package"]
    mib = p["bytes"] / 2 ** 20 if p["bytes"] else None
    return [line("7 package (MiB, zipped)", p["source"], f"{mib:.1f} MiB" if mib else "–", mib, TARGETS["zip_mib"],
                 unit="MiB")]


def targets(rows: dict[str, dict], figures: dict) -> list[dict]:
    """One line per measure, in the table's order (see line)."""
    return (wall_lines(rows) + calls_lines(rows) + cpu_lines(rows, figures) + rss_lines(rows)
            + import_lines(figures) + simple_lines(rows) + package_lines(figures)
            + (accounts.lines(figures["accounts"], line) if "accounts" in figures else []))


def table(lines: list[dict]) -> str:
    out = ["| measure | case | figure | ratio | target | holds |", "|---|---|---|---|---|---|"]
    for line in lines:
        ratio = "–" if line["ratio"] is None else (f"{line['ratio']:.0f} {line['unit']}" if line["unit"] != "×"
                                                   else f"{line['ratio']:.2f}×")
        if line["unit"] == "MiB" and line["ratio"] is not None:
            ratio = f"{line['ratio']:.1f} MiB"
        target = "–" if line["target"] is None else (f"≤ {line['target']:g} {line['unit']}" if line["unit"] != "×"
                                                     else f"≤ {line['target']:g}×")
        holds = {True: "yes", False: "**no**", None: "–"}[line["holds"]]
        out.append(f"| {line['measure']} | {line['case']} | {line['figure']} | {ratio} | {target} | {holds} |")
    return "\n".join(out)


def runs_table(rows: dict[str, dict]) -> str:
    head = ("| case | program | instances | regions | latency ms | quota | API_QPS | calls | throttled | floor s "
            "(bound) | wall s | wall/floor | CPU s | run queue s | peak RSS MB | unchecked | load |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for key, r in rows.items():
        c = Case(**r["case"])
        quota = {"lifted": "–", "published": "200/60 s"}.get(c.quotas, f"200/{60 / SCALE:g} s")
        out.append(f"| {key} | {c.program} | {c.size:,} | {c.regions} | {c.latency_ms} | {quota} | {c.qps:g} "
                   f"| {r['calls']:,} | {r['throttled']:,} | {r['floor_s']:.1f} ({r['bound_by']}) | {r['wall_s']:.1f} "
                   f"| {r['ratio']:.2f} | {r['cpu_s']:.1f} | {r.get('runqueue_s', 0):.1f} | {r['peak_rss_mb']:.0f} "
                   f"| {unchecked(r):,} "
                   f"| {r['load'][0]:.1f}–{r['load'][1]:.1f} |")
    return "\n".join(out)


def line_problems(lines: list[dict]) -> list[str]:
    """A MISSED line for each target not met or not measured."""
    problems = []
    for line in lines:
        if line["holds"] is False:
            problems.append(f"{line['measure']}: {line['case']}: {line['figure']} = "
                            + (f"{line['ratio']:.2f}×" if line["unit"] == "×" else f"{line['ratio']:.1f} {line['unit']}")
                            + f" (target ≤ {line['target']:g}{'×' if line['unit'] == '×' else ' ' + line['unit']})")
        elif line["holds"] is None and line["target"] is not None:
            problems.append(f"{line['measure']}: {line['case']}: not measured")
    return problems


def row_problems(key: str, r: dict) -> list[str]:
    """A MISSED line for each of a function case's instances left unchecked, a failed archive, a lost post."""
    problems = []
    if unchecked(r):
        problems.append(f"{key}: instances left unchecked: {r['counts'].get('error', 0)} error verdicts, "
                        f"{r['case']['size'] - r['instances']} missing, regions {r['unchecked_regions']}")
    if r["case"]["archive"] and not (r.get("archive") or {}).get("ok"):
        problems.append(f"{key}: the archive failed: {(r.get('archive') or {}).get('errors')}")
    if not all(d["ok"] for d in r["deliveries"]) or r["posts"] != 4 * r["case"]["repeat"]:
        problems.append(f"{key}: deliveries {r['deliveries']}, {r['posts']} posts")
    return problems


def missed(lines: list[dict], rows: dict[str, dict], figures: dict) -> list[str]:
    problems = line_problems(lines)
    if "accounts" in figures:
        problems += accounts.problems(figures["accounts"])
    for key, r in rows.items():
        if r["case"]["program"] == "function":
            problems += row_problems(key, r)
    return problems


def summary_case(line: dict) -> str:
    """A line's case, short: a wall case by its instances, regions and quota (Case.describe's parts 1, 2
    and 4: "1,000 instances, 1 region, 200/6 s (10× the rate)"), any other up to its first parenthesis."""
    if line["measure"].startswith("1"):
        return ", ".join(part for k, part in enumerate(line["case"].split(", ")) if k in (0, 1, 3))
    return line["case"].split(" (")[0]


def summary(lines: list[dict], took: float) -> str:
    """docs/performance.md's short table (between its bench:summary markers)."""
    out = ["| measure | figure | target | holds |", "|---|---|---|---|"]
    for line in lines:
        if line["target"] is None:
            continue
        ratio = (f"{line['ratio']:.2f}×" if line["unit"] == "×" else f"{line['ratio']:.1f} {line['unit']}") \
            if line["ratio"] is not None else "–"
        target = f"≤ {line['target']:g}{'×' if line['unit'] == '×' else ' ' + line['unit']}"
        case = summary_case(line)
        out.append(f"| {line['measure']}, {case} | {ratio} | {target} | "
                   f"{ {True: 'yes', False: 'no', None: '–'}[line['holds']]} |")
    out.append(f"\n`make bench` took {took / 60:.0f} min on {machine()}.")
    return "\n".join(out)


def write_readme(text: str, path: Path = README) -> None:
    """`text` between the page's bench:summary markers (docs/performance.md), the rest of it as it was."""
    readme = path.read_text(encoding="utf-8")
    start, end = readme.index(SUMMARY_START) + len(SUMMARY_START), readme.index(SUMMARY_END)
    path.write_text(readme[:start] + "\n" + text + "\n" + readme[end:], encoding="utf-8")


# --- main ----------------------------------------------------------------------------------------------------

def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def background(keys: list[str]) -> tuple[subprocess.Popen, Path]:
    """`python -m bench.run --only KEYS --json-out FILE` in the background: its own sandbox and child."""
    out = Path(tempfile.mkstemp(prefix="bench-", suffix=".json")[1])
    proc = subprocess.Popen([sys.executable, "-m", "bench.run", "--only", ",".join(keys), "--json-out", str(out),
                             "--no-extras"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return proc, out


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller fleets (2,000 and 5,000), no published case")
    parser.add_argument("--only", default="", help="comma-separated case keys (see cases()); implies --no-extras "
                                                   "unless import, micro, package or accounts are named")
    parser.add_argument("--no-extras", action="store_true", help="no import, CPU micro-benchmark, package or accounts figures")
    parser.add_argument("--no-build", action="store_true", help="when dist/ has no package, say so rather than "
                                                                "build one into a temporary directory (~30 s)")
    parser.add_argument("--json", action="store_true", help="also print every figure as JSON")
    parser.add_argument("--json-out", default="", help="write every figure as JSON to this file")
    parser.add_argument("--readme", action="store_true",
                        help="write the summary between docs/performance.md's bench:summary markers")
    return parser.parse_args(argv)


def measure_extras(extras: list[str], build: bool, figures: dict) -> threading.Thread | None:
    """The import and CPU figures into `figures`, now; the package's in a thread returned (None: not measured)."""
    if "import" in extras:
        progress("import: `import index` and the SDK alone, alternating, fresh interpreters …")
        figures["import"] = import_figures()
        progress(f"  {1000 * figures['import']['function_s']:.0f} ms ÷ {1000 * figures['import']['sdk_s']:.0f} ms")
    if "micro" in extras:
        progress(f"CPU: {MICRO_CALLS:,} DescribeBackups through the KVStore edge and the raw SDK …")
        figures["micro"] = micro_figures()
        progress(f"  {figures['micro']['edge']['process_cpu_ms']:.2f} ms ÷ {figures['micro']['raw']['process_cpu_ms']:.2f} ms")
    if "package" not in extras:
        return None
    # built (when dist/ has none) beside the cases that follow: pip waits on its disk
    package = threading.Thread(target=lambda: figures.__setitem__("package", package_figures(build)))
    package.start()
    return package


def start_beside(chosen: list[Case]) -> tuple[tuple[subprocess.Popen, Path] | None, list[str], list[Case]]:
    """Beside the 50,000-instance case, whose figure is its memory, not its wall, run (in a process of their
    own) the case at the published quotas, which waits most of its two minutes for its windows, and the
    calls cases, whose figures are counts: neither is moved by the CPU the other takes. Returns the
    background process (None: none started), the keys it runs and the cases left to run here."""
    aside = [c.key for c in chosen if c.key in BESIDE]
    if not (len(chosen) > len(aside) and any(c.key == "rss-50k" for c in chosen) and aside):
        return None, aside, chosen
    side = background(aside)
    progress(f"{', '.join(aside)}: started in the background, beside rss-50k")
    return side, aside, [c for c in chosen if c.key not in aside]


def run_cases(chosen: list[Case]) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    bucket: dict = {}
    for n, case in enumerate(chosen, 1):
        progress(f"[{n}/{len(chosen)}] {case.key}: {case.describe()}{', ' + case.archive if case.archive else ''} …")
        rows[case.key] = run_case(case, bucket if case.archive else None)
        r = rows[case.key]
        progress(f"  wall {r['wall_s']:.1f} s, floor {r['floor_s']:.1f} s ({r['bound_by']}), {r['calls']:,} calls, "
                 f"{r['throttled']} throttled, CPU {r['cpu_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB "
                 f"(sandbox setup {r['setup_s']:.1f} s)")
    return rows


def join_beside(side: tuple[subprocess.Popen, Path], aside: list[str], rows: dict[str, dict]) -> dict[str, dict]:
    """The background cases' rows first, then `rows`."""
    proc, path = side
    _, err = proc.communicate()
    if proc.returncode not in (0, 1) or not path.stat().st_size:  # 1: a target missed, said here
        raise SystemExit(f"bench: the published case failed:\n{err[-4000:]}")
    rows = {**json.loads(path.read_text())["rows"], **rows}
    path.unlink()
    for key in aside:
        r = rows[key]
        progress(f"{key} (background): wall {r['wall_s']:.1f} s, floor {r['floor_s']:.1f} s ({r['bound_by']}), "
                 f"{r['calls']:,} calls, {r['throttled']} throttled")
    return rows


def join_package(package: threading.Thread, figures: dict) -> None:
    package.join()
    p = figures["package"]
    progress(f"package: {p['bytes'] / 2 ** 20:.1f} MiB ({p['source']})" if p["bytes"] else f"package: {p['source']}")


def report(lines: list[dict], rows: dict[str, dict], figures: dict, aside: list[str] | None, took: float) -> None:
    """The tables and the notes below them (`aside`: the keys run beside rss-50k, None when none were)."""
    print()
    print(table(lines))
    print()
    if rows:
        print(runs_table(rows))
        print()
    if "cold" in rows:
        c = rows["cold"]
        print(f"cold start: first invocation (1 instance, no latency) {1000 * c['walls_s'][0]:.0f} ms, then "
              f"{1000 * min(c['walls_s'][1:]):.0f} ms warm; RSS {c['rss_import_mb']:.0f} MB after import")
    if "accounts" in figures:
        print(accounts.invocations_table(figures["accounts"]))
        print()
    if "import" in figures:
        print("where import index goes (-X importtime, cumulative): " + "; ".join(figures["import"]["heaviest"]))
    if aside is not None:
        print(f"{', '.join(aside)} ran beside rss-50k, in processes of their own: rss-50k's wall is no figure here")
    print(f"bench took {took:.0f} s")


def select(args: argparse.Namespace) -> tuple[set[str], list[Case], list[str]]:
    """The keys named by --only, the cases to run and the extras to measure."""
    only = {k for k in args.only.split(",") if k}
    chosen = [c for c in cases(args.quick) if not only or c.key in only]
    extras = [] if args.no_extras else [k for k in ("import", "micro", "package", "accounts") if not only or k in only]
    return only, chosen, extras


def verdict(lines: list[dict], rows: dict[str, dict], figures: dict) -> int:
    """The MISSED lines printed; 1 when there are any."""
    problems = missed(lines, rows, figures)
    for p in problems:
        print(f"MISSED: {p}")
    if not problems:
        print("all targets hold")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    only, chosen, extras = select(args)
    progress(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    figures: dict = {}
    package = measure_extras(extras, not args.no_build, figures)
    side, aside, chosen = start_beside(chosen)
    rows = run_cases(chosen)
    if side is not None:
        rows = join_beside(side, aside, rows)
    if "accounts" in extras:  # after the cases: its ten processes at once would move their walls
        figures["accounts"] = accounts.measure(args.quick)
    if package is not None:
        join_package(package, figures)
    took = time.perf_counter() - started
    lines = targets(rows, figures)
    everything = {"machine": machine(), "took_s": took, "figures": figures, "rows": rows, "targets": lines}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(everything, indent=1))
    if only and not lines:
        return 0
    report(lines, rows, figures, aside if side is not None else None, took)
    if args.json:
        print(json.dumps(everything, indent=1))
    status = verdict(lines, rows, figures)
    if args.readme:
        write_readme(summary(lines, took))
    return status


if __name__ == "__main__":
    sys.exit(main())
