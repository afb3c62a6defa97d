"""Verdicts that tell the truth, through the handler: schedules, shards, new, recovered, shrunk.

The run is at 2026-11-28T01:00Z, a Saturday; daily slots are 18:00Z-19:00Z, so the last due slot
began 7 hours before the run, inside the 24-hour window.
"""
from __future__ import annotations

import json

import pytest

from conftest import fleet, instance
from sandbox.slack import total_text as slack_sandbox_total

WEEKLY_FRIDAY = {"period": "Friday", "time": "18:00Z-19:00Z"}  # Friday 18:00Z: inside the window
WEEKLY_SUNDAY = {"period": "Sunday", "time": "18:00Z-19:00Z"}  # last one 5 days before the run


def test_a_weekly_schedule_off_its_day_is_not_due(report):
    run = report(fleet(instance("r-weekly", policy=WEEKLY_SUNDAY, history={"days": 15, "at": "18:10"})))
    assert run.verdict("r-weekly") == "not_due"
    assert "last backup 2026-11-22 18:10 (5 days ago), next scheduled 2026-11-29 18:00" == run.detail("r-weekly")
    assert run.result["status"] == "ok"


def test_a_weekly_schedule_on_its_day_needs_its_backup(report):
    done = report(fleet(instance("r-weekly", policy=WEEKLY_FRIDAY, history={"days": 15, "at": "18:10"})))
    assert done.verdict("r-weekly") == "ok"
    skipped = report(fleet(instance("r-weekly", policy=WEEKLY_FRIDAY, history={"days": 15, "at": "18:10"},
                                    latest={"status": "Absent"})))
    assert skipped.verdict("r-weekly") == "missing"
    assert "last success 2026-11-20 18:10 (7 days ago)" in skipped.detail("r-weekly")


def test_the_last_scheduled_backup_before_the_window_must_exist(report):
    run = report(fleet(instance("r-weekly", policy=WEEKLY_SUNDAY, history={"days": 15, "at": "18:10"},
                                latest={"status": "Absent"})))
    assert run.verdict("r-weekly") == "missing"
    assert "the scheduled 18:00 backup of 2026-11-22 was not done; last success 2026-11-15 18:10 (12 days ago)" \
        == run.detail("r-weekly")
    starts = {c.params["StartTime"] for c in run.calls("DescribeBackups")}
    assert all(s <= "2026-11-22T17:30Z" for s in starts), "it must read back as far as that slot"


def test_a_manual_backup_after_a_skipped_slot_counts(report):
    run = report(fleet(instance("r-manual", latest={"status": "Absent"},
                                backups=[{"start": "-3h", "size": "2GB", "mode": "Manual"}])))
    assert run.verdict("r-manual") == "ok"


def test_a_grace_keeps_a_slot_that_just_ended_from_counting(report):
    late_slot = {"period": DAILY_ALL, "time": "23:30Z-00:30Z"}  # ends 30 min before the run
    run = report(fleet(instance("r-late", policy=late_slot, history={"days": 8, "at": "23:40"},
                                latest={"status": "Absent"})), settings={"BACKUP_GRACE_MINUTES": "60"})
    assert run.verdict("r-late") == "not_due", "the slot that ended 30 min ago is in its grace; the one before was done"
    strict = report(fleet(instance("r-late", policy=late_slot, history={"days": 8, "at": "23:40"},
                                   latest={"status": "Absent"})), settings={"BACKUP_GRACE_MINUTES": "0"})
    assert strict.verdict("r-late") == "missing"


DAILY_ALL = "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday"


def test_an_instance_created_after_the_last_slot_is_new(report):
    run = report(fleet(instance("r-fresh", created="-3h", history=None)))
    assert run.verdict("r-fresh") == "new"
    assert run.detail("r-fresh") == "created 3 h ago, after the last scheduled backup time; first backup due 2026-11-28 18:00"
    assert run.result["status"] == "ok"


