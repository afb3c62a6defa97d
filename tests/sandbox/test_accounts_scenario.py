"""The scenario's accounts: the home account, the members with their roles and fleets, and errors that name the key."""
from __future__ import annotations

import pytest

from sandbox.scenario import ACCOUNT_STATUSES, ScenarioError, load

ANCHOR = "2026-11-28T01:00Z"
HOME = "1000000000000001"


def member(account_id="1000000000000002", **spec) -> dict:
    return {"id": account_id, "name": "payments-prod", **spec}


def fleet(*ids, region="cn-hangzhou") -> list[dict]:
    return [{"id": i, "region": region, "history": {"days": 2}} for i in ids]


def test_without_accounts_the_scenario_is_the_home_account_alone():
    scenario = load({"instances": fleet("r-1")}, ANCHOR)
    assert (scenario.account, scenario.resource_directory, scenario.accounts) == (HOME, False, ())
    assert scenario.account_ids == (HOME,) and scenario.fleet(HOME) is scenario


def test_a_member_has_documented_defaults():
    scenario = load({"account": "1234567890123456", "resource_directory": True, "accounts": [member()]}, ANCHOR)
    (m,) = scenario.accounts
    assert scenario.account == "1234567890123456" and scenario.resource_directory is True
    assert (m.id, m.name, m.status, m.type, m.role, m.role_name, m.listed, m.regions) == \
        ("1000000000000002", "payments-prod", "CreateSuccess", "ResourceAccount", "ok", "redis-backup-reader", True, ())


def test_each_account_has_its_own_fleet_backups_and_faults():
    scenario = load({"instances": fleet("r-home"),
                     "accounts": [member(instances=fleet("r-pay", region="cn-shanghai"),
                                         faults=[{"kind": "throttle", "first": 1}])]}, ANCHOR)
    pay = scenario.fleet("1000000000000002")
    assert [i.id for i in scenario.instances] == ["r-home"] and [i.id for i in pay.instances] == ["r-pay"]
    assert {b.instance_id for b in pay.backups} == {"r-pay"} and len(pay.backups) == 2
    assert {b.instance_id for b in scenario.backups} == {"r-home"}
    assert scenario.faults == () and [f.kind for f in pay.faults] == ["throttle"]
    assert pay.instance("r-home") is None and scenario.instance("r-pay") is None
    assert scenario.fleet("1000000000000099") is None
    # What the function is told to scan: every account's regions.
    assert scenario.regions == ("cn-hangzhou", "cn-shanghai")


def test_an_unquoted_account_id_reads_as_its_digits():
    scenario = load({"account": 1000000000000007, "accounts": [member(account_id=1000000000000008)]}, ANCHOR)
    assert scenario.account_ids == ("1000000000000007", "1000000000000008")


def test_instance_ids_are_unique_across_accounts():
    with pytest.raises(ScenarioError, match=r"accounts: instance id 'r-1' appears twice "
                                            r"\(in accounts 1000000000000001 and 1000000000000002\)"):
        load({"instances": fleet("r-1"), "accounts": [member(instances=fleet("r-1"))]}, ANCHOR)
    with pytest.raises(ScenarioError, match=r"instance id 'r-2' appears twice \(in accounts 1000000000000002 and "
                                            r"1000000000000003\)"):
        load({"accounts": [member(instances=fleet("r-2")), member("1000000000000003", instances=fleet("r-2"))]})
    with pytest.raises(ScenarioError, match=r"<dict>.instances: instance id 'r-3' appears twice$"):
        load({"instances": fleet("r-3", "r-3")})


@pytest.mark.parametrize("bad", ["12ab", "", "1000-0000", "1" * 33, True])
def test_an_account_id_is_digits(bad):
    with pytest.raises(ScenarioError, match=r"<dict>.accounts\[0\].id: .*(not an account ID|expected text|is required)"):
        load({"accounts": [member(account_id=bad)]})


