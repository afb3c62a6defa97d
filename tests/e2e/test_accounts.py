"""Many accounts (ACCOUNTS) end to end: the real handler against the sandbox's STS, ResourceManager and each
account's R-KVStore, and what the team reads. Every run's messages, result and logs are scanned for every
credential the run held, the member accounts' included (conftest.report)."""
from __future__ import annotations

import re

import pytest

from conftest import instance

HOME, PAYMENTS, SEARCH, LEGACY = "1000000000000001", "1000000000000002", "1000000000000003", "1000000000000004"


def test_a_resource_directory_is_one_message_naming_the_account_it_could_not_read(report):
    run = report("accounts", {"ACCOUNTS": "resource-directory"})
    assert run.error is None, run.error
    assert len(run.dingtalk) == len(run.slack) == len(run.feishu) == len(run.wecom) == 1
    text = run.dingtalk_text
    headline = text.splitlines()[0]
    # the failed backup, the missing one and the account not read; 6 fine over three accounts
    assert headline.endswith("Redis backups: 3 need attention · 6 fine")
    assert text.index("Accounts not checked (1)") < text.index("Backup failed")
    assert re.search(r"account 1000000000000004 \(legacy-sandbox\) not checked: AssumeRole failed: "
                     r"EntityNotExist\.Role", text)
    failed = [line for line in text.splitlines() if "ledger-cache" in line]
    assert len(failed) == 1 and "cn-hangzhou, account 1000000000000002 (payments-prod)): backup" in failed[0]
    result = run.result
    assert result["status"] == "alert"
    assert [a["account_id"] for a in result["unchecked_accounts"]] == [LEGACY]
    assert {a["account_id"]: a["checked"] for a in result["accounts"]} == \
        {HOME: True, PAYMENTS: True, SEARCH: True, LEGACY: False}
    by_account = {}
    for entry in result["instances"]:
        by_account.setdefault(entry["account_id"], set()).add(entry["name"])
    assert by_account == {HOME: {"billing-cache", "audit-store"},
                          PAYMENTS: {"checkout-cache", "ledger-cache", "wallet-cluster"},
                          SEARCH: {"query-cache", "index-store", "suggest-cache"}}
    assert run.verdict("r-bp1p4y9l6dg2r7w4") == "failed"  # ledger-cache, in payments-prod
    # the report ran and was delivered: the monitor's end ping says success, and what was not checked
    assert run.pings == ["start", "success"]
    assert "account 1000000000000004 not checked" in str(run.sandbox.heartbeat.pings[-1].body)


def test_each_account_is_read_with_its_own_credentials_and_nothing_crosses(report):
    run = report("accounts", {"ACCOUNTS": "resource-directory"})
    calls = run.sandbox.kvstore.calls
    made_as = {c.account for c in calls}
    assert made_as == {HOME, PAYMENTS, SEARCH}  # legacy-sandbox's role does not exist: never read
    named = {c.params.get("InstanceId") for c in calls if c.account == SEARCH} - {None}
    theirs = {e["instance_id"] for e in run.result["instances"] if e["account_id"] == SEARCH}
    assert named == theirs and len(theirs) == 3  # search-prod's calls name its instances only
    sessions = {p.session for issued in run.sandbox.sts.issued.values() for p in issued}
    assert sessions == {"backup-report-demo-request-0001"} and all(len(s) <= 32 for s in sessions)
    assumed = [c for c in run.sandbox.sts.calls if c.params.get("RoleArn")]
    assert sorted(c.params["RoleArn"] for c in assumed) == [
        f"acs:ram::{a}:role/redis-backup-reader" for a in (PAYMENTS, SEARCH, LEGACY)]
    assert all(900 <= int(c.params["DurationSeconds"]) <= 3600 for c in assumed)


def test_named_accounts_are_read_exactly_and_the_own_account_with_its_own_role(report):
    run = report("accounts", {"ACCOUNTS": f"{SEARCH},{HOME}"})
    assert run.error is None, run.error
    assert {e["account_id"] for e in run.result["instances"]} == {SEARCH, HOME}
    assert [c.params["RoleArn"] for c in run.sandbox.sts.calls if c.params.get("RoleArn")] == \
        [f"acs:ram::{SEARCH}:role/redis-backup-reader"]
    assert not run.sandbox.resourcemanager.calls  # no directory named: not listed
    assert run.result["unchecked_accounts"] == []


def directory(member_role="ok", resource_directory=True, member_faults=()):
    """The home account with one instance and one member with two, as a dict scenario."""
    return {"account": HOME, "resource_directory": resource_directory, "regions": ["cn-hangzhou"],
            "instances": [instance("r-bp1home00001")],
            "accounts": [{"id": PAYMENTS, "name": "payments-prod", "role": member_role, "faults": list(member_faults),
                          "instances": [instance("r-bp1pay000001"), instance("r-bp1pay000002")]}]}


def test_a_directory_that_cannot_be_listed_is_named_and_the_own_account_still_read(report):
    run = report(directory(resource_directory=False), {"ACCOUNTS": "resource-directory"})
    text = run.dingtalk_text
    assert "the Resource Directory's members not checked: ListAccounts failed: EntityNotExists.ResourceDirectory" \
        in text
    assert run.result["status"] == "alert"
    assert [e["instance_id"] for e in run.result["instances"]] == ["r-bp1home00001"]
    assert run.result["unchecked_accounts"][0]["account_id"] == "resource-directory"


