"""The R-KVStore emulator's actions, called with the official SDK over loopback."""
from __future__ import annotations

from collections import Counter

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException

import sandbox as sandboxes
from kvstore_sdk import api  # noqa: F401 - fixture

ANCHOR = "2026-11-28T01:00Z"  # a Saturday; daily slots 18:00Z-19:00Z, history at 18:10Z
TAGGED = {"backup-report": "daily"}
FLEET = {
    "seed": 7,
    "instances": [
        {"id": "r-bp1orders", "name": "orders-cache", "region": "cn-hangzhou", "created": "2026-01-01T00:00:00Z",
         "tags": {**TAGGED, "team": "payments"}, "engine": "6.0", "history": {"days": 3, "size": "2GB"}},
        {"id": "r-bp1session", "name": "session-store", "region": "cn-hangzhou", "tags": {**TAGGED, "team": "identity"},
         "policy": {"period": "Sunday", "time": "18:00Z-19:00Z", "retention": 14, "backup_log": 1}},
        {"id": "r-bp1scratch", "name": "scratch", "region": "cn-hangzhou", "tags": {"team": "payments"},
         "status": "Creating"},
        {"id": "r-bp1big", "name": "big-cluster", "region": "cn-hangzhou", "tags": dict(TAGGED),
         "architecture": "cluster", "shards": 64, "history": {"days": 8}},
        {"id": "r-uf6odd", "name": "odd", "region": "cn-shanghai", "total_count_offset": 3,
         "backups": [{"start": "-5h", "raw": {"BackupStatus": "Weird", "BackupEndTime": None}}]},
    ],
}


@pytest.fixture(scope="module")
def sandbox():
    # One for the module: these tests only read, and a stop costs a server poll interval.
    with sandboxes.start(FLEET, anchor=ANCHOR) as sb:
        yield sb


def refusal(call) -> tuple[int, str]:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value.status_code, caught.value.code


def backups(api, instance_id="r-bp1big", start="2026-11-20T00:00Z", end="2026-11-28T01:00Z", **fields):
    return api.describe_backups(instance_id=instance_id, start_time=start, end_time=end, **fields)


def test_describe_regions_lists_the_public_regions_and_the_fleets(api):
    regions = {r.region_id: r for r in api.describe_regions().region_ids.kvstore_region}
    assert {"cn-hangzhou", "cn-shanghai", "ap-southeast-1", "eu-central-1"} <= set(regions)
    assert "cn-hangzhuo" not in regions
    assert regions["cn-hangzhou"].local_name == "华东1（杭州）"
    assert regions["cn-hangzhou"].zone_ids.startswith("cn-hangzhou-") and regions["cn-hangzhou"].region_endpoint


def test_describe_instances_answers_every_field_of_the_regions_instances(api):
    body = api.describe_instances(region_id="cn-hangzhou")
    assert body.total_count == 4 and (body.page_number, body.page_size) == (1, 30)
    orders = body.instances.kvstore_instance[0]
    assert (orders.instance_id, orders.instance_name, orders.region_id, orders.architecture_type, orders.node_type,
            orders.instance_status, orders.create_time, orders.engine_version, orders.instance_type,
            orders.edition_type) == \
        ("r-bp1orders", "orders-cache", "cn-hangzhou", "standard", "double", "Normal", "2026-01-01T00:00:00Z", "6.0",
         "Redis", "Community")
    # ShardCount is answered only for cloud-native clusters and read/write splitting instances.
    assert orders.shard_count is None
    assert [(t.key, t.value) for t in orders.tags.tag] == [("backup-report", "daily"), ("team", "payments")]
    assert [i.instance_id for i in api.describe_instances(region_id="cn-shanghai").instances.kvstore_instance] == \
        ["r-uf6odd"]


@pytest.mark.parametrize("tags, expected", [
    ({"backup-report": "daily"}, ["r-bp1orders", "r-bp1session", "r-bp1big"]),
    ({"backup-report": "daily", "team": "payments"}, ["r-bp1orders"]),  # AND, not OR
    ({"team": None}, ["r-bp1orders", "r-bp1session", "r-bp1scratch"]),  # a key alone: any value
    ({"team": "payments", "backup-report": None}, ["r-bp1orders"]),
    ({"backup-report": "weekly"}, []),
])
def test_tags_select_instances_carrying_all_of_them(api, tags, expected):
    found = api.describe_instances(region_id="cn-hangzhou", tags=tags)
    assert [i.instance_id for i in found.instances.kvstore_instance] == expected and found.total_count == len(expected)


