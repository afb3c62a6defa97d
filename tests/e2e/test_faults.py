"""Fault injection through the handler on the sandbox: every fault is survived or reported.

Each test stages one fault (API throttling, 503s, resets, hung calls, refusals, out of time, a
DingTalk or Slack refusal, both channels down, odd backup records) and asserts the verdicts and
deliveries the run ends with. Every run also goes through `nothing_unchecked_is_fine`: an instance
whose API answers the run did not get in full is never counted as fine, in any test.
"""
from __future__ import annotations

import time

import pytest

from conftest import Run, fleet, instance, keep_urllib3_at_debug

FINE = {"ok", "not_due", "new"}
RUNS: list[Run] = []  # every run of this module, for the last test's sweep


def nothing_unchecked_is_fine(run: Run) -> None:
    """An instance is checked only when its last policy read and its last backups read answered OK."""
    if run.result is None or run.result["status"] == "error":  # stopped at its settings: nothing was read
        assert run.result is None or run.calls() == []
        return
    last: dict[tuple[str, str], str] = {}
    for call in run.calls():
        if call.params.get("InstanceId"):
            last[(call.params["InstanceId"], call.action)] = call.code
    for entry in run.result["instances"]:
        answered = (last.get((entry["instance_id"], "DescribeBackupPolicy")) == "OK"
                    and last.get((entry["instance_id"], "DescribeBackups")) == "OK")
        if not answered:
            assert entry["verdict"] == "error", f"{entry} was not checked but is {entry['verdict']}"
    fine = sum(n for kind, n in run.result["counts"].items() if kind in FINE)
    assert fine == len([e for e in run.result["instances"] if e["verdict"] in FINE])
    if run.result["counts"]["error"] or run.result.get("unchecked_regions"):
        assert run.result["status"] == "alert"
    failed_regions = {c.params.get("RegionId") for c in run.calls("DescribeInstances") if c.code != "OK"}
    retried_ok = {c.params.get("RegionId") for c in run.calls("DescribeInstances") if c.code == "OK"}
    unchecked = {r["region"] for r in run.result.get("unchecked_regions", [])}
    assert failed_regions - retried_ok <= unchecked


@pytest.fixture
def run(report):
    """`report`, plus the never-fine sweep over the run's result and the API's call log."""

    def go(scenario, **kwargs) -> Run:
        outcome = report(scenario, **kwargs)
        nothing_unchecked_is_fine(outcome)
        RUNS.append(outcome)
        return outcome

    return go


def api_calls(run: Run, instance_id: str, action: str | None = None) -> list:
    return [c for c in run.calls(action) if c.params.get("InstanceId") == instance_id]


def delivered(run: Run) -> dict[str, bool]:
    return {d["channel"]: d["ok"] for d in run.result["deliveries"]}


def delivery(run: Run, channel: str) -> dict:
    return next(d for d in run.result["deliveries"] if d["channel"] == channel)


HEALTHY = (instance("r-fine01"), instance("r-fine02"))
NEW_OK = {"feishu": True, "wecom": True}  # the sandbox's Feishu and WeCom channels, untouched by these faults


# --- R-KVStore API faults -------------------------------------------------------------------------

@pytest.mark.parametrize("fault", [
    {"kind": "throttle", "first": 3},
    {"kind": "throttle", "first": 2, "action": "DescribeBackups"},
    {"kind": "unavailable", "first": 2},
    {"kind": "unavailable", "instance": "r-hit", "first": 2},
    {"kind": "reset", "first": 1},
    {"kind": "reset", "instance": "r-hit", "first": 1},
], ids=lambda f: "-".join(str(v) for v in f.values()))
def test_a_passing_fault_is_retried_and_every_instance_is_fine(run, fault):
    result = run(fleet(*HEALTHY, instance("r-hit"), faults=[fault]))
    assert result.error is None
    assert result.verdicts == {"r-fine01": "ok", "r-fine02": "ok", "r-hit": "ok"}
    refused = [c for c in result.calls() if c.code != "OK"]
    assert len(refused) == fault["first"], "the fault was acted out"
    assert result.result["status"] == "ok"
    assert delivered(result) == {"dingtalk": True, "slack": True, **NEW_OK}


