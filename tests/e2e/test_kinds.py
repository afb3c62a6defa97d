"""Every kind of instance judged as the real R-KVStore API describes it, through index.handler.

Classic clusters carry no ShardCount (their shards come from DescribeLogicInstanceTopology),
cloud-native clusters are read from DescribeClusterBackupList, backups in progress and
incremental backups neither cover nor hide a slot, and odd answers never fail open.
"""
from __future__ import annotations

import pytest

from conftest import fleet, instance

FINE = ("ok", "not_due", "new")


def classic(instance_id: str, shards: int = 4, **spec) -> dict:
    return instance(instance_id, architecture="cluster", shards=shards, node_type="double", **spec)


def cloud_native(instance_id: str, shards: int = 3, **spec) -> dict:
    return instance(instance_id, architecture="cluster", shards=shards, node_type="MASTER_SLAVE", **spec)


# --- Classic clusters: the topology names the shards -----------------------------------------------

def test_a_classic_cluster_with_a_shard_silent_for_10_days_is_incomplete_naming_it(report):
    # Shards 0-2 backed up every night; shard 3 has not been for 10 days. DescribeInstances gives no
    # ShardCount for a classic cluster, so only the topology knows there are 4 shards.
    nights = [{"start": f"-{d}d6h50m", "node": n, "size": "1GB"} for d in range(0, 10) for n in range(3)]
    run = report(fleet(classic("r-cls", history=None, backups=nights)))
    assert run.verdict("r-cls") == "incomplete"
    assert run.detail("r-cls") == "3/4 shards backed up (classic cluster); r-cls-db-3 has no backup record at all"
    for text in (run.dingtalk_text, run.slack_text):
        assert "r-cls-db-3 has no backup record at all" in text
    topology = run.calls("DescribeLogicInstanceTopology")
    assert [c.params["InstanceId"] for c in topology] == ["r-cls"]


def test_a_healthy_classic_cluster_is_ok_on_every_shard_its_topology_names(report):
    run = report(fleet(classic("r-cls")))
    assert run.verdict("r-cls") == "ok" and "on all 4 shards" in run.detail("r-cls")


def test_a_classic_cluster_whose_topology_cannot_be_read_is_an_error_never_judged_by_its_records(report):
    run = report(fleet(classic("r-cls"), faults=[{"kind": "forbidden", "action": "DescribeLogicInstanceTopology"}]))
    assert run.verdict("r-cls") == "error"
    assert "DescribeLogicInstanceTopology failed: Forbidden.RAM" in run.detail("r-cls")
    assert run.calls("DescribeBackups") == []


@pytest.mark.parametrize("shard_count", ["4", 0, -1, None])
def test_a_shard_count_that_is_not_a_positive_integer_is_unknown_and_the_topology_decides(report, shard_count):
    clu = cloud_native("r-odd", shards=4, raw={"ShardCount": shard_count}, latest={"status": "Absent", "nodes": [3]})
    run = report(fleet(clu))
    assert run.verdict("r-odd") == "incomplete"
    assert "r-odd-db-3 has no backup in the set" in run.detail("r-odd")
    assert len(run.calls("DescribeLogicInstanceTopology")) == 1


def test_a_cluster_with_a_shard_count_but_no_architecture_type_is_still_a_cluster(report):
    clu = cloud_native("r-odd", shards=4, raw={"ArchitectureType": None}, latest={"status": "Failed", "nodes": [2]})
    run = report(fleet(clu))
    assert run.verdict("r-odd") == "incomplete"
    assert "r-odd-db-2 ERROR" in run.detail("r-odd")