def test_an_instance_created_before_a_slot_it_then_missed_is_missing(report):
    run = report(fleet(instance("r-young", created="-10h", history=None)))
    assert run.verdict("r-young") == "missing"


@pytest.mark.parametrize("status,verdict,says", [
    ("Creating", "new", "status Creating: being created"),
    ("Changing", "inactive", "status Changing (changing its configuration)"),
    ("Released", "inactive", "status Released (released)"),
    ("Inactive", "inactive", "status Inactive (expired or locked)"),
])
def test_an_instance_not_in_service_is_named_as_such_never_missing(report, status, verdict, says):
    run = report(fleet(instance("r-busy", status=status, created="-30d", history=None)))
    assert run.verdict("r-busy") == verdict
    assert run.detail("r-busy").startswith(says)


@pytest.mark.parametrize("status,says", [
    ("Error", "status Error (failed to be created)"),
    ("Rebooting", "status Rebooting (restarting)"),
    ("CleaningUpExpiredData", "status CleaningUpExpiredData (deleting expired data)"),
])
def test_statuses_the_api_and_terraform_document_are_named_in_plain_words_never_called_undocumented(
        report, status, says):
    # DescribeInstanceAttribute's answer documents Error; the Terraform provider's instance list Rebooting
    # and CleaningUpExpiredData (data_source_alicloud_kvstore_instances.go).
    run = report(fleet(instance("r-busy", status=status, latest={"status": "Absent"})))
    assert run.verdict("r-busy") == "inactive"
    assert run.detail("r-busy").startswith(f"{says}: the scheduled 18:00 backup of 2026-11-27 was not done")
    assert "does not document" not in run.dingtalk_text and "not one the API documents" not in run.dingtalk_text


def test_an_instance_changing_its_configuration_that_was_backed_up_is_ok(report):
    run = report(fleet(instance("r-busy", status="Changing")))
    assert run.verdict("r-busy") == "ok"


def test_a_cluster_with_a_failed_shard_is_incomplete_naming_it(report):
    run = report(fleet(instance("r-clu", architecture="cluster", shards=4, latest={"status": "Failed", "nodes": [2]})))
    assert run.verdict("r-clu") == "incomplete"
    assert run.detail("r-clu").startswith("3/4 shards backed up (classic cluster); r-clu-db-2 failed (backup ")


def test_a_cluster_with_an_absent_shard_is_incomplete_naming_it(report):
    run = report(fleet(instance("r-clu", architecture="cluster", shards=4, latest={"status": "Absent", "nodes": [3]})))
    assert run.verdict("r-clu") == "incomplete"
    assert run.detail("r-clu") == "3/4 shards backed up (classic cluster); r-clu-db-3 has had no backup for 30 h"


def test_a_cluster_whose_shard_never_appeared_is_incomplete(report):
    four_of_five = [{"start": "-6h50m", "node": n, "size": "1GB"} for n in range(4)]
    run = report(fleet(instance("r-clu", architecture="cluster", shards=5, history=None, backups=four_of_five)))
    assert run.verdict("r-clu") == "incomplete"
    # A classic cluster has no ShardCount: its topology names the shard that never appeared.
    assert run.detail("r-clu") == "4/5 shards backed up (classic cluster); r-clu-db-4 has no backup record at all"


def test_a_cluster_with_every_shard_failed_is_failed(report):
    run = report(fleet(instance("r-clu", architecture="cluster", shards=4, latest={"status": "Failed"})))
    assert run.verdict("r-clu") == "failed"
    assert "on 4 node(s)" in run.detail("r-clu")


def test_a_failure_followed_by_a_success_on_the_same_node_is_recovered(report):
    run = report(fleet(instance("r-retry", latest={"status": "Failed"},
                                backups=[{"start": "-4h", "size": "2GB", "mode": "Manual"}])))
    assert run.verdict("r-retry") == "recovered"
    assert run.result["status"] == "warning"
    assert " failed at 2026-11-27 18:10, then " in run.detail("r-retry")


