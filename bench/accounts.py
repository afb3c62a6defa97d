"""`make bench`'s many-accounts case (issue 25): a Resource Directory fleet read in pieces, one FC async task an
account, collected into one digest; measured on a sample, computed for 200 accounts × 500 instances.

Measured (on the sandbox, each FC invocation in a process of its own, bench/invoke_child.py, as FC runs each on
an instance of its own):
  1 a real fanned-out run: ACCOUNTS=resource-directory, ACCOUNTS_PER_INVOCATION=1, the archive on, FC's async
    tasks capped at RESERVED_CONCURRENCY (10, s.yaml's reservedConcurrency) at once, SAMPLE accounts (the
    directory's management account and its members) of INSTANCES instances each in 4 regions (bench/fleet.py's
    layout, half in cn-hangzhou), 50 ms a call, every account's R-KVStore quotas staged at the function's own
    figures (200/60 s a (region, API), cloud/pacing.py; API_QUOTAS unset) in windows of its own: each piece's
    wall, CPU and peak RSS, the run's R-KVStore, STS, ResourceManager and FC calls and OSS requests, the collect's
    wall and peak RSS; then one `collect` timer invocation (s.yaml's second timer, every 15 minutes);
  2 one collect over ACCOUNTS pieces of INSTANCES instances: the sample's piece results copied, each under an
    account and instance IDs of its own, with a manifest of them, into a fresh bucket; the collect's async task
    run alone in a child (wall, peak RSS, OSS requests).
Computed (no run): the floor of ACCOUNTS pieces (each account's own windows, in waves of RESERVED_CONCURRENCY),
the pieces' total wall from the sample's measured ratio to its floor, and one day's cost in FC compute units
and OSS requests at the prices docs/deploy.md cites.

    python -m bench.run --only accounts [--quick]     (--quick: a sample of 10 accounts, one wave)
"""
from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

import sandbox
from sandbox.demo import fc_context
from sandbox.oss import StoredObject
from sandbox.scenario import load

from . import fleet
from .quota import WindowQuota

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "function"))

from backup_report.cloud.pacing import ACTIONS, default_quota  # noqa: E402
from backup_report.fanout import manifest as mf  # noqa: E402
from backup_report.settings import Settings  # noqa: E402

CHILD = ROOT / "bench" / "invoke_child.py"
HOME = "1000000000000001"  # the directory's management account, the function's own (sandbox.fleet.HOME_ACCOUNT)
ACCOUNTS, INSTANCES, REGIONS = 200, 500, 4  # the fleet
SAMPLE, QUICK_SAMPLE = 20, 10
LATENCY_MS = 50
CAP = mf.RESERVED_CONCURRENCY
COLLECT_EVERY_MIN = 15  # s.yaml's `collect` timer: 0 */15 * * * *
FC_TIMEOUT = 300  # s.yaml's timeout, what each invocation's context says


def account_id(n: int) -> str:
    """The n-th account of the fleet: the management account first, then its members."""
    return HOME if n == 0 else str(2_000_000_000_000_000 + n)


def prefix(n: int) -> str:
    """The instance IDs' prefix of account n (IDs are unique across the accounts)."""
    return f"r-a{n:03d}"


def account_fleet(n: int, size: int) -> list[dict]:
    specs = fleet.instances(size, REGIONS)
    for k, spec in enumerate(specs):
        spec["id"] = f"{prefix(n)}{k:05d}"
    return specs


def scenario_spec(accounts: int, size: int) -> dict:
    """A Resource Directory of `accounts` accounts (the management account and its members), each with `size`
    instances and 50 ms a call."""
    faults = [{"kind": "latency", "ms": LATENCY_MS}]
    members = [{"id": account_id(n), "name": f"team-{n:03d}", "instances": account_fleet(n, size), "faults": faults}
               for n in range(1, accounts)]
    return {"seed": 0, "account": HOME, "resource_directory": True, "instances": account_fleet(0, size),
            "faults": faults, "accounts": members}


def published() -> dict[str, tuple[int, float]]:
    """Each R-KVStore action's quota as the function assumes it (cloud/pacing.py), staged on the emulator."""
    return {a: (default_quota(a).calls, default_quota(a).seconds) for a in ACTIONS}


