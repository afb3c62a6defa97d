"""The stages' results to JSON and back (codec.py): a Findings round-trips exactly, and what a piece hands
back of another form is refused naming where."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from backup_report import codec
from backup_report.model import (ApiError, BackupPolicy, Checked, Coverage, Findings, History, Instance, Kind,
                                 RegionFailure, Verdict, Window)

UTC = timezone.utc


def findings() -> Findings:
    policy = BackupPolicy(frozenset({0, 3, 6}), 1080, 1140, retention_days=7, backup_log=None)
    ok = Checked(Instance("r-ok1", "cart", "cn-hangzhou", created=datetime(2024, 1, 1, tzinfo=UTC),
                          tags=(("team", "payments"),)), Verdict(Kind.OK, "fine", policy=policy,
                                                                 policy_read=date(2026, 11, 27)))
    failed = Checked(Instance("r-bad1", "ledger", "cn-shanghai", architecture="cluster", shard_count=4,
                              node_type="MASTER_SLAVE"),
                     Verdict(Kind.FAILED, "backup 7 failed", History(("done", "failed"), date(2026, 11, 26),
                                                                     "failing since Nov 27")),
                     owner="team: search", console_url="https://kvstore.console.aliyun.com/x")
    return Findings(window=Window(datetime(2026, 11, 27, 1, tzinfo=UTC), datetime(2026, 11, 28, 1, tzinfo=UTC)),
                    checked=[ok, failed],
                    region_failures=[RegionFailure("cn-beijing", ApiError("Forbidden.RAM", "no", "DescribeInstances"))],
                    unwatched={"cn-hangzhou": [Instance("r-other", "x", "cn-hangzhou")],
                               "cn-beijing": ApiError("Forbidden.RAM", "no", "DescribeInstances")})


def test_a_findings_round_trips_through_json_exactly():
    original = findings()
    text = json.dumps(codec.dump(original))
    assert codec.load(Findings, json.loads(text)) == original


def test_coverage_round_trips_too():
    c = Coverage("cn-hangzhou", (Instance("r-1", "a", "cn-hangzhou"),))
    assert codec.load(Coverage, codec.dump(c)) == c


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d["checked"][0]["verdict"].update(kind="fine-ish"), "$.checked[0].verdict.kind"),
    (lambda d: d["checked"][0]["instance"].update(shard_count=True), "$.checked[0].instance.shard_count"),
    (lambda d: d["checked"][0]["instance"].update(shard_count=1.5), "$.checked[0].instance.shard_count"),
    (lambda d: d["window"].update(start="2026-11-27T01:00:00"), "$.window.start"),
    (lambda d: d["checked"][1]["verdict"]["history"].update(first_day="yesterday"), "first_day"),
    (lambda d: d["checked"][0]["instance"].update(secret="x"), "unknown field 'secret'"),
    (lambda d: d["checked"][0].pop("instance"), "a required field of Checked is absent"),
    (lambda d: d.update(checked={"r-ok1": 1}), "$.checked: not a list"),
    (lambda d: d["region_failures"][0]["error"].update(code=5), "$.region_failures[0].error.code"),
])
def test_what_is_of_another_form_is_refused_naming_where(mutate, where):
    data = codec.dump(findings())
    mutate(data)
    with pytest.raises(ValueError, match=__import__("re").escape(where)):
        codec.load(Findings, data)


def test_a_loaded_string_is_cut_as_the_run_cuts_what_it_reads():
    data = codec.dump(findings())
    data["checked"][0]["instance"]["name"] = "n" * 100_000
    assert len(codec.load(Findings, data).checked[0].instance.name) == codec.MAX_TEXT