@pytest.mark.parametrize("fault,code", [
    ({"kind": "throttle", "instance": "r-hit"}, "Throttling.User"),
    ({"kind": "unavailable", "instance": "r-hit"}, "ServiceUnavailable"),
    ({"kind": "reset", "instance": "r-hit"}, "ConnectionError"),
], ids=["throttled", "unavailable", "reset"])
def test_a_lasting_transient_fault_is_retried_then_an_error_with_its_code(run, fault, code):
    result = run(fleet(*HEALTHY, instance("r-hit"), faults=[fault]))
    assert result.verdicts == {"r-fine01": "ok", "r-fine02": "ok", "r-hit": "error"}
    assert code in result.detail("r-hit")
    assert len(api_calls(result, "r-hit", "DescribeBackupPolicy")) > 1, "a transient fault is retried"
    assert api_calls(result, "r-hit", "DescribeBackups") == []
    assert result.result["status"] == "alert"
    assert "r-hit" in result.dingtalk_text and code in result.dingtalk_text and "r-hit" in result.slack_text


@pytest.mark.parametrize("fault,code", [
    ({"kind": "forbidden", "instance": "r-hit"}, "Forbidden.RAM"),
    ({"kind": "not_found", "instance": "r-hit"}, "InvalidInstanceId.NotFound"),
], ids=["forbidden", "not-found"])
def test_a_permanent_refusal_is_an_error_at_once_without_retry(run, fault, code):
    result = run(fleet(*HEALTHY, instance("r-hit"), faults=[fault]))
    assert result.verdicts == {"r-fine01": "ok", "r-fine02": "ok", "r-hit": "error"}
    assert code in result.detail("r-hit")
    assert len(api_calls(result, "r-hit", "DescribeBackupPolicy")) == 1, "a permanent refusal is not retried"
    assert api_calls(result, "r-hit") == api_calls(result, "r-hit", "DescribeBackupPolicy")
    assert code in result.dingtalk_text and code in result.slack_text


def test_a_permanent_refusal_of_the_backup_list_is_an_error_too(run):
    result = run(fleet(*HEALTHY, instance("r-hit"),
                       faults=[{"kind": "forbidden", "instance": "r-hit", "action": "DescribeBackups"}]))
    assert result.verdict("r-hit") == "error" and "DescribeBackups" in result.detail("r-hit")
    assert len(api_calls(result, "r-hit", "DescribeBackups")) == 1


def test_a_region_whose_discovery_is_refused_is_reported_not_checked_and_the_others_go_on(run):
    result = run(fleet(instance("r-hangzhou"), instance("r-shanghai", region="cn-shanghai"),
                       faults=[{"kind": "forbidden", "region": "cn-shanghai", "action": "DescribeInstances"}]),
                 settings={"REGIONS": "cn-hangzhou,cn-shanghai"})
    assert result.verdicts == {"r-hangzhou": "ok"}
    assert [r["region"] for r in result.result["unchecked_regions"]] == ["cn-shanghai"]
    assert "Forbidden.RAM" in result.result["unchecked_regions"][0]["error"]
    assert result.result["status"] == "alert"
    shanghai = [c for c in result.calls("DescribeInstances") if c.params.get("RegionId") == "cn-shanghai"]
    assert len(shanghai) == 1, "a permanent refusal is not retried"  # the one listing, serving the coverage too
    # The coverage listing (no tag filter) is refused too: said, and the run goes on.
    assert result.result["coverage"][1]["region"] == "cn-shanghai"
    assert "Forbidden.RAM" in result.result["coverage"][1]["error"]
    for text in (result.dingtalk_text, result.slack_text):
        assert "cn-shanghai not checked" in text and "Forbidden.RAM" in text
    assert result.dingtalk[0]["markdown"]["title"].startswith("🔴")


def test_a_region_whose_discovery_keeps_failing_is_reported_after_retries(run):
    result = run(fleet(instance("r-hangzhou"), instance("r-shanghai", region="cn-shanghai"),
                       faults=[{"kind": "unavailable", "region": "cn-shanghai", "action": "DescribeInstances"}]),
                 settings={"REGIONS": "cn-hangzhou,cn-shanghai"})
    assert result.verdicts == {"r-hangzhou": "ok"}
    assert [r["region"] for r in result.result["unchecked_regions"]] == ["cn-shanghai"]
    assert "ServiceUnavailable" in result.result["unchecked_regions"][0]["error"]
    assert len([c for c in result.calls("DescribeInstances") if c.params.get("RegionId") == "cn-shanghai"]) > 1


