"""Scenarios as data: loading, relative times, the expansion of backups, and errors that name the key."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from sandbox.scenario import ScenarioError, load, names

ANCHOR = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)  # a Saturday


def one(**spec) -> dict:
    return {"instances": [{"id": "r-1", "region": "cn-hangzhou", **spec}]}


def starts(scenario) -> list[str]:
    return [f"{b.start:%m-%d %H:%M}" for b in scenario.backups]


def test_a_scenario_loads_by_name_path_or_dict(tmp_path):
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps(one(name="from-json")))
    assert load("empty").instances == ()
    assert load(path).instances[0].name == "from-json"
    assert load(one(name="from-dict")).instances[0].name == "from-dict"


def test_the_anchor_defaults_to_now_truncated_to_the_minute():
    before = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    anchor = load("empty").anchor
    assert anchor.second == anchor.microsecond == 0 and before <= anchor <= before + timedelta(minutes=1)


def test_relative_and_absolute_times_become_absolute_utc():
    scenario = load(one(created="-2d3h", backups=[{"start": "-30m"}, {"start": "2026-11-20T02:00:00Z"}]),
                    anchor="2026-11-28T01:00Z")
    assert scenario.instances[0].created == ANCHOR - timedelta(days=2, hours=3)
    assert [b.start for b in scenario.backups] == [datetime(2026, 11, 20, 2, tzinfo=timezone.utc),
                                                  ANCHOR - timedelta(minutes=30)]


def test_history_is_one_success_a_day_before_the_anchor_at_the_given_time():
    scenario = load(one(history={"days": 3, "at": "18:10", "size": "2GB", "duration": "5m"}), anchor=ANCHOR)
    assert starts(scenario) == ["11-25 18:10", "11-26 18:10", "11-27 18:10"]
    assert {(b.status, b.size, b.mode, b.type, b.end - b.start) for b in scenario.backups} == \
        {("Success", 2 << 30, "Automated", "FullBackup", timedelta(minutes=5))}


def test_history_includes_today_once_its_time_has_passed():
    assert starts(load(one(history={"days": 2, "at": "00:30"}), anchor=ANCHOR)) == ["11-27 00:30", "11-28 00:30"]


def test_history_follows_the_policy_weekdays_and_the_creation_time():
    weekly = load(one(policy={"period": "Sunday", "time": "18:00Z-19:00Z"}, history={"days": 15}), anchor=ANCHOR)
    assert starts(weekly) == ["11-15 18:10", "11-22 18:10"]  # `at` defaults to the slot + 10 min
    young = load(one(created="-2d", history={"days": 8}), anchor=ANCHOR)
    assert starts(young) == ["11-26 18:10", "11-27 18:10"]


def test_a_cluster_backs_up_every_shard_with_node_ids_per_shard():
    scenario = load(one(architecture="cluster", shards=3, history={"days": 1}), anchor=ANCHOR)
    assert sorted(b.node_id for b in scenario.backups) == ["r-1-db-0", "r-1-db-1", "r-1-db-2"]


def test_latest_overrides_the_newest_day_on_the_named_nodes():
    failed = load(one(architecture="cluster", shards=4, history={"days": 2}, latest={"status": "Failed", "nodes": [2]}),
                  anchor=ANCHOR)
    newest = {b.node_id: (b.status, b.size) for b in failed.backups if b.start.day == 27}
    assert newest["r-1-db-2"] == ("Failed", 0) and newest["r-1-db-1"][0] == "Success"
    absent = load(one(architecture="cluster", shards=4, history={"days": 2},
                      latest={"status": "Absent", "nodes": ["r-1-db-3"]}), anchor=ANCHOR)
    assert len(absent.backups) == 7
    shrunk = load(one(history={"days": 2, "size": "6GB"}, latest={"size": "300MB"}), anchor=ANCHOR)
    assert [b.size for b in shrunk.backups] == [6 << 30, 300 << 20]


def test_explicit_backups_default_to_every_node_and_raw_fields_are_kept():
    scenario = load(one(architecture="cluster", shards=2, backups=[
        {"start": "-7h", "status": "Failed"},
        {"start": "-5h", "node": 1, "mode": "Manual", "raw": {"BackupStatus": "Weird", "BackupEndTime": None}}]),
        anchor=ANCHOR)
    assert [(b.node_id, b.status, b.size, b.mode) for b in scenario.backups] == [
        ("r-1-db-0", "Failed", 0, "Automated"), ("r-1-db-1", "Failed", 0, "Automated"),
        ("r-1-db-1", "Success", 1 << 30, "Manual")]
    assert scenario.backups[-1].raw == {"BackupStatus": "Weird", "BackupEndTime": None}


def test_backup_ids_grow_with_time_and_are_the_same_on_every_load():
    first, again = (load("demo", anchor=ANCHOR) for _ in range(2))
    ids = [b.backup_id for b in first.backups]
    assert ids == [b.backup_id for b in again.backups] and ids == sorted(set(ids))
    assert first.backups == again.backups


def test_credentials_are_random_and_never_look_like_a_real_access_key():
    first, second = load("empty").credentials, load("empty").credentials
    assert first.access_key_id.startswith("sandbox-ak-") and not first.access_key_id.startswith("LTAI")
    assert first != second and first.security_token
    assert first.access_key_secret not in repr(first) and first.security_token not in repr(first)


def test_given_credentials_and_webhooks_are_kept():
    scenario = load({"credentials": {"access_key_id": "ak", "access_key_secret": "sk"},
                     "dingtalk": {"token": "t", "secret": "", "keywords": ["backup"], "faults": [{"errcode": 310000}]},
                     "slack": {"path": "/T1/B1/x/", "faults": [{"status": 429}]}})
    assert (scenario.credentials.access_key_id, scenario.credentials.security_token) == ("ak", None)
    assert (scenario.dingtalk.token, scenario.dingtalk.secret, scenario.dingtalk.keywords) == ("t", "", ("backup",))
    assert scenario.dingtalk.faults == ({"errcode": 310000},)
    assert (scenario.slack.path, scenario.slack.faults) == ("T1/B1/x", ({"status": 429},))


def test_the_default_robot_is_signed():
    assert load("empty").dingtalk.secret.startswith("SEC")


def test_regions_to_scan_default_to_the_fleet_and_can_be_narrowed():
    demo = load("demo", anchor=ANCHOR)
    assert demo.fleet_regions == ("cn-beijing", "cn-hangzhou", "cn-shanghai")
    assert demo.regions == ("cn-hangzhou", "cn-shanghai")
    assert load(one()).regions == ("cn-hangzhou",)


def test_faults_are_read_with_their_filters():
    scenario = load({"faults": [{"kind": "throttle", "first": 3, "action": "DescribeBackups"},
                                {"kind": "hang", "instance": "r-1", "seconds": 0.5}, {"kind": "quota", "qps": 5}]})
    throttle, hang, quota = scenario.faults
    assert (throttle.kind, throttle.first, throttle.action, throttle.instance) == ("throttle", 3, "DescribeBackups", None)
    assert (hang.seconds, hang.first, quota.qps) == (0.5, None, 5.0)


def test_the_demo_fleet_has_what_the_issue_asks_for():
    demo = load("demo", anchor=ANCHOR)
    selected = [i for i in demo.instances if i.tags.get("backup-report") == "daily" and i.region in demo.regions]
    assert len(selected) >= 12 and {i.region for i in selected} == {"cn-hangzhou", "cn-shanghai"}
    assert sum(1 for i in demo.instances if i.tags.get("backup-report") != "daily") >= 2
    assert {i.architecture for i in selected} >= {"standard", "cluster"}
    assert {"demo", "empty"} <= set(names())


@pytest.mark.parametrize("data, where", [
    ({"instancez": []}, "<dict>: unknown key 'instancez'"),
    ({"instances": [{"region": "cn-hangzhou"}]}, "instances[0].id: is required"),
    ({"instances": [{"id": "r-1", "region": "x", "colour": "red"}]}, "instances[0]: unknown key 'colour'"),
    (one(architecture="sharded"), "instances[0].architecture: 'sharded' is not one of"),
    (one(shards=4), "instances[0].shards: only a cluster"),
    (one(created="yesterday"), "instances[0].created: 'yesterday' is not a time"),
    (one(policy={"period": "Funday"}), "instances[0].policy.period: 'Funday'"),
    (one(policy={"time": "18:00-19:00"}), "instances[0].policy.time: '18:00-19:00' is not HH:mmZ-HH:mmZ"),
    (one(history={"size": "5 gigs"}), "instances[0].history.size: '5 gigs' is not a size"),
    (one(history={"at": 1090}), 'instances[0].history.at: write the time quoted, as "HH:MM"'),
    (one(history={"duration": "soon"}), "instances[0].history.duration: 'soon' is not a duration"),
    (one(latest={"status": "Failed"}), "instances[0].latest: overrides the newest history day"),
    (one(history={"days": 1}, latest={"status": "Lost"}), "instances[0].latest.status: 'Lost' is not Failed or Absent"),
    (one(architecture="cluster", shards=2, history={"days": 1}, latest={"nodes": [5]}),
     "instances[0].latest.nodes: 5 is neither a shard index below 2"),
    (one(backups=[{"size": "1GB"}]), "instances[0].backups[0].start: is required"),
    ({"instances": [{"id": "r-1", "region": "a"}, {"id": "r-1", "region": "b"}]}, "instance id 'r-1' appears twice"),
    ({"faults": [{"kind": "explode"}]}, "faults[0].kind: 'explode' is not one of"),
    ({"faults": [{"kind": "quota"}]}, "faults[0].qps: a quota needs qps > 0"),
    ({"credentials": {"access_key_id": "ak"}}, "credentials.access_key_secret: is required"),
])
def test_bad_data_is_refused_with_the_key_that_holds_it(data, where):
    with pytest.raises(ScenarioError) as caught:
        load(data, anchor=ANCHOR)
    assert where in str(caught.value)


def test_an_unknown_scenario_lists_the_shipped_ones():
    with pytest.raises(ScenarioError, match="no scenario 'nope' .*demo"):
        load("nope")


def test_a_scenario_carries_the_settings_it_is_meant_to_run_with(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("settings:\n  INSTANCE_TAGS: team=payments\n  REQUIRE_BACKUP_LOG: on\n  COVERAGE: off\n"
                    "  LOOKBACK_HOURS: 48\n" + "instances: []\n")
    assert load(path).settings == (("INSTANCE_TAGS", "team=payments"), ("REQUIRE_BACKUP_LOG", "on"),
                                   ("COVERAGE", "off"), ("LOOKBACK_HOURS", "48"))  # YAML's on/off read back as such
    assert load("empty").settings == ()
    assert dict(load("demo").settings)["INSTANCE_TAGS"] == "backup-report=daily"


@pytest.mark.parametrize("settings, says", [
    (["INSTANCE_TAGS=a"], "settings: expected a mapping of NAME: value"),
    ({"instance_tags": "a=b"}, "'instance_tags' is not a setting's name (upper case, like INSTANCE_TAGS)"),
    ({"REGIONS": ["cn-hangzhou"]}, "settings.REGIONS: expected text, a number or on/off, got list"),
])
def test_malformed_settings_are_refused_naming_the_key(settings, says):
    with pytest.raises(ScenarioError, match="^<dict>") as refused:
        load({"settings": settings})
    assert says in str(refused.value)
