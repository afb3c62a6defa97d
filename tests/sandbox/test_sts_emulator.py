"""The STS emulator driven by the official SDK: AssumeRole's rules, GetCallerIdentity, and who may call."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from accounts_sdk import assume, caller_identity, refusal, refusal_message
from sandbox.fleet import Credentials
from sandbox.pytest_plugin import serve  # noqa: F401 - fixture
from sandbox.sts import role_id

ANCHOR = "2026-11-28T01:00Z"
HOME, PAY, SEARCH, LEGACY, OTHER = ("1000000000000001", "1000000000000002", "1000000000000003", "1000000000000004",
                                    "1000000000000005")
ACCOUNTS = {"resource_directory": True, "accounts": [
    {"id": PAY, "name": "payments-prod"},
    {"id": SEARCH, "name": "search-prod", "role": "untrusted"},
    {"id": LEGACY, "name": "legacy-sandbox", "role": "missing"},
    {"id": OTHER, "name": "other-role", "role_name": "backup-audit"},
]}


@pytest.fixture
def sb(serve):
    return serve(ACCOUNTS, anchor=ANCHOR)


def test_assume_role_issues_sts_credentials_for_the_account(sb):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    body = assume(sb, PAY, session="backup-report-20261128", duration=900)
    c = body.credentials
    assert c.access_key_id.startswith("STS.") and len(c.access_key_id) > 20
    assert c.access_key_secret and len(c.security_token) > 300
    expiration = datetime.strptime(c.expiration, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before + timedelta(seconds=900) <= expiration <= before + timedelta(seconds=905)
    assert body.assumed_role_user.arn == f"acs:ram::{PAY}:role/redis-backup-reader/backup-report-20261128"
    assert body.assumed_role_user.assumed_role_id == f"{role_id(PAY, 'redis-backup-reader')}:backup-report-20261128"
    assert body.request_id
    (issued,) = sb.sts.issued[PAY]
    assert issued.credentials == Credentials(c.access_key_id, c.access_key_secret, c.security_token)
    assert (issued.role, issued.session, f"{issued.expiration:%Y-%m-%dT%H:%M:%SZ}") == \
        ("redis-backup-reader", "backup-report-20261128", c.expiration)
    (call,) = sb.sts.calls
    assert (call.action, call.code, call.account) == ("AssumeRole", "OK", HOME)
    assert call.params["RoleSessionName"] == "backup-report-20261128" and call.params["DurationSeconds"] == "900"


def test_the_duration_defaults_to_an_hour_and_each_call_issues_new_keys(sb):
    first, second = assume(sb, PAY), assume(sb, PAY)
    hour = datetime.now(timezone.utc) + timedelta(hours=1)
    expiration = datetime.strptime(first.credentials.expiration, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs(expiration - hour) < timedelta(seconds=5)
    assert first.credentials.access_key_id != second.credentials.access_key_id and len(sb.sts.issued[PAY]) == 2


@pytest.mark.parametrize("account, role", [(LEGACY, "redis-backup-reader"), (PAY, "redis-backup-writer"),
                                           (OTHER, "redis-backup-reader"), ("1999999999999999", "redis-backup-reader")])
def test_a_role_that_does_not_exist_is_entity_not_exist(sb, account, role):
    assert refusal(lambda: assume(sb, account, role)) == (404, "EntityNotExist.Role")
    assert sb.sts.issued == {} and sb.sts.calls[-1].code == "EntityNotExist.Role"


def test_a_members_own_role_name_is_assumed(sb):
    assert assume(sb, OTHER, "backup-audit").assumed_role_user.arn.startswith(f"acs:ram::{OTHER}:role/backup-audit/")


def test_a_role_that_does_not_trust_the_caller_is_no_permission(sb):
    assert refusal(lambda: assume(sb, SEARCH)) == (403, "NoPermission")
    assert "You should be authorized by RAM" in refusal_message(lambda: assume(sb, SEARCH))


def test_credentials_sts_issued_cannot_assume_a_role_again(sb):
    issued = sb.sts.issued
    body = assume(sb, PAY)
    keys = Credentials(body.credentials.access_key_id, body.credentials.access_key_secret,
                       body.credentials.security_token)
    assert refusal(lambda: assume(sb, PAY, credentials=keys)) == (403, "NoPermission")
    assert issued == {} and len(sb.sts.issued[PAY]) == 1 and sb.sts.calls[-1].account == PAY


def test_the_home_account_has_the_reader_role_too(sb):
    assert assume(sb, HOME).assumed_role_user.arn.startswith(f"acs:ram::{HOME}:role/redis-backup-reader/")


@pytest.mark.parametrize("session", ["a", "x" * 65, "run 1", "run/1", "run:1", "名字", "run*1"])
def test_a_malformed_session_name_is_refused(sb, session):
    assert refusal(lambda: assume(sb, PAY, session=session)) == (400, "InvalidParameter.RoleSessionName")


@pytest.mark.parametrize("session", ["ab", "x" * 32, "x" * 33, "x" * 64, "backup-report.run_1@fc"])
def test_session_names_of_2_to_64_allowed_characters_are_taken_and_recorded(sb, session):
    assume(sb, PAY, session=session)
    # Recorded as sent: a test of the function can hold it to the older reference's 32.
    assert sb.sts.calls[-1].params["RoleSessionName"] == session == sb.sts.issued[PAY][-1].session


@pytest.mark.parametrize("duration", [899, 3601, 43200, 0])
def test_a_duration_outside_900_to_3600_is_refused(sb, duration):
    assert refusal(lambda: assume(sb, PAY, duration=duration)) == (400, "InvalidParameter.DurationSeconds")


@pytest.mark.parametrize("duration", [900, 3600])
def test_the_duration_bounds_are_taken(sb, duration):
    assert assume(sb, PAY, duration=duration).credentials.expiration


@pytest.mark.parametrize("arn", ["acs:ram::abc:role/redis-backup-reader", "acs:ram::1000000000000002:user/reader",
                                 "arn:aws:iam::1000000000000002:role/reader", "acs:ram::1000000000000002:role/"])
def test_a_malformed_role_arn_is_refused(sb, arn):
    assert refusal(lambda: assume(sb, PAY, arn=arn)) == (400, "InvalidParameter.RoleArn")


def test_a_strangers_key_is_not_found(sb):
    stranger = Credentials("sandbox-ak-stranger", "sk", None)
    assert refusal(lambda: assume(sb, PAY, credentials=stranger)) == (404, "InvalidAccessKeyId.NotFound")
    assert refusal(lambda: caller_identity(sb, stranger)) == (404, "InvalidAccessKeyId.NotFound")
    assert [c.account for c in sb.sts.calls] == ["", ""]


def test_caller_identity_of_the_home_credentials_is_the_functions_role_in_the_home_account(sb):
    me = caller_identity(sb)
    assert (me.identity_type, me.account_id, me.user_id) == ("AssumedRoleUser", HOME, None)
    assert me.arn.startswith(f"acs:ram::{HOME}:assumed-role/") and me.principal_id.startswith(f"{me.role_id}:")


def test_caller_identity_of_a_long_lived_key_is_a_ram_user(serve):
    sb = serve({"credentials": {"access_key_id": "sandbox-ak-1", "access_key_secret": "sk"}}, anchor=ANCHOR)
    me = caller_identity(sb)
    assert (me.identity_type, me.account_id, me.role_id) == ("RAMUser", HOME, None)
    assert me.user_id == me.principal_id and me.arn == f"acs:ram::{HOME}:user/redis-backup-report"


def test_caller_identity_of_issued_credentials_is_the_assumed_role_in_that_account(sb):
    body = assume(sb, PAY, session="run-1")
    keys = Credentials(body.credentials.access_key_id, body.credentials.access_key_secret,
                       body.credentials.security_token)
    me = caller_identity(sb, keys)
    assert (me.identity_type, me.account_id) == ("AssumedRoleUser", PAY)
    assert me.arn == f"acs:ram::{PAY}:assumed-role/redis-backup-reader/run-1"
    assert me.principal_id == body.assumed_role_user.assumed_role_id == f"{me.role_id}:run-1"
