"""The report end to end: index.handler against the sandbox, asserting what people read."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import TWO_CHANNELS, ANCHOR, fleet, instance

HEALTHY = instance("r-healthy01")
FAILED = instance("r-failed01", latest={"status": "Failed"})


def test_a_healthy_fleet_gets_a_green_summary_on_both_channels(report):
    run = report(fleet(HEALTHY, instance("r-healthy02")))
    assert run.result["status"] == "ok"
    assert run.verdicts == {"r-healthy01": "ok", "r-healthy02": "ok"}
    assert run.dingtalk[0]["markdown"]["title"] == "🟢 Redis backups: 2 fine"
    assert run.slack[0]["blocks"][0]["text"]["text"] == "🟢 Redis backups: 2 fine"
    assert "✅ 2 ok" in run.dingtalk_text and "✅ 2 ok" in run.slack_text
    assert run.result["deliveries"] == [{"channel": c, "ok": True} for c in ("dingtalk", "slack", "feishu", "wecom")]


def test_a_failed_backup_is_an_alert_naming_the_instance_and_the_backup(report):
    run = report(fleet(HEALTHY, FAILED))
    assert run.result["status"] == "alert"
    assert run.verdict("r-failed01") == "failed"
    detail = run.detail("r-failed01")
    assert "failed at 2026-11-27 18:10" in detail and "last success 2026-11-26 18:10" in detail
    page = "https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou/r-failed01"
    assert f"[failed01-cache]({page}) (r-failed01, cn-hangzhou): backup" in run.dingtalk_text
    assert f"<{page}|failed01-cache> (r-failed01, cn-hangzhou): backup" in run.slack_text
    for text in (run.dingtalk_text, run.slack_text):
        assert "1 needs attention · 1 fine" in text


def test_no_backup_in_the_window_is_missing(report):
    run = report(fleet(instance("r-quiet01", history={"days": 8, "at": "18:10"}, latest={"status": "Absent"})))
    assert run.verdict("r-quiet01") == "missing"
    assert "the scheduled 18:00 backup of 2026-11-27 was not done; last success 2026-11-26 18:10" in run.detail("r-quiet01")


def test_an_instance_that_never_had_a_backup_is_missing_with_how_far_back_it_looked(report):
    run = report(fleet(instance("r-never01", history=None)))
    assert run.verdict("r-never01") == "missing"
    assert "no successful backup in the last" in run.detail("r-never01")


def test_an_api_refusal_is_an_error_verdict_with_its_code_never_fine(report):
    run = report(fleet(HEALTHY, instance("r-denied01"), faults=[{"kind": "forbidden", "instance": "r-denied01"}]))
    assert run.verdict("r-denied01") == "error"
    assert "Forbidden.RAM" in run.detail("r-denied01")
    assert run.result["status"] == "alert"
    assert "Forbidden.RAM" in run.dingtalk_text


def test_untagged_and_other_region_instances_never_appear(report):
    run = report(fleet(
        HEALTHY,
        instance("r-untagged", tags={"team": "x"}),
        instance("r-weekly", tags={"backup-report": "weekly"}),
        instance("r-beijing", region="cn-beijing", latest={"status": "Failed"}),
        regions=["cn-hangzhou"]), settings={"REGIONS": "cn-hangzhou"})
    assert set(run.verdicts) == {"r-healthy01"}
    # Coverage names the scanned region's untagged ones in the result, never as a problem.
    assert run.result["coverage"] == [{"region": "cn-hangzhou", "untagged": 2, "instances": [
        {"instance_id": "r-untagged", "name": "untagged-cache"}, {"instance_id": "r-weekly", "name": "weekly-cache"}]}]
    everything = json.dumps({**run.result, "coverage": None}) + run.dingtalk_text + run.slack_text
    for hidden in ("r-untagged", "r-weekly", "r-beijing"):
        assert hidden not in everything
    assert {c.params.get("RegionId") for c in run.calls("DescribeInstances")} == {"cn-hangzhou"}
    assert "2 other instances in cn-hangzhou are not in this report" in run.dingtalk_text


def test_every_configured_region_is_scanned(report):
    run = report(fleet(HEALTHY, instance("r-shanghai1", region="cn-shanghai", latest={"status": "Failed"})),
                 settings={"REGIONS": "cn-hangzhou,cn-shanghai"})
    assert run.verdicts == {"r-healthy01": "ok", "r-shanghai1": "failed"}
    assert "r-shanghai1, cn-shanghai" in run.dingtalk_text


def test_a_key_only_tag_matches_any_value(report):
    run = report(fleet(HEALTHY, instance("r-other", tags={"backup-report": "weekly"})),
                 settings={"INSTANCE_TAGS": "backup-report"})
    assert set(run.verdicts) == {"r-healthy01", "r-other"}


def test_all_tags_must_match(report):
    run = report(fleet(instance("r-both", tags={"backup-report": "daily", "team": "a"}),
                       instance("r-one", tags={"backup-report": "daily", "team": "b"})),
                 settings={"INSTANCE_TAGS": "backup-report=daily,team=a"})
    assert set(run.verdicts) == {"r-both"}


def test_a_64_shard_cluster_is_read_over_several_pages_and_judged_whole(report):
    big = instance("r-cluster64", architecture="cluster", shards=64, history={"days": 8, "at": "18:10"})
    run = report(fleet(big))
    pages = run.calls("DescribeBackups")
    assert len(pages) >= 2, "512 records must take more than one page of 300"
    assert {c.params["PageSize"] for c in pages} == {"300"}
    assert run.verdict("r-cluster64") == "ok"
    assert "on all 64 shards" in run.detail("r-cluster64")


def test_a_64_shard_cluster_with_one_failed_shard_is_incomplete(report):
    big = instance("r-cluster64", architecture="cluster", shards=64, latest={"status": "Failed", "nodes": [17]})
    run = report(fleet(big))
    assert run.verdict("r-cluster64") == "incomplete"
    assert run.detail("r-cluster64").startswith("63/64 shards backed up (classic cluster); r-cluster64-db-17 failed")


def test_the_window_is_the_trigger_time_truncated_minus_the_lookback(report):
    run = report(fleet(HEALTHY), event={"triggerTime": "2026-11-28T01:00:42Z", "payload": "{}"},
                 settings={"LOOKBACK_HOURS": "48"})
    assert run.result["window"] == {"start": "2026-11-26T01:00:00Z", "end": "2026-11-28T01:00:00Z"}
    call = run.calls("DescribeBackups")[0]
    assert call.params["EndTime"] == "2026-11-28T01:00Z"
    assert call.params["StartTime"] <= "2026-11-26T01:00Z"


def test_a_payload_overrides_the_environment_for_that_run(report):
    fleet_ = fleet(HEALTHY, instance("r-teamb", tags={"backup-report": "daily", "team": "b"}, region="cn-shanghai"))
    run = report(fleet_, settings={"REGIONS": "cn-hangzhou"},
                 payload={"instance_tags": "team=b", "regions": "cn-shanghai", "timezone": "Asia/Shanghai"})
    assert set(run.verdicts) == {"r-teamb"}
    assert "(Asia/Shanghai)" in run.dingtalk_text


def test_an_empty_event_and_a_manual_invoke_work(report):
    for event in ({}, {"note": "manual"}):
        run = report(fleet(HEALTHY), event=event)
        assert run.error is None and run.result["status"] in ("ok", "alert")


def test_the_dingtalk_post_is_signed_with_the_robots_secret(report):
    run = report(fleet(HEALTHY))
    assert run.sandbox.dingtalk_secret.startswith("SEC")
    assert len(run.dingtalk) == 1, "the robot accepts only correctly signed posts"


def test_an_unsigned_robot_gets_unsigned_posts(report):
    run = report(fleet(HEALTHY, dingtalk={"secret": ""}), settings={"DINGTALK_SECRET": None})
    assert len(run.dingtalk) == 1
    assert run.result["deliveries"][0] == {"channel": "dingtalk", "ok": True}


def test_a_wrong_secret_is_a_failed_delivery_with_its_meaning_and_slack_still_gets_it(report):
    run = report(fleet(HEALTHY), settings={"DINGTALK_SECRET": "SECnot-the-robots-secret"})
    assert run.dingtalk == [] and len(run.slack) == 1
    dingtalk = run.result["deliveries"][0]
    assert dingtalk["ok"] is False and "errcode 310000" in dingtalk["error"] and "signature" in dingtalk["error"]


def test_alerts_mention_the_on_call_mobiles_and_summaries_do_not(report):
    alert = report(fleet(FAILED), settings={"DINGTALK_AT_MOBILES": "13800000000,13900000000"})
    message = alert.dingtalk[0]
    assert message["at"]["atMobiles"] == ["13800000000", "13900000000"]
    assert message["markdown"]["text"].endswith("@13800000000 @13900000000")
    green = report(fleet(HEALTHY), settings={"DINGTALK_AT_MOBILES": "13800000000"})
    assert green.dingtalk[0]["at"]["atMobiles"] == [] and "@138" not in green.dingtalk_text


def test_notify_on_failure_posts_nothing_when_all_is_fine(report):
    run = report(fleet(HEALTHY), settings={"NOTIFY_ON": "failure"})
    assert run.dingtalk == [] and run.slack == []
    assert all(d["ok"] and d["skipped"] for d in run.result["deliveries"])


def test_notify_on_failure_still_posts_alerts(report):
    run = report(fleet(HEALTHY, FAILED), settings={"NOTIFY_ON": "failure"})
    assert len(run.dingtalk) == 1 and len(run.slack) == 1


def test_the_result_is_the_contracts_json(report):
    run = report(fleet(HEALTHY, FAILED))
    result = run.result
    assert set(result) >= {"status", "window", "counts", "instances", "deliveries"}
    assert result["counts"]["ok"] == 1 and result["counts"]["failed"] == 1 and sum(result["counts"].values()) == 2
    assert set(result["counts"]) == {"ok", "failed", "missing", "incomplete", "error", "not_due", "new",
                                     "recovered", "shrunk", "inactive", "running", "policy", "at_risk"}
    assert result["instances"][0] == {"instance_id": "r-failed01", "name": "failed01-cache", "region": "cn-hangzhou",
                                      "verdict": "failed", "detail": run.detail("r-failed01"),
                                      "history": "✓✓✓✓✓✓✗", "history_from": "2026-11-21", "streak": "failing since Nov 27"}
    assert result["instances"][1] == {"instance_id": "r-healthy01", "name": "healthy01-cache", "region": "cn-hangzhou",
                                      "verdict": "ok", "detail": run.detail("r-healthy01")}
    assert result["coverage"] == [{"region": "cn-hangzhou", "untagged": 0, "instances": []}]


def test_one_structured_log_line_per_run(report):
    run = report(fleet(HEALTHY, FAILED))
    lines = [json.loads(line[line.index("{"):]) for line in run.logs.splitlines()
             if line.startswith("INFO") and '"event": "backup_report"' in line]
    assert len(lines) == 1
    assert lines[0]["counts"] == {"ok": 1, "failed": 1} and lines[0]["request_id"] == "demo-request-0001"
    assert lines[0]["duration_ms"] >= 0


def test_credentials_come_from_the_environment_when_the_context_has_none(report):
    run = report(fleet(HEALTHY), context_credentials=False)
    assert run.verdict("r-healthy01") == "ok"


def test_no_credentials_at_all_is_told_to_the_team_without_any_call(report):
    run = report(fleet(HEALTHY), context_credentials=False,
                 settings={"ALIBABA_CLOUD_ACCESS_KEY_ID": None, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": None})
    assert run.error is None and run.result["status"] == "error"
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in run.dingtalk_text and "ALIBABA_CLOUD_ACCESS_KEY_ID" in run.slack_text
    assert run.calls() == []


def test_sign_matches_dingtalks_documented_algorithm():
    from backup_report.channels.dingtalk import signed_url
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "SECsecret", clock=lambda: 1700000000.0)
    query = parse_qs(urlsplit(url).query)
    expected = base64.b64encode(hmac.new(b"SECsecret", b"1700000000000\nSECsecret", hashlib.sha256).digest()).decode()
    assert query["timestamp"] == ["1700000000000"] and query["sign"] == [expected]


@pytest.mark.parametrize("name,value,named", [
    ("INSTANCE_TAGS", "", "INSTANCE_TAGS is required"),
    ("INSTANCE_TAGS", "a=1,b=2,c=3,d=4,e=5,f=6", "at most 5"),
    ("INSTANCE_TAGS", "=x", "INSTANCE_TAGS"),
    ("INSTANCE_TAGS", "a=", "INSTANCE_TAGS"),
    ("INSTANCE_TAGS", "a=1,a=2", "appears twice"),
    ("REGIONS", "hangzhou", "REGIONS"),
    ("REGIONS", "cn-hangzhou,,CN_SHANGHAI", "REGIONS"),
    ("LOOKBACK_HOURS", "0", "LOOKBACK_HOURS"),
    ("LOOKBACK_HOURS", "169", "LOOKBACK_HOURS"),
    ("LOOKBACK_HOURS", "24h", "LOOKBACK_HOURS"),
    ("NOTIFY_ON", "sometimes", "NOTIFY_ON"),
    ("DINGTALK_WEBHOOK", "http://example.com/robot/send?access_token=abc", "DINGTALK_WEBHOOK"),
    ("DINGTALK_WEBHOOK", "https://oapi.dingtalk.com/robot/send", "access_token"),
    ("DINGTALK_SECRET", "notasecret", "DINGTALK_SECRET"),
    ("DINGTALK_AT_MOBILES", "13800000000,call-me", "DINGTALK_AT_MOBILES"),
    ("SLACK_WEBHOOK", "ftp://hooks.slack.com/services/T/B/X", "SLACK_WEBHOOK"),
    ("TIMEZONE", "Mars/Olympus", "TIMEZONE"),
    ("SIZE_DROP_PERCENT", "100", "SIZE_DROP_PERCENT"),
    ("HISTORY_DAYS", "0", "HISTORY_DAYS"),
    ("BACKUP_GRACE_MINUTES", "-5", "BACKUP_GRACE_MINUTES"),
    ("MAX_CONCURRENCY", "0", "MAX_CONCURRENCY"),
    ("API_QPS", "fast", "API_QPS"),
    ("KVSTORE_ENDPOINT", "https://r-kvstore.aliyuncs.com", "KVSTORE_ENDPOINT"),
    ("KVSTORE_PROTOCOL", "ftp", "KVSTORE_PROTOCOL"),
])
def test_a_bad_setting_stops_the_run_before_any_call_and_the_team_is_told_naming_it(report, name, value, named):
    run = report(fleet(HEALTHY), settings={name: value})
    assert run.calls() == []
    # Told through each channel whose own webhook and secret are fine; FC sees a result, not a retry.
    told = {"dingtalk": name not in ("DINGTALK_WEBHOOK", "DINGTALK_SECRET"), "slack": name != "SLACK_WEBHOOK"}
    assert run.error is None and run.result["status"] == "error"
    assert any(named in problem for problem in run.result["settings"])
    assert {"dingtalk": len(run.dingtalk), "slack": len(run.slack)} == {k: int(v) for k, v in told.items()}
    for text, channel in ((run.dingtalk_text, "dingtalk"), (run.slack_text, "slack")):
        if told[channel]:
            assert "did not run: its settings have 1 problem" in text and name in text


def test_no_channel_at_all_is_refused(report):
    run = report(fleet(HEALTHY), settings={"DINGTALK_WEBHOOK": None, "SLACK_WEBHOOK": None, "DINGTALK_SECRET": None,
                                           "FEISHU_WEBHOOK": None, "FEISHU_SECRET": None, "WECOM_WEBHOOK": None})
    assert "no channel" in str(run.error)


def test_bad_settings_and_no_usable_channel_raise_naming_them(report):
    run = report(fleet(HEALTHY), settings={**TWO_CHANNELS, "SLACK_WEBHOOK": "ftp://hooks.slack.com/services/T/B/X",
                                           "DINGTALK_WEBHOOK": None, "DINGTALK_SECRET": None})
    assert run.error is not None and "SLACK_WEBHOOK" in str(run.error)
    assert run.calls() == [] and run.dingtalk == [] and run.slack == []


def test_several_bad_settings_are_reported_together_and_unknown_payload_keys_too(report):
    run = report(fleet(HEALTHY), settings={"LOOKBACK_HOURS": "0", "NOTIFY_ON": "x"}, payload={"regoins": "cn-hangzhou"})
    text = "\n".join(run.result["settings"])
    assert "LOOKBACK_HOURS" in text and "NOTIFY_ON" in text and "'regoins' is not a setting" in text
    assert "its settings have 3 problems" in run.dingtalk_text
    for problem in ("LOOKBACK_HOURS", "NOTIFY_ON", "regoins"):
        assert problem in run.dingtalk_text and problem in run.slack_text


def test_a_payload_that_is_not_a_json_object_reaches_the_team(report):
    run = report(fleet(HEALTHY), payload="team=b")
    assert run.calls() == [] and run.error is None
    assert "event payload: not JSON" in run.dingtalk_text and "event payload: not JSON" in run.slack_text


def test_the_demo_fleet_shows_every_verdict_and_leaves_out_the_others(report):
    run = report("demo", settings={"REGIONS": "cn-hangzhou,cn-shanghai"})
    kinds = set(run.verdicts.values())
    assert kinds >= {"ok", "failed", "missing", "incomplete", "not_due", "new", "recovered", "shrunk"}
    assert len(run.verdicts) == 15
    # The demo's classic and cloud-native clusters, each read its own way, are both fine.
    assert run.verdict("r-uf6e9lm2v4pa8s5d") == "ok" and "on all 8 shards" in run.detail("r-uf6e9lm2v4pa8s5d")
    assert run.verdict("r-bp1n5kc8d2rw6g3h") == "ok"
    assert "cluster backup set on all 3 shards" in run.detail("r-bp1n5kc8d2rw6g3h")
    assert run.result["status"] == "alert"
    assert ANCHOR == run.result["window"]["end"]


def test_progress_is_told_once_per_instance_checked():
    import sandbox
    from backup_report import app
    from sandbox.demo import fc_context

    ticks = []
    with sandbox.start(fleet(HEALTHY, FAILED, instance("r-third")), anchor=ANCHOR) as sb:
        env = {**sb.env(), "INSTANCE_TAGS": "backup-report=daily"}
        result = json.loads(app.run(json.dumps({"triggerTime": ANCHOR}).encode(),
                                    fc_context(sb.credentials, "cn-hangzhou"), environ=env, progress=ticks.append))
    assert len(result["instances"]) == 3 and ticks == [1, 1, 1]


def test_no_tagged_instance_at_all_is_a_warning_not_a_green_summary(report):
    run = report(fleet(instance("r-other", tags={"team": "x"})))
    assert run.result["status"] == "warning" and run.result["instances"] == []
    title = "🟠 Redis backups: no instance found (tags backup-report=daily in cn-hangzhou)"
    assert run.dingtalk[0]["markdown"]["title"] == title
    assert run.slack[0]["blocks"][0]["text"]["text"] == title


def test_each_instance_that_needs_attention_has_a_log_line_of_its_own_so_and_n_more_points_somewhere(report):
    run = report(fleet(instance("r-ok"), instance("r-bad", latest={"status": "Failed"}),
                       instance("r-gone", latest={"status": "Absent"})))
    lines = [json.loads(line[line.index("{"):]) for line in run.logs.splitlines()
             if '"event": "backup_report.instance"' in line]
    assert sorted((entry["instance_id"], entry["verdict"]) for entry in lines) == [
        ("r-bad", "failed"), ("r-gone", "missing")]
    assert all(entry["region"] == "cn-hangzhou" and entry["detail"] and entry["request_id"] for entry in lines)


def test_a_misspelled_region_is_named_in_the_digest_and_the_others_are_still_checked(report):
    run = report(fleet(instance("r-ok")), settings={"REGIONS": "cn-hangzhou,cn-hangzhuo"})
    assert run.result["status"] == "alert"
    assert run.verdicts == {"r-ok": "ok"}
    assert run.result["unchecked_regions"] == [
        {"region": "cn-hangzhuo", "error": "UnknownRegion: DescribeRegions does not list this region: "
                                           "check REGIONS (did you mean cn-hangzhou?)"}]
    assert "region cn-hangzhuo not checked" in run.dingtalk_text and "cn-hangzhuo" in run.slack_text


def test_a_run_whose_describe_regions_is_refused_checks_every_region_and_names_the_empty_ones(report):
    refused = report(fleet(instance("r-ok"), faults=[{"kind": "forbidden", "action": "DescribeRegions"}]),
                     settings={"REGIONS": "cn-hangzhou,cn-beijing"})
    assert refused.verdicts == {"r-ok": "ok"}
    # A region with instances is real; an empty one cannot be told from a misspelled one: it is named.
    assert [r["region"] for r in refused.result["unchecked_regions"]] == ["cn-beijing"]
    assert refused.result["unchecked_regions"][0]["error"].startswith(
        "RegionNotVerified: no instance found, and DescribeRegions failed (Forbidden.RAM")
    assert refused.result["status"] == "alert" and "cn-beijing" in refused.dingtalk_text
    assert "REGIONS not verified: DescribeRegions failed: Forbidden.RAM" in refused.logs


def test_a_hung_describe_regions_costs_the_scan_no_time(report):
    run = report(fleet(instance("r-ok"), faults=[{"kind": "hang", "action": "DescribeRegions", "seconds": 600}]),
                 timeout=30)
    # Checked in full while DescribeRegions hung (asked one after the other, the scan would have
    # found its budget spent: "not checked: the run ran out of time"); cn-hangzhou has an instance,
    # so it is real, and nothing needs naming.
    assert run.verdicts == {"r-ok": "ok"} and run.result["unchecked_regions"] == []
    assert [c.code for c in run.calls("DescribeRegions")][0] == "Hang"