class Instances:
    """The function as FC runs it: each invocation a process of its own (bench/invoke_child.py); what each one
    measured in `runs` (with `kind`: start, piece, collect, collect-timer)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.runs: list[dict] = []
        self._lock = threading.Lock()

    def __call__(self, event: bytes, context) -> str:
        fields = {"request_id": context.request_id, "region": context.region, "account_id": context.account_id,
                  "credentials": vars(context.credentials), "function": vars(context.function)}
        t0 = time.time()
        done = subprocess.run([sys.executable, str(CHILD)], input=event, cwd=ROOT, capture_output=True,
                              env={**self.env, "BENCH_CONTEXT": json.dumps(fields)})
        if done.returncode != 0:
            raise RuntimeError(f"the invocation's process failed: {done.stderr.decode()[-2000:]}")
        out = json.loads(done.stdout.decode().strip().splitlines()[-1])
        out.update(kind=kind_of(event), started=t0, ended=time.time())
        with self._lock:
            self.runs.append(out)
        if "error" in out:
            raise RuntimeError(out["error"])
        return out["result"]

    def of(self, kind: str) -> list[dict]:
        with self._lock:
            return [r for r in self.runs if r["kind"] == kind and "error" not in r]


def kind_of(event: bytes) -> str:
    body = json.loads(event)
    if "piece" in body or "collect" in body:
        return "piece" if "piece" in body else "collect"
    return "collect-timer" if body.get("triggerName") == "collect" else "start"


def count_fc(sb) -> Counter:
    """The FC API calls the function makes, by operation (the emulator lists InvokeFunction only)."""
    counts: Counter = Counter()
    lock = threading.Lock()
    inner = sb.fc.handle_request

    def handle(method, path, query, headers, body, raw_query):
        op = "InvokeFunction" if path.endswith("/invocations") else \
            "GetAsyncTask" if "/async-tasks/" in path else "ListAsyncTasks"
        with lock:
            counts[op] += 1
        return inner(method, path, query, headers, body, raw_query)

    sb.fc.handle_request = handle
    return counts


def function_env(sb) -> dict[str, str]:
    """The function's environment on the sandbox: its settings, the archive on, every account of the directory
    in a piece of its own, the published quotas (API_QUOTAS unset); credentials from the context, as on FC."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    env.update(sb.env(), **sb.archive_env(), INSTANCE_TAGS=f"{fleet.TAG_KEY}={fleet.TAG_VALUE}",
               ACCOUNTS="resource-directory", ACCOUNTS_PER_INVOCATION="1")
    for name in ("API_QUOTAS", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                 "ALIBABA_CLOUD_SECURITY_TOKEN"):
        env.pop(name)
    return env


def context(sb, request_id: str):
    return fc_context(sb.credentials, region=sb.ARCHIVE_REGION, request_id=request_id, timeout=FC_TIMEOUT,
                      account_id=sb.account)


def timer_event(name: str, at: str) -> bytes:
    return json.dumps({"triggerTime": at, "triggerName": name, "payload": "{}"}).encode()


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- 1: a real fanned-out run on a sample ---------------------------------------------------------------------

def record_oss(sb) -> list[tuple[float, str, str]]:
    """(time, method, key or "?list") of each OSS request, as they arrive (to tell the start's, the pieces' and
    the collect's apart by when they came)."""
    seen: list[tuple[float, str, str]] = []
    inner = sb.oss.handle_request

    def handle(method, path, query, headers, body, raw_query):
        key = unquote(path.lstrip("/").partition("/")[2])  # as sandbox/oss.py records it
        seen.append((time.time(), method, key or "?list"))
        return inner(method, path, query, headers, body, raw_query)

    sb.oss.handle_request = handle
    return seen


def oss_by_part(seen: list[tuple[float, str, str]], pieces_from: float, collect_from: float) -> dict[str, dict]:
    """The run's OSS requests by the part that made them: the start's come before the first piece's attempt
    (it writes the manifest, then starts the pieces), the collect's after its own attempt began (the last piece
    starts it once its own result is written), the pieces' between."""
    parts: dict[str, list] = {"start": [], "pieces": [], "collect": []}
    for at, method, key in seen:
        part = "start" if at < pieces_from else "collect" if at >= collect_from else "pieces"
        parts[part].append((method, key))
    return {part: oss_counts(requests) for part, requests in parts.items()}


