"""One benchmark run in its own process: import the handler, run it once, report figures as JSON.

The sandbox runs in the parent; this process holds only what FC's instance would, so its peak RSS
is the function's. Settings come from the environment (the parent points them at the sandbox).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

FUNCTION = Path(__file__).resolve().parents[1] / "function"


def hwm_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries the parent's peak
    across fork+exec into ru_maxrss, so a child of a large parent would report the parent's size."""
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024


class RunQueue:
    """The seconds this process's threads were runnable but waiting for a CPU (the scheduler's run_delay,
    /proc/<pid>/task/<tid>/schedstat), summed over every thread, those that end before the run too (sampled
    every 0.2 s): what other processes on the machine, the sandbox's among them, took from the run."""

    def __init__(self) -> None:
        self.delays: dict[str, float] = {}
        self.ended = 0.0  # the delays of threads whose IDs were taken again since
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _read(self) -> None:
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    delay = int(f.read().split()[1]) / 1e9
                if delay < self.delays.get(tid, 0.0):  # a new thread with an ended one's ID
                    self.ended += self.delays[tid]
                self.delays[tid] = delay
            except (OSError, IndexError, ValueError):
                pass

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self._read()

    def __enter__(self) -> "RunQueue":
        self._read()
        self.start = sum(self.delays.values()) + self.ended
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._read()
        self.seconds = sum(self.delays.values()) + self.ended - self.start


def context(request_id: str, region: str, timeout: int = 900) -> SimpleNamespace:
    """An FC context as the benchmark's children hand the handler: the credentials the parent's environment
    points at the sandbox with, the function's name, memory and `timeout` (seconds)."""
    return SimpleNamespace(
        request_id=request_id, region=region,
        credentials=SimpleNamespace(access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                                    access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                                    security_token=os.environ["ALIBABA_CLOUD_SECURITY_TOKEN"]),
        function=SimpleNamespace(name="redis-backup-report", handler="index.handler", memory=256, timeout=timeout))


def timer_event(trigger: str) -> bytes:
    """The daily timer's event at `trigger` (UTC, the fleet's anchor)."""
    return json.dumps({"triggerTime": trigger, "triggerName": "daily", "payload": "{}"}).encode()


def spawn(module: str, size: int, regions: int, **env: str) -> str:
    """`python -m <module> --child` against a sandbox of a generated fleet (bench/fleet.py) of `size` instances
    in `regions` regions, `env` added to its environment; its stdout. Raises SystemExit with its stderr."""
    import subprocess

    import sandbox
    from . import fleet

    with sandbox.start(fleet.scenario(size, [], regions=regions)) as sb:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
        child_env.update(sb.env(), INSTANCE_TAGS=f"{fleet.TAG_KEY}={fleet.TAG_VALUE}", API_QPS="1000",
                         BENCH_TRIGGER=fleet.ANCHOR, **env)
        done = subprocess.run([sys.executable, "-m", module, "--child"], env=child_env, cwd=FUNCTION.parent,
                              capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-4000:])
    return done.stdout


def main() -> int:
    timeout = int(os.environ.pop("BENCH_TIMEOUT", "900"))
    trigger = os.environ.pop("BENCH_TRIGGER")
    os.environ.pop("BENCH_FIGURES", None)
    sys.path.insert(0, str(FUNCTION))
    rss_start = hwm_mb()
    t0 = time.perf_counter()
    import index  # noqa: E402 - the import is what is measured
    imported = time.perf_counter() - t0
    rss_import = hwm_mb()
    # The function's own region: the one the sandbox's OSS bucket signs for (Sandbox.ARCHIVE_REGION).
    fc = context("bench-0001", os.environ.pop("BENCH_FC_REGION", os.environ["REGIONS"].split(",")[0]), timeout)
    event = timer_event(trigger)
    walls = []
    for _ in range(int(os.environ.pop("BENCH_REPEAT", "1"))):  # more than 1: a cold, then warm invocations
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        with RunQueue() as waited:
            raw = index.handler(event, fc)
        walls.append(time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
    wall = walls[0]
    peak = hwm_mb()  # before this process parses the result
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = json.loads(raw)
    counts = {k: v for k, v in result["counts"].items() if v}
    print(json.dumps({"import_s": imported, "wall_s": wall, "walls_s": walls, "cpu_s": cpu, "runqueue_s": waited.seconds,
                      "peak_rss_mb": peak, "ru_maxrss_mb": maxrss, "rss_start_mb": rss_start,
                      "rss_import_mb": rss_import,
                      "instances": len(result["instances"]), "counts": counts, "status": result["status"],
                      "unchecked_regions": result.get("unchecked_regions", []),
                      "archive": result.get("archive"),
                      "deliveries": [{k: d[k] for k in ("channel", "ok")} for d in result["deliveries"]]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
