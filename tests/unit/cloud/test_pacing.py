"""Pacing by the published API quotas: a sliding window per API and region, on a virtual clock (the whole
run against an emulated quota: tests/e2e/test_pacing.py)."""
from __future__ import annotations

from backup_report.cloud.pacing import PUBLISHED, Pacer, Quota, QuotaWindow, default_quota
from backup_report.cloud.ratelimit import RateLimiter
from fakes import Clock


def window(calls: int, seconds: float) -> tuple[QuotaWindow, Clock]:
    clock = Clock()
    return QuotaWindow(Quota(calls, seconds), clock, clock.sleep), clock


def test_the_published_quota_of_describe_backup_policy_is_200_a_minute():
    assert PUBLISHED["DescribeBackupPolicy"] == (200, 60.0) and str(default_quota("DescribeBackupPolicy")) == "200/60 s"


def test_a_small_fleet_goes_at_once_and_a_large_one_at_the_quotas_rate():
    w, clock = window(200, 60)
    starts = []
    for _ in range(450):
        assert w.acquire()
        starts.append(clock.now)
    assert starts[199] == 0.0 and starts[200] == 63.0 and starts[400] == 126.0  # the window kept 5% longer
    assert all(sum(1 for s in starts if t - 60 < s <= t) <= 200 for t in starts), "never 201 in a minute"


def test_a_turn_past_the_budget_is_refused_without_waiting():
    w, clock = window(2, 60)
    assert w.acquire() and w.acquire()
    assert w.acquire(within=30) is False and clock.now == 0.0


def test_a_throttle_halves_the_allowance_from_what_was_sent_and_successes_win_it_back():
    w, clock = window(200, 60)
    for _ in range(100):
        w.acquire()
    w.throttled()
    assert w.allowed == 50
    for _ in range(4 * 10):
        w.succeeded()
    assert w.allowed == 60


def test_each_api_and_region_has_its_own_window():
    clock = Clock()
    pacer = Pacer(RateLimiter(1000, clock=clock, sleep=clock.sleep), {"DescribeBackups": Quota(1, 60)},
                  clock=clock, sleep=clock.sleep)
    assert pacer.acquire("cn-hangzhou", "DescribeBackups", lambda: 10)
    assert pacer.acquire("cn-shanghai", "DescribeBackups", lambda: 10)
    assert pacer.acquire("cn-hangzhou", "DescribeBackupPolicy", lambda: 10)
    assert not pacer.acquire("cn-hangzhou", "DescribeBackups", lambda: 10)