def test_a_cluster_whose_node_type_says_neither_kind_is_settled_by_the_records_it_has(report):
    # This was `error` every day ("not known which API lists its backups") for a fine cluster: what
    # DescribeBackups lists of its shards settles the kind, and no other call is made for it.
    run = report(fleet(classic("r-odd", raw={"NodeType": None}),
                       classic("r-gone", raw={"NodeType": None}, latest={"status": "Absent", "nodes": [3]})))
    assert run.verdict("r-odd") == "ok" and "on all 4 shards" in run.detail("r-odd")
    assert run.verdict("r-gone") == "incomplete"
    assert run.detail("r-gone").startswith("3/4 shards backed up (classic cluster); r-gone-db-3 has had no backup")
    assert run.calls("DescribeClusterBackupList") == []


def test_records_naming_another_instances_nodes_never_count_as_shards(report):
    strangers = [{"start": "-6h50m", "node": 3, "raw": {"NodeInstanceId": "r-other-db-3"}}]
    run = report(fleet(classic("r-cls", latest={"status": "Absent", "nodes": [3]}, backups=strangers)))
    assert run.verdict("r-cls") == "incomplete"
    assert "node(s) not of this classic cluster (r-other-db-3)" in run.detail("r-cls")


def test_a_standard_instances_record_of_another_node_makes_it_an_error_never_ok(report):
    run = report(fleet(instance("r-std", backups=[{"start": "-2h", "raw": {"NodeInstanceId": "r-other"}}])))
    assert run.verdict("r-std") == "error"
    assert "not of this standard (r-other)" in run.detail("r-std")


# --- Cloud-native clusters: cluster backup sets ----------------------------------------------------

def test_a_healthy_cloud_native_cluster_is_ok_while_describe_backups_returns_nothing(report):
    run = report(fleet(cloud_native("r-cn")))
    assert run.verdict("r-cn") == "ok"
    assert "(cluster backup set on all 3 shards)" in run.detail("r-cn")
    assert run.calls("DescribeBackups") == []
    sets = run.calls("DescribeClusterBackupList")
    assert len(sets) == 1 and sets[0].params["StartTime"] <= "2026-11-27T17:30Z"
    assert run.calls("DescribeLogicInstanceTopology") == [], "ShardCount is given for a cloud-native cluster"


def test_a_failed_shard_of_a_cloud_native_set_is_an_alert_naming_the_shard(report):
    run = report(fleet(cloud_native("r-cn", latest={"status": "Failed", "nodes": [1]})))
    assert run.verdict("r-cn") == "incomplete"
    detail = run.detail("r-cn")
    assert "2/3 shards backed up; r-cn-db-1 ERROR, not available (backup " in detail
    assert "r-cn-db-1 ERROR" in run.dingtalk_text and run.result["status"] == "alert"


def test_a_cloud_native_set_failed_on_every_shard_is_failed_naming_them(report):
    run = report(fleet(cloud_native("r-cn", latest={"status": "Failed"})))
    assert run.verdict("r-cn") == "failed"
    assert run.detail("r-cn").startswith("cluster backup set cb-")
    assert "r-cn-db-0 ERROR" in run.detail("r-cn") and "last success" in run.detail("r-cn")


def test_a_cloud_native_set_failed_then_retried_is_recovered(report):
    retry = [{"start": "-5h", "mode": "Manual"}]
    run = report(fleet(cloud_native("r-cn", latest={"status": "Failed"}, backups=retry)))
    assert run.verdict("r-cn") == "recovered"


def test_a_cloud_native_set_far_smaller_than_usual_is_shrunk_on_its_total_size(report):
    run = report(fleet(cloud_native("r-cn", latest={"size": "100MB"})))
    assert run.verdict("r-cn") == "shrunk"
    assert "is 300.0 MiB, " in run.detail("r-cn"), "three shards of 100MB: the set's total"


def test_a_cloud_native_cluster_without_any_set_is_missing(report):
    run = report(fleet(cloud_native("r-cn", history=None)))
    assert run.verdict("r-cn") == "missing"
    assert run.detail("r-cn").startswith("the scheduled 18:00 cluster backup set of 2026-11-27 was not done")