def test_a_hung_call_costs_one_instance_and_the_digest_goes_out_well_within_the_timeout(run):
    timeout = 20
    started = time.monotonic()
    result = run(fleet(*HEALTHY, instance("r-hung"), faults=[{"kind": "hang", "instance": "r-hung", "seconds": 600}]),
                 timeout=timeout)
    elapsed = time.monotonic() - started
    assert elapsed < timeout, f"the run took {elapsed:.1f} s of a {timeout} s timeout"
    assert result.verdicts == {"r-fine01": "ok", "r-fine02": "ok", "r-hung": "error"}
    assert "Timeout" in result.detail("r-hung")
    assert len(result.dingtalk) == 1 and len(result.slack) == 1
    assert "r-hung" in result.dingtalk_text and "r-hung" in result.slack_text
    assert delivered(result) == {"dingtalk": True, "slack": True, **NEW_OK}


def test_a_hung_backup_list_after_a_good_policy_read_is_an_error_within_the_timeout(run):
    timeout = 20
    started = time.monotonic()
    result = run(fleet(*HEALTHY, instance("r-hung"),
                       faults=[{"kind": "hang", "instance": "r-hung", "action": "DescribeBackups"}]),
                 timeout=timeout)
    assert time.monotonic() - started < timeout
    assert result.verdict("r-hung") == "error" and "DescribeBackups" in result.detail("r-hung")
    assert len(result.dingtalk) == 1 and len(result.slack) == 1


def test_a_drip_fed_api_answer_costs_one_instance_and_the_digest_goes_out_within_the_timeout(run):
    # A byte every 0.2 s: each read waits far less than the read timeout (2 s), so only the deadline
    # on the call as a whole (connect + read, 4 s) ends it.
    timeout = 20
    started = time.monotonic()
    result = run(fleet(*HEALTHY, instance("r-drip"), faults=[{"kind": "drip", "instance": "r-drip", "seconds": 0.2}]),
                 timeout=timeout)
    elapsed = time.monotonic() - started
    assert elapsed < timeout, f"the run took {elapsed:.1f} s of a {timeout} s timeout"
    assert result.verdicts == {"r-fine01": "ok", "r-fine02": "ok", "r-drip": "error"}
    assert "DescribeBackupPolicy failed: Timeout: no complete answer within 4 s" in result.detail("r-drip")
    assert len(api_calls(result, "r-drip", "DescribeBackupPolicy")) == 2, "retried once, the retry cut by the budget"
    assert len(result.dingtalk) == 1 and len(result.slack) == 1
    assert "r-drip" in result.dingtalk_text and "r-drip" in result.slack_text
    assert delivered(result) == {"dingtalk": True, "slack": True, "feishu": True, "wecom": True}


def test_running_out_of_time_leaves_instances_unchecked_never_fine_and_the_digest_still_goes_out(run):
    timeout = 15
    many = [instance(f"r-slow{n:02d}") for n in range(16)]
    started = time.monotonic()
    result = run(fleet(*many, faults=[{"kind": "latency", "ms": 500}]), timeout=timeout,
                 settings={"MAX_CONCURRENCY": "2"})
    assert time.monotonic() - started < timeout
    unchecked = [e for e in result.result["instances"]
                 if e["detail"].startswith("not checked: the run ran out of time")]
    assert unchecked, "some instances were not reached"
    assert all(e["verdict"] == "error" for e in unchecked)
    assert len(unchecked) < 16, "the ones reached in time were checked"
    assert result.result["counts"]["ok"] == 16 - len(unchecked)
    assert result.result["counts"]["error"] == len(unchecked)
    assert result.result["status"] == "alert"
    assert len(result.dingtalk) == 1 and len(result.slack) == 1
    assert "ran out of time" in result.dingtalk_text


def test_a_slow_many_page_read_stops_at_the_budget_and_the_digest_goes_out_within_the_timeout(run):
    timeout = 12
    big = instance("r-big", architecture="cluster", shards=128, history={"days": 31, "at": "18:10"})
    started = time.monotonic()
    result = run(fleet(instance("r-fine01"), big, faults=[{"kind": "latency", "ms": 1000}]),
                 timeout=timeout, settings={"HISTORY_DAYS": "30"})
    elapsed = time.monotonic() - started
    assert elapsed < timeout, f"the run took {elapsed:.1f} s of a {timeout} s timeout"
    assert result.verdict("r-big") == "error" and "ran out of time" in result.detail("r-big")
    assert len(result.dingtalk) == 1 and len(result.slack) == 1


