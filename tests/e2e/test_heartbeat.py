"""The heartbeat (HEARTBEAT_URL) and the failure paths: what the check, the team and FC hear of each run.

Through index.handler against the sandbox's healthchecks.io-style check (`sandbox/heartbeat.py`).
"""
from __future__ import annotations

import json
import socket

import pytest

from backup_report.heartbeat import url_for
from conftest import TWO_CHANNELS, fleet, instance
from unit.channels import shown

HEALTHY = instance("r-healthy01")
FAILED = instance("r-failed01", latest={"status": "Failed"})
BOTH_DOWN = {"dingtalk": {"faults": [{"errcode": 310000}]}, "slack": {"faults": [{"status": 404, "error": "no_service"}]}}


def bodies(run, signal: str) -> list[dict]:
    return [json.loads(p.body) for p in run.sandbox.heartbeat.pings if p.signal == signal]


def test_a_good_run_pings_start_then_success_once_with_its_status_and_counts(report):
    run = report(fleet(HEALTHY, FAILED), settings=TWO_CHANNELS)
    assert run.pings == ["start", "success"]
    assert run.result["heartbeat"] == [{"signal": "start", "ok": True}, {"signal": "success", "ok": True}]
    # Success means the report went out, whatever the backups say: the alert itself is in the digest.
    assert bodies(run, "success") == [{"status": "alert", "counts": {"ok": 1, "failed": 1}, "failed": []}]
    assert len(run.dingtalk) == 1 and len(run.slack) == 1


def test_nothing_to_post_with_notify_on_failure_still_pings_success(report):
    run = report(fleet(HEALTHY), settings={**TWO_CHANNELS, "NOTIFY_ON": "failure"})
    assert run.dingtalk == [] and run.slack == []
    assert run.pings == ["start", "success"]


def test_no_channel_took_the_digest_pings_fail_naming_the_channels_and_fc_sees_the_failure(report):
    run = report(fleet(HEALTHY, **BOTH_DOWN), settings=TWO_CHANNELS)
    assert run.pings == ["start", "fail"]
    failed = bodies(run, "fail")[0]["failed"]
    assert [f.split(":")[0] for f in failed] == ["dingtalk", "slack"] and "no_service" in failed[1]
    assert run.error is not None and "no channel accepted the digest" in str(run.error)


def test_one_channel_took_the_digest_pings_success_and_names_the_other(report):
    run = report(fleet(HEALTHY, slack={"faults": [{"status": 404, "error": "no_service"}]}), settings=TWO_CHANNELS)
    assert run.pings == ["start", "success"] and run.error is None
    assert bodies(run, "success")[0]["failed"][0].startswith("slack: HTTP 404 no_service")


def test_a_bad_lookback_with_a_good_webhook_alerts_the_team_pings_fail_and_returns(report):
    run = report(fleet(HEALTHY), settings={**TWO_CHANNELS, "LOOKBACK_HOURS": "36h"})
    assert run.error is None, "raising would make FC retry a run that cannot succeed"
    assert run.calls() == [] and run.calls("DescribeBackups") == []
    assert run.pings == ["fail"]
    assert bodies(run, "fail") == [{"status": "error", "settings": run.result["settings"]}]
    assert run.result["status"] == "error" and "LOOKBACK_HOURS='36h' is invalid" in run.result["settings"][0]
    assert len(run.dingtalk) == 1 and len(run.slack) == 1
    title = run.dingtalk[0]["markdown"]["title"]
    assert title == "🔴 Redis backup report did not run: its settings have 1 problem"
    assert "LOOKBACK_HOURS='36h' is invalid: a whole number from 1 to 168" in shown.dingtalk(run.dingtalk[0]).text
    assert "LOOKBACK_HOURS='36h' is invalid: a whole number from 1 to 168" in run.slack_text
    assert run.result["deliveries"] == [{"channel": "dingtalk", "ok": True}, {"channel": "slack", "ok": True}]


