"""The R-KVStore answers each account's fleet only to that account's credentials, read with the official SDKs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from accounts_sdk import as_account, assume, refusal
from kvstore_sdk import Api
from sandbox.pytest_plugin import serve  # noqa: F401 - fixture

ANCHOR = "2026-11-28T01:00Z"
HOME, PAY, SEARCH = "1000000000000001", "1000000000000002", "1000000000000003"
WINDOW = {"start_time": "2026-11-20T00:00Z", "end_time": "2026-11-28T01:00Z"}


def instance(instance_id, region="cn-hangzhou"):
    return {"id": instance_id, "region": region, "tags": {"backup-report": "daily"}, "history": {"days": 2}}


SCENARIO = {
    "resource_directory": True,
    "instances": [instance("r-home1"), instance("r-home2", "cn-shanghai")],
    "accounts": [
        {"id": PAY, "name": "payments-prod", "instances": [instance("r-pay1"), instance("r-pay2")],
         "faults": [{"kind": "throttle", "action": "DescribeBackups", "first": 1}]},
        {"id": SEARCH, "name": "search-prod", "regions": ["cn-shanghai"],
         "instances": [instance("r-search1", "cn-shanghai")]},
    ],
}


@pytest.fixture
def sb(serve):
    return serve(SCENARIO, anchor=ANCHOR)


def ids(api: Api, region: str) -> list[str]:
    return [i.instance_id for i in api.describe_instances(region_id=region).instances.kvstore_instance]


def test_each_accounts_credentials_see_its_own_fleet(sb):
    home, pay, search = Api(sb), as_account(sb, assume(sb, PAY)), as_account(sb, assume(sb, SEARCH))
    assert (ids(home, "cn-hangzhou"), ids(home, "cn-shanghai")) == (["r-home1"], ["r-home2"])
    assert (ids(pay, "cn-hangzhou"), ids(pay, "cn-shanghai")) == (["r-pay1", "r-pay2"], [])
    assert (ids(search, "cn-hangzhou"), ids(search, "cn-shanghai")) == ([], ["r-search1"])


def test_another_accounts_instance_is_not_found(sb):
    pay = as_account(sb, assume(sb, PAY))
    assert refusal(lambda: pay.describe_backup_policy(instance_id="r-home1")) == (404, "InvalidInstanceId.NotFound")
    assert refusal(lambda: Api(sb).describe_backup_policy(instance_id="r-pay1")) == (404, "InvalidInstanceId.NotFound")
    assert pay.describe_backup_policy(instance_id="r-pay1").preferred_backup_time == "18:00Z-19:00Z"


def test_a_members_faults_act_on_its_calls_only(sb):
    pay = as_account(sb, assume(sb, PAY))
    assert len(Api(sb).describe_backups(instance_id="r-home1", **WINDOW).backups.backup) == 2
    assert refusal(lambda: pay.describe_backups(instance_id="r-pay1", **WINDOW)) == (400, "Throttling.User")
    assert len(pay.describe_backups(instance_id="r-pay1", **WINDOW).backups.backup) == 2
    assert [(c.account, c.code) for c in sb.kvstore.calls] == [(HOME, "OK"), (PAY, "Throttling.User"), (PAY, "OK")]


def test_calls_record_the_account_they_were_made_as(sb):
    Api(sb).describe_regions()
    as_account(sb, assume(sb, SEARCH)).describe_regions()
    assert [(c.action, c.account) for c in sb.kvstore.calls] == [("DescribeRegions", HOME), ("DescribeRegions", SEARCH)]


def test_a_members_regions_are_its_describe_regions_answer(sb):
    search = as_account(sb, assume(sb, SEARCH))
    assert [r.region_id for r in search.describe_regions().region_ids.kvstore_region] == ["cn-shanghai"]
    assert len(Api(sb).describe_regions().region_ids.kvstore_region) > 20


def test_a_strangers_key_is_refused_and_a_wrong_token_with_an_issued_key_too(sb):
    assert refusal(lambda: Api(sb, access_key_id="sandbox-ak-stranger").describe_regions()) == \
        (404, "InvalidAccessKeyId.NotFound")
    c = assume(sb, PAY).credentials
    mixed = Api(sb, access_key_id=c.access_key_id, access_key_secret=c.access_key_secret,
                security_token=sb.credentials.security_token)
    assert refusal(lambda: mixed.describe_regions()) == (400, "InvalidSecurityToken.MismatchWithAccessKey")
    assert sb.kvstore.calls[0].account == "" and sb.kvstore.calls[1].account == ""


def test_issued_credentials_expire(sb):
    past = datetime.now(timezone.utc) - timedelta(seconds=901)
    expired = sb.keyring.issue(PAY, "redis-backup-reader", "old-run", 900, past)
    api = Api(sb, **vars(expired.credentials))
    assert refusal(lambda: api.describe_regions()) == (400, "InvalidSecurityToken.Expired")
    assert sb.kvstore.calls[-1].account == ""
