"""Who decides what: the deployer's environment decides where signed requests, reports and secrets go; an
invoker's event payload may only narrow or tune a run. Through index.handler on the sandbox, with a second
sandbox standing for the invoker's own hosts, which must never hear from the function."""
from __future__ import annotations

import json
import pytest

import sandbox
from conftest import ANCHOR, TWO_CHANNELS, fleet, instance

HEALTHY = (instance("r-fine01"), instance("r-fine02", latest={"status": "Failed"}))


@pytest.fixture
def elsewhere():
    """The invoker's hosts: an API, robots, a bucket and a check the function's environment never named."""
    with sandbox.start(fleet(instance("r-fine01")), anchor=ANCHOR) as sb:
        yield sb


def heard_nothing(sb: sandbox.Sandbox) -> None:
    assert sb.kvstore.calls == [] and sb.dingtalk.messages == [] and sb.slack.messages == []
    assert sb.feishu.messages == [] and sb.wecom.messages == [] and sb.heartbeat.signals == []
    assert sb.oss.requests == []


@pytest.mark.parametrize("key", ["kvstore_endpoint", "kvstore_protocol", "archive_oss_endpoint",
                                 "archive_oss_bucket", "archive_oss_prefix", "payload_settings"])
def test_a_payload_never_chooses_where_signed_requests_go(report, elsewhere, key):
    value = {"kvstore_endpoint": elsewhere.kvstore_endpoint, "kvstore_protocol": "http",
             "archive_oss_endpoint": elsewhere.oss_endpoint, "archive_oss_bucket": "invokers-bucket",
             "archive_oss_prefix": "x/", "payload_settings": "SLACK_WEBHOOK"}[key]
    run = report(fleet(*HEALTHY), settings=TWO_CHANNELS, payload={key: value})
    heard_nothing(elsewhere)
    assert run.calls() == [] and run.result["status"] == "error"
    problem = f"payload key '{key}': {key.upper()} can only be set in the function's environment (s.yaml)"
    assert [p for p in run.result["settings"] if p.startswith(problem)], run.result["settings"]
    for text in (run.dingtalk_text, run.slack_text):  # the team is told, in the environment's channels
        assert "did not run: its settings have 1 problem" in text


@pytest.mark.parametrize("key", ["dingtalk_webhook", "slack_webhook", "feishu_webhook", "wecom_webhook",
                                 "heartbeat_url", "dingtalk_secret", "slack_mention", "dingtalk_at_mobiles"])
def test_a_channel_a_secret_or_a_mention_from_a_payload_is_refused_unless_the_deployer_opted_in(
        report, elsewhere, key):
    value = {"dingtalk_webhook": elsewhere.dingtalk_webhook, "slack_webhook": elsewhere.slack_webhook,
             "feishu_webhook": elsewhere.feishu_webhook, "wecom_webhook": elsewhere.wecom_webhook,
             "heartbeat_url": elsewhere.heartbeat_url, "dingtalk_secret": "SECinvokerssecret",
             "slack_mention": "<!channel>", "dingtalk_at_mobiles": "13900000000"}[key]
    run = report(fleet(*HEALTHY), settings=TWO_CHANNELS, payload={key: value})
    heard_nothing(elsewhere)
    assert run.calls() == [] and len(run.dingtalk) == 1 and len(run.slack) == 1
    assert f"payload key '{key}': {key.upper()} is a destination or a secret, which an event's payload may set " \
           "only when the function's environment names it in PAYLOAD_SETTINGS" in run.result["settings"]


def test_an_opted_in_payload_webhook_gets_the_digest_unsigned_and_without_the_page_link(report):
    with sandbox.start(fleet(dingtalk={"token": "teambstoken0123", "secret": ""}), anchor=ANCHOR) as team_b:
        run = report(fleet(*HEALTHY), settings={**TWO_CHANNELS, "PAYLOAD_SETTINGS": "DINGTALK_WEBHOOK"},
                     payload={"dingtalk_webhook": team_b.dingtalk_webhook}, oss={})
    assert run.result["status"] == "alert" and run.dingtalk == []  # the environment's robot is replaced
    assert team_b.dingtalk.queries == [{"access_token": "teambstoken0123"}]  # no timestamp, no sign
    assert len(run.slack) == 1 and "Report page" in run.slack_text  # the environment's own channel has the link
    text = json.dumps(team_b.dingtalk.messages, ensure_ascii=False)
    assert "x-oss-security-token" not in text and "Report page" not in text and "r-fine02" in text
    assert "the report page is linked only in the channels the function's environment sets" in text


def test_a_payload_secret_or_mention_goes_only_with_a_webhook_from_the_same_payload(report):
    run = report(fleet(*HEALTHY), settings={**TWO_CHANNELS, "PAYLOAD_SETTINGS": "DINGTALK_SECRET,DINGTALK_AT_MOBILES"},
                 payload={"dingtalk_secret": "SECinvokerssecret", "dingtalk_at_mobiles": "13900000000"})
    assert run.calls() == []
    for key in ("dingtalk_secret", "dingtalk_at_mobiles"):
        assert f"payload key '{key}': {key.upper()} from a payload goes only with a DINGTALK_WEBHOOK from the same " \
               "payload, never with the environment's" in run.result["settings"]
    assert len(run.dingtalk) == 1 and "13900000000" not in run.dingtalk_text  # signed with the environment's secret


@pytest.mark.parametrize("key, loosened, tightened", [
    ("api_qps", "1000", "5"), ("max_concurrency", "64", "2"), ("report_link_days", "7", "1"),
    ("max_instances", "50000", "100"), ("backup_grace_minutes", "1440", "30"), ("min_retention_days", "0", "60"),
    ("min_backups_per_week", "1", "7"), ("require_backup_log", "off", "on"), ("coverage", "off", "on"),
    ("size_drop_percent", "0", "20")])