# --- Delivery faults ------------------------------------------------------------------------------

def test_dingtalk_sending_too_fast_is_not_retried_within_the_run_and_slack_still_delivers(run):
    result = run(fleet(*HEALTHY, dingtalk={"faults": [{"errcode": 130101, "first": 1}]}))
    assert result.sandbox.dingtalk.attempts == 1, "130101 blocks the robot for 10 minutes: a retry cannot help"
    ding = delivery(result, "dingtalk")
    assert ding["ok"] is False and "errcode 130101" in ding["error"]
    assert "more than 20 messages a minute to this robot; DingTalk blocks it for 10 minutes" in ding["error"]
    assert delivery(result, "slack")["ok"] is True and len(result.slack) == 1 and result.error is None


@pytest.mark.parametrize("errcode,meaning", [
    (310000, "security settings"),
    (300001, "access_token is not valid"),
    (400013, "disabled"),
])
def test_a_dingtalk_refusal_is_permanent_with_its_meaning_and_slack_still_gets_the_digest(run, errcode, meaning):
    result = run(fleet(*HEALTHY, dingtalk={"faults": [{"errcode": errcode}]}))
    assert result.error is None, "one channel accepted: the run must not raise (a retry would post twice)"
    assert result.sandbox.dingtalk.attempts == 1, "a permanent refusal is not retried"
    ding = delivery(result, "dingtalk")
    assert ding["ok"] is False and f"errcode {errcode}" in ding["error"] and meaning in ding["error"]
    assert delivery(result, "slack") == {"channel": "slack", "ok": True} and len(result.slack) == 1


def test_slack_rate_limit_is_retried_after_the_time_it_asks_for(run):
    started = time.monotonic()
    result = run(fleet(*HEALTHY, slack={"faults": [{"status": 429, "retry_after": 2, "first": 1}]}))
    assert time.monotonic() - started >= 2, "Retry-After: 2 was honoured"
    assert result.sandbox.slack.attempts == 2 and len(result.slack) == 1
    assert delivered(result) == {"dingtalk": True, "slack": True, **NEW_OK}


@pytest.mark.parametrize("fault,says", [
    ({"status": 404, "error": "no_service"}, "the webhook was removed or disabled"),
    ({"status": 403, "error": "invalid_token"}, "token is not valid"),
    ({"status": 410, "error": "channel_is_archived"}, "archived"),
], ids=["no_service", "invalid_token", "archived"])
def test_a_slack_refusal_is_permanent_and_dingtalk_still_gets_the_digest(run, fault, says):
    result = run(fleet(*HEALTHY, slack={"faults": [fault]}))
    assert result.error is None
    assert result.sandbox.slack.attempts == 1
    slack = delivery(result, "slack")
    assert slack["ok"] is False and fault["error"] in slack["error"] and says in slack["error"]
    assert delivery(result, "dingtalk") == {"channel": "dingtalk", "ok": True} and len(result.dingtalk) == 1


@pytest.mark.parametrize("fault", [{"status": 500, "first": 2}, {"status": 503, "first": 1}], ids=["500x2", "503"])
def test_a_slack_server_error_is_retried(run, fault):
    result = run(fleet(*HEALTHY, slack={"faults": [fault]}))
    assert delivered(result) == {"dingtalk": True, "slack": True, **NEW_OK}
    assert result.sandbox.slack.attempts == fault["first"] + 1 and len(result.slack) == 1


@pytest.mark.parametrize("channel", ["dingtalk", "slack"])
def test_a_connection_reset_after_the_post_was_sent_is_unknown_and_not_retried(run, channel):
    result = run(fleet(*HEALTHY, **{channel: {"faults": [{"kind": "reset", "first": 1}]}}))
    assert getattr(result.sandbox, channel).attempts == 1, "the service had the whole post: a retry could double it"
    failed = delivery(result, channel)
    assert failed["ok"] is False and "unknown whether delivered" in failed["error"] and "(after 1 attempt)" in failed["error"]
    other = "slack" if channel == "dingtalk" else "dingtalk"
    assert delivery(result, other)["ok"] is True and result.error is None


