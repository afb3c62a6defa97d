"""Foresight through the handler (docs/foresight.md): each risk seen coming in fields the run already reads is
an `at_risk` warning (or rides on an alert), the restore window is a policy control, and no check costs a call."""
from __future__ import annotations

from tests.conftest import DAILY, fleet, instance

SATURDAYS = {"period": "Saturday", "time": "18:00Z-19:00Z"}  # last done 2026-11-21, due again 2026-11-28 18:00Z


def test_each_risk_ahead_is_a_warning_naming_it(report):
    run = report(fleet(
        instance("r-expiring", policy=SATURDAYS, history={"days": 15, "at": "18:10", "size": "2GB"}),
        instance("r-nextlate", policy={**DAILY, "next_backup": "+3d"}),
        instance("r-overfree", storage={"free": "4GB"}),
        instance("r-failing1", policy={**SATURDAYS, "retention": 7}, history={"days": 15, "at": "18:10"},
                 backups=[{"start": "-7h", "status": "Failed"}]),
        instance("r-plainok1")))
    assert run.verdicts == {"r-expiring": "at_risk", "r-nextlate": "at_risk", "r-overfree": "ok",
                            "r-failing1": "failed", "r-plainok1": "ok"}
    assert run.detail("r-expiring").startswith(
        "newest good backup ") and "(2026-11-21 18:10) expires 2026-11-28 18:10, in 17 h: nothing newer to restore " \
        "from; backups fine: last backup 2026-11-21 18:10" in run.detail("r-expiring")
    assert run.detail("r-nextlate").startswith(
        "next backup 2026-12-01 01:00 (PreferredNextBackupTime), though the schedule names 2026-11-28 18:00; "
        "backups fine: last backup 2026-11-27 18:10")
    # Storage above the free quota is a cost, not a risk to a restore, and most filled instances with a week of daily
    # backups are above it: a note in the instance's detail (the page, the result), never a daily warning.
    assert run.detail("r-overfree").endswith(
        "; cost: backup storage 16.0 GiB, above the free quota (4.0 GiB, FreeSize) by 12.0 GiB, billed by the GB-month")
    assert "; ahead: newest good backup " in run.detail("r-failing1")  # the alert stands and carries it
    assert run.result["status"] == "alert" and run.result["counts"]["at_risk"] == 2
    assert run.entry("r-nextlate")["history"] == "✓✓✓✓✓✓✓"  # a warning carries its strip
    assert "🔭 Risks ahead (2)" in run.dingtalk_text and "*🔭 Risks ahead (2)*" in run.slack_text
    assert "nextlate-cache" in run.dingtalk_text and "above the free quota" not in run.slack_text + run.dingtalk_text
    # Read from the answers the run makes anyway: one policy and one listing an instance, nothing more.
    assert len(run.calls("DescribeBackupPolicy")) == 5
    assert {c.action for c in run.calls()} <= {"DescribeRegions", "DescribeInstances", "DescribeBackupPolicy",
                                               "DescribeBackups", "DescribeBackupTasks"}


def test_a_restore_window_below_the_control_is_a_policy_warning_and_unknown_is_one_too(report):
    run = report(fleet(
        instance("r-shortlog", type="Tair", policy={**DAILY, "backup_log": 1, "backup_log_start": "-5h"}),
        instance("r-longlog1", type="Tair", policy={**DAILY, "backup_log": 1}),
        instance("r-nolog001", type="Tair", policy={**DAILY, "backup_log": 0})),
        settings={"MIN_RESTORE_WINDOW_HOURS": "24"})
    assert run.verdicts == {"r-shortlog": "policy", "r-longlog1": "ok", "r-nolog001": "ok"}
    assert run.detail("r-shortlog").startswith("data flashback reaches back 5 h < 24 h required; backups fine: ")
    assert "Backup policy below the controls (1)" in run.dingtalk_text
    assert len(run.calls("DescribeBackupPolicy")) == 3


def test_the_restore_window_control_is_refused_out_of_range_before_any_call(report):
    run = report(fleet(instance("r-any00001")), settings={"MIN_RESTORE_WINDOW_HOURS": "20000"})
    assert run.result["status"] == "error"
    assert "MIN_RESTORE_WINDOW_HOURS='20000' is invalid: a whole number from 0 to 17520" in "\n".join(run.result["settings"])
    assert run.calls() == []