def test_a_running_cloud_native_set_for_an_uncovered_slot_is_running(report):
    running = [{"start": "-2h", "status": "Running"}]
    run = report(fleet(cloud_native("r-cn", latest={"status": "Absent"}, backups=running)))
    assert run.verdict("r-cn") == "running"
    assert "started 2026-11-27 23:00, running for 2 h" in run.detail("r-cn")


# --- Backups in progress and backup types ----------------------------------------------------------

def test_a_running_backup_after_a_covering_success_is_fine(report):
    run = report(fleet(instance("r-std", backups=[{"start": "-1h", "status": "Running"}]),
                       instance("r-noend", backups=[{"start": "-1h", "raw": {"BackupEndTime": None}}])))
    assert run.verdicts == {"r-std": "ok", "r-noend": "ok"}
    assert run.calls("DescribeBackupTasks") == []


def test_a_running_backup_task_for_an_uncovered_slot_is_its_own_warning(report):
    late = instance("r-late", latest={"status": "Absent"}, tasks=[{"start": "-3h", "status": "Uploading"}])
    run = report(fleet(late, instance("r-fine")))
    assert run.verdict("r-late") == "running"
    assert run.detail("r-late").startswith("backup task 900000 started 2026-11-27 22:00, running for 3 h (Uploading")
    assert run.result["status"] == "warning"
    assert "⏳ Backup still running (1)" in run.dingtalk_text
    assert [c.params["InstanceId"] for c in run.calls("DescribeBackupTasks")] == ["r-late"]


def test_a_missing_backup_without_a_running_task_stays_missing_after_one_look(report):
    run = report(fleet(instance("r-late", latest={"status": "Absent"},
                                tasks=[{"start": "-7h", "status": "Finished"}])))
    assert run.verdict("r-late") == "missing"
    assert len(run.calls("DescribeBackupTasks")) == 1


def test_an_unfinished_record_without_a_running_task_is_missing_and_said(report):
    stuck = [{"start": "-6h50m", "raw": {"BackupEndTime": None}}]
    run = report(fleet(instance("r-stuck", latest={"status": "Absent"}, backups=stuck)))
    assert run.verdict("r-stuck") == "missing"
    assert "never finished and no backup task is running" in run.detail("r-stuck")


def test_a_failed_full_backup_then_a_successful_incremental_one_is_failed(report):
    incremental = [{"start": "-5h", "type": "IncrementalBackup", "size": "50MB"}]
    run = report(fleet(instance("r-inc", latest={"status": "Failed"}, backups=incremental)))
    assert run.verdict("r-inc") == "failed"
    assert "failed at 2026-11-27 18:10" in run.detail("r-inc")


def test_an_incremental_backup_alone_never_covers_a_slot(report):
    incremental = [{"start": "-6h", "type": "IncrementalBackup"}]
    run = report(fleet(instance("r-inc", latest={"status": "Absent"}, backups=incremental)))
    assert run.verdict("r-inc") == "missing"


# --- Policy and times ------------------------------------------------------------------------------

def test_a_slot_ending_at_24_00z_reads_fine(report):
    late = instance("r-late", policy={"period": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
                                      "time": "23:00Z-24:00Z"}, history={"days": 8, "at": "23:10"})
    run = report(fleet(late))
    assert run.verdict("r-late") == "ok" and "last backup 2026-11-27 23:10" in run.detail("r-late")


def test_an_api_time_without_a_zone_designator_is_utc(report):
    zoneless = [{"start": "-2h", "raw": {"BackupStartTime": "2026-11-27T23:00:00", "BackupEndTime": "2026-11-27T23:04:00"}}]
    run = report(fleet(instance("r-zone", latest={"status": "Absent"}, backups=zoneless)))
    assert run.verdict("r-zone") == "ok" and "last backup 2026-11-27 23:00" in run.detail("r-zone")


# --- Odd answers fail closed -----------------------------------------------------------------------

