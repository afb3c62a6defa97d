"""The pure core on cases the sandbox cannot stage: odd instance data straight into decide()."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backup_report.model import Backup, Instance, Window
from backup_report.judge.schedule import parse_policy
from backup_report.judge.verdicts import Rules, decide

END = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)
WINDOW = Window(END - timedelta(hours=24), END)
DAILY = parse_policy("Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "18:00Z-19:00Z")
SLOT_RUN = datetime(2026, 11, 27, 18, 10, tzinfo=timezone.utc)


def backups_on(nodes, when=SLOT_RUN, status="Success"):
    return [Backup(f"{n}-{when:%d}", n, status, when, when + timedelta(minutes=4), 10**9) for n in nodes]


def test_a_cluster_without_a_shard_count_is_judged_by_the_shards_its_history_names():
    cluster = Instance("r-c", "c", "cn-hangzhou", architecture="cluster", shard_count=0)
    yesterday = backups_on(["r-c-db-0", "r-c-db-1", "r-c-db-2"], when=SLOT_RUN - timedelta(days=1))
    today = backups_on(["r-c-db-0", "r-c-db-1"])
    verdict = decide(cluster, DAILY, yesterday + today, WINDOW, Rules())
    assert verdict.kind.value == "incomplete"
    assert verdict.detail == "2/3 shards backed up; r-c-db-2 has no backup"


def test_a_cluster_without_a_shard_count_whose_shards_all_ran_is_ok():
    cluster = Instance("r-c", "c", "cn-hangzhou", architecture="cluster", shard_count=0)
    records = backups_on(["r-c-db-0", "r-c-db-1"], when=SLOT_RUN - timedelta(days=1)) + backups_on(["r-c-db-0", "r-c-db-1"])
    assert decide(cluster, DAILY, records, WINDOW, Rules()).kind.value == "ok"