def calls_by_window(calls: list, scenario) -> dict[str, Counter]:
    """Each account's R-KVStore calls answered, by (region, API): what its own quota windows saw."""
    out: dict[str, Counter] = {}
    for call in calls:
        if call.code != "OK":
            continue
        region = call.params.get("RegionId")
        if not region:
            instance = scenario.fleet(call.account).instance(call.params.get("InstanceId", ""))
            region = instance.region if instance else "-"
        out.setdefault(call.account, Counter())[(region, call.action)] += 1
    return out


def pieces_of(sb, fn: Instances) -> list[dict]:
    """Each piece: its FC task's attempt (started and ended, spawn and import included) and what its process
    measured."""
    runs = {json.loads(r["result"])["fanout"]["piece"]: r for r in fn.of("piece")}
    out = []
    for task_id, task in sb.fc.tasks.items():
        if task_id.endswith("-collect"):
            continue
        index = int(task_id.rsplit("-", 1)[1])
        out.append({**{k: runs[index][k] for k in FIGURES}, "index": index, "status": task.status,
                    "attempts": len(task.attempts), "started": task.started, "ended": task.ended})
    return sorted(out, key=lambda p: p["index"])


def fan_out(accounts: int, size: int) -> dict:
    """The sample's run, measured: every figure of its invocations, calls and requests (see the module's 1)."""
    t0 = time.perf_counter()
    scenario = load(scenario_spec(accounts, size), fleet.ANCHOR)
    with sandbox.start(scenario, fc_options={"concurrency": CAP}) as sb:
        setup = time.perf_counter() - t0
        windows = [WindowQuota(published()).install(sb, a) for a in scenario.account_ids]
        fn = Instances(function_env(sb))
        sb.fc.functions[sb.FUNCTION_NAME] = fn
        fc_calls, seen = count_fc(sb), record_oss(sb)
        begun = time.time()
        started = json.loads(fn(timer_event("daily", fleet.ANCHOR), context(sb, "bench-accounts-0001")))
        if not sb.fc.wait(1800):
            raise SystemExit("bench: accounts: the pieces did not end within 30 minutes")
        pieces = pieces_of(sb, fn)
        collect_task = sb.fc.tasks[mf.task_id(started["fanout"]["run"], "collect")]
        run = {"setup_s": setup, "started": started, "begun": begun, "pieces": pieces,
               "collect": {**{k: fn.of("collect")[0][k] for k in FIGURES}, "started": collect_task.started,
                           "ended": collect_task.ended},
               "oss": oss_by_part(seen, min(p["started"] for p in pieces), collect_task.started),
               "fc": dict(fc_calls), "start": {k: fn.of("start")[0][k] for k in FIGURES}, **call_figures(sb, windows),
               "posts": sum(len(h.messages) for h in (sb.dingtalk, sb.slack, sb.feishu, sb.wecom)),
               "pings": [p.signal for p in sb.heartbeat.pings],
               "objects": {k: o.body for k, o in sb.oss.objects.items() if "/manifests/" in k or "/pieces/" in k}}
        run["result"] = collected(fn.of("collect")[0]["result"])
        run["collect_timer"] = collect_timer(sb, fn, fc_calls)
    return run


def call_figures(sb, windows: list[WindowQuota]) -> dict:
    """The run's calls: each account's R-KVStore calls by window, and the counts of every service's."""
    kvstore = sb.kvstore.calls
    return {"windows": {a: {f"{r} {act}": k for (r, act), k in c.items()}
                        for a, c in calls_by_window(kvstore, sb.scenario).items()},
            "calls": {"kvstore": len(kvstore), "sts": len(sb.sts.calls), "resourcemanager": len(sb.resourcemanager.calls),
                      "by_action": dict(Counter(c.action for c in kvstore)),
                      "throttled": sum(c.code.startswith("Throttling") for c in kvstore),
                      "refused_by_window": sum(w.refused for w in windows)}}


def collected(raw: str) -> dict:
    result = json.loads(raw)
    return {"status": result["status"], "instances": len(result["instances"]),
            "unchecked_accounts": len(result.get("unchecked_accounts", [])),
            "collected": result.get("fanout", {}).get("collected"), "counts": {k: v for k, v in
                                                                                result["counts"].items() if v}}


