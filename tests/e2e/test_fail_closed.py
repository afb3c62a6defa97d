"""Answers an adversary found that read green, or silent, or posted twice; each now fails closed.

Through index.handler on the sandbox: what the team reads, the verdict, and what FC would do next.
"""
from __future__ import annotations

import pytest

import index
from backup_report.app import DeliveryError
from conftest import fleet, instance
from sandbox.demo import fc_context

FINE = ("ok", "not_due", "new")


# --- an instance status never excuses more than it says -------------------------------------------

def test_a_creating_instance_with_earlier_backups_and_no_backup_for_the_slot_stays_missing(report):
    run = report(fleet(instance("r-c", status="Creating", latest={"status": "Absent"})))
    assert run.verdict("r-c") == "missing"
    assert "status Creating, yet it has earlier successful backups" in run.detail("r-c")
    assert run.result["status"] == "alert"


def test_a_creating_instance_created_in_the_future_is_not_new(report):
    run = report(fleet(instance("r-c", status="Creating", history=None, created="+3d")))
    assert run.verdict("r-c") == "missing"
    assert "its CreateTime is in the future" in run.detail("r-c")


def test_a_creating_instance_with_no_backup_yet_is_new(report):
    run = report(fleet(instance("r-c", status="Creating", history=None, created="-2h")))
    assert run.verdict("r-c") == "new"


@pytest.mark.parametrize("raw", [{"InstanceStatus": None}, {"InstanceStatus": "normal"}, {"InstanceStatus": "Pausing"}])
def test_an_absent_or_undocumented_instance_status_keeps_the_alert(report, raw):
    run = report(fleet(instance("r-s", latest={"status": "Absent"}, raw=raw)))
    assert run.verdict("r-s") == "missing"
    assert "is not one the API documents, so it excuses nothing" in run.detail("r-s")
    assert run.result["status"] == "alert"


# --- a running backup is this slot's, and said by the API that documents it -----------------------

def test_a_stale_backup_task_from_days_ago_does_not_make_a_missing_backup_running(report):
    run = report(fleet(instance("r-t", latest={"status": "Absent"},
                                tasks=[{"start": "-6d", "status": "NoStart", "mode": "Manual"}])))
    assert run.verdict("r-t") == "missing"


def test_a_describe_backups_record_saying_running_is_no_proof_without_a_task(report):
    run = report(fleet(instance("r-t", latest={"status": "Absent"},
                                backups=[{"start": "-2h", "status": "Running"}],
                                tasks=[{"start": "-7h", "status": "Finished"}])))
    assert run.verdict("r-t") == "missing"
    assert "never finished and no backup task is running" in run.detail("r-t")


# --- a cluster's shards and a listing's tags are never taken on trust -------------------------------

def test_a_classic_cluster_whose_shard_count_is_short_of_its_records_is_never_ok(report):
    nights = [{"start": f"-{d}d6h50m", "node": n, "size": "1GB"} for d in range(0, 10) for n in range(3)]
    run = report(fleet(instance("r-f", architecture="cluster", node_type="double", shards=4, history=None,
                                backups=nights, raw={"ShardCount": 2})))
    assert run.verdict("r-f") not in FINE
    assert "r-f-db-2" in run.detail("r-f")


def test_an_instance_listed_for_the_tags_whose_tags_contradict_them_is_said_never_dropped(report):
    run = report(fleet(instance("r-ok"), instance("r-gone", latest={"status": "Absent"},
                                                  raw={"Tags": {"Tag": [{"Key": "cost-center", "Value": "42"}]}})))
    assert run.result["status"] == "alert"
    [region] = run.result["unchecked_regions"]
    assert "whose Tags do not carry the tags asked for (r-gone)" in region["error"]
    assert "r-gone" in run.dingtalk_text and "r-gone" in run.slack_text


# --- a post that may have landed is never risked twice ------------------------------------------------

def test_a_post_that_may_have_landed_is_not_retried_by_fc(report):
    spec = fleet(instance("r-ok"), slack={"faults": [{"kind": "late", "seconds": 30, "first": 1}]})
    run = report(spec, settings={"DINGTALK_WEBHOOK": "", "DINGTALK_SECRET": "", "FEISHU_WEBHOOK": "",
                                 "FEISHU_SECRET": "", "WECOM_WEBHOOK": ""}, timeout=10)
    assert run.error is None, "raising would make FC retry a post that may have landed"
    [slack] = [d for d in run.result["deliveries"] if d["channel"] == "slack"]
    assert slack["ok"] is False and slack["maybe_delivered"] is True
    assert "unknown whether delivered" in slack["error"]


def test_every_channel_surely_refusing_still_raises_for_fcs_retry(report):
    spec = fleet(instance("r-ok"), slack={"faults": [{"status": 404, "error": "no_service"}]})
    run = report(spec, settings={"DINGTALK_WEBHOOK": "", "DINGTALK_SECRET": "", "FEISHU_WEBHOOK": "",
                                 "FEISHU_SECRET": "", "WECOM_WEBHOOK": ""})
    assert isinstance(run.error, DeliveryError)


# --- odd events and contexts are settings errors, never crashes ---------------------------------------

@pytest.mark.parametrize("event", [b'{"a": ' + b"1" * 5000 + b"}", b"[" * 100_000])
def test_an_event_json_can_hold_nothing_that_crashes_the_handler(event):
    with pytest.raises(Exception) as raised:
        index.handler(event, fc_context(_Keys, "cn-hangzhou"))
    assert type(raised.value).__name__ in ("SettingsError", "RedactedError")
    assert "event: not JSON" in str(raised.value)


class _Keys:
    access_key_id, access_key_secret, security_token = "ak-test-000000", "sk-test-000000", ""


def test_a_settings_alert_that_may_have_landed_is_not_raised_for_fcs_retry(report):
    spec = fleet(instance("r-ok"), dingtalk={"faults": [{"kind": "late", "seconds": 40}]})
    run = report(spec, timeout=20, settings={"MIN_RETENTION_DAYS": "banana", "SLACK_WEBHOOK": None,
                                             "FEISHU_WEBHOOK": None, "FEISHU_SECRET": None, "WECOM_WEBHOOK": None})
    assert run.error is None, "the alert may have landed: FC's retry would post it again"
    assert run.result["status"] == "error" and run.calls() == []


def test_a_credential_in_an_endpoint_setting_is_never_quoted():
    from backup_report.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as refused:
        load_settings({"INSTANCE_TAGS": "a=b", "REGIONS": "cn-hangzhou", "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x",
                       "ARCHIVE_OSS_BUCKET": "b-archive", "ARCHIVE_OSS_ENDPOINT": "https://AKSECRET123:pw@oss-cn-hangzhou.aliyuncs.com",
                       "KVSTORE_ENDPOINT": "AKSECRET456:pw@r-kvstore.aliyuncs.com"})
    text = str(refused.value)
    assert "ARCHIVE_OSS_ENDPOINT" in text and "KVSTORE_ENDPOINT" in text
    assert "AKSECRET" not in text and ":pw@" not in text