def test_instance_ids_and_status_narrow_the_list(api):
    by_id = api.describe_instances(region_id="cn-hangzhou", instance_ids="r-bp1big, r-bp1orders,r-uf6odd")
    assert [i.instance_id for i in by_id.instances.kvstore_instance] == ["r-bp1orders", "r-bp1big"]
    creating = api.describe_instances(region_id="cn-hangzhou", instance_status="Creating")
    assert [i.instance_id for i in creating.instances.kvstore_instance] == ["r-bp1scratch"]


def test_describe_instances_pages_in_a_stable_order(api):
    pages = [api.describe_instances(region_id="cn-hangzhou", page_size=3, page_number=n) for n in (1, 2, 3)]
    assert [[i.instance_id for i in p.instances.kvstore_instance] for p in pages] == \
        [["r-bp1orders", "r-bp1session", "r-bp1scratch"], ["r-bp1big"], []]
    assert {p.total_count for p in pages} == {4}


@pytest.mark.parametrize("fields, expected", [
    ({"page_size": 0}, (400, "InvalidPageSize")),
    ({"page_size": 51}, (400, "InvalidPageSize")),
    ({"page_number": 0}, (400, "InvalidPageNumber")),
    ({"region_id": None}, (400, "MissingRegionId")),
])
def test_describe_instances_refuses_bad_parameters(api, fields, expected):
    assert refusal(lambda: api.describe_instances(**{"region_id": "cn-hangzhou", **fields})) == expected


def test_more_than_five_tags_are_refused(api):
    tags = {f"k{n}": "v" for n in range(6)}
    assert refusal(lambda: api.describe_instances(region_id="cn-hangzhou", tags=tags)) == (400, "InvalidTag")


