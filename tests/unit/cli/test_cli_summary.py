"""A run's exit status (run and invoke) and its summary, from result dicts shaped as app.run returns them."""
from __future__ import annotations

import json

import pytest

from backup_report.cli import FAILED, OK, display, run_status, summary


def result(**changes) -> dict:
    base = {
        "status": "ok",
        "window": {"start": "2026-11-27T01:00:00Z", "end": "2026-11-28T01:00:00Z"},
        "counts": {"failed": 0, "ok": 2},
        "instances": [{"instance_id": "r-1", "verdict": "ok"}, {"instance_id": "r-2", "verdict": "ok"}],
        "deliveries": [{"channel": "dingtalk", "ok": True}, {"channel": "slack", "ok": True}],
    }
    return {**base, **changes}


# --- the exit status ----------------------------------------------------------------------------

def test_everything_checked_and_taken_is_0():
    assert run_status(result()) == OK == 0


def test_a_channel_skipped_on_purpose_is_still_0():
    skipped = [{"channel": "dingtalk", "ok": True, "skipped": "NOTIFY_ON=failure: nothing failed"}]
    assert run_status(result(deliveries=skipped)) == OK
    assert run_status(result(deliveries=[])) == OK  # no channel to post to: nothing failed


@pytest.mark.parametrize("change", [
    {"unchecked_regions": [{"region": "cn-shanghai", "error": "Forbidden.RAM: no"}]},
    {"instances": [{"instance_id": "r-1", "verdict": "ok"}, {"instance_id": "r-2", "verdict": "error"}]},
    {"deliveries": [{"channel": "dingtalk", "ok": True}, {"channel": "slack", "ok": False, "error": "HTTP 404"}]},
])
def test_a_region_not_checked_an_instance_in_error_or_a_channel_failing_is_1(change):
    assert run_status(result(**change)) == FAILED == 1


def test_alert_verdicts_are_not_failures_of_the_run():
    failed = [{"instance_id": "r-1", "verdict": "failed"}, {"instance_id": "r-2", "verdict": "missing"}]
    assert run_status(result(status="alert", instances=failed)) == OK


def test_an_empty_unchecked_list_is_whole():
    assert run_status(result(unchecked_regions=[])) == OK


# --- the summary --------------------------------------------------------------------------------

def test_the_summary_says_status_window_counts_and_each_delivery():
    assert summary(result()).splitlines() == [
        "status: ok   window: 2026-11-27T01:00:00Z … 2026-11-28T01:00:00Z",
        "instances: 2 (ok 2)",
        "dingtalk: posted",
        "slack: posted"]


def test_the_summary_names_what_failed():
    text = summary(result(
        counts={"ok": 0}, instances=[],
        unchecked_regions=[{"region": "cn-shanghai", "error": "Forbidden.RAM: no"}],
        deliveries=[{"channel": "slack", "ok": False, "error": "HTTP 404"}, {"channel": "wecom", "ok": False}],
        heartbeat=[{"signal": "start", "ok": True}, {"signal": "fail", "ok": False, "error": "timed out"}]))
    assert text.splitlines()[1:] == [
        "instances: 0 (no instances)",
        "region not checked: cn-shanghai: Forbidden.RAM: no",
        "slack: FAILED: HTTP 404",
        "wecom: FAILED: ",
        "heartbeat start: pinged",
        "heartbeat fail: FAILED: timed out"]


def test_a_dry_run_s_summary_shows_each_message_first_as_its_readers_would():
    dingtalk = {"msgtype": "markdown", "markdown": {"title": "🔴 1 needs attention", "text": "#### 🔴 1 needs attention"},
                "at": {"atMobiles": ["13800000000"]}}
    text = summary(result(deliveries=[{"channel": "dingtalk", "ok": True, "skipped": "dry run: not posted",
                                       "message": dingtalk}]))
    box, rest = text.split("\n\n", 1)
    assert box == display.dry_run("dingtalk", dingtalk)
    assert box.splitlines()[1] == "│ DingTalk (markdown, as the group would see it; not posted)"
    assert "│ #### 🔴 1 needs attention" in box
    assert box.endswith("title (notification preview): 🔴 1 needs attention\n@ notifies: 13800000000")
    assert rest.splitlines()[-1] == "dingtalk: dry run: not posted"


# --- the display --------------------------------------------------------------------------------

def test_boxed_frames_every_line():
    assert display.boxed("T", "a\nb").splitlines() == ["┌" + "─" * 78, "│ T", "├" + "─" * 78, "│ a", "│ b",
                                                        "└" + "─" * 78]


def test_a_channel_without_a_renderer_shows_its_json_boxed():
    shown = display.dry_run("pager", {"text": "ä"})
    assert shown == display.boxed("pager", json.dumps({"text": "ä"}, indent=2, ensure_ascii=False))


def test_each_channel_s_box_says_it_was_not_posted():
    messages = {"dingtalk": {"msgtype": "markdown", "markdown": {"title": "t", "text": "x"}},
                "slack": {"text": "t", "blocks": [{"type": "header", "text": {"text": "H"}}]},
                "feishu": {"card": {"header": {"title": {"content": "H"}, "template": "red"}, "elements": []}},
                "wecom": {"msgtype": "markdown", "markdown": {"content": "x"}}}
    for channel, message in messages.items():
        assert "would see it; not posted)" in display.dry_run(channel, message).splitlines()[1], channel
    assert "fallback text (notifications): t" in display.dry_run("slack", messages["slack"])
    assert "H   [red header]" in display.dry_run("feishu", messages["feishu"])


def test_the_sandbox_s_names_are_the_package_s_renderers():
    import sandbox.demo

    for name in sandbox.demo.DISPLAY:
        assert getattr(sandbox.demo, name) is getattr(display, name)