def test_the_home_account_id_is_digits_too():
    with pytest.raises(ScenarioError, match=r"<dict>.account: 'home' is not an account ID \(digits, like "):
        load({"account": "home"})


def test_an_account_appears_once():
    with pytest.raises(ScenarioError, match=r"accounts\[1\].id: account '1000000000000002' appears twice "
                                            r"\(also accounts\[0\]\)"):
        load({"accounts": [member(), member()]})
    with pytest.raises(ScenarioError, match=r"accounts\[0\].id: account '1000000000000001' appears twice \(also account\)"):
        load({"accounts": [member(HOME)]})


def test_a_status_is_one_listaccounts_documents():
    for status in ACCOUNT_STATUSES:
        assert load({"accounts": [member(status=status)]}).accounts[0].status == status
    with pytest.raises(ScenarioError, match=r"accounts\[0\].status: 'Active' is not one of CreateSuccess, "
                                            r"PromoteVerifying, .*InviteSuccess"):
        load({"accounts": [member(status="Active")]})


@pytest.mark.parametrize("key, value, why", [
    ("type", "MasterAccount", "is not one of CloudAccount, ResourceAccount"),
    ("role", "denied", "is not one of ok, missing, untrusted"),
    ("role_name", "reader/admin", "is not a RAM role name"),
    ("listed", "yes", "is not one of True, False"),
    ("nickname", "x", "unknown key 'nickname'"),
])
def test_member_fields_are_checked(key, value, why):
    with pytest.raises(ScenarioError, match=rf"accounts\[0\].*{why}"):
        load({"accounts": [member(**{key: value})]})


def test_member_instances_and_faults_are_read_like_the_top_levels():
    with pytest.raises(ScenarioError, match=r"accounts\[0\].instances\[0\].architecture: 'ring' is not one of"):
        load({"accounts": [member(instances=[{"id": "r-1", "region": "cn-hangzhou", "architecture": "ring"}])]})
    with pytest.raises(ScenarioError, match=r"accounts\[0\].faults\[0\].kind: 'flood' is not one of"):
        load({"accounts": [member(faults=[{"kind": "flood"}])]})


def test_a_members_regions_cover_its_fleet():
    scenario = load({"accounts": [member(regions=["cn-hangzhou"], instances=fleet("r-1"))]})
    assert scenario.fleet("1000000000000002").listed_regions == ("cn-hangzhou",)
    with pytest.raises(ScenarioError, match=r"accounts\[0\].regions: .* also in cn-shanghai"):
        load({"accounts": [member(regions=["cn-hangzhou"], instances=fleet("r-1", region="cn-shanghai"))]})


def test_directory_faults_take_the_generic_kinds_and_a_wrong_total_count():
    scenario = load({"directory_faults": [{"kind": "unavailable", "first": 1}, {"kind": "total_count", "offset": -1},
                                          {"kind": "throttle", "first": 2}]})
    assert [(f.kind, f.first, f.offset) for f in scenario.directory_faults] == \
        [("unavailable", 1, 0), ("total_count", None, -1), ("throttle", 2, 0)]
    with pytest.raises(ScenarioError, match=r"directory_faults\[0\].kind: 'not_found' is not one of"):
        load({"directory_faults": [{"kind": "not_found"}]})
    with pytest.raises(ScenarioError, match=r"directory_faults\[0\].offset: a total_count fault needs an offset"):
        load({"directory_faults": [{"kind": "total_count"}]})
    with pytest.raises(ScenarioError, match=r"directory_faults\[0\]: unknown key 'instance'"):
        load({"directory_faults": [{"kind": "unavailable", "instance": "r-1"}]})
    with pytest.raises(ScenarioError, match=r"<dict>.faults\[0\]: unknown key 'offset'"):
        load({"faults": [{"kind": "throttle", "offset": 1}]})


def test_resource_directory_is_a_boolean():
    with pytest.raises(ScenarioError, match=r"resource_directory: 'yes' is not one of True, False"):
        load({"resource_directory": "yes"})