def collect_timer(sb, fn: Instances, fc_calls: Counter) -> dict:
    """One invocation of s.yaml's `collect` timer after the run was posted (what each of its 96 a day does when
    nothing is due): its figures, OSS requests and FC calls."""
    requests, fc_before = len(sb.oss.requests), sum(fc_calls.values())
    raw = fn(timer_event("collect", utc_now()), context(sb, "bench-collect-timer-0001"))
    return {**{k: fn.of("collect-timer")[0][k] for k in FIGURES}, "status": json.loads(raw)["status"],
            "oss": oss_counts(sb.oss.requests[requests:]), "fc": sum(fc_calls.values()) - fc_before}


# --- 2: one collect over many pieces, alone ------------------------------------------------------------------

def synthesized(objects: dict[str, bytes], pieces: int) -> tuple[dict[str, StoredObject], dict]:
    """A run of `pieces` pieces made of a sampled run's objects (key -> body: its manifest and piece results):
    piece i is a copy of a sampled one (the management account's for 0, the members' in turn for the rest) under
    account i's ID, name and instance IDs, in a run of its own (a new RUN_ID, its manifest naming them all).
    Returns the bucket's objects and the collect task's event."""
    key = next(k for k in objects if "/manifests/" in k)
    manifest = json.loads(objects[key])
    sampled = len(manifest["pieces"])
    run = mf.run_id(datetime.now(timezone.utc), f"bench-collect-{pieces}")
    folder = key.replace("/manifests/", "/pieces/").removesuffix(".json").rsplit("/", 1)[0] + f"/{run}/"
    source = key.replace("/manifests/", "/pieces/").removesuffix(".json") + "/"
    template = manifest["pieces"]
    bucket: dict[str, StoredObject] = {}
    for i in range(pieces):
        src = 0 if i == 0 else (i - 1) % (sampled - 1) + 1
        text = objects[f"{source}{src}.json"].decode().replace(account_id(src), account_id(i)) \
            .replace(f'"{prefix(src)}', f'"{prefix(i)}')
        body = json.loads(text)
        body.update(run=run, index=i)
        bucket[f"{folder}{i}.json"] = StoredObject(json.dumps(body).encode(), "application/json")
    manifest.update(run=run, pieces=[
        {"index": i, "account": {**template[0 if i == 0 else 1]["account"], "account_id": account_id(i),
                                 **({"name": f"team-{i:03d}"} if i else {})}} for i in range(pieces)])
    bucket[key.rsplit("/", 1)[0] + f"/{run}.json"] = StoredObject(json.dumps(manifest).encode(), "application/json")
    event = {"collect": {"run": run, "day": manifest["day"], "trigger": manifest["trigger_name"]}}
    return bucket, event


def collect_alone(objects: dict[str, bytes], pieces: int) -> dict:
    """The collect task of a synthesized run of `pieces` pieces, in a child: its figures, its OSS requests, and
    what its result says (instances, accounts not checked)."""
    bucket, event = synthesized(objects, pieces)
    stored = sum(len(o.body) for o in bucket.values())
    home = {"seed": 0, "account": HOME, "resource_directory": True, "instances": account_fleet(0, 1)}
    with sandbox.start(load(home, fleet.ANCHOR), oss_objects=bucket) as sb:
        fn = Instances(function_env(sb))
        sb.fc.functions[sb.FUNCTION_NAME] = fn
        raw = fn(json.dumps(event).encode(), context(sb, f"bench-collect-{pieces}"))
        requests = oss_counts(sb.oss.requests)
        posts = sum(len(hook.messages) for hook in (sb.dingtalk, sb.slack, sb.feishu, sb.wecom))
    result = json.loads(raw)
    run = fn.of("collect")[0]
    return {**{k: run[k] for k in FIGURES}, "pieces": pieces, "stored_bytes": stored, "oss": requests,
            "instances": len(result["instances"]), "unchecked_accounts": len(result.get("unchecked_accounts", [])),
            "status": result["status"], "collected": result.get("fanout", {}).get("collected"), "posts": posts}


FIGURES = ("wall_s", "cpu_s", "runqueue_s", "import_s", "rss_import_mb", "peak_rss_mb")


def oss_counts(requests: list[tuple[str, str]]) -> dict[str, int]:
    """OSS requests by kind: PUT, GET (an object), LIST (ListObjectsV2)."""
    out = Counter("LIST" if key == "?list" else method for method, key in requests)
    return dict(out)


