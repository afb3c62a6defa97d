"""No single value stops the digest: every fault stays at its level, and every wait ends with the budget.

Through index.handler on the sandbox, except where a fault cannot be staged by an API answer: there
a stand-in for the cloud edge (the `report.Cloud` protocol) raises what a bug would.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from backup_report.judge.verdicts import Rules
from backup_report.model import BackupPolicy, Instance, Window
from backup_report.deadlines import Budget
from backup_report.scan.collect import collect
from conftest import fleet, instance


def test_an_api_qps_too_low_for_the_fleet_ends_in_time_and_names_what_it_could_not_reach(report):
    # 0.1 calls a second: 3 calls in a 30 s budget. The limiter's queue would hold calls for minutes.
    started = time.monotonic()
    run = report(fleet(*[instance(f"r-slow{n}") for n in range(6)]), settings={"API_QPS": "0.1", "COVERAGE": "off"},
                 timeout=30)
    assert time.monotonic() - started < 30, "the run outlived FC's timeout"
    assert run.error is None and len(run.dingtalk) == 1 and len(run.slack) == 1
    verdicts = run.verdicts
    assert set(verdicts) == {f"r-slow{n}" for n in range(6)}
    assert set(verdicts.values()) == {"error"}
    assert all("ran out of time (raise the function's timeout, MAX_CONCURRENCY or API_QPS)" in run.detail(i)
               for i in verdicts)


class _Cloud:
    """A cloud edge whose reads of one instance, or one region, raise what a bug would."""

    def __init__(self, broken_instance: str = "", broken_region: str = ""):
        self.broken_instance, self.broken_region = broken_instance, broken_region

    def instances(self, region, tags, on_page):
        if region == self.broken_region:
            raise KeyError("Instances")
        page = [Instance(f"r-{region}-{n}", f"cache-{n}", region, created=datetime(2024, 1, 1, tzinfo=timezone.utc))
                for n in range(2)]
        on_page(page)
        return page

    def policy(self, instance):
        if instance.instance_id == self.broken_instance:
            raise TypeError("'NoneType' object is not subscriptable")
        return BackupPolicy(weekdays=frozenset(range(7)), slot_start_minute=18 * 60, slot_end_minute=19 * 60)

    def backups(self, instance, start, end):
        return [], [], None

    def tasks(self, instance):
        return []


WINDOW = Window(datetime(2026, 11, 27, 1, tzinfo=timezone.utc), datetime(2026, 11, 28, 1, tzinfo=timezone.utc))


def test_an_unexpected_exception_in_one_check_makes_that_instance_error_and_the_others_are_judged():
    findings = collect(_Cloud(broken_instance="r-cn-hangzhou-1"), ("cn-hangzhou",), (), WINDOW, Rules(),
                       Budget(time.monotonic() + 60), 4)
    verdicts = {c.instance.instance_id: c.verdict for c in findings.checked}
    assert verdicts["r-cn-hangzhou-1"].kind.value == "error"
    assert verdicts["r-cn-hangzhou-1"].detail.startswith("could not be checked: TypeError while reading")
    assert "NoneType" not in verdicts["r-cn-hangzhou-1"].detail  # the type, never the text
    assert verdicts["r-cn-hangzhou-0"].kind.value == "missing"  # judged: no backups at all


def test_an_unexpected_exception_in_one_region_makes_that_region_not_checked_and_the_others_go_on():
    findings = collect(_Cloud(broken_region="cn-shanghai"), ("cn-hangzhou", "cn-shanghai"), (), WINDOW, Rules(),
                       Budget(time.monotonic() + 60), 4)
    assert [(f.region, f.error.code) for f in findings.region_failures] == [("cn-shanghai", "UnexpectedError")]
    assert str(findings.region_failures[0].error) == "UnexpectedError: KeyError while listing the region"
    assert {c.instance.region for c in findings.checked} == {"cn-hangzhou"}
