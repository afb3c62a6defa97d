"""Lines a person can act on, through the handler: the history strip and streak, coverage of the
scanned regions, links to the console, the owner tag and the Slack mention.

The run is at 2026-11-28T01:00Z (Saturday); daily slots are 18:00Z-19:00Z, so the last due slot is
Friday 2026-11-27 18:00Z and a 7-day strip runs from Nov 21 to Nov 27 (UTC days, as the schedule's).
"""
from __future__ import annotations

from tests.conftest import DAILY, fleet, instance

WEEKLY = {"period": "Sunday", "time": "18:00Z-19:00Z"}
CN = "https://kvstore.console.aliyun.com/Redis/instance"
INTL = "https://kvstore.console.alibabacloud.com/Redis/instance"


def daily_backups(*spec: tuple[int, str]) -> list[dict]:
    """Backups at 18:10Z, `days` before the anchor's Friday slot, with their status."""
    return [{"start": f"-{days}d6h50m", "size": "1GB", "status": status} for days, status in spec]


# --- history strip and streak -------------------------------------------------------------------

def test_a_daily_instance_failing_for_three_days_shows_its_strip_and_since_when(report):
    backups = daily_backups((6, "Success"), (5, "Success"), (4, "Success"), (3, "Success"),
                            (2, "Failed"), (1, "Failed"), (0, "Failed"))
    run = report(fleet(instance("r-failing1", history=None, backups=backups)))
    assert run.verdict("r-failing1") == "failed"
    entry = run.entry("r-failing1")
    assert (entry["history"], entry["history_from"], entry["streak"]) == ("✓✓✓✓✗✗✗", "2026-11-21",
                                                                            "failing since Nov 25")
    line = "last 7 days ✓✓✓✓✗✗✗ (failing since Nov 25)"
    assert line in run.dingtalk_text and line in run.slack_text


def test_a_weekly_instance_missing_three_sundays_counts_them_in_words(report):
    # Sundays Nov 1 (done), 8, 15, 22 (nothing): 28 days show the last four scheduled days.
    run = report(fleet(instance("r-weekly01", policy=WEEKLY, history=None,
                                backups=[{"start": "-26d6h50m", "size": "1GB"}])),
                 settings={"HISTORY_DAYS": "28"})
    assert run.verdict("r-weekly01") == "missing"
    assert run.entry("r-weekly01")["history"] == "······✓······○······○······○"
    assert run.entry("r-weekly01")["streak"] == "3rd scheduled backup missed in a row"
    assert "(3rd scheduled backup missed in a row)" in run.dingtalk_text
    assert run.detail("r-weekly01").startswith("the scheduled 18:00 backup of 2026-11-22 was not done")


def test_the_days_before_the_instance_existed_are_marked_not_yet_created(report):
    backups = daily_backups((3, "Success"), (2, "Success"), (1, "Success"), (0, "Failed"))
    run = report(fleet(instance("r-young001", created="-3d12h", history=None, backups=backups)))
    assert run.entry("r-young001")["history"] == "–––✓✓✓✗"
    assert run.entry("r-young001")["streak"] == "failing since Nov 27"


def test_nothing_done_in_the_whole_strip_says_so_and_fine_instances_carry_no_strip(report):
    run = report(fleet(instance("r-silent01", history=None,
                                backups=[{"start": "-9d6h50m", "size": "1GB"}]), instance("r-fine0001")))
    assert run.entry("r-silent01")["history"] == "○○○○○○○"
    assert run.entry("r-silent01")["streak"] == "every scheduled backup of the last 7 days missed (7 in a row)"
    assert "history" not in run.entry("r-fine0001")


def test_the_strip_needs_no_extra_call_even_with_the_size_check_off(report):
    backups = daily_backups((6, "Success"), (5, "Success"), (4, "Failed"), (3, "Success"),
                            (2, "Success"), (1, "Success"), (0, "Failed"))
    run = report(fleet(instance("r-flaky001", history=None, backups=backups)), settings={"SIZE_DROP_PERCENT": "0"})
    assert run.entry("r-flaky001")["history"] == "✓✓✗✓✓✓✗"
    assert len(run.calls("DescribeBackups")) == 1
    assert run.calls("DescribeBackups")[0].params["StartTime"] <= "2026-11-20T17:30Z"


# --- coverage -------------------------------------------------------------------------------------

