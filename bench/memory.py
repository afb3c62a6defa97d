"""Where the function's peak RSS goes: the handler on a generated fleet, its resident set sampled phase by
phase and, with --trace, tracemalloc's largest allocation sites at the end of each phase.

    python -m bench.memory [--size 10000] [--trace]

The sandbox runs here (no latency, no quota), the handler in a child (this file with --child), whose phases
are the app's own steps, wrapped in the child only: `collect` (discovery and checks), `digest.build`, the
result (`deliver` returns: the posts are done), `bounded.utf8` (the result's JSON). It prints the RSS at the
end of each phase and the peak (VmHWM), and with --trace the 15 sites holding most memory at each phase's end
(traced from before `import index`, one frame each; tracemalloc slows the run about threefold).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

from .child import context, spawn, timer_event

ROOT = Path(__file__).resolve().parents[1]


def status(field: str) -> float:
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field + ":")) / 1024


def child() -> int:
    trace = os.environ.get("BENCH_TRACE") == "1"
    if trace:
        import tracemalloc
        tracemalloc.start(1)
    sys.path.insert(0, str(ROOT / "function"))
    import index  # noqa: F401
    from backup_report import app, bounded

    phases: list[dict] = []
    samples: list[tuple[float, str, float]] = []
    current = ["import"]
    t0 = time.perf_counter()

    def mark(name: str) -> None:
        entry = {"phase": name, "at_s": round(time.perf_counter() - t0, 2), "rss_mb": status("VmRSS"),
                 "hwm_mb": status("VmHWM")}
        if trace:
            import tracemalloc
            snap = tracemalloc.take_snapshot().filter_traces((tracemalloc.Filter(False, tracemalloc.__file__),))
            stats = snap.statistics("lineno")
            entry["traced_mb"] = sum(s.size for s in stats) / 2 ** 20
            entry["top"] = [f"{s.size / 2 ** 20:6.1f} MB {s.count:>8} blocks  {s.traceback[0].filename.split('site-packages/')[-1].split('function/')[-1]}:{s.traceback[0].lineno}"
                            for s in stats[:15]]
        phases.append(entry)

    def wrap(owner, attribute: str, name: str, before: bool = False) -> None:
        original = getattr(owner, attribute)

        def wrapped(*args, **kwargs):
            if before:
                mark(f"before {name}")
            current[0] = name
            try:
                return original(*args, **kwargs)
            finally:
                mark(f"after {name}")
        setattr(owner, attribute, wrapped)

    wrap(app, "collect", "collect")
    wrap(app.digest, "build", "digest.build")
    wrap(app.delivery, "deliver", "deliver")
    wrap(bounded, "utf8", "result JSON", before=True)
    stop = threading.Event()

    def sampler() -> None:
        while not stop.wait(0.1):
            samples.append((round(time.perf_counter() - t0, 1), current[0], status("VmRSS")))
    threading.Thread(target=sampler, daemon=True).start()
    mark("imported")
    index.handler(timer_event(os.environ["BENCH_TRIGGER"]), context("bench-memory", os.environ["REGIONS"].split(",")[0]))
    stop.set()
    mark("returned")
    peak = max(samples, key=lambda s: s[2]) if samples else None
    print(json.dumps({"phases": phases, "peak_sample": peak, "hwm_mb": status("VmHWM")}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--regions", type=int, choices=(1, 4), default=4)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    stdout = spawn("bench.memory", args.size, args.regions, BENCH_TRACE="1" if args.trace else "0")
    out = json.loads(stdout.strip().splitlines()[-1])
    print(f"{args.size:,} instances, {args.regions} regions; peak (VmHWM) {out['hwm_mb']:.0f} MB; "
          f"largest 0.1 s sample {out['peak_sample']}")
    for p in out["phases"]:
        traced = f", traced {p['traced_mb']:.0f} MB" if "traced_mb" in p else ""
        print(f"- {p['phase']} at {p['at_s']} s: RSS {p['rss_mb']:.0f} MB, peak so far {p['hwm_mb']:.0f} MB{traced}")
        for line in p.get("top", []):
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
