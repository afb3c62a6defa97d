"""Pacing by the published API quotas: the whole run against an emulated quota (the sandbox's `quota` fault:
a token bucket answering Throttling.User); the window itself, on a virtual clock: tests/unit/cloud/test_pacing.py."""
from __future__ import annotations

import json
import time

from conftest import TWO_CHANNELS, fleet, instance
from unit.channels import shown


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
            "timeout to 200 (s.yaml, at most 86400) or the quota (Quota Center, then API_QUOTAS")
    assert note in run.slack_text and note in shown.dingtalk(run.dingtalk[0]).text  # as DingTalk shows it
