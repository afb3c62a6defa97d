"""What the archive reads back is untrusted: anyone with write access to the prefix may have left anything
there. Whatever it holds costs only the "what changed" notes: one digest per channel, no raise, the page
still linked. Through index.handler against the sandbox's OSS emulator, seeded with hostile objects."""
from __future__ import annotations

import gzip
import json
import re
import threading
import time

import pytest

from backup_report.archive import scope_of
from conftest import DAILY, fleet, instance
from sandbox.oss import OSSBucket, StoredObject

SCOPE = scope_of((("backup-report", "daily"),), ("cn-hangzhou",), {})  # the runs of these tests look at
EARLIER = f"redis-backup-report/2026/11/27/daily/010000Z-{SCOPE}-earlier-run.json"
GOOD = {"instance_id": "r-keep01", "name": "keep01-cache", "region": "cn-hangzhou", "verdict": "ok",
        "policy": {"period": DAILY["period"], "slot": "18:00Z-19:00Z", "retention_days": 7, "backup_log": 0},
        "calendar": {"2026-11-26": "done"}}
FLEET = fleet(instance("r-keep01"), instance("r-fine02", latest={"status": "Failed"}))


def seeded(body: bytes, encoding: str = "", key: str = EARLIER) -> dict:
    return {key: StoredObject(body, "application/json", encoding=encoding)}


def document(*entries) -> bytes:
    return json.dumps({"status": "ok", "instances": list(entries)}).encode()


def posted_once_and_linked(run) -> None:
    assert run.error is None and run.result["status"] == "alert"
    assert [len(m) for m in (run.dingtalk, run.slack, run.feishu, run.wecom)] == [1, 1, 1, 1]
    assert "r-fine02" in run.dingtalk_text and "Report page" in run.slack_text


def test_entries_of_another_form_are_left_out_and_said_the_rest_is_compared(report):
    bad = [{**GOOD, "instance_id": 5}, {**GOOD, "instance_id": "r-cal1", "calendar": "every day"},
           {**GOOD, "instance_id": "r-junk1", "calendar": {"2026-11-26xyz": "done"}},
           {**GOOD, "instance_id": "r-state1", "calendar": {"2026-11-26": "<b>owned</b>"}},
           {**GOOD, "instance_id": "r-gone01", "region": ["cn-hangzhou"]}, "not an entry",
           {**GOOD, "instance_id": "r-pol1", "policy": {"period": "Funday", "slot": "x"}}, dict(GOOD)]
    bucket = seeded(document(GOOD, {**GOOD, "instance_id": "r-gone02", "name": "gone02"}, *bad))
    run = report(FLEET, oss=bucket)
    posted_once_and_linked(run)
    # A bad calendar or policy costs itself alone: those entries still stand for their instances, gone today.
    for note in ("previous run: 4 entries unreadable, left out",
                 "previous run: the calendar, sizes or policy of 4 entries unreadable, left out"):
        assert note in run.dingtalk_text and note in run.slack_text
    assert run.result["changes"] == [
        f"no longer reported: {i} ({name}, ok yesterday) — released or untagged?"
        for i, name in (("r-cal1", "keep01-cache"), ("r-gone02", "gone02"), ("r-junk1", "keep01-cache"),
                        ("r-pol1", "keep01-cache"), ("r-state1", "keep01-cache"))] + [
        "newly reported: r-fine02 (fine02-cache)"]
    written = json.loads(next(o.body for k, o in bucket.items() if k.endswith(".json") and k != EARLIER))
    keep = next(i for i in written["instances"] if i["instance_id"] == "r-keep01")
    assert keep["calendar"]["2026-11-26"] == "done", "the good entry's calendar is carried on"
    assert "xyz" not in json.dumps(written) and "owned" not in json.dumps(written)


def test_a_defect_in_an_entrys_parts_costs_those_parts_never_a_false_change_line(report):
    # A bad calendar, sizes or policy (an older version's, a hand's) is left out on its own, and the entry
    # still stands for its instance in what changed (no "newly reported") and on the page.
    keep = {**GOOD, "calendar": {"2026-11-10": "done"}, "sizes": {"2026-11-10": -1},
            "policy": {**GOOD["policy"], "retention_days": 10 ** 9}}
    fine = {**GOOD, "instance_id": "r-fine02", "name": "fine02-cache", "calendar": "every day",
            "sizes": {"2026-11-10": 2 ** 30}}
    bucket = seeded(document(keep, fine))
    run = report(FLEET, oss=bucket)
    posted_once_and_linked(run)
    assert run.result["changes"] == []
    note = "previous run: the calendar, sizes or policy of 2 entries unreadable, left out"
    assert note in run.dingtalk_text and note in run.slack_text
    written = json.loads(next(o.body for k, o in bucket.items() if k.endswith(".json") and k != EARLIER))
    days = {i["instance_id"]: (i["calendar"].get("2026-11-10"), i["sizes"].get("2026-11-10"))
            for i in written["instances"]}
    assert days == {"r-keep01": ("done", None), "r-fine02": (None, 2 ** 30)}