# --- 3 and 4: computed (no run) ------------------------------------------------------------------------------

MAX_EVENT_AGE_S = 3600  # s.yaml's asyncInvokeConfig.maxAsyncEventAgeInSeconds: an event older is dropped (Expired)
# Function Compute's prices as docs/deploy.md section 9 cites them: compute units (CU) since 2024-08-27, 75 CU per
# 10,000 invocations, 0.15 CU per GB-second of memory, 1 CU per active vCPU-second, 0.05 CU per GB-second of
# disk, USD 0.000020 per CU in the first tier; vCPU taken at 1 a GB (FC keeps it between 1:1 and 1:4 of the
# memory: docs/deploy.md's upper bound), the 512 MB disk counted.
CU_PER_INVOCATION, CU_PER_GB_S, CU_PER_VCPU_S, CU_PER_DISK_GB_S = 75 / 10_000, 0.15, 1.0, 0.05
USD_PER_CU, DISK_GB = 0.000020, 0.5
# OSS: CNY 0.01 per 10,000 Standard requests (docs/accounts.md, Cost;
# https://www.alibabacloud.com/help/en/oss/api-operation-calling-fees says which requests count).
CNY_PER_OSS_REQUEST = 0.01 / 10_000
FC_MEMORY_STEP_MB = 64  # FC's memorySize: a multiple of 64 MB