def test_a_role_that_does_not_trust_the_function_is_named_not_counted_fine(report):
    run = report(directory(member_role="untrusted"), {"ACCOUNTS": "resource-directory"})
    assert "account 1000000000000002 (payments-prod) not checked: AssumeRole failed: NoPermission" in run.dingtalk_text
    assert run.dingtalk_text.splitlines()[0].endswith("1 needs attention · 1 fine")
    assert {e["account_id"] for e in run.result["instances"]} == {HOME}


def test_a_members_region_refused_is_named_with_its_account(report):
    refused = [{"kind": "forbidden", "action": "DescribeInstances"}]
    run = report(directory(member_faults=refused), {"ACCOUNTS": "resource-directory"})
    assert "region cn-hangzhou of account 1000000000000002 not checked: Forbidden.RAM" in run.dingtalk_text
    assert run.result["unchecked_regions"][0]["account_id"] == PAYMENTS
    assert {e["account_id"] for e in run.result["instances"]} == {HOME}


def test_an_account_named_twice_is_read_once(report):
    run = report(directory(), {"ACCOUNTS": f"{PAYMENTS},resource-directory,{PAYMENTS}"})
    assert sorted(e["instance_id"] for e in run.result["instances"]) == \
        ["r-bp1home00001", "r-bp1pay000001", "r-bp1pay000002"]
    assert len([c for c in run.sandbox.sts.calls if c.params.get("RoleArn")]) == 1


def test_instances_of_an_account_not_read_today_are_not_called_gone(report):
    bucket: dict = {}
    first = report(directory(), {"ACCOUNTS": "resource-directory"}, oss=bucket)
    assert first.error is None and len(first.result["instances"]) == 3
    second = report(directory(member_role="missing"), {"ACCOUNTS": "resource-directory"}, oss=bucket,
                    anchor="2026-11-29T01:00:00Z")
    assert "no longer reported" not in second.dingtalk_text
    assert second.result["changes"] == []
    assert "account 1000000000000002 (payments-prod) not checked" in second.dingtalk_text


def test_the_functions_own_account_unknown_is_named_never_dropped(report):
    # GetCallerIdentity refused: the function's own account (the management one, which ListAccounts does not
    # list) cannot be told from the members, so it is named as not checked, and the run is not ok.
    scenario = {**directory(), "sts_faults": [{"kind": "forbidden", "action": "GetCallerIdentity"}]}
    run = report(scenario, {"ACCOUNTS": "resource-directory"})
    assert "this function's own account not checked: GetCallerIdentity failed: Forbidden.RAM" in run.dingtalk_text
    assert run.result["status"] == "alert"
    assert [a["account_id"] for a in run.result["unchecked_accounts"]] == ["own"]


def test_a_directory_not_listed_today_makes_no_gone_lines_for_its_members(report):
    bucket: dict = {}
    first = report(directory(), {"ACCOUNTS": "resource-directory"}, oss=bucket)
    assert len(first.result["instances"]) == 3
    second = report(directory(resource_directory=False), {"ACCOUNTS": "resource-directory"}, oss=bucket,
                    anchor="2026-11-29T01:00:00Z")
    assert second.result["changes"] == [] and "no longer reported" not in second.dingtalk_text
    text = second.dingtalk_text
    assert text.index("Accounts not checked") < text.index("Backups from")


def test_many_regions_not_checked_still_fit_every_channel(report):
    refused = [{"kind": "forbidden", "action": "DescribeInstances"}]
    members = [{"id": f"10000000000001{n:02d}", "name": f"member-{n}", "faults": refused,
                "instances": [instance(f"r-bp1m{n:02d}0000001")]} for n in range(30)]
    scenario = {"account": HOME, "resource_directory": True, "regions": ["cn-hangzhou", "cn-shanghai"],
                "instances": [instance("r-bp1home00001")], "accounts": members}
    run = report(scenario, {"ACCOUNTS": "resource-directory"})
    assert run.error is None, run.error
    assert len(run.dingtalk) == len(run.slack) == len(run.feishu) == len(run.wecom) == 1
    assert "Regions not checked (60)" in run.dingtalk_text
    assert "60 regions not checked (cn-hangzhou, cn-shanghai of accounts 1000000000000100, 1000000000000101, " \
        "1000000000000102 and 27 more): Forbidden.RAM" in run.dingtalk_text
    assert len(run.result["unchecked_regions"]) == 60


def test_a_delegated_administrators_run_names_the_management_account_it_cannot_read(report):
    # The function runs in a delegated administrator's account; the directory's management account is neither
    # listed nor its own, and has no role to assume: named, never left out.
    run = report({**directory(), "management_account": "1000000000000009"}, {"ACCOUNTS": "resource-directory"})
    assert "account 1000000000000009 (management) not checked: AssumeRole failed: EntityNotExist.Role" \
        in run.dingtalk_text
    assert run.result["status"] == "alert"


def test_a_member_not_joined_is_named_with_its_status(report):
    scenario = directory(member_role="missing")
    scenario["accounts"][0]["status"] = "PromoteFailed"
    run = report(scenario, {"ACCOUNTS": "resource-directory"})
    assert "account 1000000000000002 (payments-prod), PromoteFailed in the Resource Directory not checked" \
        in run.dingtalk_text