@pytest.mark.parametrize("payload", ["awesome-fc", '"awesome-fc"', "[1, 2]", "42"])
def test_a_payload_that_is_not_a_json_object_reaches_the_team_and_the_check(report, payload):
    # "awesome-fc" is FC's own example payload for a timer trigger (devsapp/fc3 docs/zh/yaml/readme.md).
    run = report(fleet(HEALTHY), settings=TWO_CHANNELS, payload=payload)
    assert run.error is None and run.calls() == []
    assert run.pings == ["fail"]
    assert "event payload" in run.result["settings"][0] and "awesome-fc" in run.result["settings"][0]
    assert "event payload: not" in run.dingtalk_text and "event payload: not" in run.slack_text


def test_a_long_list_of_problems_is_cut_in_the_message_and_whole_in_the_result(report):
    payload = {f"not_a_setting_{n:02}": "x" for n in range(30)}
    run = report(fleet(HEALTHY), settings=TWO_CHANNELS, payload=payload)
    assert len(run.result["settings"]) == 30 and run.calls() == []
    for text in (run.dingtalk_text, run.slack_text):
        assert "its settings have 30 problems" in text
        assert "…and 18 more (all are in the run's result and log)" in text
    assert run.result["deliveries"] == [{"channel": "dingtalk", "ok": True}, {"channel": "slack", "ok": True}]


@pytest.mark.parametrize("payload", [" ", "\n\t ", ""])
def test_a_blank_payload_is_no_payload(report, payload):
    run = report(fleet(HEALTHY), settings=TWO_CHANNELS, payload=payload)
    assert run.error is None and run.result["status"] == "ok" and run.pings == ["start", "success"]


def test_a_bad_heartbeat_url_is_named_and_never_pinged(report):
    run = report(fleet(HEALTHY), settings={**TWO_CHANNELS, "HEARTBEAT_URL": "http://hc-ping.example/0f3c9b7e-5c1d-4c55-9a55-1d2b3c4d5e6f"})
    assert run.pings == [] and run.calls() == []
    assert "HEARTBEAT_URL='http://hc-ping.example/…' is invalid" in run.result["settings"][0]
    assert "0f3c9b7e" not in json.dumps(run.result) + run.dingtalk_text + run.logs
    assert run.result["heartbeat"] == [] and len(run.slack) == 1


def test_bad_settings_with_no_usable_channel_still_ping_fail_and_raise(report):
    run = report(fleet(HEALTHY), settings={**TWO_CHANNELS, "LOOKBACK_HOURS": "0", "SLACK_WEBHOOK": "ftp://hooks.slack.com/services/T/B/X",
                                           "DINGTALK_WEBHOOK": None, "DINGTALK_SECRET": None})
    assert run.error is not None and "LOOKBACK_HOURS" in str(run.error)
    assert run.pings == ["fail"] and run.calls() == []