def test_coverage_counts_the_unwatched_instances_of_every_scanned_region_over_several_pages(report):
    loose = [instance(f"r-loose{n:03d}", tags={"team": "x"}, history=None) for n in range(120)]
    shanghai = [instance(f"r-sh{n:05d}", region="cn-shanghai", tags={}, history=None) for n in range(2)]
    run = report(fleet(instance("r-watched1"), instance("r-watched2", region="cn-shanghai"), *loose, *shanghai,
                       instance("r-beijing1", region="cn-beijing", tags={})),
                 settings={"REGIONS": "cn-hangzhou,cn-shanghai"})
    assert set(run.verdicts) == {"r-watched1", "r-watched2"}, "unwatched instances are never judged"
    coverage = {c["region"]: c for c in run.result["coverage"]}
    assert set(coverage) == {"cn-hangzhou", "cn-shanghai"}
    assert coverage["cn-hangzhou"]["untagged"] == 120 == len(coverage["cn-hangzhou"]["instances"])
    assert {"instance_id": "r-loose007", "name": "loose007-cache"} in coverage["cn-hangzhou"]["instances"]
    assert coverage["cn-shanghai"]["untagged"] == 2
    untagged_pages = [c for c in run.calls("DescribeInstances") if "Tag.1.Key" not in c.params]
    assert sorted((c.params["RegionId"], c.params["PageNumber"]) for c in untagged_pages) == [
        ("cn-hangzhou", "1"), ("cn-hangzhou", "2"), ("cn-hangzhou", "3"), ("cn-shanghai", "1")]
    assert all(c.params["PageSize"] == "50" for c in untagged_pages)
    for text in (run.dingtalk_text, run.slack_text):
        assert "120 other instances in cn-hangzhou are not in this report" in text
        assert "2 other instances in cn-shanghai are not in this report" in text
        assert "loose007" not in text
    assert run.result["status"] == "ok"


def test_coverage_off_lists_nothing_more(report):
    run = report(fleet(instance("r-watched1"), instance("r-loose001", tags={})), settings={"COVERAGE": "off"})
    assert run.result["coverage"] == []
    assert all("Tag.1.Key" in c.params for c in run.calls("DescribeInstances"))
    assert "not in this report" not in run.dingtalk_text


def test_a_coverage_listing_that_fails_is_said_and_the_run_goes_on(report):
    run = report(fleet(instance("r-watched1"), instance("r-failed01", latest={"status": "Failed"}),
                       instance_list={"total_count": 99}))
    assert run.result["coverage"][0]["region"] == "cn-hangzhou"
    assert "TotalCount says 99" in run.result["coverage"][0]["error"]
    assert "instances outside the report in cn-hangzhou not counted: DescribeInstances failed" in run.dingtalk_text
    assert all(d["ok"] for d in run.result["deliveries"]) and len(run.result["deliveries"]) == 4


# --- links, owner, mention --------------------------------------------------------------------------

def test_names_link_to_the_console_chosen_and_an_id_of_another_form_gets_no_link(report):
    run = report(fleet(instance("r-failed01", latest={"status": "Failed"}),
                       instance("r-ODD)(x", name="odd-cache", latest={"status": "Failed"})),
                 settings={"CONSOLE": "intl"})
    assert f"[failed01-cache]({INTL}/cn-hangzhou/r-failed01) (r-failed01" in run.dingtalk_text
    assert f"<{INTL}/cn-hangzhou/r-failed01|failed01-cache> (r-failed01" in run.slack_text
    assert "- odd-cache (r-ODD" in run.dingtalk_text and "• odd-cache (r-ODD" in run.slack_text
    assert CN not in run.dingtalk_text


def test_the_owner_tag_is_shown_on_each_line_that_carries_it(report):
    run = report(fleet(instance("r-failed01", tags={"backup-report": "daily", "team": "payments"},
                                latest={"status": "Failed"}),
                       instance("r-failed02", latest={"status": "Failed"})),
                 settings={"OWNER_TAG": "team"})
    assert "(r-failed01, cn-hangzhou, team: payments):" in run.dingtalk_text
    assert "(r-failed01, cn-hangzhou, team: payments):" in run.slack_text
    assert "(r-failed02, cn-hangzhou):" in run.dingtalk_text


def test_slack_mentions_go_out_on_alerts_only(report):
    mention = {"SLACK_MENTION": "<!here>, <@U0123ABCD> <!subteam^S0456EFGH>"}
    alert = report(fleet(instance("r-failed01", latest={"status": "Failed"})), settings=mention)
    message = alert.slack[0]
    assert message["text"].startswith("<!here> <@U0123ABCD> <!subteam^S0456EFGH> 🔴")
    assert message["blocks"][1]["text"]["text"] == "<!here> <@U0123ABCD> <!subteam^S0456EFGH>"
    warning = report(fleet(instance("r-shrunk01", latest={"size": "10MB"})), settings=mention)
    assert warning.result["status"] == "warning"
    assert "<!here>" not in str(warning.slack[0])


def test_a_mention_not_of_slacks_forms_is_refused_before_any_call(report):
    run = report(fleet(instance("r-any00001")),
                 settings={"SLACK_MENTION": "@here <!subteam^S1|x> <https://evil.example|x>", "OWNER_TAG": "a=b",
                           "CONSOLE": "us", "COVERAGE": "yes"})
    # A good webhook took the settings alert: the run returns it (issue 15) instead of raising.
    assert run.error is None and run.result["status"] == "error"
    text = "\n".join(run.result["settings"])
    assert "SLACK_MENTION=" in text and "Slack mentions like <!here>" in text
    assert "OWNER_TAG='a=b' is invalid" in text
    assert "CONSOLE='us' is invalid: one of cn, intl" in text
    assert "COVERAGE='yes' is invalid: one of on, off" in text
    assert run.calls() == []