def deep() -> bytes:
    return b'{"instances": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def many_small() -> bytes:
    return b'{"instances": [' + b"{}," * 10_000_000 + b"{}]}"  # 30 MB


def many_values() -> bytes:
    return b'{"instances": [' + b"0," * 700_000 + b"0]}"  # 1.4 MB, 700,000 values


def bomb() -> bytes:
    member = gzip.compress(b"\0" * (1 << 20))
    return member * 700  # 700 MB inflated, ~700 KB on the wire


@pytest.mark.parametrize("body, encoding, why", [
    (deep(), "", "not JSON"),
    (many_small(), "", "an answer over 24 MiB: not read"),
    (many_values(), "", "over 600,000 values"),
    (bomb(), "gzip", "an answer over 24 MiB: not read"),
    (b"[1, 2, 3]", "", "not a run's document (no list of instances)"),
    (b'{"instances": {"r-keep01": 1}}', "", "not a run's document (no list of instances)"),
    (b"\xff\xfe not utf-8", "", "not JSON"),
], ids=["100000-deep", "30MB-small-objects", "700000-values", "gzip-bomb-700MB", "a-list", "a-dict", "not-utf8"])
def test_an_unreadable_previous_run_costs_only_the_notes(report, body, encoding, why):
    run = report(FLEET, oss=seeded(body, encoding))
    posted_once_and_linked(run)
    note = f"previous run unreadable: {why}; what changed is not reported"
    assert note in run.dingtalk_text and note in run.slack_text, run.dingtalk_text
    assert run.result["changes"] == [] and run.result["archive"]["ok"] is True


def test_a_listing_with_keys_outside_the_prefix_is_not_read(report, monkeypatch):
    monkeypatch.setattr(OSSBucket, "list_everything", True, raising=False)
    bucket = seeded(document(GOOD), key=f"elsewhere/2026/11/27/daily/010000Z-{SCOPE}-planted.json")
    run = report(FLEET, oss=bucket)
    posted_once_and_linked(run)
    assert [r for r in run.sandbox.oss.requests if r[0] == "GET" and r[1] != "?list"] == []
    assert "previous run unreadable: the listing of redis-backup-report/2026/11/28/daily/ is not OSS's" \
           in run.slack_text


def test_a_listing_of_30000_keys_is_read_only_up_to_its_cap(report, monkeypatch):
    # 6 MB of XML: the cap (1 MiB) cuts it as it would 300,000 keys (the emulator builds all of it first).
    monkeypatch.setattr(OSSBucket, "list_everything", True, raising=False)
    bucket = {f"redis-backup-report/2026/11/28/daily/{n:06}Z-{SCOPE}-x.json": StoredObject(b"", "application/json")
              for n in range(30_000)}
    run = report(FLEET, oss=bucket)
    posted_once_and_linked(run)
    assert "previous run unreadable: an answer over 1 MiB: not read" in run.slack_text


def test_only_keys_of_the_exact_form_are_read(report):
    bucket = {f"redis-backup-report/2026/11/27/daily-other/010000Z-{SCOPE}-x.json": StoredObject(document(GOOD), "x"),
              "redis-backup-report/2026/11/27/daily.json": StoredObject(document(GOOD), "x"),
              "redis-backup-report/2026/11/27/daily/notarun.json": StoredObject(document(GOOD), "x"),
              "redis-backup-report/2026/11/27/daily/010000Z-0123abcd-another-scope.json": StoredObject(document(GOOD), "x")}
    run = report(FLEET, oss=bucket)
    posted_once_and_linked(run)
    assert run.result["archive"]["previous"] is None
    assert [r for r in run.sandbox.oss.requests if r[0] == "GET" and r[1] != "?list"] == []


def test_over_fc_retries_a_hostile_archive_never_makes_a_second_post(report):
    bucket = seeded(deep())
    runs = [report(FLEET, oss=bucket, request_id=f"attempt-{n}") for n in range(3)]
    for run in runs:
        assert run.error is None
        assert [len(m) for m in (run.dingtalk, run.slack, run.feishu, run.wecom)] == [1, 1, 1, 1]


def test_a_trigger_name_fc_would_not_give_is_a_settings_problem(report):
    run = report(FLEET, oss={}, event={"triggerTime": "2026-11-28T01:00:00Z", "triggerName": "team/a",
                                       "payload": "{}"})
    assert run.calls() == [] and run.sandbox.oss.requests == []
    assert run.result["settings"] == ["event triggerName 'team/a': FC's trigger names are 1-128 letters, digits, "
                                      "'_' and '-', not starting with a digit or '-'"]


def test_two_triggers_never_share_objects_and_a_linked_page_is_never_replaced(report):
    bucket: dict = {}
    event = {"triggerTime": "2026-11-28T01:00:00Z", "payload": "{}"}
    first = report(FLEET, oss=bucket, event={**event, "triggerName": "team_a"}, request_id="req-1")
    page = next(k for k in bucket if k.endswith(".html"))
    body = bucket[page].body
    report(fleet(instance("r-other1")), oss=bucket, event={**event, "triggerName": "team-a"}, request_id="req-2")
    again = report(fleet(instance("r-other2")), oss=bucket, event={**event, "triggerName": "team_a"},
                   request_id="req-3")
    assert bucket[page].body == body, "the page the first digest linked to is as it was"
    folders = sorted({k.rsplit("/", 2)[1] for k in bucket})
    assert folders == ["team-a", "team_a"] and len(bucket) == 9
    assert re.search(r"/team_a/[0-9]{6}Z-[0-9a-f]{8}-req-1\.html", first.slack_text)
    assert "no longer reported: r-keep01" in again.slack_text  # team_a's own earlier run, not team-a's


