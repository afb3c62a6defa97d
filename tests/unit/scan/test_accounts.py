"""scan/accounts.py and what the digest, the result and the archive's drift make of many accounts: pure, no socket."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from backup_report import digest, result
from backup_report.archive import drift
from backup_report.channels.base import body_blocks
from backup_report.model import (Account, AccountFailure, ApiError, Checked, Coverage, Findings, Instance, Kind,
                                 RegionFailure, Verdict, Window)
from backup_report.scan import accounts
from backup_report.settings import SettingsError, load_settings

WINDOW = Window(datetime(2026, 12, 2, 1, tzinfo=timezone.utc), datetime(2026, 12, 3, 1, tzinfo=timezone.utc))
A, B = Account("1111111111111111", "payments-prod", "CreateSuccess"), Account("2222222222222222", "search-prod")
BASE = {"INSTANCE_TAGS": "backup-report=daily", "REGIONS": "cn-hangzhou",
        "SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/x"}


def checked(instance_id, kind=Kind.OK, region="cn-hangzhou", detail="fine"):
    return Checked(Instance(instance_id, instance_id + "-name", region), Verdict(kind, detail))


@pytest.mark.parametrize("request_id", ["1-6935f2b1-0e1f5c8a9d2b4c6e8f0a1b2c", "local", "a/b c:d", "x" * 80])
def test_the_session_name_is_what_both_sts_rules_accept(request_id):
    name = accounts.session_name(request_id)
    assert re.fullmatch(r"[A-Za-z0-9.@_-]{2,32}", name) and name.startswith("backup-report-")


@pytest.mark.parametrize("left,seconds", [(10, 900), (299.2, 900), (900, 960), (1000.5, 1061), (86_000, 3600)])
def test_the_session_outlasts_the_run_within_sts_bounds(left, seconds):
    assert accounts.session_seconds(left) == seconds


def test_the_targets_are_the_named_ids_and_the_directory_members_each_once_in_order():
    members = [A, B]
    assert accounts.targets(("3333333333333333", "resource-directory", "1111111111111111"), members) == \
        [Account("3333333333333333"), A, B]
    assert accounts.targets(("2222222222222222",), members) == [B]  # its DisplayName, when the directory gave it
    assert accounts.targets(("resource-directory",), None) == []  # the directory not listed: its failure says so


def test_one_account_is_stamped_on_its_instances_region_failures_and_coverage():
    part = Findings(WINDOW, [checked("r-a1")], [RegionFailure("cn-shanghai", ApiError("Forbidden.RAM", "no"))])
    cover = [Coverage("cn-hangzhou", (Instance("r-u1", "u", "cn-hangzhou"),))]
    findings, covered = accounts.stamped(part, cover, A.account_id)
    assert findings.checked[0].instance.account_id == A.account_id
    assert findings.region_failures[0].account_id == A.account_id
    assert covered[0].account_id == A.account_id and covered[0].unwatched[0].account_id == A.account_id


def many() -> tuple[Findings, list[Coverage]]:
    a = accounts.stamped(Findings(WINDOW, [checked("r-a1"), checked("r-a2", Kind.FAILED, detail="backup Failed")]),
                         [Coverage("cn-hangzhou", (Instance("r-u1", "u", "cn-hangzhou"),))], A.account_id)
    b = accounts.stamped(Findings(WINDOW, [checked("r-b1")],
                                  [RegionFailure("cn-shanghai", ApiError("Forbidden.RAM", "denied"))]),
                         [Coverage("cn-hangzhou")], B.account_id)
    legacy = Account("4444444444444444", "legacy-sandbox")
    failures = [AccountFailure(legacy, ApiError("EntityNotExist.Role", "The role not exists.", "AssumeRole"))]
    return accounts.merged(WINDOW, [a, b], [A, B, legacy], failures)


def test_the_digest_names_the_account_not_checked_first_and_each_line_its_account():
    findings, covered = many()
    dg = digest.build(findings, ZoneInfo("UTC"), "UTC", "tags backup-report=daily in cn-hangzhou, cn-shanghai",
                      "req-1", coverage=tuple(covered))
    assert dg.status == "alert"
    # one failed backup, one region and one account not checked; the two fine instances of two accounts
    assert dg.headline == "🔴 Redis backups: 3 need attention · 2 fine"
    blocks = body_blocks(dg, digest.flat(dg.groups), 10, lambda text, n: text, lambda url, shown: shown)
    assert blocks[0] == ["**⛔ Accounts not checked (1)**",
                         "- account 4444444444444444 (legacy-sandbox) not checked: AssumeRole failed: "
                         "EntityNotExist.Role: The role not exists."]
    assert blocks[1] == ["**⛔ Regions not checked (1)**",
                         "- region cn-shanghai of account 2222222222222222 not checked: Forbidden.RAM: denied"]
    assert blocks[2][1] == ("- r-a2-name (r-a2, cn-hangzhou, account 1111111111111111 (payments-prod)): "
                            "backup Failed")
    assert "1 other instance of the 2 account regions read is not in this report" in dg.scope_line


def test_more_than_twenty_accounts_not_checked_are_named_twenty_and_counted():
    failures = [AccountFailure(Account(f"{n:016d}"), ApiError("NoPermission", "no", "AssumeRole")) for n in range(25)]
    findings = Findings(WINDOW, account_failures=failures)
    dg = digest.build(findings, ZoneInfo("UTC"), "UTC", "scope", "req-1")
    block = body_blocks(dg, [], 0, lambda text, n: text, lambda url, shown: shown)[0]
    assert block[0] == "**⛔ Accounts not checked (25)**" and len(block) == 22
    assert block[-1] == "…and 5 more (all are in the run's result and log)"
    assert dg.headline == "🔴 Redis backups: 25 need attention · 0 fine"


def test_the_directory_not_listed_is_said_as_such():
    failure = AccountFailure(accounts.DIRECTORY, ApiError("EntityNotExists.ResourceDirectory", "none", "ListAccounts"))
    assert digest.account_line(failure) == ("the Resource Directory's members not checked: ListAccounts failed: "
                                            "EntityNotExists.ResourceDirectory: none")


def test_the_result_carries_every_account_and_each_instance_its_account():
    findings, covered = many()
    dg = digest.build(findings, ZoneInfo("UTC"), "UTC", "scope", "req-1", coverage=tuple(covered))
    out = result.build(dg, WINDOW, findings, covered, [], str)
    assert {i["instance_id"]: i["account_id"] for i in out["instances"]} == \
        {"r-a1": A.account_id, "r-a2": A.account_id, "r-b1": B.account_id}
    assert out["unchecked_accounts"] == [{"account_id": "4444444444444444", "name": "legacy-sandbox",
                                          "error": "AssumeRole failed: EntityNotExist.Role: The role not exists."}]
    assert [a["checked"] for a in out["accounts"]] == [True, True, False]
    assert out["unchecked_regions"] == [{"region": "cn-shanghai", "account_id": B.account_id,
                                         "error": "Forbidden.RAM: denied"}]
    assert {c["account_id"] for c in out["coverage"]} == {A.account_id, B.account_id}
    assert result.ping_report(out)["failed"] == ["account 4444444444444444 not checked",
                                                 f"region cn-shanghai of account {B.account_id} not checked"]


def test_one_account_runs_keep_their_result_as_before():
    findings = Findings(WINDOW, [checked("r-a1")])
    dg = digest.build(findings, ZoneInfo("UTC"), "UTC", "scope", "req-1")
    out = result.build(dg, WINDOW, findings, [], [], str)
    assert "accounts" not in out and "unchecked_accounts" not in out and "account_id" not in out["instances"][0]


def test_instances_of_an_account_or_region_not_checked_are_not_gone():
    previous = [{"instance_id": "r-a1", "name": "a", "region": "cn-hangzhou", "account_id": A.account_id},
                {"instance_id": "r-b1", "name": "b", "region": "cn-shanghai", "account_id": B.account_id},
                {"instance_id": "r-c1", "name": "c", "region": "cn-hangzhou", "account_id": B.account_id},
                {"instance_id": "r-d1", "name": "d", "region": "cn-hangzhou"}]
    unchecked = {(A.account_id, ""), (B.account_id, "cn-shanghai")}
    lines = drift.changes(previous, [], unchecked, "yesterday")
    assert [line.split(":")[1].split()[0] for line in lines] == ["r-c1", "r-d1"]
    assert accounts.region_failures(many()[0]) == {(B.account_id, "cn-shanghai"), ("4444444444444444", "")}


@pytest.mark.parametrize("value,named", [
    ("123", "'123'"), ("resource_directory", "'resource_directory'"), (" , ", "nothing"),
    (",".join(f"{n:016d}" for n in range(1001)), "1001 accounts; at most 1000")])
def test_a_bad_accounts_setting_is_refused_naming_it(value, named):
    with pytest.raises(SettingsError) as refused:
        load_settings({**BASE, "ACCOUNTS": value})
    assert f"ACCOUNTS=" in str(refused.value) and named in str(refused.value)


def test_accounts_come_from_the_environment_only():
    with pytest.raises(SettingsError) as refused:
        load_settings(BASE, {"accounts": "1111111111111111"})
    assert "ACCOUNTS can only be set in the function's environment" in str(refused.value)


def test_plain_http_needs_every_endpoint_the_run_calls_on_loopback():
    local = {**BASE, "KVSTORE_ENDPOINT": "127.0.0.1:9", "KVSTORE_PROTOCOL": "http"}
    with pytest.raises(SettingsError) as refused:
        load_settings({**local, "ACCOUNTS": "resource-directory", "STS_ENDPOINT": "127.0.0.1:8"})
    assert refused.value.problems == ["KVSTORE_PROTOCOL=http is only for a loopback RESOURCEMANAGER_ENDPOINT (a test "
                                      "server): the SDK's endpoints are public, and http would send the STS token "
                                      "in clear; use https"]
    assert load_settings({**local, "ACCOUNTS": "1111111111111111", "STS_ENDPOINT": "127.0.0.1:8"}).accounts == \
        ("1111111111111111",)


def test_with_the_directory_the_functions_own_account_is_read_too_unless_listed():
    own = "9999999999999999"
    assert accounts.targets(("resource-directory",), [A, B], own) == [Account(own, accounts.OWN_NAME), A, B]
    assert accounts.targets(("resource-directory",), [A, B], A.account_id) == [A, B]
    assert accounts.targets((B.account_id,), [A, B], own) == [B]  # a list names exactly what is read
