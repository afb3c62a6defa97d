"""Pacing by the published API quotas: a sliding window per API and region (on a virtual clock), and the
whole run against an emulated quota (the sandbox's `quota` fault: a token bucket answering Throttling.User)."""
from __future__ import annotations

import json
import time

from backup_report.cloud.pacing import PUBLISHED, Pacer, Quota, QuotaWindow, default_quota
from backup_report.cloud.ratelimit import RateLimiter
from conftest import TWO_CHANNELS, fleet, instance


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


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


def test_a_run_paced_by_the_accounts_quota_is_never_throttled(report):
    fleet_ = fleet(*[instance(f"r-paced{n:02}") for n in range(12)],
                   faults=[{"kind": "quota", "action": "DescribeBackups", "qps": 3}])
    started = time.monotonic()
    # The quota set a little below the emulated one (3 a second, a burst of 3): on a one-second window, the
    # threads' scheduling on a busy machine is as large as the 5% margin (against 200/60 s it is nothing).
    run = report(fleet_, settings={**TWO_CHANNELS, "COVERAGE": "off", "API_QUOTAS": "DescribeBackups=2/1"})
    assert set(run.verdicts.values()) == {"ok"} and len(run.verdicts) == 12
    assert {c.code for c in run.calls("DescribeBackups")} == {"OK"}, "no call was throttled"
    assert time.monotonic() - started >= 5.0  # 12 calls, 2 a second (and a little)


def test_unpaced_the_same_run_meets_the_quota_as_throttling(report):
    fleet_ = fleet(*[instance(f"r-paced{n:02}") for n in range(12)],
                   faults=[{"kind": "quota", "action": "DescribeBackups", "qps": 3}])
    run = report(fleet_, settings={**TWO_CHANNELS, "COVERAGE": "off"})
    assert "Throttling.User" in {c.code for c in run.calls("DescribeBackups")}  # the control: the check can fail


def test_a_fleet_that_does_not_fit_the_quotas_says_what_it_needs_and_what_to_raise(report):
    # 40 instances at DescribeBackups' 10 a minute: 30 beyond the first 10 need ~180 s; the run has ~14 s.
    run = report(fleet(*[instance(f"r-slow{n:02}") for n in range(40)]), timeout=30,
                 settings={**TWO_CHANNELS, "COVERAGE": "off", "API_QUOTAS": "DescribeBackups=10/60"})
    assert "not checked: the run ran out of time" in json.dumps(run.result)
    note = ("40 instances in cn-hangzhou need about 180 s of DescribeBackups at its quota (10/60 s); raise the function's "
            "timeout to 200 (s.yaml, at most 86400) or the quota (Quota Center, then API")  # then API_QUOTAS
    assert note in run.slack_text and note in run.dingtalk_text