def test_drip_fed_archive_reads_leave_no_thread_behind_run_after_run(report, monkeypatch):
    monkeypatch.setattr(OSSBucket, "drip", 0.2, raising=False)  # no read timeout ends it
    for n in range(2):
        run = report(FLEET, oss={}, timeout=10, request_id=f"drip-{n}")
        assert run.error is None and len(run.dingtalk) == 1
    # Each OSS call ends within its whole deadline (connect + read: 2 s at this timeout), none starts after
    # the run's budget: every archive thread is gone within a few seconds of the run's end.
    deadline = time.monotonic() + 6
    while any(t.name == "archive" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [t.name for t in threading.enumerate() if t.name == "archive"] == []


def test_an_invoker_naming_the_timers_trigger_never_becomes_its_previous_run(report):
    bucket: dict = {}
    event = {"triggerName": "daily", "payload": "{}"}
    report(fleet(instance("r-keep01"), instance("r-gone01")), oss=bucket,
           event={**event, "triggerTime": "2026-11-27T01:00:00Z"}, anchor="2026-11-27T01:00:00Z", request_id="real-1")
    report(fleet(instance("r-keep01")), oss=bucket, anchor="2026-11-28T00:00:00Z", request_id="invoker",
           event={**event, "triggerTime": "2026-11-28T00:00:00Z", "payload": '{"instance_tags": "nobody=here"}'})
    run = report(fleet(instance("r-keep01")), oss=bucket, event={**event, "triggerTime": "2026-11-28T01:00:00Z"},
                 request_id="real-2")
    assert "real-1" in run.result["archive"]["previous"]
    assert "no longer reported: r-gone01" in run.slack_text and "newly reported" not in run.slack_text


def test_a_trigger_time_in_the_future_is_a_settings_problem(report):
    from datetime import datetime, timedelta, timezone
    later = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = report(FLEET, oss={}, event={"triggerTime": later, "payload": "{}"})
    assert run.calls() == [] and run.sandbox.oss.requests == []
    assert run.result["settings"][0].startswith(f"event triggerTime {later} is in the future")


def test_an_attempt_no_channel_took_is_not_remembered_so_fcs_retry_still_says_what_changed(report):
    bucket: dict = {}
    report(fleet(instance("r-keep01"), instance("r-gone01")), oss=bucket, anchor="2026-11-27T01:00:00Z",
           request_id="day-1")
    down = {"dingtalk": {"faults": [{"errcode": 310000}]}, "slack": {"faults": [{"status": 404, "error": "no_service"}]},
            "feishu": {"faults": [{"code": 19021}]}, "wecom": {"faults": [{"errcode": 93000}]}}
    failed = report(fleet(instance("r-keep01"), **down), oss=bucket, request_id="attempt-1")
    assert failed.error is not None and failed.result is None  # FC retries it
    # Its page was written before the posts (linked from no message that arrived); its record, which the next run
    # compares with, was not.
    assert [key.rsplit(".", 1)[-1] for key in bucket if "attempt-1" in key] == ["html"]
    retry = report(fleet(instance("r-keep01")), oss=bucket, request_id="attempt-2")
    assert "day-1" in retry.result["archive"]["previous"]
    assert "no longer reported: r-gone01" in retry.slack_text


@pytest.mark.parametrize("name", ["n" * 128, "数据库备份" * 25 + "数据库", "🗄️" * 60], ids=["ascii", "cjk", "emoji"])
def test_what_changed_never_crowds_a_failed_backup_out_of_any_channel(report, name):
    gone = [{**GOOD, "instance_id": f"r-gone{n:02}", "name": name} for n in range(40)]
    run = report(FLEET, oss=seeded(document(*gone)))
    assert [d["ok"] for d in run.result["deliveries"]] == [True] * 4, run.result["deliveries"]
    assert len(run.result["changes"]) == 42  # 40 gone, 2 new: every change is in the result
    for text in (run.dingtalk_text, run.slack_text, json.dumps(run.feishu, ensure_ascii=False),
                 run.wecom[0]["markdown"]["content"]):
        assert "r-fine02" in text, "the failed instance is in every channel's message"
        assert "more changes" in text or "more notes" in text


def test_ten_thousand_planted_entries_make_a_bounded_result(report):
    gone = [{**GOOD, "instance_id": f"r-gone{n:05}", "name": "x"} for n in range(10_000)]
    run = report(FLEET, oss=seeded(document(*gone)))
    posted_once_and_linked(run)
    assert len(run.result["changes"]) == 1001 and run.result["changes"][-1] == "…and 9002 more changes"
    assert len(json.dumps(run.result)) < 200_000
