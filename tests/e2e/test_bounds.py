"""Every outside value is bounded before it costs memory or CPU, and what a run could not take is said,
never dropped. Through index.handler on the sandbox."""
from __future__ import annotations

import json
import re
import threading
import time

import index
import sandbox
from conftest import ANCHOR, TWO_CHANNELS, fleet, instance
from sandbox.demo import fc_context


def test_four_hundred_instances_with_50000_character_names_are_reported_in_time(report):
    started = time.monotonic()
    failed = [instance(f"r-long{n:03}", name="n" * 50_000, latest={"status": "Failed"}) for n in range(400)]
    run = report(fleet(*failed), settings={**TWO_CHANNELS, "COVERAGE": "off"}, timeout=60)
    assert time.monotonic() - started < 60, "the run outlived FC's timeout"
    assert run.error is None and len(run.dingtalk) == 1 and len(run.slack) == 1
    assert run.result["counts"]["failed"] == 400
    assert {len(i["name"]) for i in run.result["instances"]} == {128}  # cut where it was read
    assert all(i["name"].endswith("…") for i in run.result["instances"])


def test_a_two_megabyte_name_costs_a_cut_name_and_nothing_else(report):
    run = report(fleet(instance("r-huge01", name="x" * 2_000_000, latest={"status": "Failed"})), settings=TWO_CHANNELS)
    assert run.error is None and len(run.dingtalk) == 1 and len(run.slack) == 1
    assert len(json.dumps(run.result)) < 20_000


def test_a_lone_surrogate_in_a_name_leaves_a_result_that_encodes_as_utf8(monkeypatch):
    monkeypatch.setenv("INSTANCE_TAGS", "backup-report=daily")
    with sandbox.start(fleet(instance("r-surrogate", name="bad\ud800name", latest={"status": "Failed"})),
                       anchor=ANCHOR) as sb:
        for name, value in sb.env().items():
            if not name.startswith("ALIBABA_CLOUD_"):
                monkeypatch.setenv(name, value)
        text = index.handler(json.dumps({"triggerTime": ANCHOR, "payload": "{}"}).encode(),
                             fc_context(sb.credentials, "cn-hangzhou"))
    text.encode("utf-8")  # FC returns the result as UTF-8: a lone surrogate would fail the invocation here
    assert "bad\ufffdname" in text


def test_instances_over_the_runs_limit_are_named_as_not_checked_never_dropped(report):
    run = report(fleet(*[instance(f"r-many{n}") for n in range(8)]), settings={**TWO_CHANNELS, "MAX_INSTANCES": "5"})
    assert len(run.result["instances"]) == 5 and run.result["status"] == "alert"
    assert run.result["unchecked_regions"] == [{
        "region": "cn-hangzhou",
        "error": "OverLimit: 3 of 8 instances not checked: over the run's limit of 5 instances (5 checked here)"}]
    for text in (run.dingtalk_text, run.slack_text):
        assert "3 of 8 instances not checked: over the run's limit of 5 instances" in text


def test_drip_fed_api_answers_leave_no_thread_behind_invocation_after_invocation(report):
    def ours() -> list[str]:  # the function's threads, not the sandbox's (its servers' request threads)
        return [t.name for t in threading.enumerate() if "process_request_thread" not in t.name]

    before = ours()
    for n in range(3):
        run = report(fleet(instance("r-fine01"), instance("r-drip"),
                           faults=[{"kind": "drip", "instance": "r-drip", "seconds": 0.2}]),
                     settings={**TWO_CHANNELS, "COVERAGE": "off"}, timeout=20, request_id=f"drip-{n}")
        assert run.verdict("r-drip") == "error" and "no complete answer within" in run.detail("r-drip")
    # Each call was cut in its own thread at its deadline (watchdog.py): none is left to end on its own.
    assert ours() == before


def test_a_listing_the_budget_cuts_short_says_how_many_instances_it_did_not_reach(report):
    many = [instance(f"r-listed{n:03}", history={"days": 1, "at": "18:10"}) for n in range(400)]
    run = report(fleet(*many, faults=[{"kind": "latency", "ms": 1500, "action": "DescribeInstances"}]),
                 settings=TWO_CHANNELS, timeout=20)
    [region] = run.result["unchecked_regions"]
    assert re.fullmatch(r"OutOfTime: [0-9,]+ of 400 instances not listed: the run ran out of time", region["error"])
    assert len(run.result["instances"]) < 400 and "instances not listed: the run ran out of time" in run.slack_text
