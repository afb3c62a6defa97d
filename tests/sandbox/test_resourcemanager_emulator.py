"""The ResourceManager emulator driven by the official SDK: ListAccounts' pages, its fields, and who may call."""
from __future__ import annotations

import re

import pytest

from accounts_sdk import assume, list_accounts, refusal
from sandbox.fleet import Credentials
from sandbox.pytest_plugin import serve  # noqa: F401 - fixture

ANCHOR = "2026-11-28T01:00Z"


def members(n: int, **spec) -> list[dict]:
    return [{"id": str(2000000000000000 + k), "name": f"member-{k:03d}", **spec} for k in range(n)]


def test_250_members_come_over_pages_of_100_each_exactly_once(serve):
    sb = serve({"resource_directory": True, "accounts": members(250)}, anchor=ANCHOR)
    pages = [list_accounts(sb, page_number=n, page_size=100) for n in (1, 2, 3, 4)]
    assert [(p.page_number, p.page_size, p.total_count) for p in pages] == [(n, 100, 250) for n in (1, 2, 3, 4)]
    assert [len(p.accounts.account) for p in pages] == [100, 100, 50, 0]
    seen = [a.account_id for p in pages for a in p.accounts.account]
    assert seen == list(sb.accounts) and len(set(seen)) == 250
    # Stable: the same page twice is the same page.
    again = list_accounts(sb, page_number=2, page_size=100)
    assert [a.account_id for a in again.accounts.account] == seen[100:200]
    assert {c.account for c in sb.resourcemanager.calls} == {sb.account}


def test_the_page_size_defaults_to_10(serve):
    sb = serve({"resource_directory": True, "accounts": members(12)}, anchor=ANCHOR)
    first = list_accounts(sb)
    assert (first.page_number, first.page_size, first.total_count, len(first.accounts.account)) == (1, 10, 12, 10)


def test_an_account_has_the_documented_fields_and_only_listed_members_appear(serve):
    sb = serve({"resource_directory": True, "accounts": [
        {"id": "1000000000000002", "name": "payments-prod"},
        {"id": "1000000000000003", "name": "search-prod", "type": "CloudAccount", "status": "InviteSuccess"},
        {"id": "1000000000000004", "name": "outside", "listed": False},
        {"id": "1000000000000005", "name": "promoting", "status": "PromoteVerifying"}]}, anchor=ANCHOR)
    page = list_accounts(sb, page_size=100)
    got = page.accounts.account
    assert page.total_count == 3 and [a.account_id for a in got] == ["1000000000000002", "1000000000000003",
                                                                     "1000000000000005"]
    assert [(a.display_name, a.status, a.type, a.join_method) for a in got] == [
        ("payments-prod", "CreateSuccess", "ResourceAccount", "created"),
        ("search-prod", "InviteSuccess", "CloudAccount", "invited"),
        ("promoting", "PromoteVerifying", "ResourceAccount", "created")]
    a = got[0]
    assert re.fullmatch(r"rd-\w{6}", a.resource_directory_id) and re.fullmatch(r"fd-\w{10}", a.folder_id)
    assert a.resource_directory_path.startswith(f"{a.resource_directory_id}/r-")
    assert a.resource_directory_path.endswith(f"/{a.folder_id}/{a.account_id}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", a.join_time) and a.modify_time > a.join_time


def test_without_a_resource_directory_list_accounts_is_refused(serve):
    sb = serve({"accounts": members(2)}, anchor=ANCHOR)
    assert refusal(lambda: list_accounts(sb)) == (404, "EntityNotExists.ResourceDirectory")


@pytest.mark.parametrize("fields, code", [({"page_size": 0}, "InvalidPageSize"), ({"page_size": 101}, "InvalidPageSize"),
                                          ({"page_number": 0}, "InvalidPageNumber")])
def test_paging_out_of_range_is_refused(serve, fields, code):
    sb = serve({"resource_directory": True, "accounts": members(2)}, anchor=ANCHOR)
    assert refusal(lambda: list_accounts(sb, **fields)) == (400, code)


def test_a_member_and_a_stranger_may_not_list(serve):
    sb = serve({"resource_directory": True, "accounts": members(2)}, anchor=ANCHOR)
    body = assume(sb, sb.accounts[0])
    member = Credentials(body.credentials.access_key_id, body.credentials.access_key_secret,
                         body.credentials.security_token)
    assert refusal(lambda: list_accounts(sb, member)) == (409, "NoPermission.ResourceDirectory.MemberAccount")
    stranger = Credentials("sandbox-ak-stranger", "sk", None)
    assert refusal(lambda: list_accounts(sb, stranger)) == (404, "InvalidAccessKeyId.NotFound")
    # Credentials issued for the home account's own role are the home account's.
    home = assume(sb, sb.account).credentials
    assert list_accounts(sb, Credentials(home.access_key_id, home.access_key_secret, home.security_token)).total_count == 2


def test_directory_faults_refuse_then_answer(serve):
    sb = serve({"resource_directory": True, "accounts": members(3),
                "directory_faults": [{"kind": "unavailable", "first": 1}, {"kind": "throttle", "first": 1}]},
               anchor=ANCHOR)
    assert refusal(lambda: list_accounts(sb)) == (503, "ServiceUnavailable")
    assert refusal(lambda: list_accounts(sb)) == (400, "Throttling.User")
    assert list_accounts(sb).total_count == 3
    assert [c.code for c in sb.resourcemanager.calls] == ["ServiceUnavailable", "Throttling.User", "OK"]


def test_a_total_count_fault_answers_a_count_the_pages_do_not_hold(serve):
    sb = serve({"resource_directory": True, "accounts": members(3),
                "directory_faults": [{"kind": "total_count", "offset": 2, "first": 1}]}, anchor=ANCHOR)
    first, second = list_accounts(sb), list_accounts(sb)
    assert (first.total_count, len(first.accounts.account)) == (5, 3)
    assert second.total_count == 3
