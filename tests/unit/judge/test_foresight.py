"""judge.foresight and the restore-window control (judge.policy) on small plain inputs, word for word:
each risk where its fields say so, and no check at all where a field is missing."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from backup_report.judge import foresight
from backup_report.judge.policy import Controls, breaches
from backup_report.judge.verdicts import decide
from backup_report.model import BackupStorage, Instance, Kind, Verdict

from .build import AT, CLASSIC, DAILY, END, GB, RULES, STANDARD, SUNDAYS, WINDOW, backup, classic, nightly, standard

DAY = timedelta(days=1)
TAIR = Instance("r-t", "t", "cn-hangzhou", instance_type="Tair", created=END - 400 * DAY)


def test_the_newest_good_backup_expiring_within_a_day_is_said():
    last = backup(start=AT - 6 * DAY, expires=AT - 6 * DAY + 7 * DAY - timedelta(hours=2))  # 15 h from END
    said = foresight.expiring(STANDARD, standard(last), [last], END, RULES.tz)
    assert said == ("newest good backup r-s@1121T1810 (2026-11-21 18:10) expires 2026-11-28 16:10, in 15 h: "
                    "nothing newer to restore from")


def test_an_expiry_further_off_already_past_or_unknown_is_not_a_risk():
    for expires in (END + DAY + timedelta(minutes=1), END - timedelta(minutes=1), None):
        last = backup(expires=expires)
        assert foresight.expiring(STANDARD, standard(last), [last], END, RULES.tz) == ""


def test_only_the_newest_good_backup_counts_and_a_failure_is_not_one():
    old = backup(start=AT - DAY, expires=END + timedelta(hours=3))
    newer = backup(expires=END + 7 * DAY)
    failed = backup(start=AT + timedelta(hours=1), status="Failed", expires=END + timedelta(hours=1))
    assert foresight.expiring(STANDARD, standard(old, newer, failed), [old, newer, failed], END, RULES.tz) == ""


def test_a_classic_clusters_shards_are_checked_each():
    soon = END + timedelta(hours=5)
    records = [backup(n, expires=soon if n == "r-c-db-1" else END + 7 * DAY) for n in ("r-c-db-0", "r-c-db-1", "r-c-db-2")]
    said = foresight.expiring(CLASSIC, classic(*records), records, END, RULES.tz)
    assert said.startswith("r-c-db-1: newest good backup r-c-db-1@1127T1810 (2026-11-27 18:10) expires 2026-11-28 06:00, in 5 h")


def test_a_next_backup_later_than_the_schedule_names_is_said():
    late = replace(DAILY, next_backup=END + 3 * DAY)
    assert foresight.next_backup_late(late, END, RULES.tz) == (
        "next backup 2026-12-01 01:00 (PreferredNextBackupTime), though the schedule names 2026-11-28 18:00")


def test_a_next_backup_within_the_slot_earlier_or_unknown_is_not_a_risk():
    for when in (END + timedelta(hours=17, minutes=30), END + timedelta(hours=18), END - DAY, None):
        assert foresight.next_backup_late(replace(DAILY, next_backup=when), END, RULES.tz) == ""


def test_storage_above_the_free_quota_is_said_in_bytes_and_never_priced():
    said = foresight.storage_over_quota(BackupStorage(free=8 * GB, full=12 * GB, log=2 * GB))
    assert said == "backup storage 14.0 GiB, above the free quota (8.0 GiB, FreeSize) by 6.0 GiB, billed by the GB-month"


def test_storage_is_not_checked_without_its_figures():
    for storage in (None, BackupStorage(free=None, full=20 * GB), BackupStorage(free=0, full=20 * GB),
                    BackupStorage(free=8 * GB, full=None, log=20 * GB), BackupStorage(free=8 * GB, full=8 * GB)):
        assert foresight.storage_over_quota(storage) == ""


def test_a_fine_verdict_with_a_risk_is_at_risk_and_an_alert_carries_it():
    ok = Verdict(Kind.OK, "last backup …")
    assert foresight.apply(ok, ["x"]) == Verdict(Kind.AT_RISK, "x; backups fine: last backup …")
    assert foresight.apply(Verdict(Kind.FAILED, "f"), ["x", "y"]) == Verdict(Kind.FAILED, "f; ahead: x; y")
    assert foresight.apply(Verdict(Kind.ERROR, "e"), ["x"]) == Verdict(Kind.ERROR, "e")
    assert foresight.apply(ok, []) is ok


def test_a_cost_is_a_note_on_any_verdict_but_error_and_never_a_warning():
    cost = ["backup storage 14.0 GiB, above the free quota"]
    assert foresight.apply(Verdict(Kind.OK, "last backup …"), [], cost) == Verdict(
        Kind.OK, "last backup …; cost: backup storage 14.0 GiB, above the free quota")
    assert foresight.apply(Verdict(Kind.OK, "l"), ["x"], cost) == Verdict(Kind.AT_RISK, "x; backups fine: l; cost: " + cost[0])
    assert foresight.apply(Verdict(Kind.ERROR, "e"), [], cost) == Verdict(Kind.ERROR, "e")


def test_decide_turns_a_weekly_backup_about_to_expire_into_at_risk():
    last = backup(start=AT - 5 * DAY, expires=AT - 5 * DAY + 7 * DAY - DAY + timedelta(hours=3))
    verdict = decide(STANDARD, standard(last, policy=SUNDAYS), WINDOW, RULES)
    assert verdict.kind is Kind.AT_RISK
    assert verdict.detail.startswith("newest good backup r-s@1122T1810 (2026-11-22 18:10) expires 2026-11-28 21:10")
    assert "; backups fine: last backup 2026-11-22 18:10" in verdict.detail
    assert verdict.history is not None  # a warning carries its strip


def test_decide_says_nothing_ahead_when_the_fields_are_missing():
    assert decide(STANDARD, standard(*nightly()), WINDOW, RULES).kind is Kind.OK


def test_the_restore_window_control_measures_data_flashback():
    on = replace(DAILY, backup_log=1, backup_log_start=END - timedelta(hours=5))
    controls = Controls(min_restore_window_hours=24)
    assert breaches(TAIR, on, controls, END) == ["data flashback reaches back 5 h < 24 h required"]
    assert breaches(TAIR, replace(on, backup_log_start=END - 2 * DAY), controls, END) == []
    assert breaches(TAIR, on, Controls(), END) == []  # off by default


def test_the_restore_window_unknown_with_the_control_on_is_a_breach_and_flashback_off_is_not_its_to_say():
    on = replace(DAILY, backup_log=1)
    controls = Controls(min_restore_window_hours=24)
    assert breaches(TAIR, on, controls, END) == ["BackupLogStartTime not given: data flashback's restore window unknown"]
    assert breaches(TAIR, replace(on, backup_log_start=END + DAY), controls, END) == [
        "BackupLogStartTime is in the future: data flashback's restore window unknown"]
    assert breaches(TAIR, replace(DAILY, backup_log=0), controls, END) == []
    assert breaches(TAIR, DAILY, controls, END) == []  # EnableBackupLog unknown: REQUIRE_BACKUP_LOG's to say