@pytest.mark.parametrize("channel,fault,says", [
    ("dingtalk", {"errcode": -1}, "DingTalk is busy"),
    ("slack", {"status": 429, "retry_after": 1}, "rate limited for 1 s"),
    ("slack", {"status": 503}, "HTTP 503"),
], ids=["dingtalk-busy", "slack-429", "slack-503"])
def test_a_lasting_channel_fault_is_retried_then_reported_and_the_other_channel_delivers(run, channel, fault, says):
    result = run(fleet(*HEALTHY, **{channel: {"faults": [fault]}}))
    attempts = getattr(result.sandbox, channel).attempts
    assert attempts > 1, "a fault that may pass is retried"
    failed = delivery(result, channel)
    assert failed["ok"] is False and says in failed["error"] and f"after {attempts} attempts" in failed["error"]
    other = "slack" if channel == "dingtalk" else "dingtalk"
    assert delivery(result, other)["ok"] is True and result.error is None


@pytest.mark.parametrize("channel", ["dingtalk", "slack"])
def test_a_hung_channel_does_not_starve_the_other_and_the_run_ends_within_the_timeout(run, channel):
    timeout = 10
    started = time.monotonic()
    result = run(fleet(*HEALTHY, **{channel: {"faults": [{"kind": "hang", "seconds": 600}]}}), timeout=timeout)
    elapsed = time.monotonic() - started
    assert elapsed < timeout, f"the run took {elapsed:.1f} s of a {timeout} s timeout"
    other = "slack" if channel == "dingtalk" else "dingtalk"
    assert delivered(result) == {channel: False, other: True, **NEW_OK}
    assert "no complete answer within 1 s: unknown whether delivered" in delivery(result, channel)["error"]
    assert getattr(result.sandbox, channel).attempts == 1, "a post that may have landed is not repeated"
    assert result.error is None


def test_a_hung_api_and_a_hung_channel_together_still_end_within_the_timeout(run):
    timeout = 20
    started = time.monotonic()
    result = run(fleet(*HEALTHY, instance("r-hung"), faults=[{"kind": "hang", "instance": "r-hung"}],
                       dingtalk={"faults": [{"kind": "hang", "seconds": 600}]}), timeout=timeout)
    elapsed = time.monotonic() - started
    assert elapsed < timeout, f"the run took {elapsed:.1f} s of a {timeout} s timeout"
    assert result.verdict("r-hung") == "error"
    assert delivered(result) == {"dingtalk": False, "slack": True, **NEW_OK} and "r-hung" in result.slack_text


BOTH_DOWN = {"dingtalk": {"faults": [{"errcode": 310000}]}, "slack": {"faults": [{"status": 404, "error": "no_service"}]},
             # and the other two channels, so that no channel takes the digest
             "feishu": {"faults": [{"code": 19024}]}, "wecom": {"faults": [{"errcode": 93000}]}}


def test_both_channels_down_raises_naming_both_and_no_secret(run):
    result = run(fleet(*HEALTHY, **BOTH_DOWN))
    assert result.error is not None, "nothing was delivered: FC must see a failed invocation"
    text = str(result.error)
    assert "dingtalk" in text and "slack" in text
    assert "310000" in text and "no_service" in text
    # the fixture has already scanned the error text for every secret of the run
    assert result.dingtalk == [] and result.slack == []


def test_both_channels_down_for_an_alert_raises_too(run):
    result = run(fleet(instance("r-failed", latest={"status": "Failed"}), **BOTH_DOWN), settings={"NOTIFY_ON": "failure"})
    assert result.error is not None and "dingtalk" in str(result.error) and "slack" in str(result.error)


def test_both_channels_down_with_nothing_to_report_does_not_raise(run):
    result = run(fleet(*HEALTHY, **BOTH_DOWN), settings={"NOTIFY_ON": "failure"})
    assert result.error is None
    assert result.sandbox.dingtalk.attempts == 0 and result.sandbox.slack.attempts == 0
    assert all(d["ok"] and d["skipped"] for d in result.result["deliveries"])


