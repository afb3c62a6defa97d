"""The rate limiter on a virtual clock: pacing, decrease and recovery, and against a simulated quota.

No real time is measured here: the clock is a variable, and `bench.limitsim` runs the limiter
against a token-bucket quota event by event (the benchmark's `make bench` stages the real thing).
"""
from __future__ import annotations

import pytest

from backup_report.cloud.ratelimit import MIN_RATE, NEAR, RateLimiter
from bench.limitsim import simulate
from fakes import Clock


def limiter(qps: float) -> tuple[RateLimiter, Clock]:
    clock = Clock(100.0)
    return RateLimiter(qps, clock=clock, sleep=clock.sleep), clock


def test_a_turn_later_than_the_budget_is_given_up_at_once_not_waited_for():
    rl, clock = limiter(0.1)  # a call every 10 s
    assert rl.acquire(within=5.0) is not None  # the first turn is now
    assert rl.acquire(within=5.0) is None  # the next is 10 s away: past a 5 s budget
    assert clock.slept == []
    assert rl.acquire(within=60.0) is not None and clock.slept == [20.0]  # the given-up slot stays unused


def test_calls_are_paced_at_the_rate_with_no_burst():
    rl, clock = limiter(10)
    starts = []
    for _ in range(5):
        rl.acquire()
        starts.append(clock.now)
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:])] == [0.1] * 4


def test_a_pause_earns_no_burst():
    rl, clock = limiter(10)
    rl.acquire()
    clock.now += 60  # idle for a minute
    rl.acquire()
    rl.acquire()
    assert clock.slept == [pytest.approx(0.1)]


def test_a_throttle_halves_the_rate_that_was_really_sent():
    rl, clock = limiter(1000)  # far above what 10 calls a second are
    for _ in range(10):
        rl.acquire()
        clock.now += 0.1
    rl.throttled()
    assert rl.ceiling == pytest.approx(10)
    assert rl.rate == pytest.approx(5)


def test_a_throttle_of_a_call_paced_at_the_old_rate_is_not_counted_again():
    rl, _ = limiter(100)
    first = rl.acquire()
    second = rl.acquire()
    rl.throttled(first)
    rate = rl.rate
    rl.throttled(second)  # its slot was granted before the decrease
    assert rl.rate == rate and rl.decreases == 1
    rl.throttled(rl.acquire())  # granted after it: news
    assert rl.rate < rate and rl.decreases == 2


def test_a_call_waiting_for_a_slot_at_the_old_rate_takes_a_new_one():
    rl, _ = limiter(100)
    start, ticket = rl.reserve()
    rl.throttled(rl.acquire())
    assert not rl.confirm(start, ticket)
    start, ticket = rl.reserve()
    assert rl.confirm(start, ticket)


def test_the_rate_never_drops_below_one_call_a_second():
    rl, _ = limiter(50)
    for _ in range(20):
        rl.throttled(rl.acquire())
    assert rl.rate == MIN_RATE
    low, _ = limiter(0.5)
    low.throttled(low.acquire())
    assert low.rate == 0.5  # API_QPS below the floor is kept


def test_successes_win_the_rate_back_quickly_then_slowly_near_the_last_throttle():
    rl, _ = limiter(100)
    rl.throttled(rl.acquire())  # at the start, nothing sent yet: from the rate itself
    assert rl.rate == 50 and rl.ceiling == 100
    fast = 0
    while rl.rate < NEAR * rl.ceiling:
        rl.succeeded()
        fast += 1
    slow = 0
    while rl.rate < rl.target:
        rl.succeeded()
        slow += 1
    assert fast <= 20 and slow >= 100


@pytest.mark.parametrize("qps", [100, 200, 1000])
def test_against_a_quota_below_api_qps_few_calls_are_throttled_and_none_given_up(qps):
    outcome = simulate(quota=100, qps=qps, jobs=2000, concurrency=16, latency=0.05)
    assert outcome.gave_up == 0
    assert outcome.share < 0.05
    assert outcome.seconds < 1.15 * 2000 / 100  # virtual seconds: the quota is used, not wasted


def test_a_quota_ten_times_lower_than_api_qps_is_found():
    outcome = simulate(quota=10, qps=100, jobs=500, concurrency=16, latency=0.05)
    assert outcome.gave_up == 0 and outcome.share < 0.05


def test_a_quota_that_others_stop_using_is_won_back():
    busy = simulate(quota=100, qps=100, jobs=3000, others=(90, 5, 15))
    assert busy.gave_up == 0 and busy.share < 0.05
    assert busy.seconds < 60  # 10 s at a tenth of the quota, then back near 100 calls a second
