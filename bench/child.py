"""One benchmark run in its own process: import the handler, run it once, report figures as JSON.

The sandbox runs in the parent; this process holds only what FC's instance would, so its peak RSS
is the function's. Settings come from the environment (the parent points them at the sandbox).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from types import SimpleNamespace

FUNCTION = Path(__file__).resolve().parents[1] / "function"


def hwm_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries the parent's peak
    across fork+exec into ru_maxrss, so a child of a large parent would report the parent's size."""
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024


def main() -> int:
    timeout = int(os.environ.pop("BENCH_TIMEOUT", "900"))
    trigger = os.environ.pop("BENCH_TRIGGER")
    sys.path.insert(0, str(FUNCTION))
    rss_start = hwm_mb()
    t0 = time.perf_counter()
    import index  # noqa: E402 - the import is what is measured
    imported = time.perf_counter() - t0
    rss_import = hwm_mb()
    context = SimpleNamespace(
        request_id="bench-0001", region=os.environ["REGIONS"].split(",")[0],
        credentials=SimpleNamespace(access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                                    access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                                    security_token=os.environ["ALIBABA_CLOUD_SECURITY_TOKEN"]),
        function=SimpleNamespace(name="redis-backup-report", handler="index.handler", memory=128, timeout=timeout))
    event = json.dumps({"triggerTime": trigger, "triggerName": "daily", "payload": "{}"}).encode()
    walls = []
    for _ in range(int(os.environ.pop("BENCH_REPEAT", "1"))):  # more than 1: a cold, then warm invocations
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        raw = index.handler(event, context)
        walls.append(time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
    wall = walls[0]
    peak = hwm_mb()  # before this process parses the result
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = json.loads(raw)
    counts = {k: v for k, v in result["counts"].items() if v}
    print(json.dumps({"import_s": imported, "wall_s": wall, "walls_s": walls, "cpu_s": cpu,
                      "peak_rss_mb": peak, "ru_maxrss_mb": maxrss, "rss_start_mb": rss_start,
                      "rss_import_mb": rss_import,
                      "instances": len(result["instances"]), "counts": counts, "status": result["status"],
                      "unchecked_regions": result.get("unchecked_regions", []),
                      "deliveries": [{k: d[k] for k in ("channel", "ok")} for d in result["deliveries"]]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
