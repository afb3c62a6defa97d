"""Delivery truth, through the handler on the sandbox: a post counts only when the service says so,
is sent at most once when it may have landed, ends in time, and nothing in it is forged.

Each test stages one behaviour of a webhook (or of what sits in front of it) and asserts how many
POSTs each channel received, what it recorded, the result's `deliveries`, and that the run returned
before FC's timeout (the `report` fixture also scans every run for the secrets it used).
"""
from __future__ import annotations

import json
import re
import socket
import socketserver
import threading
import time
import tracemalloc

import pytest

from conftest import Run, fleet, instance

HEALTHY = (instance("r-fine01"), instance("r-fine02"))


def delivery(run: Run, channel: str) -> dict:
    return next(d for d in run.result["deliveries"] if d["channel"] == channel)


def timed(report, scenario, timeout: int = 300, **kwargs) -> Run:
    """A run whose handler must return before the FC context's timeout."""
    started = time.monotonic()
    outcome = report(scenario, timeout=timeout, **kwargs)
    assert time.monotonic() - started < timeout, "the run outlived FC's timeout"
    return outcome


def other_delivered(run: Run, channel: str) -> None:
    other = "slack" if channel == "dingtalk" else "dingtalk"
    assert delivery(run, other) == {"channel": other, "ok": True}
    assert len(getattr(run.sandbox, other).messages) == 1
    assert run.error is None, "one channel accepted: the run must not raise (FC's retry would post twice)"


# --- success only when the service says so ---------------------------------------------------------

@pytest.mark.parametrize("channel,fault,says", [
    ("slack", {"kind": "redirect"}, "HTTP 302: a redirect, not followed"),
    ("slack", {"kind": "redirect", "status": 307}, "HTTP 307: a redirect, not followed"),
    ("slack", {"kind": "html"}, "HTTP 200 but not Slack's `ok`: an HTML page"),
    ("slack", {"status": 200, "error": "not ok"}, "HTTP 200 but not Slack's `ok`: not ok"),
    ("dingtalk", {"kind": "redirect"}, "HTTP 302: a redirect, not followed; DingTalk answers so while it blocks"),
    ("dingtalk", {"kind": "blocked"}, "likely rate limited"),
    ("dingtalk", {"kind": "html"}, "HTTP 200 with an answer that is not DingTalk's JSON"),
    ("dingtalk", {"errcode": 0.9}, "errcode 0.9, not the integer 0: not accepted"),
    ("dingtalk", {"errcode": False}, "errcode false, not the integer 0"),
    ("dingtalk", {"errcode": "0"}, 'errcode "0", not the integer 0'),
    ("dingtalk", {"kind": "body", "body": '{"errcode": 1e400, "errmsg": "ok"}'}, "errcode Infinity, not the integer 0"),
    ("dingtalk", {"kind": "body", "body": '{"errcode": ' + "[" * 20_000 + "]" * 20_000 + "}"},
     "not DingTalk's JSON"),
], ids=["slack-302", "slack-307", "slack-html", "slack-not-ok", "dingtalk-302", "dingtalk-blocked",
        "dingtalk-html", "errcode-0.9", "errcode-false", "errcode-string", "errcode-1e400", "deep-nesting"])
def test_an_answer_that_is_not_the_services_success_is_a_failed_delivery_posted_once(report, channel, fault, says):
    run = timed(report, fleet(*HEALTHY, **{channel: {"faults": [fault]}}))
    assert getattr(run.sandbox, channel).attempts == 1, "not retried, and no redirect followed"
    assert getattr(run.sandbox, channel).messages == []
    failed = delivery(run, channel)
    assert failed["ok"] is False and says in failed["error"], failed
    other_delivered(run, channel)


def test_dingtalk_blocked_after_a_burst_says_rate_limited_and_slack_still_delivers(report):
    run = timed(report, fleet(*HEALTHY, dingtalk={"faults": [{"kind": "blocked"}]}))
    assert run.sandbox.dingtalk.blocked_until > time.time(), "the robot is in its 10-minute block"
    assert "HTTP 302" in delivery(run, "dingtalk")["error"]


@pytest.mark.parametrize("errmsg,check", [
    ("keywords not in content", "none of the robot's keywords"),
    ("sign not match", "signature does not match: check DINGTALK_SECRET"),
    ("invalid timestamp", "timestamp was refused"),
    ("ip 203.0.113.9 not in whitelist", "IP allow-list"),
    ("description:ip 不在白名单中;solution:请联系对应群的管理员，设置机器人安全ip地址段", "IP allow-list"),
])
def test_dingtalk_310000_says_which_security_check_failed(report, errmsg, check):
    run = timed(report, fleet(*HEALTHY, dingtalk={"faults": [{"errcode": 310000, "errmsg": errmsg}]}))
    failed = delivery(run, "dingtalk")
    assert "errcode 310000" in failed["error"] and check in failed["error"] and errmsg in failed["error"]
    assert run.sandbox.dingtalk.attempts == 1
    other_delivered(run, "dingtalk")