def test_a_payload_may_tighten_the_rate_limits_and_judgement_never_loosen_them(report, key, loosened, tightened):
    env = {**TWO_CHANNELS, "API_QPS": "20", "MAX_CONCURRENCY": "8", "REPORT_LINK_DAYS": "3", "MAX_INSTANCES": "1000",
           "MIN_RETENTION_DAYS": "30", "MIN_BACKUPS_PER_WEEK": "3", "REQUIRE_BACKUP_LOG": "on", "SIZE_DROP_PERCENT": "50"}
    refused = report(fleet(*HEALTHY), settings=env, payload={key: loosened})
    assert refused.calls() == [] and refused.result["status"] == "error"
    assert any(p.startswith(f"payload key '{key}': an event's payload may only tighten {key.upper()} (")
               and p.endswith(f", not {loosened}") for p in refused.result["settings"]), refused.result["settings"]
    tuned = report(fleet(*HEALTHY), settings=env, payload={key: tightened})
    assert tuned.result["status"] == "alert" and len(tuned.calls("DescribeBackups")) == 2


def test_a_payload_cannot_turn_last_nights_missed_backup_into_a_green_digest(report):
    run = report(fleet(instance("r-missed1", latest={"status": "Absent"})), settings=TWO_CHANNELS,
                 payload={"backup_grace_minutes": "1440"})
    assert run.calls() == [] and "🟢" not in run.dingtalk_text and "did not run" in run.dingtalk_text


@pytest.mark.parametrize("value", ["", "   ", "not a url", "https://hooks.slack.com"])
def test_a_blank_or_bad_opted_in_payload_webhook_leaves_the_environments_channel(report, value):
    run = report(fleet(*HEALTHY), settings={**TWO_CHANNELS, "PAYLOAD_SETTINGS": "SLACK_WEBHOOK"},
                 payload={"slack_webhook": value})
    assert run.error is None and len(run.slack) == 1 and len(run.dingtalk) == 1
    if value.strip():  # a bad value is a settings problem, told to the environment's own Slack
        assert "did not run" in run.slack_text and run.calls() == []
    else:  # a blank value sets nothing: the run is as the environment says
        assert run.result["status"] == "alert" and "r-fine02" in run.slack_text


def test_a_refused_key_is_told_to_the_environments_channels_not_the_payloads(report, elsewhere):
    run = report(fleet(*HEALTHY), settings={**TWO_CHANNELS, "PAYLOAD_SETTINGS": "SLACK_WEBHOOK"},
                 payload={"slack_webhook": elsewhere.slack_webhook, "kvstore_endpoint": elsewhere.kvstore_endpoint})
    heard_nothing(elsewhere)
    assert len(run.slack) == 1 and "did not run" in run.slack_text


@pytest.mark.parametrize("url", ["https://internal.corp.example/robot/send?access_token=abc",
                                 "https://100.100.100.200/robot/send?access_token=abc",
                                 "http://127.0.0.2:9000/robot/send?access_token=abc",
                                 "https://oapi.dingtalk.com:8443/robot/send?access_token=abc"])
def test_an_opted_in_payload_webhook_goes_only_to_its_services_host(report, url):
    run = report(fleet(*HEALTHY), settings={**TWO_CHANNELS, "PAYLOAD_SETTINGS": "DINGTALK_WEBHOOK"},
                 payload={"dingtalk_webhook": url})
    assert run.calls() == [] and len(run.dingtalk) == 1 and "did not run" in run.dingtalk_text
    assert "payload key 'dingtalk_webhook': DINGTALK_WEBHOOK from a payload goes only to oapi.dingtalk.com (its " \
           "service's own hosts) or to the environment's host, over https" in run.result["settings"]


def test_regions_are_bounded_to_what_alibaba_cloud_could_have(report):
    regions = ",".join(f"cn-x{n}" for n in range(3000))
    run = report(fleet(*HEALTHY), settings=TWO_CHANNELS, payload={"regions": regions})
    assert run.calls() == [] and len(run.slack) == 1
    assert any(p.startswith("REGIONS=") and "3000 regions; at most 40" in p for p in run.result["settings"])


def test_thousands_of_unknown_payload_keys_make_a_bounded_alert_every_channel_takes(report):
    run = report(fleet(*HEALTHY), payload={f"key{n}": "x" for n in range(5000)})
    assert len(run.result["settings"]) == 65 and run.result["settings"][-1] == "…and 4936 more payload keys refused"
    assert [d["ok"] for d in run.result["deliveries"]] == [True] * 4, run.result["deliveries"]  # WeCom's 4,096 bytes too
    assert [len(m) for m in (run.dingtalk, run.slack, run.feishu, run.wecom)] == [1, 1, 1, 1]
    assert len(json.dumps(run.result)) < 100_000


def test_an_invokers_secrets_hide_no_word_of_the_report(report, elsewhere):
    heartbeat = elsewhere.heartbeat_url + "?x=failed%20at%202026-11-27"
    run = report(fleet(*HEALTHY), settings={"PAYLOAD_SETTINGS": "FEISHU_WEBHOOK,FEISHU_SECRET,HEARTBEAT_URL"},
                 payload={"feishu_webhook": elsewhere.feishu_webhook, "feishu_secret": "r-fine02",
                          "heartbeat_url": heartbeat})
    assert run.result["status"] == "alert" and len(run.dingtalk) == 1
    assert " failed at 2026-11-27 18:10" in run.dingtalk_text and "r-fine02" in run.dingtalk_text
    assert "***" not in run.dingtalk_text and "***" not in json.dumps(run.result)
    assert '"instance_id": "r-fine02"' in run.logs
