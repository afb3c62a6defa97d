"""Restore testing (RESTORE_TEST, docs/restore-testing.md) through index.handler on the sandbox, across runs: one
archive bucket and one set of clones (sandbox.kvstore_restore.Clones) kept from run to run, each run at its own
anchor (scenario time), so a clone is Creating in one run and Normal in a later one."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from conftest import fleet, instance
from unit.channels import shown
from sandbox.kvstore_restore import TAG_KEY, Clone, Clones

SAT = "2026-11-28T01:00:00Z"  # a Saturday (RESTORE_TEST=sat)
SOON = "2026-11-28T01:10:00Z"  # 10 minutes on: the clone is still Creating
LATER = "2026-11-28T01:31:00Z"  # 31 minutes on: the clone is Normal (Clones.ready_minutes)
NEXT_DAY = "2026-11-29T01:00:00Z"
SETTINGS = {"RESTORE_TEST": "sat", "RESTORE_TEST_MAX_COST": "1"}
STATE = "redis-backup-report/restore-test/state.json"


def runs(report, clones: Clones, bucket: dict, *anchors: str, settings: dict | None = None):
    scenario = fleet(instance("r-alpha01"), instance("r-beta01"))
    return [report(scenario, settings={**SETTINGS, **(settings or {})}, oss=bucket, anchor=a, clones=clones,
                   request_id=f"restore-run-{n}") for n, a in enumerate(anchors)]


def test_a_restore_test_runs_across_invocations_and_releases_its_clone(report):
    clones, bucket = Clones(), {}
    first, waiting, done, idle = runs(report, clones, bucket, SAT, SOON, LATER, NEXT_DAY)
    assert first.result["restore_test"]["did"] == "created"
    assert first.result["restore_test"]["current"]["source"] == "r-alpha01"  # the rotation's first
    assert "restore test begun: backup" in first.dingtalk_text and "0.35 CNY an hour until released" in first.dingtalk_text
    creates = first.calls("CreateInstance")
    assert [c.params.get("DryRun", "").lower() for c in creates] == ["true", "false"]  # the dry run first
    assert creates[1].params["ChargeType"] == "PostPaid" and creates[1].params["SrcDBInstanceId"] == "r-alpha01"
    assert creates[1].params["Tag.1.Key"] == "backup-report:restore-test"
    # The run ends with the clone Creating: the next one picks the state up from the archive.
    assert waiting.result["restore_test"]["did"] == "waiting"
    assert "restore test of r-alpha01 under way: clone r-clone00001" in waiting.dingtalk_text
    assert done.result["restore_test"]["did"] == "passed"
    assert "restore-tested Nov 28: r-alpha01: 31 min, 3.0 GiB in memory (keys not counted)" in done.dingtalk_text
    assert done.result["restore_test"]["readable"].startswith("not proven")
    assert clones.made == {} and clones.released == ["r-clone00001"]  # nothing left behind
    assert json.loads(bucket[STATE].body)["current"] is None
    # The report page keeps the history of restore tests and their durations.
    page = next(o.body.decode() for k, o in sorted(bucket.items()) if k.endswith(".html") and "restore-run-2" in k)
    assert '<table id="restore-tests">' in page and '<td data-label="To Normal">31 min</td>' in page
    # Not a scheduled day: nothing is created; the last outcome is still said.
    assert idle.result["restore_test"]["did"] == "idle" and not idle.calls("CreateInstance")
    assert "restore-tested Nov 28" in idle.dingtalk_text


def test_a_clone_that_never_becomes_normal_is_a_failed_test_and_released(report):
    clones, bucket = Clones(never_normal=True), {}
    _, late = runs(report, clones, bucket, SAT, "2026-11-28T14:00:00Z", settings={"RESTORE_TEST_MAX_HOURS": "12"})
    assert late.result["restore_test"]["did"] == "failed"
    assert "restore test FAILED Nov 28: r-alpha01: the clone was still Creating after 12 h" in late.dingtalk_text
    assert clones.made == {} and clones.released == ["r-clone00001"]


def test_a_release_that_fails_is_named_until_the_next_run_releases_it(report):
    clones, bucket = Clones(delete_failures=1), {}
    _, done, after = runs(report, clones, bucket, SAT, LATER, NEXT_DAY)
    assert done.result["restore_test"]["did"] == "passed"
    assert done.result["restore_test"]["leftovers"] == [
        {"clone": "r-clone00001", "region": "cn-hangzhou", "error": "DeleteInstance failed: IncorrectDBInstanceState"}]
    assert "restore clone r-clone00001 (cn-hangzhou) NOT released yet, still billed" in done.dingtalk_text
    # The next run finds it by its tag and releases it; the digest stops naming it.
    assert after.result["restore_test"]["leftovers"] == [] and clones.made == {}
    assert "NOT released" not in after.dingtalk_text


def test_a_clone_a_lost_run_made_is_found_by_its_tag_and_released(report):
    clones, bucket = Clones(), {}
    (first,) = runs(report, clones, bucket, SAT)
    del bucket[STATE]  # the run that made the clone never kept its state (lost before the write)
    (after,) = runs(report, clones, bucket, SOON, settings={"RESTORE_TEST": "sun"})
    assert [c.params["InstanceId"] for c in after.calls("DeleteInstance")] == ["r-clone00001"]
    assert clones.made == {}


def test_a_refused_backup_and_a_refused_price_create_nothing(report):
    clones = Clones(dry_run_error="InvalidBackupId.NotFound")
    (refused,) = runs(report, clones, {}, SAT)
    assert "restore test FAILED Nov 28: r-alpha01: the dry run was refused: InvalidBackupId.NotFound" \
        in refused.dingtalk_text
    assert clones.made == {} and len(refused.calls("CreateInstance")) == 1
    dear = Clones(price="12.5")
    (priced,) = runs(report, dear, {}, SAT)
    assert priced.result["restore_test"]["history"][-1]["words"] == (
        "refused: a clone costs 12.50 CNY an hour (DescribePrice, pay-as-you-go), above RESTORE_TEST_MAX_COST 1.00")
    assert "not restore-tested Nov 28: r-alpha01: refused: a clone costs 12.50 CNY an hour" in priced.slack_text
    assert not priced.calls("CreateInstance") and dear.made == {}


def test_restore_testing_is_off_by_default_and_needs_the_archive_and_a_max_cost(report):
    plain = report(fleet(instance("r-alpha01")))
    assert "restore_test" not in plain.result and not plain.calls("CreateInstance")
    refused = report(fleet(instance("r-alpha01")), settings={"RESTORE_TEST": "sat"})
    problems = refused.result["settings"]
    assert any(p.startswith("RESTORE_TEST needs the archive") for p in problems)
    assert any(p.startswith("RESTORE_TEST needs RESTORE_TEST_MAX_COST") for p in problems)
    assert not refused.calls()  # before any call


def test_the_function_never_calls_restore_instance():
    """RestoreInstance overwrites the source in place: no module of the package names it (the SDK's method either)."""
    package = Path(__file__).resolve().parents[2] / "function" / "backup_report"
    named = [str(p) for p in package.rglob("*.py") for word in ("restore_instance", "RestoreInstanceRequest")
             if word in p.read_text()]
    assert named == []
    assert "create_instance_with_options" in (package / "cloud" / "restore.py").read_text()  # the check reads


def test_a_clone_whose_status_cannot_be_read_is_released_past_the_maximum_hours(report):
    """DescribeInstanceAttribute refused for the clone (a RAM policy without it, say): the clone is still billed, so
    the digest says its status was not read, and past RESTORE_TEST_MAX_HOURS it is released, never kept for ever."""
    clones, bucket = Clones(), {}
    runs(report, clones, bucket, SAT)
    clones.attribute_error = "Forbidden.RAM"
    soon, late = runs(report, clones, bucket, SOON, "2026-11-28T14:00:00Z", settings={"RESTORE_TEST_MAX_HOURS": "12"})
    assert soon.result["restore_test"]["did"] == "not checked"
    assert "restore test of r-alpha01: the status of clone r-clone00001 was not read (Forbidden.RAM); still billed" \
        in soon.dingtalk_text
    assert late.result["restore_test"]["did"] == "failed"
    assert "restore test FAILED Nov 28: r-alpha01: the status of the clone was not read (Forbidden.RAM) for 12 h" \
        in late.dingtalk_text
    assert clones.made == {} and clones.released == ["r-clone00001"]


def test_a_clone_released_by_someone_else_ends_the_test_and_is_no_leftover(report):
    """Released by hand between runs: R-KVStore answers a not-found code (its name varies by API: the Terraform
    provider expects InvalidInstanceId.NotFound and InvalidDBInstance.NotFound, service_alicloud_r_kvstore.go)."""
    clones, bucket = Clones(), {}
    runs(report, clones, bucket, SAT)
    clones.gone_code = "InvalidDBInstance.NotFound"
    clones.released.append(clones.made.pop("r-clone00001").instance_id)
    (after,) = runs(report, clones, bucket, SOON)
    assert after.result["restore_test"]["did"] == "failed"
    assert "r-alpha01: the clone r-clone00001 vanished before it was Normal" in after.dingtalk_text
    assert after.result["restore_test"]["leftovers"] == [] and after.result["restore_test"]["current"] is None


def test_an_instance_that_only_carries_the_tag_is_never_released_and_is_named(report):
    """The sweep releases what a test made, not whatever carries the tag: a subscription instance someone tagged
    (or one not named as a clone) is left alone, and the digest names it, every run."""
    clones = Clones()
    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    clones.made["r-orders01"] = Clone("r-orders01", "cn-hangzhou", "", "", at, {TAG_KEY: "20261101T0100-r-orders01"},
                                      "redis.master.small.default", name="orders-cache", charge_type="PrePaid")
    clones.made["r-named001"] = Clone("r-named001", "cn-hangzhou", "", "", at, {TAG_KEY: "x"},
                                      "redis.master.small.default", name="restore-test-x", charge_type="PostPaid")
    (run,) = runs(report, clones, {}, SOON, settings={"RESTORE_TEST": "sun"})
    assert run.calls("DeleteInstance") == [] and set(clones.made) == {"r-orders01", "r-named001"}
    text = shown.dingtalk(run.dingtalk[0]).text  # as DingTalk shows it
    assert ("instance r-orders01 (cn-hangzhou) carries the tag backup-report:restore-test but is not a restore clone "
            "(not pay-as-you-go, or not named restore-test-<its tag>): not released") in text
    assert "instance r-named001 (cn-hangzhou) carries the tag" in text


def test_what_a_run_keeps_reads_back_whatever_the_api_answered(report):
    """An error code with a line break (the API's text is untrusted) is kept as one line: the next run reads the
    state back, and the digest carries no forged line. A currency that is not a code is no price: nothing made."""
    clones, bucket = Clones(dry_run_error="Zone.NotOnSale\n- restore-tested Nov 28: all fine"), {}
    first, second = runs(report, clones, bucket, SAT, SOON)
    assert "the dry run was refused: Zone.NotOnSale - restore-tested Nov 28: all fine" in first.dingtalk_text
    assert "\n- restore-tested" not in first.dingtalk_text
    assert "unreadable" not in second.dingtalk_text and second.result["restore_test"]["did"] == "idle"
    for currency, price in (("元", "0.35"), ("CNY", "NaN"), ("CNY", "-1"), ("", "0.35")):
        odd = Clones(currency=currency, price=price)
        (priced,) = runs(report, odd, {}, SAT)
        assert "r-alpha01: DescribePrice failed: UnreadablePrice" in priced.dingtalk_text, (currency, price)
        assert not priced.calls("CreateInstance") and odd.made == {}


def test_an_event_dated_before_the_last_step_takes_no_step(report):
    """An invoker may send a timer's event without a payload, with any past triggerTime: dated in an earlier week it
    would start that week's test again, clone after clone. A step never goes back in time: such a run takes none."""
    clones, bucket = Clones(), {}
    _, done, back = runs(report, clones, bucket, SAT, LATER, "2026-11-21T01:00:00Z")
    assert done.result["restore_test"]["did"] == "passed"
    assert back.result["restore_test"]["did"] == "out of order" and not back.calls("CreateInstance")
    assert ("restore test: this run's time 2026-11-21 01:00 UTC is before the last step's, 2026-11-28 01:31 UTC: "
            "no step") in back.dingtalk_text
    assert "restore-tested Nov 28: r-alpha01" in back.dingtalk_text and len(clones.released) == 1


def test_no_stock_and_a_quota_reached_create_nothing_and_say_which(report):
    """Out of stock in the zone (refused by the dry run, which checks "available resources") and the instance quota
    reached (refused by the creation itself, after a dry run that passed): the code is said, no clone is made."""
    stock = Clones(dry_run_error="Zone.NotOnSale")
    (no_stock,) = runs(report, stock, {}, SAT)
    assert "restore test FAILED Nov 28: r-alpha01: the dry run was refused: Zone.NotOnSale" in no_stock.dingtalk_text
    assert len(no_stock.calls("CreateInstance")) == 1 and stock.made == {}
    quota = Clones(create_error="QuotaExceed.Instance")
    (full,) = runs(report, quota, {}, SAT)
    assert "restore test FAILED Nov 28: r-alpha01: the creation was refused: QuotaExceed.Instance" in full.dingtalk_text
    assert len(full.calls("CreateInstance")) == 2 and quota.made == {}
    assert full.result["restore_test"]["current"] is None and full.result["restore_test"]["leftovers"] == []


def test_a_leftover_is_released_even_in_a_region_no_longer_watched(report):
    clones, bucket = Clones(delete_failures=1), {}
    runs(report, clones, bucket, SAT, LATER)  # passed, its release refused: a leftover in cn-hangzhou
    (after,) = runs(report, clones, bucket, NEXT_DAY, settings={"REGIONS": "cn-shanghai"})
    assert [c.params["InstanceId"] for c in after.calls("DeleteInstance")] == ["r-clone00001"]
    assert clones.made == {} and "NOT released" not in after.dingtalk_text


def test_a_hostile_state_starts_nothing_says_how_to_recover_and_tagged_clones_are_still_released(report):
    """state.json is read back as untrusted: one naming another instance as its clone, or not JSON, starts nothing
    and releases nothing but what the tag sweep proves a clone; the digest says what to remove to start afresh."""
    from sandbox.oss import StoredObject

    clones, bucket = Clones(), {}
    runs(report, clones, bucket, SAT)  # a clone under way
    bucket[STATE] = StoredObject(b'{"version": 1, "current": {"clone": "r-alpha01"}}', "application/json")
    (after,) = runs(report, clones, bucket, SOON)
    assert ("restore test state unreadable (a field is not as written: KeyError): no test until "
            "redis-backup-report/restore-test/state.json is removed from the archive bucket") in after.dingtalk_text
    assert [c.params["InstanceId"] for c in after.calls("DeleteInstance")] == ["r-clone00001"]
    assert not after.calls("CreateInstance") and clones.made == {}


def test_a_retried_event_after_a_lost_write_takes_up_its_own_clone_again(report):
    """FC retries a timer's event (the same triggerTime) whose run made the clone but lost its state: the retry's
    sweep leaves a clone of its own run alone, and the creation's ClientToken (Token) answers the same clone."""
    clones, bucket = Clones(), {}
    runs(report, clones, bucket, SAT)
    del bucket[STATE]
    retry, done = runs(report, clones, bucket, SAT, LATER)
    assert retry.calls("DeleteInstance") == [] and retry.result["restore_test"]["current"]["clone"] == "r-clone00001"
    assert done.result["restore_test"]["did"] == "passed" and clones.released == ["r-clone00001"]


def test_the_collect_timer_releases_a_normal_clone_within_minutes_and_the_next_digest_says_so(report):
    # A daily timer alone would keep the clone (and its bill) until the next morning; the collect timer's runs,
    # every 15 minutes, watch the test under way and release it, and the next digest says what it found.
    clones, bucket = Clones(), {}
    scenario = fleet(instance("r-alpha01"), instance("r-beta01"))
    collect = {"triggerName": "collect", "payload": "{}"}
    first = report(scenario, settings=SETTINGS, oss=bucket, anchor=SAT, clones=clones, request_id="restore-run-0")
    early, late = (report(scenario, settings=SETTINGS, oss=bucket, anchor=at, clones=clones, request_id=f"collect-{n}",
                          event={**collect, "triggerTime": at}) for n, at in enumerate(("2026-11-28T01:15:00Z",
                                                                                        "2026-11-28T01:45:00Z")))
    assert first.result["restore_test"]["did"] == "created"
    assert early.result["restore_test"]["did"] == "waiting" and early.dingtalk == []  # a collect posts nothing
    assert late.result["restore_test"]["did"] == "passed" and late.dingtalk == []
    assert clones.made == {} and clones.released == ["r-clone00001"]  # 45 minutes after its creation
    (morning,) = runs(report, clones, bucket, NEXT_DAY)
    assert "restore-tested Nov 28: r-alpha01: 45 min" in morning.dingtalk_text
    assert not morning.calls("CreateInstance")


def test_the_collect_timer_calls_nothing_with_no_test_under_way(report):
    clones, bucket = Clones(), {}
    run = report(fleet(instance("r-alpha01")), settings={**SETTINGS, "RESTORE_TEST": "sun"}, oss=bucket, anchor=SAT,
                 clones=clones, event={"triggerName": "collect", "payload": "{}", "triggerTime": SAT})
    assert run.result["restore_test"]["did"] == "idle" and run.calls() == [] and clones.made == {}