def test_dingtalk_busy_is_retried_and_delivered_once(report):
    run = timed(report, fleet(*HEALTHY, dingtalk={"faults": [{"errcode": -1, "first": 1}]}))
    assert run.sandbox.dingtalk.attempts == 2 and len(run.sandbox.dingtalk.messages) == 1
    assert delivery(run, "dingtalk") == {"channel": "dingtalk", "ok": True}


# --- sent once: a post that may have landed is never repeated --------------------------------------

@pytest.mark.parametrize("channel", ["dingtalk", "slack"])
@pytest.mark.parametrize("kind", ["late", "drip"])
def test_an_accepted_post_answered_late_or_drip_fed_is_unknown_not_retried_and_the_run_ends_in_time(
        report, channel, kind):
    run = timed(report, fleet(*HEALTHY, **{channel: {"faults": [{"kind": kind, "seconds": 30 if kind == "late" else 0.3}]}}),
                timeout=10)
    hit = getattr(run.sandbox, channel)
    assert hit.attempts == 1 and len(hit.messages) == 1, "accepted once, and never posted again"
    failed = delivery(run, channel)
    assert failed["ok"] is False
    assert "no complete answer within 1 s: unknown whether delivered, so not retried" in failed["error"]
    other_delivered(run, channel)


def test_every_channel_drip_feeding_still_ends_before_the_timeout_and_fc_is_not_made_to_post_again(report):
    drip = {"faults": [{"kind": "drip", "seconds": 0.5}]}
    run = timed(report, fleet(*HEALTHY, dingtalk=drip, slack=drip, feishu=drip, wecom=drip), timeout=10)
    assert run.error is None, "each post may have landed: raising would make FC's retry post it twice"
    assert all("unknown whether delivered" in d["error"] and d["maybe_delivered"] for d in run.result["deliveries"])
    assert [getattr(run.sandbox, c).attempts for c in ("dingtalk", "slack", "feishu", "wecom")] == [1, 1, 1, 1]


def test_a_webhook_nobody_listens_on_is_retried_since_nothing_was_sent(report):
    with socket.socket() as probe:  # bound, never listening: connections are refused, and no one else takes it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        run = timed(report, fleet(*HEALTHY), timeout=20,
                    settings={"DINGTALK_WEBHOOK": f"http://127.0.0.1:{port}/robot/send?access_token=closed-port-token"})
    failed = delivery(run, "dingtalk")
    assert failed["ok"] is False and "could not connect (refused)" in failed["error"]
    assert re.search(r"after [2-4] attempts", failed["error"]), "a post that never left is retried"
    other_delivered(run, "dingtalk")


