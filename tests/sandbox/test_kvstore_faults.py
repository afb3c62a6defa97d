"""Staged faults of the R-KVStore emulator, as the official SDK sees them."""
from __future__ import annotations

import time

import pytest
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ClientException, ServerException
from darabonba.exceptions import UnretryableException

from kvstore_sdk import Api
from sandbox.apierror import ApiError
from sandbox.fleet import Fault
from sandbox.kvstore_faults import Faults
from sandbox.pytest_plugin import serve  # noqa: F401 - fixture

WINDOW = {"start_time": "2026-11-27T01:00Z", "end_time": "2026-11-28T01:00Z"}


def fleet(*faults: dict) -> dict:
    return {"faults": list(faults), "instances": [
        {"id": "r-x", "region": "cn-hangzhou", "history": {"days": 1}},
        {"id": "r-y", "region": "cn-hangzhou", "history": {"days": 1}},
        {"id": "r-sh", "region": "cn-shanghai", "history": {"days": 1}},
    ]}


def outcome(call) -> str:
    """ "OK", or the code of the API error the SDK raised."""
    try:
        call()
    except AlibabaCloudException as error:
        return error.code
    return "OK"


def backups(api, instance_id="r-x"):
    return lambda: api.describe_backups(instance_id=instance_id, **WINDOW)


def test_latency_delays_every_answer(serve):
    api = Api(serve(fleet({"kind": "latency", "ms": 150})))
    began = time.monotonic()
    assert outcome(backups(api)) == "OK"
    assert time.monotonic() - began >= 0.15


def test_throttling_answers_the_first_k_matching_calls(serve):
    sb = serve(fleet({"kind": "throttle", "first": 2, "action": "DescribeBackups"}))
    api = Api(sb)
    assert outcome(lambda: api.describe_regions()) == "OK"
    with pytest.raises(ClientException) as caught:
        backups(api)()
    assert (caught.value.status_code, caught.value.code) == (400, "Throttling.User")
    assert [outcome(backups(api)) for _ in range(2)] == ["Throttling.User", "OK"]
    assert [c.code for c in sb.kvstore.calls] == ["OK", "Throttling.User", "Throttling.User", "OK"]


def test_a_quota_throttles_a_burst_beyond_its_bucket_then_refills(serve):
    sb = serve(fleet({"kind": "quota", "qps": 3}))
    api = Api(sb)
    began = time.monotonic()
    codes = [outcome(backups(api)) for _ in range(10)]
    refilled = 3 * (time.monotonic() - began)  # tokens added while the burst ran
    assert codes[:3] == ["OK"] * 3 and codes.count("OK") <= 3 + refilled
    assert set(codes) == {"OK", "Throttling.User"} or refilled >= 7
    time.sleep(0.4)  # more than a token
    assert outcome(backups(api)) == "OK"


def test_a_quota_bucket_holds_qps_tokens_and_refills_at_qps():
    now = [0.0]
    faults = Faults((Fault("quota", qps=2),), clock=lambda: now[0])

    def codes(n):
        found = []
        for _ in range(n):
            try:
                faults.apply("DescribeBackups", "r-x", "cn-hangzhou")
                found.append("OK")
            except ApiError as error:
                found.append(error.code)
        return found

    assert codes(3) == ["OK", "OK", "Throttling.User"]
    now[0] = 0.5
    assert codes(2) == ["OK", "Throttling.User"]
    now[0] = 60.0  # a long pause refills only up to the burst
    assert codes(3) == ["OK", "OK", "Throttling.User"]


def test_unavailable_is_a_503_server_error_for_the_matching_instance(serve):
    api = Api(serve(fleet({"kind": "unavailable", "instance": "r-x", "first": 2})))
    with pytest.raises(ServerException) as caught:
        backups(api)()
    assert (caught.value.status_code, caught.value.code) == (503, "ServiceUnavailable")
    assert [outcome(backups(api, "r-y")), outcome(backups(api)), outcome(backups(api))] == \
        ["OK", "ServiceUnavailable", "OK"]


def test_forbidden_matches_a_region_by_its_region_id_or_its_instances(serve):
    api = Api(serve(fleet({"kind": "forbidden", "region": "cn-shanghai"})))
    with pytest.raises(ClientException) as caught:
        api.describe_instances(region_id="cn-shanghai")
    assert (caught.value.status_code, caught.value.code) == (403, "Forbidden.RAM")
    # DescribeBackups carries no RegionId: the instance's region is what matches.
    assert [outcome(backups(api, "r-sh")), outcome(backups(api, "r-x"))] == ["Forbidden.RAM", "OK"]
    assert outcome(lambda: api.describe_instances(region_id="cn-hangzhou")) == "OK"


def test_not_found_hides_an_instance_from_every_action(serve):
    api = Api(serve(fleet({"kind": "not_found", "instance": "r-x"})))
    with pytest.raises(ClientException) as caught:
        api.describe_backup_policy(instance_id="r-x")
    assert (caught.value.status_code, caught.value.code) == (404, "InvalidInstanceId.NotFound")
    assert [outcome(backups(api, "r-x")), outcome(backups(api, "r-y"))] == ["InvalidInstanceId.NotFound", "OK"]


def test_a_reset_connection_surfaces_as_an_unretryable_network_error(serve):
    sb = serve(fleet({"kind": "reset", "instance": "r-x", "first": 1}))
    api = Api(sb)
    with pytest.raises(UnretryableException) as caught:
        backups(api)()
    assert "Connection" in repr(caught.value.inner_exception)
    assert outcome(backups(api)) == "OK"
    assert [c.code for c in sb.kvstore.calls] == ["Reset", "OK"]


def test_a_hang_outlasts_the_client_read_timeout(serve):
    sb = serve(fleet({"kind": "hang", "instance": "r-x", "seconds": 5}))
    api = Api(sb, read_timeout_ms=300)
    began = time.monotonic()
    with pytest.raises(UnretryableException) as caught:
        backups(api)()
    assert time.monotonic() - began < 2 and "timed out" in str(caught.value).lower()
    assert outcome(backups(api, "r-y")) == "OK"
    assert [c.code for c in sb.kvstore.calls] == ["Hang", "OK"]


def test_a_drip_fed_answer_outlasts_the_client_read_timeout_and_still_arrives_whole(serve):
    # Each byte comes well within the read timeout, so the SDK (requests underneath) waits for all
    # of them: only a deadline on the whole call bounds it (cloud/kvstore.py, `_whole`).
    sb = serve(fleet({"kind": "drip", "instance": "r-x", "seconds": 0.005, "first": 1}))
    api = Api(sb, read_timeout_ms=300)
    began = time.monotonic()
    policy = api.describe_backup_policy(instance_id="r-x")
    assert time.monotonic() - began > 1.0, "far longer than the read timeout"
    assert policy.preferred_backup_time
    assert [c.code for c in sb.kvstore.calls] == ["Drip"]


def test_faults_apply_only_after_the_signature_check(serve):
    sb = serve(fleet({"kind": "throttle"}))
    assert outcome(lambda: Api(sb, access_key_secret="guess").describe_regions()) == "SignatureDoesNotMatch"
    assert outcome(lambda: Api(sb).describe_regions()) == "Throttling.User"


def test_faults_act_in_list_order_each_within_its_budget(serve):
    api = Api(serve(fleet({"kind": "throttle", "first": 1}, {"kind": "unavailable", "first": 1},
                          {"kind": "latency", "ms": 1})))
    assert [outcome(backups(api)) for _ in range(3)] == ["Throttling.User", "ServiceUnavailable", "OK"]
