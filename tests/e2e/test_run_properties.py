"""The whole run as a property: whatever the API and the chat services answer, the digest goes out.

Hypothesis writes the sandbox's scenario (instances of every kind, hostile names, odd records and
times, odd DescribeInstances pages, refusing webhooks), the real handler runs against it, and:
- it returns the result JSON, or raises DeliveryError only when no channel took the digest;
- every instance listed appears once in the result, and each channel has one delivery entry;
- an instance with an odd record in the window (a status the API does not document, a start time
  nobody can read) is never `ok`, and one backed up every day with nothing odd, in service, is `ok`
  whatever its kind (issue 22: cloud-native Tair clusters answering NodeType double or single, cluster sets
  whose shards' InstanceName is a file name, read/write splitting records naming the data node);
- no secret appears anywhere (the `report` fixture scans messages, result, error and logs).
Bounded: PROPERTY_RUN_EXAMPLES examples (default 25), each a fresh sandbox.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backup_report.app import DeliveryError
from conftest import DAILY, TAG

RUNS = settings(max_examples=int(os.environ.get("PROPERTY_RUN_EXAMPLES", "25")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

IN_WINDOW = ("-1h", "-5h", "-20h")
ODD_STATUS = "Weird"
UNREADABLE_STARTS = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00Z", "2026-13-01T00:00:00Z", "garbage", "")

NAME = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\n\r\t[]()*_~`<>&@#|\\"), max_size=40)
RAW_RECORD = st.fixed_dictionaries({}, optional={
    "BackupStartTime": st.sampled_from(UNREADABLE_STARTS),
    "BackupId": st.sampled_from([None, "x", 1]),
    "BackupSize": st.sampled_from([None, -1, "¹", "12", 10 ** 30]),
    "NodeInstanceId": st.sampled_from([None, "", "r-someoneelse-db-0"]),
    "BackupEndTime": st.sampled_from([None, "", "garbage"]),
})
RECORD = st.fixed_dictionaries(
    {"start": st.sampled_from(IN_WINDOW + ("-26h", "-2d", "-4d", "+2h")),
     "status": st.sampled_from(["Success", "Failed", "Running", ODD_STATUS]),
     "type": st.sampled_from(["FullBackup", "IncrementalBackup"]),
     "size": st.sampled_from(["1GB", "300MB", 0])},
    optional={"raw": RAW_RECORD})
KIND = st.sampled_from([
    {"architecture": "standard"},
    {"architecture": "rwsplit", "shards": 1},
    {"architecture": "cluster", "node_type": "double", "shards": 3},
    {"architecture": "cluster", "node_type": "MASTER_SLAVE", "shards": 2},
    # Issue 22's shapes: a cloud-native Tair cluster answering NodeType double / single (with and without
    # the ShardCount and ReplicaCount that point to its kind), a cluster set whose shards' InstanceName is a
    # backup file's name, a read/write splitting instance whose records name its data node.
    {"architecture": "cluster", "node_type": "double", "cloud_native": True, "type": "Tair", "shards": 2},
    {"architecture": "cluster", "node_type": "single", "cloud_native": True, "type": "Tair", "shards": 2,
     "raw": {"ShardCount": None, "ReplicaCount": None}},
    {"architecture": "cluster", "node_type": "MASTER_SLAVE", "shards": 3, "shard_instance_name": "file"},
    {"architecture": "rwsplit", "shards": 1, "node_form": "data_node"},
    {"architecture": "rwsplit", "shards": 1, "node_form": "topology"},
])
INSTANCE = st.fixed_dictionaries({
    "name": NAME,
    "kind": KIND,
    "status": st.sampled_from(["Normal", "Normal", "Normal", "Changing", "Creating", "Error", "Rebooting",
                               "CleaningUpExpiredData"]),
    "days": st.integers(0, 8),
    "latest": st.sampled_from([None, {"status": "Failed"}, {"status": "Absent"}, {"size": "10MB"}]),
    "backups": st.lists(RECORD, max_size=3),
    "created": st.sampled_from(["-400d", "-2h", "+1d"]),
})
# As often as not an instance backed up every day with nothing odd: no kind may read it as a false alarm.
HEALTHY = st.fixed_dictionaries({"name": NAME, "kind": KIND, "status": st.just("Normal"), "days": st.just(8),
                                 "latest": st.none(), "backups": st.just([]), "created": st.just("-400d")})
DINGTALK_FAULTS = st.sampled_from([[], [{"errcode": -1, "first": 1}], [{"errcode": 130101}], [{"kind": "html"}],
                                   [{"kind": "redirect"}], [{"errcode": 0.9}]])
SLACK_FAULTS = st.sampled_from([[], [{"status": 500, "first": 1}], [{"kind": "html"}],
                                [{"status": 200, "error": "invalid_payload"}], [{"kind": "redirect"}]])
LISTING = st.sampled_from([None, {"total_count": None}, {"total_count": 1}, {"total_count": 500}])


def scenario(instances: list[dict], dingtalk_faults, slack_faults, listing) -> dict:
    spec = []
    for n, item in enumerate(instances):
        spec.append({"id": f"r-bp1prop{n:07d}", "name": item["name"], "region": "cn-hangzhou", "tags": dict(TAG),
                     "created": item["created"], "policy": dict(DAILY), "status": item["status"],
                     "history": {"days": item["days"], "at": "18:10", "size": "2GB"},
                     "backups": item["backups"], **item["kind"],
                     **({"latest": item["latest"]} if item["latest"] and item["days"] >= 2 and item["created"] == "-400d"
                        else {})})
    out = {"instances": spec, "dingtalk": {"faults": dingtalk_faults}, "slack": {"faults": slack_faults}}
    if listing is not None:
        out["instance_list"] = listing
    return out


def odd_in_window(item: dict) -> bool:
    # `raw` fields reach DescribeBackups' answer only: a cloud-native cluster is read from its sets.
    raw_read = not cloud_native_cluster(item["kind"])
    return any(r["start"] in IN_WINDOW and (r["status"] == ODD_STATUS
                                            or (raw_read and "BackupStartTime" in r.get("raw", {})))
               for r in item["backups"])


def cloud_native_cluster(kind: dict) -> bool:
    return kind["architecture"] == "cluster" and (kind.get("cloud_native") or kind["node_type"] == "MASTER_SLAVE")


def healthy(item: dict) -> bool:
    """Backed up every day of the last 8, nothing odd, in service: the run must not cry wolf about it."""
    return (item["status"] == "Normal" and item["days"] == 8 and item["latest"] is None and not item["backups"]
            and item["created"] == "-400d")


@RUNS
@given(instances=st.lists(INSTANCE | HEALTHY, min_size=1, max_size=4), dingtalk_faults=DINGTALK_FAULTS,
       slack_faults=SLACK_FAULTS, listing=LISTING)
def test_whatever_the_services_answer_the_run_reports_every_instance_and_never_calls_the_unjudgeable_ok(
        report, instances, dingtalk_faults, slack_faults, listing):
    run = report(scenario(instances, dingtalk_faults, slack_faults, listing), timeout=60)
    if run.error is not None:
        assert isinstance(run.error, DeliveryError), repr(run.error)
        assert not (run.dingtalk or run.slack or run.feishu or run.wecom), "a channel took the digest, yet the run raised"
        return
    result = run.result
    ids = [i["instance_id"] for i in result["instances"]]
    assert len(ids) == len(set(ids)), "an instance reported twice"
    wanted = {f"r-bp1prop{n:07d}" for n in range(len(instances))}
    assert set(ids) == wanted
    assert sorted(d["channel"] for d in result["deliveries"]) == ["dingtalk", "feishu", "slack", "wecom"]
    for n, item in enumerate(instances):
        if odd_in_window(item):
            assert run.verdict(f"r-bp1prop{n:07d}") != "ok", run.entry(f"r-bp1prop{n:07d}")
        if healthy(item) and not listing:
            assert run.verdict(f"r-bp1prop{n:07d}") == "ok", run.entry(f"r-bp1prop{n:07d}")