@pytest.mark.parametrize("total_count", [50, None], ids=["lying", "absent"])
def test_a_lying_or_absent_total_count_never_hides_an_instance(report, total_count):
    many = [instance(f"r-many{n:03d}", history={"days": 1, "at": "18:10"}) for n in range(120)]
    many[117] = instance("r-many117", latest={"status": "Failed"})
    run = report(fleet(*many, instance_list={"total_count": total_count}))
    assert len(run.result["instances"]) == 120
    assert run.verdict("r-many117") == "failed"
    assert run.result["status"] == "alert"
    assert "TotalCount says" in run.result["unchecked_regions"][0]["error"]
    assert "TotalCount says" in run.dingtalk_text


def test_an_instance_listed_twice_is_checked_once_and_the_odd_answer_said(report):
    run = report(fleet(instance("r-one"), instance("r-two"), instance_list={"twice": ["r-one"]}))
    assert [i["instance_id"] for i in run.result["instances"]].count("r-one") == 1
    assert "listed an instance more than once" in run.result["unchecked_regions"][0]["error"]


def test_a_page_that_repeats_an_earlier_one_stops_the_listing_and_is_said(report):
    many = [instance(f"r-many{n:03d}", history={"days": 1, "at": "18:10"}) for n in range(60)]
    run = report(fleet(*many, instance_list={"ignore_page_number": True}))
    assert len(run.result["instances"]) == 50
    assert len(run.calls("DescribeInstances")) == 2  # the one listing (it serves the coverage too) stops at page 2
    assert "page 2 repeated earlier instances" in run.result["unchecked_regions"][0]["error"]
    assert run.result["status"] == "alert"


def test_duplicate_backup_ids_with_conflicting_statuses_are_never_fine(report):
    twins = [{"start": "-2h", "node": 0, "raw": {"BackupId": 4242}},
             {"start": "-2h", "node": 0, "status": "Failed", "raw": {"BackupId": 4242}}]
    run = report(fleet(instance("r-twin", backups=twins)))
    assert run.verdict("r-twin") not in FINE
    assert "conflicting statuses: 4242" in run.detail("r-twin")


def test_a_repeated_record_is_an_anomaly_never_ok(report):
    twins = [{"start": "-2h", "raw": {"BackupId": 4242}}, {"start": "-2h", "raw": {"BackupId": 4242}}]
    run = report(fleet(instance("r-twin", backups=twins)))
    assert run.verdict("r-twin") == "error"
    assert "listed 1 BackupId(s) more than once (4242)" in run.detail("r-twin")


def test_new_needs_a_create_time_in_the_past(report):
    run = report(fleet(instance("r-future", created="+2h", history=None)))
    assert run.verdict("r-future") == "missing"
    assert "is in the future" in run.detail("r-future")


def test_new_needs_no_successful_backup_older_than_the_slot(report):
    older = [{"start": "-3d6h50m"}]
    run = report(fleet(instance("r-reborn", created="-3h", history=None, backups=older)))
    assert run.verdict("r-reborn") == "missing"


def test_an_instance_returned_by_the_tag_filter_with_an_empty_tags_field_is_kept(report):
    run = report(fleet(instance("r-bare", raw={"Tags": None}), instance("r-empty", raw={"Tags": {"Tag": []}})))
    assert run.verdicts == {"r-bare": "ok", "r-empty": "ok"}


def test_an_instance_whose_tags_contradict_the_filter_is_left_out(report):
    run = report(fleet(instance("r-ok"), instance("r-lax", raw={"Tags": {"Tag": [{"Key": "backup-report",
                                                                                   "Value": "weekly"}]}})))
    assert set(run.verdicts) == {"r-ok"}


def test_a_refused_backup_task_lookup_leaves_the_instance_missing_and_says_so(report):
    run = report(fleet(instance("r-late", latest={"status": "Absent"}),
                       faults=[{"kind": "forbidden", "action": "DescribeBackupTasks"}]))
    assert run.verdict("r-late") == "missing"
    assert "DescribeBackupTasks failed: Forbidden.RAM" in run.detail("r-late")