def test_describe_backup_policy_answers_the_policy_and_the_next_slot_after_the_anchor(api):
    daily = api.describe_backup_policy(instance_id="r-bp1orders")
    assert (daily.preferred_backup_period, daily.preferred_backup_time, daily.preferred_next_backup_time,
            daily.backup_retention_period, daily.enable_backup_log) == \
        ("Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "18:00Z-19:00Z", "2026-11-28T18:00Z", "7", 0)
    weekly = api.describe_backup_policy(instance_id="r-bp1session")
    assert (weekly.preferred_backup_period, weekly.preferred_next_backup_time, weekly.backup_retention_period,
            weekly.enable_backup_log) == ("Sunday", "2026-11-29T18:00Z", "14", 1)


def test_describe_backup_policy_of_an_unknown_instance_is_not_found(api):
    assert refusal(lambda: api.describe_backup_policy(instance_id="r-nope")) == (404, "InvalidInstanceId.NotFound")


def test_describe_backups_answers_every_field_of_the_seed(api, sandbox):
    body = backups(api, "r-bp1orders")
    assert (body.total_count, body.page_number, body.page_size) == (3, 1, 30)
    b = min(body.backups.backup, key=lambda b: b.backup_start_time)
    assert (b.backup_dbnames, b.backup_start_time, b.backup_end_time, b.backup_status, b.backup_type,
            b.backup_mode, b.backup_method, b.backup_size, b.engine_version, b.node_instance_id) == \
        ("all", b.backup_start_time, b.backup_end_time, "Success", "FullBackup", "Automated", "Physical",
         2 << 30, "6.0", "r-bp1orders")
    assert b.backup_start_time[:16] == "2026-11-25T18:10" and b.backup_start_time.endswith("Z")
    assert b.backup_end_time[:16] == "2026-11-25T18:14" and isinstance(b.backup_id, int)
    for url in (b.backup_download_url, b.backup_intranet_download_url):
        assert url.startswith("http://rdsbak-") and f"Signature={sandbox.kvstore.download_signature}" in url
    assert "-internal." in b.backup_intranet_download_url


def test_every_page_of_a_64_shard_cluster_is_answered_once(api, sandbox):
    expected = {b.backup_id for b in sandbox.scenario.backups_of("r-bp1big")}
    assert len(expected) == 64 * 8
    for size in (30, 300):
        pages = [backups(api, page_size=size, page_number=n) for n in range(1, 512 // size + 3)]
        seen = [b.backup_id for p in pages for b in p.backups.backup]
        assert Counter(seen) == Counter(expected)  # no record twice, none missing
        assert {p.total_count for p in pages} == {512} and {p.page_size for p in pages} == {size}
        assert [len(p.backups.backup) for p in pages][-2:] == [512 % size, 0]


def test_records_come_in_no_particular_order(api):
    starts = [b.backup_start_time for b in backups(api, page_size=300).backups.backup]
    assert starts != sorted(starts, reverse=True) and starts != sorted(starts)


def test_only_backups_started_within_the_range_are_answered(api):
    # The newest run starts 2026-11-27T18:10:xx; an end at 18:10 excludes it, 18:11 includes it.
    assert backups(api, "r-bp1orders", start="2026-11-27T18:00Z", end="2026-11-27T18:10Z").total_count == 0
    assert backups(api, "r-bp1orders", start="2026-11-27T18:10Z", end="2026-11-27T18:11Z").total_count == 1
    assert backups(api, "r-bp1orders", start="2026-11-27T01:00Z", end="2026-11-28T01:00Z").total_count == 1


def test_a_backup_id_picks_one_record(api, sandbox):
    wanted = sandbox.scenario.backups_of("r-bp1orders")[1].backup_id
    found = backups(api, "r-bp1orders", backup_id=wanted, need_aof="1")
    assert [b.backup_id for b in found.backups.backup] == [wanted]


def test_odd_data_is_answered_as_the_scenario_says(api):
    body = backups(api, "r-uf6odd")
    assert body.total_count == 4  # one record, and an offset of 3
    assert (body.backups.backup[0].backup_status, body.backups.backup[0].backup_end_time) == ("Weird", None)


@pytest.mark.parametrize("name", ["start", "end"])
@pytest.mark.parametrize("value", ["2026-11-27T01:00:00Z", "2026-11-27 01:00Z", "2026-11-27T01:00", "2026-11-27",
                                   "2026-13-01T00:00Z", "2026-11-27T25:00Z", "1795827600", "2026-11-27t01:00z"])
def test_each_malformed_time_is_refused(api, name, value):
    times = {"start": "2026-11-20T00:00Z", "end": "2026-11-28T01:00Z", name: value}
    code = "InvalidStartTime.Malformed" if name == "start" else "InvalidEndTime.Malformed"
    assert refusal(lambda: backups(api, **times)) == (400, code)


@pytest.mark.parametrize("start, end", [("2026-11-28T01:00Z", "2026-11-28T01:00Z"),
                                        ("2026-11-28T01:00Z", "2026-11-27T01:00Z")])
def test_an_end_not_after_the_start_is_refused(api, start, end):
    assert refusal(lambda: backups(api, start=start, end=end)) == (400, "InvalidEndTime")


@pytest.mark.parametrize("size", [0, 10, 31, 500])
def test_a_page_size_other_than_30_50_100_200_300_is_refused(api, size):
    assert refusal(lambda: backups(api, page_size=size)) == (400, "InvalidPageSize")


def test_a_page_number_below_1_is_refused(api):
    assert refusal(lambda: backups(api, page_number=0)) == (400, "InvalidPageNumber")


@pytest.mark.parametrize("missing", ["instance_id", "start_time", "end_time"])
def test_required_parameters_are_required(api, missing):
    fields = {"instance_id": "r-bp1big", "start_time": "2026-11-20T00:00Z", "end_time": "2026-11-28T01:00Z",
              missing: None}
    code = {"instance_id": "MissingInstanceId", "start_time": "MissingStartTime", "end_time": "MissingEndTime"}
    assert refusal(lambda: api.describe_backups(**fields)) == (400, code[missing])


def test_an_instance_not_in_the_fleet_is_not_found(api):
    assert refusal(lambda: backups(api, "r-nope")) == (404, "InvalidInstanceId.NotFound")


def test_errors_carry_the_request_id_and_message_the_sdk_shows(api):
    with pytest.raises(ClientException) as caught:
        backups(api, start="yesterday")
    error = caught.value
    assert error.data["Message"] == "The Specified parameter StartTime is not valid."
    assert error.request_id == error.data["RequestId"] and error.request_id in error.message
    assert error.message.startswith("code: 400, The Specified parameter StartTime is not valid.")


def test_every_call_is_recorded_with_its_outcome(api, sandbox):
    before = len(sandbox.kvstore.calls)
    backups(api, "r-bp1orders")
    refusal(lambda: backups(api, page_size=7))
    calls = sandbox.kvstore.calls[before:]
    assert [(c.action, c.code) for c in calls] == [("DescribeBackups", "OK"), ("DescribeBackups", "InvalidPageSize")]
    assert calls[0].params == {"InstanceId": "r-bp1orders", "StartTime": "2026-11-20T00:00Z",
                               "EndTime": "2026-11-28T01:00Z"}
