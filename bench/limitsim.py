"""A deterministic simulation of the rate limiter against a server-side token-bucket quota.

No threads, no sleeping: a virtual clock, `MAX_CONCURRENCY` workers, a fixed latency, the
function's retry policy (`retry.Backoff`, full jitter, seeded), and the sandbox's quota model
(`qps` tokens a second, burst `qps`, refused calls take no token). It runs the real
`RateLimiter` class, so a change to its constants can be judged in milliseconds for quotas that
the emulator cannot stage quickly (a quota at a tenth of API_QPS, a 10-minute run):

    python -m bench.limitsim [--quota 100] [--qps 100,200,400,1000] [--calls 2000]
"""
from __future__ import annotations

import argparse
import heapq
import random
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "function"))

from backup_report.cloud.ratelimit import RateLimiter  # noqa: E402
from backup_report.cloud.retry import Backoff  # noqa: E402


@dataclass
class Outcome:
    calls: int
    throttled: int
    gave_up: int  # jobs whose retries ran out: instances that would be `error`
    seconds: float

    @property
    def share(self) -> float:
        return self.throttled / max(1, self.calls)


def simulate(quota: float, qps: float, jobs: int = 2000, concurrency: int = 16, latency: float = 0.05,
             burst: float | None = None, seed: int = 0, backoff: Backoff = Backoff(),
             others: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> Outcome:
    """`jobs` calls to make (each retried on throttling as retry.call does) through one limiter.
    `others`: (qps, from, until): other tooling spending that much of the quota in that interval."""
    now = [0.0]
    limiter = RateLimiter(qps, clock=lambda: now[0])
    rng = random.Random(seed)
    tokens, at, cap = (burst if burst is not None else quota), 0.0, (burst if burst is not None else quota)
    events: list[tuple[float, int, str, int, int, int]] = []  # (time, seq, kind, worker, attempt, ticket)
    seq = 0
    todo = jobs
    calls = throttled = gave_up = 0

    def push(t: float, kind: str, worker: int, attempt: int = 0, ticket: int = 0) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, worker, attempt, ticket))

    for w in range(concurrency):
        push(0.0, "ready", w)
    while events:
        t, _, kind, w, attempt, ticket = heapq.heappop(events)
        now[0] = t
        if kind == "ready":
            if attempt == 0:
                if todo == 0:
                    continue
                todo -= 1
            start, ticket = limiter.reserve()
            push(start, "start", w, attempt, ticket)
        elif kind == "start":  # acquire() as events: the slot's time has come; still valid?
            if limiter.confirm(t, ticket):
                push(t + latency, "arrive", w, attempt, ticket)
            else:
                start, ticket = limiter.reserve()
                push(start, "start", w, attempt, ticket)
        elif kind == "arrive":  # the quota is checked when the call reaches the server
            busy = max(0.0, min(t, others[2]) - max(at, others[1]))  # seconds others spent in (at, t]
            tokens, at = min(cap, max(0.0, tokens + (t - at) * quota - busy * others[0])), t
            calls += 1
            if tokens >= 1:
                tokens -= 1
                limiter.succeeded()
                push(t, "ready", w)
            else:
                throttled += 1
                limiter.throttled(ticket)
                attempt += 1
                wait = backoff.delay(attempt, rng.random)
                if attempt >= backoff.attempts:
                    gave_up += 1
                    push(t, "ready", w)
                else:
                    push(t + wait, "ready", w, attempt)
    return Outcome(calls, throttled, gave_up, now[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.limitsim", description=__doc__.splitlines()[0])
    parser.add_argument("--quota", type=float, default=100)
    parser.add_argument("--qps", default="50,100,200,400,1000")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args(argv)
    print("| API_QPS | quota | calls | throttled | gave up | seconds | ideal s | wall/ideal |")
    print("|---|---|---|---|---|---|---|---|")
    for qps in (float(q) for q in args.qps.split(",")):
        o = simulate(args.quota, qps, args.calls, args.concurrency, args.latency_ms / 1000)
        ideal = max(args.calls / min(qps, args.quota) - (1 if qps > args.quota else 0),
                    args.calls * args.latency_ms / 1000 / args.concurrency)
        print(f"| {qps:g} | {args.quota:g} | {o.calls} | {o.throttled} ({100 * o.share:.1f}%) | {o.gave_up} "
              f"| {o.seconds:.1f} | {ideal:.1f} | {o.seconds / ideal:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