# --- Issue 22: no false alarm for Tair clusters, cluster sets or read/write splitting ---------------

def tair_cluster(instance_id: str, node_type: str = "double", **spec) -> dict:
    """A cloud-native Tair cluster whose record says NodeType double or single, as DescribeInstances' answer
    documents it for every instance (the Terraform provider reads a Tair instance's double as MASTER_SLAVE)."""
    return instance(instance_id, architecture="cluster", shards=3, node_type=node_type, cloud_native=True,
                    type="Tair", **spec)


@pytest.mark.parametrize("node_type", ["double", "single"])
def test_a_cloud_native_tair_cluster_whose_node_type_says_double_or_single_is_ok(report, node_type):
    run = report(fleet(tair_cluster("r-tair", node_type)))
    assert run.verdict("r-tair") == "ok"
    assert "(cluster backup set on all 3 shards)" in run.detail("r-tair")
    # Its ShardCount points to a cloud-native cluster, and its sets settle it: no other call.
    assert run.calls("DescribeBackups") == [] and run.calls("DescribeLogicInstanceTopology") == []
    assert run.result["status"] == "ok"


@pytest.mark.parametrize("latest,verdict,says", [
    ({"status": "Failed"}, "failed", "cluster backup set cb-"),
    ({"status": "Absent"}, "missing", "the scheduled 18:00 cluster backup set of 2026-11-27 was not done"),
    ({"status": "Failed", "nodes": [1]}, "incomplete", "2/3 shards backed up; r-tair-db-1 ERROR"),
])
def test_the_same_tair_cluster_with_a_failed_or_missing_backup_still_alerts(report, latest, verdict, says):
    run = report(fleet(tair_cluster("r-tair", latest=latest)))
    assert run.verdict("r-tair") == verdict
    assert says in run.detail("r-tair") and run.result["status"] == "alert"


def test_a_tair_cluster_whose_fields_do_not_say_its_kind_is_settled_by_its_cluster_sets(report):
    # No ShardCount and no ReplicaCount either: the fields point to a classic cluster, DescribeBackups lists
    # nothing of it, so DescribeClusterBackupList is asked once, and its sets settle it.
    hidden = {"ShardCount": None, "ReplicaCount": None}
    run = report(fleet(tair_cluster("r-tair", raw=hidden), tair_cluster("r-late", raw=hidden,
                                                                         latest={"status": "Absent"})))
    assert run.verdict("r-tair") == "ok" and "(cluster backup set on all 3 shards)" in run.detail("r-tair")
    assert run.verdict("r-late") == "missing"
    assert run.detail("r-late").startswith("the scheduled 18:00 cluster backup set of 2026-11-27 was not done")
    assert sorted(c.params["InstanceId"] for c in run.calls("DescribeClusterBackupList")) == ["r-late", "r-tair"]


def test_a_cluster_no_api_lists_any_backup_of_whose_kind_is_open_is_an_error_naming_why_never_missing(report):
    run = report(fleet(tair_cluster("r-tair", raw={"ShardCount": None, "ReplicaCount": None}, history=None)))
    assert run.verdict("r-tair") == "error"
    assert run.detail("r-tair").startswith(
        "not known whether a classic or a cloud-native cluster: NodeType 'double' does not tell them apart, "
        "DescribeInstances gave no ShardCount, and neither DescribeBackups nor DescribeClusterBackupList lists "
        "a backup of it: the scheduled 18:00 backup of 2026-11-27 was not done")
    assert run.calls("DescribeBackupTasks") == []


def test_a_new_cluster_whose_kind_is_open_is_still_new(report):
    run = report(fleet(tair_cluster("r-new", raw={"ShardCount": None, "ReplicaCount": None}, history=None,
                                    created="-3h")))
    assert run.verdict("r-new") == "new"


