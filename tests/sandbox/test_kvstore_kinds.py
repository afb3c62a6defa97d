"""The emulator's answers for each kind of instance, called with the official SDK over loopback:
NodeType, no ShardCount for classic clusters, DescribeLogicInstanceTopology,
DescribeClusterBackupList, DescribeBackupTasks, backups in progress, incremental records, 24:00Z."""
from __future__ import annotations

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

import sandbox as sandboxes
from kvstore_sdk import api  # noqa: F401 - fixture

ANCHOR = "2026-11-28T01:00Z"
FLEET = {
    "seed": 3,
    "instances": [
        {"id": "r-bp1classic", "region": "cn-hangzhou", "architecture": "cluster", "shards": 3,
         "history": {"days": 2}},
        {"id": "r-bp1native", "region": "cn-hangzhou", "architecture": "cluster", "shards": 3,
         "node_type": "MASTER_SLAVE", "history": {"days": 3, "size": "1GB"}, "latest": {"status": "Failed", "nodes": [1]},
         "backups": [{"start": "-1h", "status": "Running"}]},
        {"id": "r-bp1split", "region": "cn-hangzhou", "architecture": "rwsplit", "node_type": "STAND_ALONE"},
        {"id": "r-bp1std", "region": "cn-hangzhou", "policy": {"period": "Sunday", "time": "23:00Z-24:00Z"},
         "tasks": [{"start": "-2h", "status": "Uploading", "progress": 60}, {"start": "-1d", "status": "Finished",
                                                                           "mode": "Manual"}],
         "backups": [{"start": "-3h", "type": "IncrementalBackup"}, {"start": "-30m", "status": "Running"}]},
    ],
}


@pytest.fixture(scope="module")
def sandbox():
    with sandboxes.start(FLEET, anchor=ANCHOR) as sb:
        yield sb


def by_id(api):
    return {i.instance_id: i for i in api.describe_instances(region_id="cn-hangzhou").instances.kvstore_instance}


def test_node_type_and_shard_count_are_answered_as_the_reference_says(api):
    found = by_id(api)
    assert (found["r-bp1classic"].node_type, found["r-bp1classic"].shard_count) == ("double", None)
    assert (found["r-bp1native"].node_type, found["r-bp1native"].shard_count) == ("MASTER_SLAVE", 3)
    assert (found["r-bp1split"].node_type, found["r-bp1split"].shard_count) == ("STAND_ALONE", 1)
    assert found["r-bp1std"].shard_count is None and found["r-bp1std"].edition_type == "Community"


def test_the_topology_names_each_shard_node_with_its_number_suffix(api):
    body = api.describe_logic_instance_topology(instance_id="r-bp1classic")
    shards = body.redis_shard_list.node_info
    assert [n.node_id.split("#")[0] for n in shards] == [f"r-bp1classic-db-{i}" for i in range(3)]
    assert all("#" in n.node_id and n.node_type == "db" for n in shards)
    assert {n.node_type for n in body.redis_proxy_list.node_info} == {"proxy"}


def test_a_standard_instance_has_no_topology(api):
    with pytest.raises(ClientException) as caught:
        api.describe_logic_instance_topology(instance_id="r-bp1std")
    assert caught.value.code == "IncorrectInstanceType"


def test_a_cloud_native_cluster_has_cluster_backup_sets_and_no_describe_backups_records(api):
    assert api.describe_backups(instance_id="r-bp1native", start_time="2026-11-20T00:00Z",
                                end_time="2026-11-28T01:00Z").backups.backup == []
    body = api.describe_cluster_backup_list(instance_id="r-bp1native", region_id="cn-hangzhou",
                                            start_time="2026-11-20T00:00Z", end_time="2026-11-28T01:00Z")
    sets = body.cluster_backups
    assert [s.cluster_backup_status for s in sets] == ["RUNNING", "ERROR", "OK", "OK"]
    running, failed, ok = sets[0], sets[1], sets[2]
    assert running.cluster_backup_end_time is None and running.is_avail == 0 and running.backups == []
    assert failed.is_avail == 0
    assert {b.instance_name: (b.backup_status, b.is_avail) for b in failed.backups} == {
        "r-bp1native-db-0": ("OK", "1"), "r-bp1native-db-1": ("ERROR", "0"), "r-bp1native-db-2": ("OK", "1")}
    assert ok.is_avail == 1 and int(ok.cluster_backup_size) == sum(int(b.backup_size) for b in ok.backups)


def test_cluster_backup_sets_are_read_over_the_range_asked(api):
    body = api.describe_cluster_backup_list(instance_id="r-bp1native", region_id="cn-hangzhou",
                                            start_time="2026-11-27T12:00Z", end_time="2026-11-28T01:00Z")
    assert len(body.cluster_backups) == 2


def test_backup_tasks_list_the_jobs_and_filter_by_mode(api):
    jobs = api.describe_backup_tasks(instance_id="r-bp1std").backup_jobs
    assert [(j.backup_progress_status, j.job_mode, j.task_action, j.progress) for j in jobs] == [
        ("Uploading", "Automated", "NormalBackupTask", "60"), ("Finished", "Manual", "TempBackupTask", "40")]
    assert jobs[0].start_time == "2026-11-27T23:00:00Z"
    assert len(api.describe_backup_tasks(instance_id="r-bp1std", job_mode="Manual").backup_jobs) == 1


def test_a_backup_in_progress_has_no_end_and_an_incremental_record_says_so(api):
    records = api.describe_backups(instance_id="r-bp1std", start_time="2026-11-27T00:00Z",
                                   end_time="2026-11-28T01:00Z").backups.backup
    kinds = {(r.backup_type, r.backup_status, r.backup_end_time is None) for r in records}
    assert kinds == {("IncrementalBackup", "Success", False), ("FullBackup", "Running", True)}


def test_a_policy_ending_at_24_00z_is_answered_as_written(api):
    assert api.describe_backup_policy(instance_id="r-bp1std").preferred_backup_time == "23:00Z-24:00Z"


def test_a_cluster_backup_list_needs_its_region_and_times(api):
    with pytest.raises(ClientException) as caught:
        api.describe_cluster_backup_list(instance_id="r-bp1native", region_id="cn-hangzhou",
                                         start_time="2026-11-27 12:00", end_time="2026-11-28T01:00Z")
    assert caught.value.code == "InvalidStartTime.Malformed"