def window_floor(k: int, calls: int, seconds: float) -> float:
    """The soonest the last of `k` calls can start under a sliding window of `calls` in any `seconds` (as
    bench/quota.py stages it): the first `calls` at once, each later one when an earlier leaves the window."""
    return (max(0, k - 1) // calls) * seconds


def piece_floor(windows: dict[str, int], quotas: dict[str, tuple[int, float]], cpu_s: float,
                latency_s: float = LATENCY_MS / 1000, concurrency: int = Settings.max_concurrency,
                qps: float = Settings.api_qps) -> dict:
    """One piece's floor (seconds): the largest of its account's windows (`windows`: "region API" -> calls),
    its calls × latency ÷ MAX_CONCURRENCY, its calls ÷ API_QPS and its own CPU; and which window binds."""
    quota, binding = 0.0, ""
    for name, k in sorted(windows.items()):
        action = name.split(" ", 1)[1]
        if action in quotas and window_floor(k, *quotas[action]) > quota:
            quota = window_floor(k, *quotas[action])
            binding = f"{action} in {name.split(' ', 1)[0]}: {k:,} calls at {quotas[action][0]}/{quotas[action][1]:g} s"
    n = sum(windows.values())
    terms = {"quota": quota, "latency": n * latency_s / concurrency, "api_qps": n / qps, "cpu": cpu_s}
    return {"terms": terms, "floor_s": max(terms.values()), "bound_by": max(terms, key=terms.get),
            "binding": binding, "calls": n}


def waves(pieces: int, cap: int = CAP) -> int:
    return -(-pieces // cap)


def fanout_floor(floors: list[float], cap: int = CAP) -> float:
    """The soonest `floors`' pieces can all have ended, at most `cap` at once: the longest piece, their sum
    shared by `cap`, and as many waves of the shortest as `cap` makes."""
    if not floors:
        return 0.0
    return max(max(floors), sum(floors) / cap, waves(len(floors), cap) * min(floors))


def expiring_after(wave_s: float, cap: int = CAP, max_age_s: float = MAX_EVENT_AGE_S) -> int:
    """The most pieces a run can start before FC drops the last of them: pieces wait Enqueued for a slot of the
    `cap`, wave after wave of `wave_s`, and an event older than `max_age_s` expires."""
    return cap * (int(max_age_s // wave_s) + 1) if wave_s > 0 else 0


def memory_mb_for(peak_mb: float) -> int:
    """The smallest memorySize (a multiple of 64 MB, at least 128) that holds `peak_mb`."""
    return max(128, FC_MEMORY_STEP_MB * math.ceil(peak_mb / FC_MEMORY_STEP_MB))


def cu_per_second(memory_mb: int) -> float:
    """CU a second of one invocation at `memory_mb`: memory, vCPU at 1 a GB and the disk."""
    gb = memory_mb / 1024
    return gb * CU_PER_GB_S + gb * CU_PER_VCPU_S + DISK_GB * CU_PER_DISK_GB_S


def day_cost(parts: dict[str, tuple[int, float, float]], memory_mb: int) -> dict:
    """One day's cost: `parts` name -> (invocations, seconds each, OSS requests each)."""
    invocations = sum(n for n, _, _ in parts.values())
    seconds = sum(n * s for n, s, _ in parts.values())
    requests = sum(n * r for n, _, r in parts.values())
    cu = invocations * CU_PER_INVOCATION + seconds * cu_per_second(memory_mb)
    return {"memory_mb": memory_mb, "invocations": invocations, "seconds": seconds, "cu": cu, "usd": cu * USD_PER_CU,
            "oss_requests": requests, "cny": requests * CNY_PER_OSS_REQUEST}


def total(requests: dict[str, int]) -> int:
    return sum(requests.values())


def sample_floors(run: dict, manifest: dict) -> list[dict]:
    """Each sampled piece's floor, from its account's own windows and its own CPU."""
    cpu = {p["index"]: p["cpu_s"] for p in run["pieces"]}
    return [piece_floor(run["windows"].get(p["account"]["account_id"], {}), published(), cpu[p["index"]])
            for p in manifest["pieces"]]


def span(pieces: list[dict]) -> float:
    """From the first piece's attempt to the last one's end (FC's task times: spawn and import included)."""
    return max(p["ended"] for p in pieces) - min(p["started"] for p in pieces)


def day_parts(run: dict, alone: dict, accounts: int) -> dict[str, tuple[int, float, float]]:
    """One day of `accounts` accounts in pieces: each kind of invocation's count, seconds (the handler's wall
    and the import, every instance taken cold) and OSS requests, from what was measured: a piece's the sample's
    median; the start's wall grown with the pieces it starts; the collect's the one over `accounts` pieces."""
    n, start, timer = len(run["pieces"]), run["start"], run["collect_timer"]
    piece_s = statistics.median(p["wall_s"] + p["import_s"] for p in run["pieces"])
    return {"start": (1, start["import_s"] + start["wall_s"] * accounts / n, total(run["oss"]["start"])),
            "pieces": (accounts, piece_s, total(run["oss"]["pieces"]) / n),
            "collect": (1, alone["wall_s"] + alone["import_s"], total(alone["oss"])),
            "collect timer": (24 * 60 // COLLECT_EVERY_MIN, timer["wall_s"] + timer["import_s"], total(timer["oss"]))}


def computed(run: dict, alone: dict, manifest: dict, accounts: int = ACCOUNTS) -> dict:
    """Section 3 and 4 of the module: the floors, the estimate of `accounts` pieces and one day's cost."""
    floors = sample_floors(run, manifest)
    measured = span(run["pieces"])
    sample_floor = fanout_floor([f["floor_s"] for f in floors])
    ratio = measured / sample_floor
    piece = statistics.median(f["floor_s"] for f in floors)  # every account has the same fleet
    floor_all = fanout_floor([piece] * accounts)
    wave_s = measured / waves(len(run["pieces"]))
    parts = day_parts(run, alone, accounts)
    memory = memory_mb_for(alone["peak_rss_mb"])
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return {"floors": floors, "sample_floor_s": sample_floor, "span_s": measured, "ratio": ratio, "piece_floor_s": piece,
            "floor_s": floor_all, "estimate_s": floor_all * ratio, "wave_s": wave_s,
            "last_wave_at_s": (waves(accounts) - 1) * wave_s, "expire_past": expiring_after(wave_s),
            "deadline_s": (mf.deadline(created, FC_TIMEOUT, accounts) - created).total_seconds(),
            "parts": parts, "memory_mb": memory, "cost": day_cost(parts, memory), "cost_256": day_cost(parts, 256)}


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(quick: bool = False) -> dict:
    """Every figure of the case: the sample's run (1), the collect alone over ACCOUNTS pieces (2), computed (3, 4)."""
    n = QUICK_SAMPLE if quick else SAMPLE
    progress(f"accounts: a fanned-out run of {n} accounts × {INSTANCES} instances, 4 regions, 200/60 s each account's "
             f"(region, API), FC concurrency {CAP} (two waves of ≥ 63 s each at 20) …")
    run = fan_out(n, INSTANCES)
    objects = run.pop("objects")
    manifest = json.loads(next(body for key, body in objects.items() if "/manifests/" in key))
    progress(f"  pieces {span(run['pieces']):.0f} s, collect {run['collect']['wall_s']:.1f} s "
             f"({run['collect']['peak_rss_mb']:.0f} MB); the collect alone over {ACCOUNTS} pieces …")
    alone = collect_alone(objects, ACCOUNTS)
    progress(f"  {alone['wall_s']:.1f} s, {alone['peak_rss_mb']:.0f} MB")
    return {"sample": run, "alone": alone, "computed": computed(run, alone, manifest), "instances": INSTANCES,
            "accounts": ACCOUNTS}


# --- the table -----------------------------------------------------------------------------------------------

def lines(a: dict, line) -> list[dict]:
    """The case's lines in bench/run.py's table (`line` is run.line); the issue sets no target."""
    s, c, alone = a["sample"], a["computed"], a["alone"]
    n, size = len(s["pieces"]), a["instances"]
    return wall_lines(s, c, a, line) + collect_lines(s, alone, n, size, line) + calls_lines(s, n, size, line) \
        + cost_lines(c, a, line)


def wall_lines(s: dict, c: dict, a: dict, line) -> list[dict]:
    n, walls = len(s["pieces"]), sorted(p["wall_s"] for p in s["pieces"])
    imports = statistics.median(p["ended"] - p["started"] - p["wall_s"] for p in s["pieces"])
    floor = c["floors"][0]
    return [line("8 accounts: pieces' wall ÷ floor",
                 f"measured: {n} accounts × {a['instances']} instances, 4 regions, latency {LATENCY_MS} ms, 200/60 s in "
                 f"each account's (region, API), FC concurrency {CAP}",
                 f"{c['span_s']:.0f} s ÷ {c['sample_floor_s']:.0f} s ({plural(waves(n), 'wave')} of ≤ {CAP}; a piece's floor "
                 f"{c['piece_floor_s']:.0f} s, {bound(floor)}); a piece {walls[0]:.0f}–{walls[-1]:.0f} s, median "
                 f"{statistics.median(walls):.0f} s, + {imports:.1f} s to start and import", c["ratio"], None),
            line("8 accounts: pieces' wall ÷ floor",
                 f"computed: {a['accounts']} accounts × {a['instances']} instances, the same (the sample's ratio)",
                 f"≈ {c['estimate_s']:,.0f} s ÷ {c['floor_s']:,.0f} s ({plural(waves(a['accounts']), 'wave')} × "
                 f"{c['piece_floor_s']:.0f} s); the last wave starts ≈ {c['last_wave_at_s']:,.0f} s in (FC drops a "
                 f"piece Enqueued past {MAX_EVENT_AGE_S:,} s: ≤ {c['expire_past']:,} pieces a run)", c["ratio"], None)]


def collect_lines(s: dict, alone: dict, n: int, size: int, line) -> list[dict]:
    out = []
    for case, r, pieces in ((f"measured: the sample's {n} pieces", s["collect"], n),
                            (f"measured: {alone['pieces']} pieces (the sample's copied)", alone, alone["pieces"])):
        per = (r["peak_rss_mb"] - r["rss_import_mb"]) * 1024 / (pieces * size)
        out += [line("8 accounts: collect wall", f"{case}, {pieces * size:,} instances",
                     f"{r['wall_s']:.1f} s (CPU {r['cpu_s']:.1f} s)", None, None),
                line("8 accounts: collect peak RSS (MB)", f"{case}, {pieces * size:,} instances",
                     f"{r['peak_rss_mb']:.0f} MB ({per:.1f} KB an instance above the import's "
                     f"{r['rss_import_mb']:.0f} MB); memorySize ≥ {memory_mb_for(r['peak_rss_mb']):,} MB",
                     r["peak_rss_mb"], None, unit="MB")]
    return out


def calls_lines(s: dict, n: int, size: int, line) -> list[dict]:
    calls, fc, instances = s["calls"], s["fc"], n * size
    fc_total = sum(fc.values())
    return [line("8 accounts: calls per instance", f"measured: {n} accounts × {size} (the archive's first day: every "
                                                  "policy read)",
                 f"R-KVStore {calls['kvstore'] / instances:.2f} ({calls['kvstore']:,} ÷ {instances:,}; "
                 f"{calls['throttled']} throttled), STS {calls['sts']}, ResourceManager {calls['resourcemanager']}; "
                 f"FC {fc_total / instances:.4f} ({fc.get('InvokeFunction', 0)} InvokeFunction, "
                 f"{fc.get('GetAsyncTask', 0)} GetAsyncTask, {fc.get('ListAsyncTasks', 0)} ListAsyncTasks)", None, None)]


def cost_lines(c: dict, a: dict, line) -> list[dict]:
    cost, low = c["cost"], c["cost_256"]
    fits = "which the collect does not fit" if cost["memory_mb"] > 256 else "s.yaml's"
    return [line("8 accounts: one day's cost",
                 f"computed: {a['accounts']} accounts × {a['instances']}, memorySize {cost['memory_mb']:,} MB (the "
                 "collect's peak), docs/deploy.md section 9's CU prices, OSS CNY 0.01 per 10,000 requests",
                 f"FC {cost['cu']:,.0f} CU = USD {cost['usd']:.3f} ({cost['invocations']} invocations, "
                 f"{cost['seconds']:,.0f} s; at 256 MB, {fits}, USD {low['usd']:.3f}); "
                 f"OSS {cost['oss_requests']:,.0f} requests = CNY {cost['cny']:.4f}", None, None)]


def bound(floor: dict) -> str:
    """What sets a piece's floor: its binding window, or the term that is larger."""
    return floor["binding"] if floor["bound_by"] == "quota" else f"bound by {floor['bound_by']}"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def invocations_table(a: dict) -> str:
    """Each kind of invocation the case ran, as measured in its own process."""
    s = a["sample"]
    rows = [("start (timer `daily`)", [s["start"]], s["oss"]["start"]), ("piece", s["pieces"], s["oss"]["pieces"]),
            (f"collect, {len(s['pieces'])} pieces", [s["collect"]], s["oss"]["collect"]),
            ("timer `collect`, nothing due", [s["collect_timer"]], s["collect_timer"]["oss"]),
            (f"collect alone, {a['alone']['pieces']} pieces", [a["alone"]], a["alone"]["oss"])]
    out = ["| invocation | count | wall s (min–median–max) | import s (median) | CPU s (median) | run queue s "
           "(median) | peak RSS MB (max) | OSS requests |", "|---|---|---|---|---|---|---|---|"]
    for name, runs, oss in rows:
        walls = sorted(r["wall_s"] for r in runs)

        def med(key: str) -> float:
            return statistics.median(r[key] for r in runs)

        out.append(f"| {name} | {len(runs)} | {walls[0]:.1f}–{statistics.median(walls):.1f}–{walls[-1]:.1f} "
                   f"| {med('import_s'):.1f} | {med('cpu_s'):.1f} | {med('runqueue_s'):.1f} "
                   f"| {max(r['peak_rss_mb'] for r in runs):.0f} "
                   f"| {', '.join(f'{k} {v}' for k, v in sorted(oss.items())) or '0'} |")
    return "\n".join(out)


def problems(a: dict) -> list[str]:
    """A MISSED line for each way the runs were not whole: an instance or account not checked, a throttled call,
    a piece retried, a digest not posted once to each channel or the heartbeat not pinged start then success."""
    s, alone, out = a["sample"], a["alone"], []
    want = len(s["pieces"]) * a["instances"]
    if s["result"]["instances"] != want or s["result"]["unchecked_accounts"]:
        out.append(f"accounts: the sample's digest holds {s['result']['instances']:,} of {want:,} instances, "
                   f"{s['result']['unchecked_accounts']} accounts not checked")
    if alone["instances"] != alone["pieces"] * a["instances"] or alone["unchecked_accounts"]:
        out.append(f"accounts: the collect over {alone['pieces']} pieces holds {alone['instances']:,} instances, "
                   f"{alone['unchecked_accounts']} accounts not checked")
    if s["calls"]["throttled"] or any(p["attempts"] != 1 for p in s["pieces"]):
        out.append(f"accounts: {s['calls']['throttled']} calls throttled, pieces' attempts "
                   f"{[p['attempts'] for p in s['pieces']]}")
    if s["posts"] != 4 or alone["posts"] != 4 or s["pings"] != ["start", "success"]:
        out.append(f"accounts: posts {s['posts']} and {alone['posts']} (4 each), pings {s['pings']}")
    return out