def test_a_webhook_whose_tls_handshake_fails_is_retried_since_the_post_never_left(report):
    # A plain HTTP server behind an https URL: the TLS handshake fails before any byte of the post
    # is sent (requests raises the same SSLError for a TLS failure while reading an answer).
    seen: list[bytes] = []

    class Plain(socketserver.BaseRequestHandler):
        def handle(self):
            seen.append(self.request.recv(4096))
            self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Plain) as plain:
        threading.Thread(target=plain.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        url = f"https://127.0.0.1:{plain.server_address[1]}/robot/send?access_token=plain-http-token"
        run = timed(report, fleet(*HEALTHY), timeout=20, settings={"DINGTALK_WEBHOOK": url})
        plain.shutdown()
    failed = delivery(run, "dingtalk")
    assert failed["ok"] is False and "could not connect (TLS failed)" in failed["error"]
    assert re.search(r"after [2-4] attempts", failed["error"]), "a post that never left is retried"
    assert seen and all(b"plain-http-token" not in hello and b"POST" not in hello for hello in seen)
    other_delivered(run, "dingtalk")


# --- Slack's rate limit ---------------------------------------------------------------------------

def test_a_slack_retry_after_longer_than_the_budget_gives_up_at_once_and_says_for_how_long(report):
    run = timed(report, fleet(*HEALTHY, slack={"faults": [{"status": 429, "retry_after": 120}]}), timeout=30)
    assert run.sandbox.slack.attempts == 1
    assert delivery(run, "slack")["error"] == "rate limited for 120 s (HTTP 429) (after 1 attempt)"
    other_delivered(run, "slack")


# --- answers read with a cap ----------------------------------------------------------------------

@pytest.mark.parametrize("channel,fault,says", [
    ("slack", {"kind": "huge", "bytes": 400_000_000}, "HTTP 200 but not Slack's `ok`"),
    ("dingtalk", {"kind": "huge", "bytes": 400_000_000}, "not DingTalk's JSON"),
    ("dingtalk", {"kind": "gzip_bomb", "bytes": 1 << 30}, "not DingTalk's JSON"),
    ("slack", {"kind": "gzip_bomb", "bytes": 1 << 30}, "HTTP 200 but not Slack's `ok`"),
    # requests reads a 3xx body whole to find the next hop, even with allow_redirects=False
    ("slack", {"kind": "redirect", "bytes": 400_000_000}, "HTTP 302: a redirect, not followed"),
], ids=["slack-400MB", "dingtalk-400MB", "dingtalk-gzip-1GB", "slack-gzip-1GB", "slack-302-400MB"])
def test_a_huge_or_compressed_answer_is_read_only_up_to_its_cap_and_is_a_failed_delivery(report, channel, fault, says):
    tracemalloc.start()
    try:
        run = timed(report, fleet(*HEALTHY, **{channel: {"faults": [fault]}}), timeout=30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"the run held {peak / 2**20:.0f} MiB at its peak: the answer was not capped"
    assert getattr(run.sandbox, channel).attempts == 1
    assert says in delivery(run, channel)["error"]
    other_delivered(run, channel)


# --- error texts that repeat the URL ----------------------------------------------------------------

@pytest.mark.parametrize("channel,says", [
    ("slack", "HTTP 404: no route POST /services/***"),
    ("dingtalk", "DingTalk errcode 300001: the robot's access_token is not valid (errmsg: token is not exist: POST "
                 "/robot/send?access_token=***"),
])
def test_an_error_text_that_repeats_the_webhook_url_reaches_no_delivery_and_no_exception_with_its_token(
        report, channel, says):
    run = timed(report, fleet(*HEALTHY, **{channel: {"faults": [{"kind": "echo_url"}]}}))
    assert says in delivery(run, channel)["error"]
    # the fixture has scanned deliveries, the result, the logs and any exception for the tokens


def test_every_channel_echoing_its_url_raises_a_delivery_error_without_any_token(report):
    echo = {"faults": [{"kind": "echo_url"}]}
    run = timed(report, fleet(*HEALTHY, dingtalk=echo, slack=echo, feishu=echo, wecom=echo))
    assert run.error is not None and "***" in str(run.error)


# --- nothing in a message is forged ---------------------------------------------------------------



def test_a_lone_surrogate_in_a_name_is_replaced_and_the_digest_still_goes_out(report):
    run = timed(report, fleet(instance("r-surrogate", name="bad\ud800name", latest={"status": "Failed"})))
    assert "bad\ufffdname" in run.dingtalk_text and "bad\ufffdname" in run.slack_text
    assert "bad\ufffdname" in json.dumps(run.sandbox.feishu.messages, ensure_ascii=False)
    assert "bad\ufffdname" in run.sandbox.wecom.messages[0]["markdown"]["content"]
    assert [d["ok"] for d in run.result["deliveries"]] == [True, True, True, True]


def test_an_unchecked_region_is_its_own_group_first_among_the_alerts_in_both_channels(report):
    run = timed(report, fleet(instance("r-failed", latest={"status": "Failed"}),
                              instance("r-sh", region="cn-shanghai"),
                              faults=[{"kind": "forbidden", "region": "cn-shanghai", "action": "DescribeInstances"}]),
                settings={"REGIONS": "cn-hangzhou,cn-shanghai"})
    ding = run.dingtalk_text
    assert ding.index("**⛔ Regions not checked (1)**") < ding.index("- region cn-shanghai not checked") \
        < ding.index("Backup failed (1)")
    slack = run.slack_text
    assert slack.index("*⛔ Regions not checked (1)*") < slack.index("• region cn-shanghai not checked") \
        < slack.index("Backup failed (1)")


def test_the_most_mobiles_the_settings_accept_are_all_notified_and_the_body_stays_under_20000_bytes(report):
    # settings.MAX_AT_MOBILES (100) of the longest form the settings accept (21 characters).
    mobiles = [f"+86-1380000{n:04d}-000"[:21] for n in range(100)]
    problems = [instance(f"r-broken{n:03d}", latest={"status": "Failed"}, history={"days": 2, "at": "18:10"})
                for n in range(500)]
    run = timed(report, fleet(*problems), settings={"DINGTALK_AT_MOBILES": ",".join(mobiles)})
    message = run.dingtalk[0]
    assert len(json.dumps(message, ensure_ascii=False).encode("utf-8")) <= 20_000
    assert message["at"]["atMobiles"] == mobiles
    text = message["markdown"]["text"]
    assert all(f"@{m}" in text for m in mobiles), "DingTalk notifies only mobiles that are also in the text"
    assert "more to notify" not in text
    shown = text.count("\n\n- ")
    assert 0 < shown < 500 and f"…and {500 - shown} more" in text
    assert delivery(run, "dingtalk") == {"channel": "dingtalk", "ok": True}