def test_a_success_followed_by_a_failure_is_failed(report):
    run = report(fleet(instance("r-late-fail", backups=[{"start": "-2h", "status": "Failed", "mode": "Manual"}])))
    assert run.verdict("r-late-fail") == "failed"


def test_a_backup_far_smaller_than_usual_is_shrunk(report):
    run = report(fleet(instance("r-small", history={"days": 8, "at": "18:10", "size": "6GB"},
                                latest={"size": "300MB"})))
    assert run.verdict("r-small") == "shrunk"
    assert run.detail("r-small").endswith("is 300.0 MiB, 95% below the 7-day median of 6.0 GiB")
    assert run.result["status"] == "warning"


def test_a_steady_size_is_ok_and_shrinkage_can_be_turned_off(report):
    steady = report(fleet(instance("r-steady", history={"days": 8, "at": "18:10", "size": "6GB", "jitter": 0.1})))
    assert steady.verdict("r-steady") == "ok"
    off = report(fleet(instance("r-small", history={"days": 8, "at": "18:10", "size": "6GB"},
                                latest={"size": "300MB"})), settings={"SIZE_DROP_PERCENT": "0"})
    assert off.verdict("r-small") == "ok"


def test_a_shrunk_shard_of_a_cluster_is_named(report):
    run = report(fleet(instance("r-clu", architecture="cluster", shards=4, history={"days": 8, "size": "4GB"},
                                latest={"size": "100MB", "nodes": [1]})))
    assert run.verdict("r-clu") == "shrunk"
    assert run.detail("r-clu").startswith("r-clu-db-1: newest full backup")


def test_times_are_shown_in_the_teams_time_zone(report):
    run = report(fleet(instance("r-failed", latest={"status": "Failed"})), settings={"TIMEZONE": "Asia/Shanghai"})
    assert "failed at 2026-11-28 02:10" in run.detail("r-failed")
    assert "Backups from 2026-11-27 09:00 to 2026-11-28 09:00 (Asia/Shanghai)" in run.dingtalk_text


def test_the_message_leads_with_the_outcome_then_the_worst_first(report):
    run = report(fleet(instance("r-ok"), instance("r-failed", latest={"status": "Failed"}),
                       instance("r-small", history={"days": 8, "size": "6GB"}, latest={"size": "300MB"}),
                       instance("r-missing", latest={"status": "Absent"})))
    text = run.dingtalk[0]["markdown"]["text"]
    assert text.startswith("#### 🔴 Redis backups: 2 need attention · 1 warning · 1 fine")
    assert text.index("Backup failed (1)") < text.index("Backup missing (1)") < text.index("Backup shrank (1)") \
        < text.index("✅ 1 ok")


def test_five_hundred_problems_stay_within_both_channels_limits_with_exact_counts(report):
    problems = [instance(f"r-broken{n:03d}", latest={"status": "Failed"}, history={"days": 2, "at": "18:10"})
                for n in range(500)]
    run = report(fleet(*problems), settings={"API_QPS": "1000", "MAX_CONCURRENCY": "16"})
    assert run.result["counts"]["failed"] == 500 and len(run.result["instances"]) == 500
    ding = run.dingtalk[0]
    assert len(json.dumps(ding, ensure_ascii=False).encode()) <= 20_000
    assert ding["markdown"]["title"].startswith("🔴 Redis backups: 500 need attention")
    shown = ding["markdown"]["text"].count("\n\n- ")
    assert f"…and {500 - shown} more" in ding["markdown"]["text"]
    slack = run.slack[0]
    assert len(slack["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in slack["blocks"] if b["type"] == "section")
    assert slack_sandbox_total(slack["blocks"]) <= 12_000, "Slack refuses blocks over ~12,000-13,000 characters in total"
    assert run.result["deliveries"] == [{"channel": c, "ok": True} for c in ("dingtalk", "slack", "feishu", "wecom")]
    assert "500 need attention" in slack["blocks"][0]["text"]["text"]
    listed = run.slack_text.count("\n• ")
    hidden = 500 - listed
    assert hidden == 0 or f"…and {hidden} more" in run.slack_text
