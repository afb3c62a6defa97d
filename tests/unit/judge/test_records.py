"""`records.belongs` and `records.screen`: which records are the instance's to judge, and what was odd
about the rest, said in the order the digest shows it."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from backup_report.judge.records import belongs, screen
from backup_report.model import Instance

from .build import AT, CLASSIC, END, STANDARD, UTC, WINDOW, backup, classic, standard

RWSPLIT = Instance("r-w", "w", "cn-hangzhou", architecture="rwsplit")
NATIVE4 = Instance("r-n", "n", "cn-hangzhou", architecture="cluster", shard_count=4)


@pytest.mark.parametrize("instance,node,per_shard,shards,mine", [
    (STANDARD, "", False, (), True),
    (STANDARD, "r-s", False, (), True),
    (STANDARD, "r-s-db-0", False, (), False),
    (RWSPLIT, "r-w-db-0", False, (), True),
    (RWSPLIT, "r-w-db-0#1688", False, (), True),  # DescribeLogicInstanceTopology's form
    (RWSPLIT, "r-w-db-1", False, (), False),
    (CLASSIC, "r-c-db-7", True, (), True),  # no ShardCount: any shard of its own
    (CLASSIC, "r-c-db-7", True, ("r-c-db-0", "r-c-db-1"), False),  # the topology named the shards
    (CLASSIC, "r-c-db-1", True, ("r-c-db-0", "r-c-db-1"), True),
    (CLASSIC, "r-other-db-1", True, (), False),
    (NATIVE4, "r-n-db-3", True, (), True),
    (NATIVE4, "r-n-db-4", True, (), False),  # beyond ShardCount
    (NATIVE4, "r-n", True, (), False),
])
def test_a_record_is_the_instances_only_when_its_node_is(instance, node, per_shard, shards, mine):
    assert belongs(instance, node, per_shard, shards) is mine


def ids(records) -> list[str]:
    return [b.backup_id for b in records]


@pytest.mark.parametrize("name,instance,reading,kept,problems", [
    ("all fine", STANDARD, standard(backup(backup_id="a"), backup(start=AT - timedelta(days=1), backup_id="b")),
     ["a", "b"], []),
    ("the answer's anomalies first", STANDARD, standard(backup(backup_id="a"), anomalies=("TotalCount says 2",)),
     ["a"], ["TotalCount says 2"]),
    ("listed twice", STANDARD, standard(backup(backup_id="a"), backup(backup_id="a")),
     ["a"], ["DescribeBackups listed 1 BackupId(s) more than once (a)"]),
    ("listed twice, Failed wins over Success", STANDARD,
     standard(backup(backup_id="a"), backup(backup_id="a", status="Failed")),
     ["a"], ["DescribeBackups listed 1 BackupId(s) more than once (a)",
             "BackupId(s) listed with conflicting statuses: a"]),
    ("no start", STANDARD, standard(replace(backup(backup_id="a"), start=None), backup(backup_id="b")),
     ["b"], ["1 backup record(s) without a readable start time"]),
    ("undocumented status in the window: said, kept", STANDARD,
     standard(backup(backup_id="a", status="Weird"), backup(backup_id="b", status="Odd")),
     ["a", "b"], ["backup a has BackupStatus 'Weird', which the API does not document (Success, Failed), "
                  "and 1 more"]),
    ("undocumented status before the window: kept, unsaid", STANDARD,
     standard(backup(start=WINDOW.start - timedelta(hours=1), backup_id="a", status="Weird")), ["a"], []),
    ("after the window's end", STANDARD,
     standard(backup(backup_id="a"), backup(start=END + timedelta(minutes=6), backup_id="b", status="Weird"),
              backup(start=END + timedelta(minutes=5), backup_id="c")),
     ["a", "c"], ["1 backup record(s) starting after the end of the window (first 2026-11-28 01:06)"]),
    ("a cluster's record without a node", CLASSIC, classic(backup("", backup_id="a"), backup("r-c-db-0", backup_id="b")),
     ["b"], ["1 backup record(s) of a cluster without a NodeInstanceId"]),
    ("another instance's node", STANDARD,
     standard(backup("r-x", backup_id="a"), backup("r-y", backup_id="b"), backup("r-s", backup_id="c")),
     ["c"], ["2 backup record(s) of node(s) not of this standard (r-x, r-y)"]),
    ("all at once, in order", CLASSIC,
     classic(backup("r-c-db-0", backup_id="d"), backup("r-c-db-0", backup_id="d"),
             replace(backup("r-c-db-1", backup_id="u"), start=None),
             backup("r-c-db-2", backup_id="w", status="Weird"),
             backup("r-c-db-2", start=END + timedelta(hours=1), backup_id="l"),
             backup("", backup_id="n"), backup("r-c-db-9", backup_id="s"), anomalies=("odd answer",)),
     ["d", "w"],
     ["odd answer", "DescribeBackups listed 1 BackupId(s) more than once (d)",
      "1 backup record(s) without a readable start time",
      "backup w has BackupStatus 'Weird', which the API does not document (Success, Failed)",
      "1 backup record(s) starting after the end of the window (first 2026-11-28 02:00)",
      "1 backup record(s) of a cluster without a NodeInstanceId",
      "1 backup record(s) of node(s) not of this classic cluster (r-c-db-9)"]),
])
def test_odd_records_are_set_aside_and_said(name, instance, reading, kept, problems):
    placed, said = screen(instance, reading, WINDOW, UTC)
    assert (ids(placed), said) == (kept, problems)