@pytest.fixture
def closed_port():
    """A loopback port bound and never listening, for the test's length: connections to it are refused, and
    no other test (pytest-xdist runs them at once) can take it meanwhile."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest.mark.parametrize("staged", [
    pytest.param({"faults": [{"kind": "hang", "seconds": 600}]}, id="hung"),
    pytest.param({"faults": [{"kind": "late", "seconds": 600}]}, id="slow"),
    pytest.param({"faults": [{"kind": "redirect"}]}, id="redirect"),
    pytest.param({"faults": [{"status": 503}]}, id="503"),
    pytest.param({"faults": [{"kind": "reset"}]}, id="reset"),
    pytest.param(None, id="down"),
])
def test_a_heartbeat_that_is_down_slow_or_redirects_never_changes_the_run(report, staged, closed_port):
    settings = {"HEARTBEAT_URL": f"http://127.0.0.1:{closed_port}/0f3c9b7e-5c1d-4c55-9a55-1d2b3c4d5e6f"} \
        if staged is None else {}
    scenario = fleet(HEALTHY, FAILED, **({"heartbeat": staged} if staged else {}))
    run = report(scenario, settings={**TWO_CHANNELS, **settings}, timeout=30)
    assert run.error is None and run.result["status"] == "alert"
    assert run.verdicts == {"r-healthy01": "ok", "r-failed01": "failed"}
    assert len(run.dingtalk) == 1 and len(run.slack) == 1, "the digest went out"
    assert run.result["deliveries"] == [{"channel": "dingtalk", "ok": True}, {"channel": "slack", "ok": True}]
    pings = run.result["heartbeat"]
    assert [p["signal"] for p in pings] == ["start", "success"] and not all(p["ok"] for p in pings)
    assert all("error" in p for p in pings if not p["ok"])
    assert "heartbeat: the start ping failed" in run.logs or "heartbeat: the success ping failed" in run.logs


def test_a_redirect_is_never_followed_and_says_so(report):
    run = report(fleet(HEALTHY, heartbeat={"faults": [{"kind": "redirect", "first": 1}]}), settings=TWO_CHANNELS)
    assert run.result["heartbeat"][0] == {
        "signal": "start", "ok": False,
        "error": "HTTP 302: a redirect, not followed (not the monitor's answer) (after 1 attempt)"}
    assert run.pings == ["success"] and run.sandbox.heartbeat.attempts == 2


def test_a_dry_run_pings_nothing(report):
    # The CLI's `run --dry-run` goes through app.run with dry_run; a local try must not touch the team's check.
    from backup_report import app
    import sandbox
    from sandbox.demo import fc_context
    with sandbox.start(fleet(HEALTHY)) as sb:
        env = {**sb.env(), "INSTANCE_TAGS": "backup-report=daily"}
        result = json.loads(app.run(b'{"payload": "{}"}', fc_context(sb.credentials, region="cn-hangzhou"),
                                    environ=env, dry_run=True))
        assert sb.heartbeat.pings == [] and result["heartbeat"] == []


@pytest.mark.parametrize("url,signal,expected", [
    ("https://hc-ping.com/0f3c9b7e", "start", "https://hc-ping.com/0f3c9b7e/start"),
    ("https://hc-ping.com/0f3c9b7e", "success", "https://hc-ping.com/0f3c9b7e"),
    ("https://hc-ping.com/key/backup-report/", "fail", "https://hc-ping.com/key/backup-report/fail"),
    ("https://cronitor.link/p/apikey/backups", "start", "https://cronitor.link/p/apikey/backups?state=run"),
    ("https://cronitor.link/p/apikey/backups?env=prod", "success",
     "https://cronitor.link/p/apikey/backups?env=prod&state=complete"),
])
def test_ping_urls_follow_each_services_documented_convention(url, signal, expected):
    assert url_for(url, signal) == expected


@pytest.mark.parametrize("staged,said,warning", [
    pytest.param({"deleted": True}, "'OK (not found)'", "the heartbeat check does not exist: check HEARTBEAT_URL",
                 id="deleted check"),
    pytest.param({"faults": [{"kind": "rate_limited", "first": 1}]}, "'OK (rate limited)'",
                 "the heartbeat service dropped a ping as rate-limited (over 5 a minute to one check): give each "
                 "trigger its own HEARTBEAT_URL", id="rate limited"),
])
def test_a_200_that_is_not_ok_is_a_failed_ping_named_in_words_and_in_the_footer(report, staged, said, warning):
    # healthchecks.io answers every UUID URL with HTTP 200 (healthchecks/healthchecks#741): the body decides.
    run = report(fleet(HEALTHY, heartbeat=staged), settings=TWO_CHANNELS)
    start = run.result["heartbeat"][0]
    assert start["signal"] == "start" and start["ok"] is False
    assert start["error"].startswith(f"HTTP 200 {said}: {warning}")
    footer = shown.dingtalk(run.dingtalk[0]).text.splitlines()[-1]  # as DingTalk shows it
    assert footer.startswith("Backups from") and footer.endswith(f"⚠️ {warning}")
    assert f"⚠️ {warning}\n" in shown.slack(run.slack[0]).text  # the footer; then the fallback text
    assert run.error is None and run.result["deliveries"][0]["ok"], "the digest still went out"
    assert "heartbeat: the start ping failed" in run.logs


def test_a_ping_that_landed_puts_nothing_in_the_footer(report):
    run = report(fleet(HEALTHY), settings=TWO_CHANNELS)
    assert run.result["heartbeat"][0] == {"signal": "start", "ok": True}
    assert "heartbeat" not in run.dingtalk_text.lower()