def test_a_classic_cluster_whose_record_carries_a_shard_count_is_settled_by_its_records(report):
    # The fields disagree the other way: ShardCount points to cloud-native, DescribeClusterBackupList lists
    # no set, and the records DescribeBackups lists settle it as classic.
    run = report(fleet(classic("r-cls", raw={"ShardCount": 4}),
                       classic("r-gap", raw={"ShardCount": 4}, latest={"status": "Failed", "nodes": [1]})))
    assert run.verdict("r-cls") == "ok" and "on all 4 shards" in run.detail("r-cls")
    assert run.verdict("r-gap") == "incomplete"
    assert run.detail("r-gap").startswith("3/4 shards backed up (classic cluster); r-gap-db-1 failed (backup ")


def test_a_cloud_native_set_whose_shards_instance_name_is_a_backup_file_is_matched_by_backup_id(report):
    run = report(fleet(cloud_native("r-cn", shard_instance_name="file")))
    assert run.verdict("r-cn") == "ok"
    assert "(cluster backup set on all 3 shards)" in run.detail("r-cn")
    assert "have no backup in the set" not in run.dingtalk_text


@pytest.mark.parametrize("latest,verdict,says", [
    ({"status": "Failed", "nodes": [1]}, "incomplete", "2/3 shards backed up; a shard ERROR, not available (backup "),
    ({"status": "Absent", "nodes": [2]}, "incomplete", "2/3 shards backed up; 1 shard(s) have no backup in the set"),
    ({"status": "Failed"}, "failed", "a shard ERROR, not available (backup "),
    ({"status": "Absent"}, "missing", "the scheduled 18:00 cluster backup set of 2026-11-27 was not done"),
])
def test_a_set_named_by_backup_files_with_a_failed_or_absent_shard_still_alerts(report, latest, verdict, says):
    run = report(fleet(cloud_native("r-cn", shard_instance_name="file", latest=latest)))
    assert run.verdict("r-cn") == verdict
    assert says in run.detail("r-cn") and run.result["status"] == "alert"


def test_a_set_listing_another_instances_shard_is_odd_data_never_a_shard(report):
    stranger = [{"start": "-6h50m", "node": 2, "raw": {"shard": {"InstanceName": "r-other-db-2"}}}]
    run = report(fleet(cloud_native("r-cn", latest={"status": "Absent"}, backups=stranger)))
    assert run.verdict("r-cn") not in FINE
    assert "lists backups of node(s) not of this cluster (r-other-db-2)" in run.detail("r-cn")


@pytest.mark.parametrize("node_form", ["data_node", "topology"])
def test_a_read_write_splitting_instance_whose_records_name_its_data_node_is_ok(report, node_form):
    run = report(fleet(instance("r-rw", architecture="rwsplit", node_form=node_form)))
    assert run.verdict("r-rw") == "ok", run.detail("r-rw")
    assert "not of this" not in run.detail("r-rw")


@pytest.mark.parametrize("latest,verdict", [({"status": "Failed"}, "failed"), ({"status": "Absent"}, "missing")])
def test_the_same_read_write_splitting_instance_with_a_failed_or_missing_backup_still_alerts(report, latest, verdict):
    run = report(fleet(instance("r-rw", architecture="rwsplit", node_form="data_node", latest=latest)))
    assert run.verdict("r-rw") == verdict and run.result["status"] == "alert"


@pytest.mark.parametrize("node", ["r-rw-db-1", "r-other-db-0", "r-other"])
def test_a_read_write_splitting_instances_record_of_another_node_is_odd_data(report, node):
    odd = [{"start": "-2h", "raw": {"NodeInstanceId": node}}]
    run = report(fleet(instance("r-rw", architecture="rwsplit", node_form="data_node", backups=odd)))
    assert run.verdict("r-rw") == "error"
    assert f"node(s) not of this read/write splitting ({node})" in run.detail("r-rw")
