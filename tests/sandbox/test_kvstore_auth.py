"""The R-KVStore emulator's gateway checks: signature, AccessKey, STS token, nonce, clock skew.

The SDK is used where it can show the case; replays and skewed dates need requests signed by hand,
with `requests` (which encodes the query as the SDK does, `+` for spaces).
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
import requests
from alibabacloud_tea_openapi.exceptions import ClientException

from kvstore_sdk import Api
from sandbox import acs3
from sandbox.pytest_plugin import serve  # noqa: F401 - fixture

FLEET = {"instances": [{"id": "r-1", "name": "orders-cache", "region": "cn-hangzhou",
                        "tags": {"team": "a b/c+d~*中"}, "history": {"days": 1}}]}
QUERY = {"InstanceId": "r-1", "StartTime": "2026-11-20T00:00Z", "EndTime": "2026-11-28T01:00Z"}


@pytest.fixture
def sandbox(serve):
    return serve(FLEET, anchor="2026-11-28T01:00Z")


def send(sb, action="DescribeBackups", query=None, *, secret=None, date=None, nonce=None, body=b"",
         token="configured", **headers) -> requests.Response:
    """POST / signed as ACS3-HMAC-SHA256, the way the SDK signs it."""
    raw_query = urlencode(QUERY if query is None else query)
    token = sb.credentials.security_token if token == "configured" else token
    sent = {"host": sb.kvstore_endpoint, "x-acs-action": action, "x-acs-version": "2015-01-01",
            "x-acs-date": f"{date or datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}",
            "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
            "x-acs-content-sha256": hashlib.sha256(body).hexdigest(), **headers}
    if token:
        sent["x-acs-security-token"] = token
    names = sorted(sent)
    canonical = acs3.canonical_request("POST", "/", raw_query, sent, names, body)
    sent["authorization"] = acs3.authorization(sb.credentials.access_key_id,
                                               secret or sb.credentials.access_key_secret, names, canonical)
    return requests.post(f"http://{sb.kvstore_endpoint}/?{raw_query}", data=body, headers=sent, timeout=3)


def sdk_refusal(call) -> tuple[int, str]:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value.status_code, caught.value.code


def answer(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("Code", "OK")


def test_the_sdk_signature_is_accepted_even_for_values_needing_encoding(sandbox):
    found = Api(sandbox).describe_instances(region_id="cn-hangzhou", tags={"team": "a b/c+d~*中"})
    assert [i.instance_id for i in found.instances.kvstore_instance] == ["r-1"]


def test_a_wrong_secret_does_not_match(sandbox):
    api = Api(sandbox, access_key_secret="not-the-secret")
    assert sdk_refusal(lambda: api.describe_regions()) == (400, "SignatureDoesNotMatch")


def test_an_unknown_access_key_is_not_found(sandbox):
    api = Api(sandbox, access_key_id="sandbox-ak-unknown")
    assert sdk_refusal(lambda: api.describe_regions()) == (404, "InvalidAccessKeyId.NotFound")


def test_a_missing_sts_token_is_refused(sandbox):
    api = Api(sandbox, security_token=None)
    assert sdk_refusal(lambda: api.describe_regions()) == (400, "MissingSecurityToken")


def test_a_wrong_sts_token_is_refused(sandbox):
    api = Api(sandbox, security_token="sandbox-sts-stolen")
    assert sdk_refusal(lambda: api.describe_regions()) == (400, "InvalidSecurityToken.MismatchWithAccessKey")


def test_a_key_without_token_needs_none(serve):
    sb = serve({"credentials": {"access_key_id": "sandbox-ak-long-lived", "access_key_secret": "sk"}})
    assert Api(sb).describe_regions().region_ids.kvstore_region  # answered: the public regions


def test_a_hand_signed_request_is_answered(sandbox):
    assert answer(send(sandbox)) == (200, "OK")


def test_a_replayed_request_is_refused(sandbox):
    nonce = uuid.uuid4().hex
    date = datetime.now(timezone.utc)
    assert answer(send(sandbox, nonce=nonce, date=date)) == (200, "OK")
    assert answer(send(sandbox, nonce=nonce, date=date)) == (400, "SignatureNonceUsed")
    assert [c.code for c in sandbox.kvstore.calls] == ["OK", "SignatureNonceUsed"]


@pytest.mark.parametrize("skew", [timedelta(minutes=16), -timedelta(minutes=16)])
def test_a_clock_more_than_15_minutes_off_is_refused(sandbox, skew):
    assert answer(send(sandbox, date=datetime.now(timezone.utc) + skew)) == (400, "InvalidTimeStamp.Expired")


def test_a_date_within_15_minutes_of_the_real_clock_passes_whatever_the_anchor(sandbox):
    assert answer(send(sandbox, date=datetime.now(timezone.utc) - timedelta(minutes=14))) == (200, "OK")


def test_a_wrong_secret_by_hand_does_not_match(sandbox):
    assert answer(send(sandbox, secret="guess")) == (400, "SignatureDoesNotMatch")


def test_an_unknown_action_is_not_found_after_the_signature_check(sandbox):
    assert answer(send(sandbox, action="DescribeEverything")) == (404, "InvalidAction.NotFound")
    assert answer(send(sandbox, action="DescribeEverything", secret="guess")) == (400, "SignatureDoesNotMatch")


def test_parameters_in_a_signed_form_body_are_read(sandbox):
    body = urlencode(QUERY).encode()
    response = send(sandbox, query={}, body=body, **{"content-type": "application/x-www-form-urlencoded"})
    assert answer(response) == (200, "OK") and response.json()["TotalCount"] == 1


def test_errors_are_json_with_request_id_code_and_message(sandbox):
    response = send(sandbox, secret="guess")
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"RequestId", "Code", "Message"}