def test_everything_hung_still_ends_within_the_timeout_and_returns_since_each_post_may_have_landed(run):
    timeout = 10
    started = time.monotonic()
    result = run(fleet(*HEALTHY, instance("r-hung"), faults=[{"kind": "hang", "instance": "r-hung"}],
                       dingtalk={"faults": [{"kind": "hang"}]}, slack={"faults": [{"kind": "hang"}]},
                       feishu={"faults": [{"kind": "hang"}]}, wecom={"faults": [{"kind": "hang"}]}), timeout=timeout)
    elapsed = time.monotonic() - started
    assert elapsed < timeout, f"the run took {elapsed:.1f} s of a {timeout} s timeout"
    # Each post was sent and never answered: it may have landed, so FC must not be made to retry it.
    assert result.error is None
    assert {d["channel"]: (d["ok"], d.get("maybe_delivered")) for d in result.result["deliveries"]} == {
        c: (False, True) for c in ("dingtalk", "slack", "feishu", "wecom")}
    assert [getattr(result.sandbox, c).attempts for c in ("dingtalk", "slack", "feishu", "wecom")] == [1, 1, 1, 1]


# --- Settings -------------------------------------------------------------------------------------

def test_a_bad_setting_stops_the_run_before_any_call_and_does_not_quote_the_token(run):
    result = run(fleet(*HEALTHY), settings={"DINGTALK_WEBHOOK": "http://example.com/robot/send?access_token=abcdef123456",
                                            "LOOKBACK_HOURS": "0"})
    # Slack's webhook is fine, so Slack is told (issue 15); the bad DingTalk webhook is never posted to.
    assert result.error is None and result.result["status"] == "error"
    text = "\n".join(result.result["settings"]) + result.slack_text
    assert "DINGTALK_WEBHOOK" in text and "LOOKBACK_HOURS" in text and "abcdef123456" not in text
    assert result.calls() == [] and result.dingtalk == [] and len(result.slack) == 1


# --- Odd API data ---------------------------------------------------------------------------------

ODD = [
    ("unknown-status", {"BackupStatus": "Weird"}, "unrecognised BackupStatus 'Weird'"),
    ("null-status", {"BackupStatus": None}, "unrecognised BackupStatus"),
    ("unparsable-start", {"BackupStartTime": "yesterday at two"}, "without a readable start time"),
    ("null-start", {"BackupStartTime": None}, "without a readable start time"),
    ("impossible-start", {"BackupStartTime": "2026-13-45T99:00:00Z"}, "without a readable start time"),
    ("number-start", {"BackupStartTime": 1764284400}, "without a readable start time"),
]


@pytest.mark.parametrize("raw,says", [(raw, says) for _, raw, says in ODD], ids=[name for name, _, _ in ODD])
def test_an_odd_newest_record_is_never_ok_and_the_detail_says_why(run, raw, says):
    odd = instance("r-odd", backups=[{"start": "-2h", "mode": "Manual", "raw": raw}])
    result = run(fleet(instance("r-fine01"), odd))
    assert result.error is None
    assert result.verdict("r-fine01") == "ok"
    assert result.verdict("r-odd") not in FINE
    assert says in result.detail("r-odd")
    assert result.result["status"] == "alert"


def test_odd_records_alone_never_make_an_instance_ok(run):
    only_odd = [{"start": "-6h50m", "raw": {"BackupStatus": None, "BackupStartTime": None, "BackupSize": None,
                                            "BackupId": None, "NodeInstanceId": None, "BackupEndTime": None}},
                {"start": "-6h40m", "raw": {"BackupStatus": "success"}}]
    result = run(fleet(instance("r-odd", history=None, backups=only_odd)))
    assert result.verdict("r-odd") not in FINE


@pytest.mark.parametrize("offset", [1, -1, 500])
def test_a_total_count_that_disagrees_with_the_pages_is_never_ok(run, offset):
    result = run(fleet(instance("r-fine01"), instance("r-odd", total_count_offset=offset)))
    assert result.verdict("r-odd") == "error"
    assert "TotalCount" in result.detail("r-odd")
    assert result.verdict("r-fine01") == "ok"


def test_a_cluster_record_without_a_node_does_not_stand_in_for_a_missing_shard(run):
    clu = instance("r-clu", architecture="cluster", shards=2, latest={"status": "Absent", "nodes": [1]},
                   backups=[{"start": "-6h", "size": "2GB", "node": 1, "raw": {"NodeInstanceId": None}}])
    result = run(fleet(clu))
    assert result.verdict("r-clu") not in FINE


