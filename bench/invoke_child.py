"""One Function Compute invocation in a process of its own, as FC runs each on an instance of its own: the event
on stdin, the context's fields in BENCH_CONTEXT (JSON: request_id, region, account_id, credentials, function),
the function's settings in the environment. Prints one JSON line: the handler's return value (`result`, or
`error` when it raised, so the parent raises and FC's emulator retries the task), its wall, CPU, run-queue
wait and peak RSS (VmHWM, bench/child.py).

bench/accounts.py registers this as the sandbox FC emulator's function: every piece, the collect and the
timer's invocations of a fanned-out run each run here.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from child import RunQueue, hwm_mb  # bench/child.py, beside this file (sys.path[0])

FUNCTION = Path(__file__).resolve().parents[1] / "function"


def context_of(fields: dict) -> SimpleNamespace:
    """An object shaped like FC's Python context (sandbox/demo.fc_context) from its JSON fields."""
    return SimpleNamespace(request_id=fields["request_id"], region=fields["region"], account_id=fields["account_id"],
                           credentials=SimpleNamespace(**fields["credentials"]),
                           function=SimpleNamespace(**fields["function"]))


def main() -> int:
    context = context_of(json.loads(os.environ.pop("BENCH_CONTEXT")))
    event = sys.stdin.buffer.read()
    sys.path.insert(0, str(FUNCTION))
    t0 = time.perf_counter()
    import index  # noqa: E402 - a cold instance's import, part of what FC bills
    imported = time.perf_counter() - t0
    rss_import = hwm_mb()
    out: dict = {}
    cpu0, t0 = time.process_time(), time.perf_counter()
    with RunQueue() as waited:
        try:
            out["result"] = index.handler(event, context)
        except Exception as exc:  # FC records it and retries the task: the parent raises it again
            out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    out.update(wall_s=time.perf_counter() - t0, cpu_s=time.process_time() - cpu0, runqueue_s=waited.seconds,
               import_s=imported, rss_import_mb=rss_import, peak_rss_mb=hwm_mb())
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
