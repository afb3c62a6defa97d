"""With the archive, DescribeBackupPolicy only where its answer can change the verdict: an instance whose
backups are fine is judged by the policy an earlier run read (POLICY_REFRESH_DAYS), and every other verdict
by the policy the API gives now, so each verdict reads exactly as without the archive. Through index.handler
on the sandbox, one bucket kept from one day to the next."""
from __future__ import annotations

import zlib
from datetime import date

from conftest import DAILY, TWO_CHANNELS, fleet, instance

DAY1, DAY2 = "2026-11-27T01:00:00Z", "2026-11-28T01:00:00Z"


def own_day(instance_id: str, day: date, refresh: int = 7) -> bool:
    return zlib.crc32(instance_id.encode()) % refresh == day.toordinal() % refresh


IDS = [f"r-cached{n:02}" for n in range(14)]
# Instances whose policy is not due to be read afresh on the second day: only their verdict can read it.
KEPT = [i for i in IDS if not own_day(i, date(2026, 11, 28))]


def policy_reads(run) -> set[str]:
    return {c.params["InstanceId"] for c in run.calls("DescribeBackupPolicy")}


def plain(run) -> dict:
    return {i["instance_id"]: (i["verdict"], i["detail"]) for i in run.result["instances"]}


def two_days(report, day2_fleet, settings=None):
    bucket: dict = {}
    first = report(fleet(*[instance(i) for i in IDS]), oss=bucket, anchor=DAY1,
                   event={"triggerTime": DAY1, "triggerName": "daily", "payload": "{}"}, settings=settings)
    second = report(day2_fleet, oss=bucket, anchor=DAY2, settings=settings,
                    event={"triggerTime": DAY2, "triggerName": "daily", "payload": "{}"})
    return first, second


def test_a_healthy_fleet_reads_each_policy_once_a_week_and_reads_exactly_as_without_the_archive(report):
    first, second = two_days(report, fleet(*[instance(i) for i in IDS]))
    assert policy_reads(first) == set(IDS)
    due = {i for i in IDS if own_day(i, date(2026, 11, 28))}
    assert policy_reads(second) == due and len(due) < len(IDS)
    fresh = report(fleet(*[instance(i) for i in IDS]), anchor=DAY2)
    assert plain(second) == plain(fresh)
    kept = len(IDS) - len(due)
    assert f"{kept} backup policies as an earlier run read them (each read afresh at least every 7 days)" \
           in second.slack_text


def test_a_failed_or_missed_backup_is_judged_by_the_policy_the_api_gives_now(report):
    failed, missed = KEPT[:2]
    today = [instance(i) for i in IDS if i not in (failed, missed)] + [
        instance(failed, latest={"status": "Failed"}), instance(missed, latest={"status": "Absent"})]
    _, second = two_days(report, fleet(*today))
    assert {failed, missed} <= policy_reads(second)
    fresh = report(fleet(*today), anchor=DAY2)
    assert plain(second) == plain(fresh) and second.verdict(failed) == "failed" and second.verdict(missed) == "missing"


def test_a_schedule_changed_since_is_read_as_soon_as_the_backups_stop_matching_the_kept_one(report):
    # Moved from 18:00Z to 12:00Z, and last night's backup taken at the new time: by the kept schedule the
    # 18:00 slot was missed, so the policy is read now and the verdict is the new schedule's.
    moved = {"period": DAILY["period"], "time": "12:00Z-13:00Z"}
    subject = KEPT[0]
    today = [instance(i) for i in IDS if i != subject] + [
        instance(subject, policy=moved, history={"days": 8, "at": "12:10", "size": "2GB"})]
    _, second = two_days(report, fleet(*today))
    assert subject in policy_reads(second)
    assert plain(second) == plain(report(fleet(*today), anchor=DAY2))


def test_with_a_policy_control_on_every_policy_is_read(report):
    _, second = two_days(report, fleet(*[instance(i) for i in IDS]), settings={"MIN_RETENTION_DAYS": "3"})
    assert policy_reads(second) == set(IDS)


def test_policy_refresh_days_0_reads_every_policy_every_run(report):
    _, second = two_days(report, fleet(*[instance(i) for i in IDS]), settings={"POLICY_REFRESH_DAYS": "0"})
    assert policy_reads(second) == set(IDS) and "as an earlier run read" not in second.slack_text


def test_without_the_archive_every_policy_is_read(report):
    run = report(fleet(*[instance(i) for i in IDS]), settings=TWO_CHANNELS)
    assert policy_reads(run) == set(IDS)
