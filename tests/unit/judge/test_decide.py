"""The pure core on cases the sandbox cannot stage: odd instance data straight into decide()."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backup_report.model import Backup, BackupTask, ClusterBackupSet, Instance, Reading, ShardBackup, Window
from backup_report.judge.cluster_sets import as_records
from backup_report.schedule_text import parse_policy
from backup_report.judge.verdicts import Rules, decide

END = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)
WINDOW = Window(END - timedelta(hours=24), END)
DAILY = parse_policy("Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "18:00Z-19:00Z")
SLOT_RUN = datetime(2026, 11, 27, 18, 10, tzinfo=timezone.utc)
CLASSIC = Instance("r-c", "c", "cn-hangzhou", architecture="cluster", shard_count=0, node_type="double")


def backups_on(nodes, when=SLOT_RUN, status="Success", backup_type="FullBackup"):
    return [Backup(f"{n}-{when:%d}-{backup_type}", n, status, when, when + timedelta(minutes=4), 10**9, backup_type)
            for n in nodes]


def test_a_cluster_whose_shards_are_unknown_is_never_judged_by_its_records():
    records = backups_on(["r-c-db-0", "r-c-db-1"])
    verdict = decide(CLASSIC, Reading(DAILY, tuple(records), per_shard=True, shard_count=0), WINDOW, Rules())
    assert verdict.kind.value == "error" and "number of shards is unknown" in verdict.detail


def test_a_topology_shard_without_any_record_is_named():
    shards = ("r-c-db-0", "r-c-db-1", "r-c-db-2")
    records = backups_on(["r-c-db-0", "r-c-db-1"]) + backups_on(["r-c-db-0", "r-c-db-1"], SLOT_RUN - timedelta(days=1))
    verdict = decide(CLASSIC, Reading(DAILY, tuple(records), per_shard=True, shard_count=3, shards=shards),
                     WINDOW, Rules())
    assert verdict.kind.value == "incomplete"
    assert verdict.detail == "2/3 shards backed up (classic cluster); r-c-db-2 has no backup record at all"


def test_a_successful_incremental_backup_never_hides_a_failed_full_one():
    standard = Instance("r-s", "s", "cn-hangzhou", node_type="double")
    records = (backups_on(["r-s"], SLOT_RUN - timedelta(days=1)) + backups_on(["r-s"], status="Failed")
               + backups_on(["r-s"], SLOT_RUN + timedelta(hours=1), backup_type="IncrementalBackup"))
    verdict = decide(standard, Reading(DAILY, tuple(records)), WINDOW, Rules())
    assert verdict.kind.value == "failed"


def test_a_running_task_turns_a_would_be_missing_instance_running():
    standard = Instance("r-s", "s", "cn-hangzhou", node_type="double")
    reading = Reading(DAILY, tuple(backups_on(["r-s"], SLOT_RUN - timedelta(days=1))))
    assert decide(standard, reading, WINDOW, Rules()).kind.value == "missing"
    task = BackupTask("42", "Uploading", datetime(2026, 11, 27, 22, 0, tzinfo=timezone.utc), "Automated", progress="40")
    verdict = decide(standard, reading, WINDOW, Rules(tz=timezone.utc), tasks=[task])
    assert verdict.kind.value == "running"
    assert verdict.detail.startswith("backup task 42 started 2026-11-27 22:00, running for 3 h (Uploading, 40%)")
    finished = BackupTask("41", "Finished", SLOT_RUN, "Automated")
    assert decide(standard, reading, WINDOW, Rules(), tasks=[finished]).kind.value == "missing"


def test_a_cloud_native_set_missing_a_shard_is_incomplete_naming_it():
    cn = Instance("r-n", "n", "cn-hangzhou", architecture="cluster", shard_count=3, node_type="MASTER_SLAVE")
    shards = tuple(ShardBackup(f"b{i}", f"r-n-db-{i}", "OK", True, 10**9) for i in range(2))
    sets = [ClusterBackupSet("cb-1", "OK", False, SLOT_RUN, SLOT_RUN + timedelta(minutes=5), shards)]
    records, odd = as_records(cn, sets, 3)
    verdict = decide(cn, Reading(DAILY, tuple(records), source="DescribeClusterBackupList"), WINDOW, Rules())
    assert odd == [] and verdict.kind.value == "incomplete"
    assert "2/3 shards backed up; 1 shard(s) have no backup in the set" in verdict.detail


def test_weekday_lists_with_spaces_and_windows_of_any_length_are_read():
    from backup_report.judge.schedule import last_due_slot
    policy = parse_policy("Monday, Wednesday , Friday", "22:00Z-02:00Z")
    assert policy.weekdays == frozenset({0, 2, 4})
    slot = last_due_slot(policy, END, timedelta(minutes=60))  # Saturday 01:00: Friday's slot ends Saturday 02:00
    assert (slot.start, slot.end) == (datetime(2026, 11, 25, 22, 0, tzinfo=timezone.utc),
                                      datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc))
    whole = parse_policy("Friday", "00:00Z-24:00Z")
    slot = last_due_slot(whole, END, timedelta(minutes=60))
    assert slot.end - slot.start == timedelta(days=1)
    for bad in ("24:00Z-01:00Z", "23:00Z-24:30Z", "23:00Z-25:00Z"):
        try:
            parse_policy("Friday", bad)
        except ValueError as error:
            assert "PreferredBackupTime" in str(error)
        else:
            raise AssertionError(f"{bad} was accepted")
