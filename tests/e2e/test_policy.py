"""Policy controls (MIN_RETENTION_DAYS, MIN_BACKUPS_PER_WEEK, REQUIRE_BACKUP_LOG), through the handler.

Each is off unless set; a fine instance that breaks one is a `policy` warning; an alert stands and
carries the note; no control costs a call beyond the DescribeBackupPolicy already made.
"""
from __future__ import annotations

from tests.conftest import DAILY, fleet, instance

SLACK = {"DINGTALK_WEBHOOK": None}


def test_controls_are_off_by_default(report):
    run = report(fleet(instance("r-short01", policy={**DAILY, "retention": 7}),
                       instance("r-tair01", type="Tair", policy={**DAILY, "backup_log": 0})))
    assert run.verdicts == {"r-short01": "ok", "r-tair01": "ok"}
    assert run.result["status"] == "ok"


def test_retention_below_the_minimum_is_a_policy_warning(report):
    run = report(fleet(instance("r-short01", policy={**DAILY, "retention": 7}),
                       instance("r-long01", policy={**DAILY, "retention": 30})),
                 settings={"MIN_RETENTION_DAYS": "30"})
    assert run.verdicts == {"r-short01": "policy", "r-long01": "ok"}
    assert run.detail("r-short01").startswith("retention 7 days < 30 required; backups fine: last backup ")
    assert run.result["status"] == "warning"
    assert "Backup policy below the controls (1)" in run.dingtalk_text
    assert "short01-cache" in run.dingtalk_text and "retention 7 days < 30 required" in run.slack_text
    assert len(run.calls("DescribeBackupPolicy")) == 2  # the policy read anyway, once an instance


def test_too_few_backup_days_a_week_is_a_policy_warning(report):
    weekly = {"period": "Sunday", "time": "18:00Z-19:00Z"}
    run = report(fleet(instance("r-weekly01", policy=weekly, history={"days": 15, "at": "18:10", "size": "1GB"}),
                       instance("r-daily01")),
                 settings={"MIN_BACKUPS_PER_WEEK": "7"})
    assert run.verdicts == {"r-weekly01": "policy", "r-daily01": "ok"}
    assert run.detail("r-weekly01").startswith("1 backup a week < 7 required")


def test_data_flashback_is_required_only_where_it_is_supported(report):
    run = report(fleet(instance("r-tairoff1", type="Tair", policy={**DAILY, "backup_log": 0}),
                       instance("r-tairon01", type="Tair", policy={**DAILY, "backup_log": 1}),
                       instance("r-redis001", policy={**DAILY, "backup_log": 0})),
                 settings={"REQUIRE_BACKUP_LOG": "on"})
    assert run.verdicts == {"r-tairoff1": "policy", "r-tairon01": "ok", "r-redis001": "ok"}
    assert run.detail("r-tairoff1").startswith("data flashback (EnableBackupLog) off")


def test_an_alert_stands_and_carries_the_policy_note(report):
    run = report(fleet(instance("r-broken01", latest={"status": "Failed"}, policy={**DAILY, "retention": 7})),
                 settings={"MIN_RETENTION_DAYS": "30", "MIN_BACKUPS_PER_WEEK": "7"})
    assert run.verdict("r-broken01") == "failed"
    assert run.detail("r-broken01").endswith("; policy: retention 7 days < 30 required")
    assert run.result["status"] == "alert"


def test_a_control_setting_out_of_range_is_refused_before_any_call(report):
    run = report(fleet(instance("r-any00001")),
                 settings={"MIN_RETENTION_DAYS": "3000", "MIN_BACKUPS_PER_WEEK": "8", "REQUIRE_BACKUP_LOG": "yes"})
    # A good webhook took the settings alert: the run returns it (issue 15) instead of raising.
    assert run.error is None and run.result["status"] == "error"
    text = "\n".join(run.result["settings"])
    assert "MIN_RETENTION_DAYS='3000' is invalid: a whole number from 0 to 730" in text
    assert "MIN_BACKUPS_PER_WEEK='8' is invalid: a whole number from 0 to 7" in text
    assert "REQUIRE_BACKUP_LOG='yes' is invalid: one of on, off" in text
    assert run.calls() == []