@pytest.mark.parametrize("start", ["2099-01-01T00:00:00Z", "2026-11-28T03:00:00Z"])
def test_a_success_dated_after_the_run_is_never_ok(run, start):
    future = instance("r-odd", history=None, backups=[{"start": "-6h50m", "raw": {"BackupStartTime": start}}])
    result = run(fleet(future))
    assert result.verdict("r-odd") not in FINE
    assert "after the end of the window" in result.detail("r-odd")


def test_an_alert_with_odd_data_behind_it_stays_an_alert_and_says_what_was_odd(run):
    result = run(fleet(instance("r-odd", latest={"status": "Failed"}, total_count_offset=2)))
    assert result.verdict("r-odd") == "failed"
    assert "failed at" in result.detail("r-odd") and "TotalCount" in result.detail("r-odd")


@pytest.mark.parametrize("raw,says", [
    ({"BackupSize": None}, "size unknown"), ({"BackupSize": -5}, "size unknown"), ({"BackupSize": "2GB"}, "size unknown"),
    ({"BackupEndTime": "soon"}, "last backup"), ({"BackupId": None}, "last backup"),
    ({"BackupType": None}, "last backup"), ({"BackupMode": 7}, "last backup"),
], ids=["null-size", "negative-size", "text-size", "odd-end", "null-id", "null-type", "number-mode"])
def test_an_odd_secondary_field_never_crashes_a_run_and_an_unreadable_size_is_said(run, raw, says):
    # Status, start (and a cluster's node) decide a verdict; the other fields only describe the backup.
    result = run(fleet(instance("r-odd", backups=[{"start": "-2h", "mode": "Manual", "raw": raw}])))
    assert result.error is None and result.verdict("r-odd") == "ok"
    assert says in result.detail("r-odd")


# --- Secrets at DEBUG -----------------------------------------------------------------------------

@pytest.mark.parametrize("slack_path", [None, "T0SANDBOX/B0SANDBOX/shorttok9"], ids=["default", "short-token"])
def test_at_debug_with_libraries_logging_requests_no_webhook_token_is_in_the_logs(run, monkeypatch, caplog, slack_path):
    keep_urllib3_at_debug(monkeypatch)
    spec = {"slack": {"path": slack_path}} if slack_path else {}
    result = run(fleet(*HEALTHY, instance("r-hit"), faults=[{"kind": "reset", "instance": "r-hit", "first": 1}],
                       dingtalk={"faults": [{"errcode": -1, "first": 1}]}, **spec))
    token = result.sandbox.scenario.dingtalk.token
    slack_token = result.sandbox.scenario.slack.path.rsplit("/", 1)[-1]
    requests_logged = [r for r in caplog.records if r.name.startswith("urllib3") and "POST /" in r.getMessage()]
    assert any("/robot/send?access_token=***" in r.getMessage() for r in requests_logged), \
        "the DingTalk request line was logged, with its token scrubbed"
    assert any("/services/" in r.getMessage() for r in requests_logged)
    assert any(r.name.startswith("urllib3") and "POST /" in r.getMessage() for r in caplog.records)
    assert token not in caplog.text and slack_token not in caplog.text
    assert all(token not in r.getMessage() and slack_token not in r.getMessage() for r in caplog.records)
    assert delivered(result) == {"dingtalk": True, "slack": True, **NEW_OK}


def test_the_scan_catches_a_token_logged_by_a_third_party_library(report, monkeypatch):
    keep_urllib3_at_debug(monkeypatch)
    monkeypatch.setattr("backup_report.redact.RedactingFilter.scrub", lambda self, text: text)
    with pytest.raises(AssertionError, match="a secret leaked"):
        report(fleet(*HEALTHY))


def test_the_scan_catches_a_token_in_a_message(report):
    planted = "plantedtoken0123456789"
    with pytest.raises(AssertionError, match=f"a secret leaked.*{planted}"):
        report(fleet(instance("r-leaky", name=planted, latest={"status": "Failed"}), dingtalk={"token": planted}))


# --- The sweep ------------------------------------------------------------------------------------

def test_no_run_of_this_module_counted_an_unchecked_instance_as_fine():
    if not RUNS:
        pytest.skip("run with the rest of the module")
    for outcome in RUNS:
        nothing_unchecked_is_fine(outcome)
