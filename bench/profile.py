"""Where the function's CPU goes: the handler on a generated fleet with every thread under cProfile.

    python -m bench.profile [--size 2000] [--regions 4] [--top 25]

The sandbox runs here (no latency, no quota), the handler in a child (this file with --child) whose every
thread (the check pool's, the listers', the posts') runs under a cProfile.Profile of its own, merged at
the end. Prints CPU seconds by package (tottime: the time in a package's own code) and the functions with
the most own time and the most cumulative time, all in CPU seconds of the thread (time.thread_time). cProfile
costs about 2× the CPU: the shares are the figure.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from .child import context, spawn, timer_event

ROOT = Path(__file__).resolve().parents[1]


def package(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0].replace(".py", "")
    if "/function/" in filename:
        parts = filename.split("/function/")[1].split("/")
        return "/".join(parts[:2]) if parts[0] == "backup_report" and len(parts) > 2 else "/".join(parts)
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    return "stdlib:" + Path(filename).stem


def child() -> int:
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    run = threading.Thread.run

    def profiled(self):
        profile = cProfile.Profile(time.thread_time)  # CPU, not the wall: a blocked thread costs nothing
        with lock:
            profiles.append(profile)
        profile.enable()
        try:
            run(self)
        finally:
            profile.disable()
    threading.Thread.run = profiled
    sys.path.insert(0, str(ROOT / "function"))
    import index
    event, fc = timer_event(os.environ["BENCH_TRIGGER"]), context("bench-profile", os.environ["REGIONS"].split(",")[0])
    main_profile = cProfile.Profile(time.thread_time)
    main_profile.enable()
    index.handler(event, fc)
    main_profile.disable()
    stats = pstats.Stats(main_profile)
    for p in profiles:
        stats.add(p)
    top = int(os.environ.get("BENCH_TOP", "25"))
    by_package: Counter = Counter()
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[package(filename)] += tottime
    total = sum(by_package.values())
    print(f"profiled CPU {total:.1f} s (cProfile's own cost included) over {len(profiles) + 1} threads")
    print("by package (own time):")
    for name, seconds in by_package.most_common(top):
        print(f"  {seconds:7.2f} s {100 * seconds / total:5.1f}%  {name}")
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(key).print_stats(top)
        print("\n".join(l for l in out.getvalue().splitlines() if l.strip())[:12000])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--regions", type=int, choices=(1, 4), default=4)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    print(spawn("bench.profile", args.size, args.regions, BENCH_TOP=str(args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
