"""Feishu / Lark and WeCom through the handler on the sandbox, mirroring test_delivery.py: a post
counts only when the service says so, is sent at most once when it may have landed, stays within
the service's limits, carries no forged markup, and one channel's failure costs only that channel.

The `report` fixture scans every run (messages, result, logs, exceptions) for the run's secrets,
the Feishu webhook's token, FEISHU_SECRET and the WeCom key included.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import Run, fleet, instance
from .test_delivery import delivery, timed

HEALTHY = (instance("r-fine01"), instance("r-fine02"))
CHANNELS = ("dingtalk", "slack", "feishu", "wecom")
FAILED = instance("r-failed01", latest={"status": "Failed"})


def others_delivered(run: Run, channel: str) -> None:
    for other in CHANNELS:
        if other != channel:
            assert delivery(run, other) == {"channel": other, "ok": True}, other
            assert len(getattr(run.sandbox, other).messages) == 1, other
    assert run.error is None, "other channels accepted: the run must not raise (FC's retry would post twice)"


def lark_md(card_message: dict) -> list[str]:
    """The lark_md texts of a posted card, in order."""
    return [e["text"]["content"] for e in card_message["card"]["elements"] if e["tag"] == "div"]


# --- success only when the service says so ---------------------------------------------------------

@pytest.mark.parametrize("channel,fault,says", [
    ("feishu", {"code": 19024}, "Feishu code 19024: the message has none of the bot's keywords (msg: Key Words Not Found)"),
    ("feishu", {"code": 19022}, "code 19022: this function's outbound IP is not in the bot's IP allow-list"),
    ("feishu", {"code": 19001}, "code 19001: the webhook's token is not valid"),
    ("feishu", {"code": 19021}, "code 19021: the signature does not match or its timestamp is over an hour off"),
    ("feishu", {"code": 11232}, "code 11232: rate limited: more than 100 messages a minute or 5 a second"),
    ("feishu", {"code": 9499}, "code 9499: Feishu could not read the message"),
    ("feishu", {"code": 0.9}, "code 0.9, not the integer 0: not accepted"),
    ("feishu", {"code": False}, "code false, not the integer 0"),
    ("feishu", {"code": "0"}, 'code "0", not the integer 0'),
    ("feishu", {"StatusCode": 19024}, "Feishu StatusCode 19024: the message has none of the bot's keywords"),
    ("feishu", {"kind": "body", "body": '{"code": 0, "StatusCode": 1}'}, "Feishu StatusCode 1: refused"),
    ("feishu", {"kind": "body", "body": '{"code": 1e400}'}, "code Infinity, not the integer 0"),
    ("feishu", {"kind": "body", "body": '{"msg": "success"}'}, "HTTP 200 with an answer that is not Feishu's JSON"),
    ("feishu", {"kind": "body", "status": 400, "body": '{"code": 9499, "msg": "Bad Request", "data": {}}'},
     "HTTP 400: Feishu code 9499: Feishu could not read the message"),
    ("feishu", {"kind": "redirect"}, "HTTP 302: a redirect, not followed"),
    ("feishu", {"kind": "html"}, "HTTP 200 with an answer that is not Feishu's JSON: <!DOCTYPE html>"),
    ("feishu", {"kind": "huge", "bytes": 50_000_000}, "not Feishu's JSON"),
    ("feishu", {"kind": "gzip_bomb", "bytes": 1 << 28}, "not Feishu's JSON"),
    ("wecom", {"errcode": 93000}, "WeCom errcode 93000: the webhook's key is not valid"),
    ("wecom", {"errcode": 45009}, "WeCom errcode 45009: rate limited: more than 20 messages a minute to this robot"),
    ("wecom", {"errcode": 40058}, "errcode 40058: the message is too long (markdown over 4,096 bytes) or malformed"),
    ("wecom", {"errcode": 0.9}, "errcode 0.9, not the integer 0: not accepted"),
    ("wecom", {"errcode": False}, "errcode false, not the integer 0"),
    ("wecom", {"errcode": "0"}, 'errcode "0", not the integer 0'),
    ("wecom", {"kind": "redirect", "status": 307}, "HTTP 307: a redirect, not followed"),
    ("wecom", {"kind": "html"}, "HTTP 200 with an answer that is not WeCom's JSON"),
    ("wecom", {"kind": "huge", "bytes": 50_000_000}, "not WeCom's JSON"),
    ("wecom", {"kind": "gzip_bomb", "bytes": 1 << 28}, "not WeCom's JSON"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 10 else None)
def test_an_answer_that_is_not_the_services_success_is_a_failed_delivery_posted_once(report, channel, fault, says):
    run = timed(report, fleet(*HEALTHY, **{channel: {"faults": [fault]}}), timeout=30)
    hit = getattr(run.sandbox, channel)
    assert hit.attempts == 1, "not retried, and no redirect followed"
    assert hit.messages == []
    failed = delivery(run, channel)
    assert failed["ok"] is False and says in failed["error"], failed
    others_delivered(run, channel)


@pytest.mark.parametrize("fault", [{"kind": "legacy"}, {"kind": "body", "body": '{"StatusCode": 0}'}],
                         ids=["legacy-accepted", "statuscode-only"])
def test_feishus_older_answer_with_statuscode_0_alone_is_success(report, fault):
    run = timed(report, fleet(*HEALTHY, feishu={"faults": [fault]}))
    assert delivery(run, "feishu") == {"channel": "feishu", "ok": True}
    assert run.sandbox.feishu.attempts == 1


@pytest.mark.parametrize("channel,busy", [("feishu", {"status": 503}), ("wecom", {"errcode": -1})],
                         ids=["feishu-503", "wecom-busy"])
def test_a_busy_service_is_retried_and_delivered_once(report, channel, busy):
    fault = {"kind": "body", "status": 503, "body": "upstream busy", "first": 1} if channel == "feishu" \
        else {**busy, "first": 1}
    run = timed(report, fleet(*HEALTHY, **{channel: {"faults": [fault]}}), timeout=60)
    hit = getattr(run.sandbox, channel)
    assert hit.attempts == 2 and len(hit.messages) == 1
    assert delivery(run, channel) == {"channel": channel, "ok": True}


# --- signing -------------------------------------------------------------------------------------

def test_feishu_posts_are_signed_and_a_wrong_secret_is_refused_with_19021_once(report):
    good = timed(report, fleet(*HEALTHY))
    posted = good.feishu[0]
    assert re.fullmatch(r"[0-9]{10}", posted["timestamp"]) and posted["sign"], "signed, timestamp in seconds"
    assert delivery(good, "feishu") == {"channel": "feishu", "ok": True}

    bad = timed(report, fleet(*HEALTHY), settings={"FEISHU_SECRET": "not-the-bots-secret"})
    failed = delivery(bad, "feishu")
    assert failed["ok"] is False and "Feishu code 19021" in failed["error"] and "check FEISHU_SECRET" in failed["error"]
    assert "sign match fail" in failed["error"]
    assert bad.sandbox.feishu.attempts == 1 and bad.feishu == []
    others_delivered(bad, "feishu")


def test_feishu_unsigned_bot_takes_unsigned_posts(report):
    run = timed(report, fleet(*HEALTHY, feishu={"secret": ""}), settings={"FEISHU_SECRET": None})
    assert delivery(run, "feishu") == {"channel": "feishu", "ok": True}
    assert "sign" not in run.feishu[0] and "timestamp" not in run.feishu[0]


def test_feishu_keywords_are_matched_by_the_card_and_a_missing_one_is_refused(report):
    kept = timed(report, fleet(*HEALTHY, feishu={"keywords": ["Redis backups"]}))
    assert delivery(kept, "feishu") == {"channel": "feishu", "ok": True}
    refused = timed(report, fleet(*HEALTHY, feishu={"keywords": ["部署通知"]}))
    assert "code 19024: the message has none of the bot's keywords" in delivery(refused, "feishu")["error"]


# --- sent once: a post that may have landed is never repeated --------------------------------------

@pytest.mark.parametrize("channel", ["feishu", "wecom"])
@pytest.mark.parametrize("kind", ["late", "drip"])
def test_an_accepted_post_answered_late_or_drip_fed_is_unknown_not_retried(report, channel, kind):
    run = timed(report, fleet(*HEALTHY, **{channel: {"faults": [{"kind": kind, "seconds": 30 if kind == "late" else 0.3}]}}),
                timeout=10)
    hit = getattr(run.sandbox, channel)
    assert hit.attempts == 1 and len(hit.messages) == 1, "accepted once, and never posted again"
    assert "unknown whether delivered, so not retried" in delivery(run, channel)["error"]
    others_delivered(run, channel)


@pytest.mark.parametrize("channel,says", [
    ("feishu", "Feishu code 19001: the webhook's token is not valid"),
    ("wecom", "(errmsg: invalid webhook url: POST /cgi-bin/webhook/send?key=***)"),
])
def test_an_error_text_that_repeats_the_webhook_url_keeps_its_token_out(report, channel, says):
    run = timed(report, fleet(*HEALTHY, **{channel: {"faults": [{"kind": "echo_url"}]}}))
    failed = delivery(run, channel)
    assert says in failed["error"] and "***" in failed["error"]
    # the fixture has scanned deliveries, the result, the logs and any exception for the tokens


# --- NOTIFY_ON, dry run, mentions ------------------------------------------------------------------

def test_notify_on_failure_skips_a_green_run_on_feishu_and_wecom_too(report):
    run = timed(report, fleet(*HEALTHY), settings={"NOTIFY_ON": "failure"})
    for channel in ("feishu", "wecom"):
        assert delivery(run, channel)["skipped"] and getattr(run.sandbox, channel).attempts == 0


def test_a_dry_run_renders_feishu_and_wecom_without_posting(report, monkeypatch):
    import index

    from backup_report import app
    monkeypatch.setattr(index, "run", lambda event, context: app.run(event, context, dry_run=True))
    run = timed(report, fleet(*HEALTHY, FAILED))
    messages = {d["channel"]: d for d in run.result["deliveries"]}
    assert messages["feishu"]["message"]["msg_type"] == "interactive"
    assert messages["feishu"]["message"]["card"]["header"]["template"] == "red"
    assert messages["wecom"]["message"]["msgtype"] == "markdown"
    assert run.sandbox.feishu.attempts == 0 and run.sandbox.wecom.attempts == 0


def test_wecom_mentions_userids_on_alerts_only(report):
    alert = timed(report, fleet(*HEALTHY, FAILED), settings={"WECOM_MENTION_USERIDS": "zhangsan,li.si"})
    content = alert.wecom[0]["markdown"]["content"]
    assert content.endswith("<@zhangsan> <@li.si>")
    green = timed(report, fleet(*HEALTHY), settings={"WECOM_MENTION_USERIDS": "zhangsan"})
    assert "<@" not in green.wecom[0]["markdown"]["content"]


def test_the_card_colour_follows_the_runs_status(report):
    assert timed(report, fleet(*HEALTHY)).feishu[0]["card"]["header"]["template"] == "green"
    assert timed(report, fleet(*HEALTHY, FAILED)).feishu[0]["card"]["header"]["template"] == "red"
    warned = timed(report, fleet())  # nothing matched the tags: a warning
    assert warned.result["status"] == "warning" and warned.feishu[0]["card"]["header"]["template"] == "orange"


# --- limits with a 500-problem fleet ---------------------------------------------------------------

def test_five_hundred_problems_stay_within_feishus_and_wecoms_limits_with_exact_counts(report):
    userids = [f"ops.engineer-{n:02d}@example-team.{'x' * 30}"[:64] for n in range(20)]
    problems = [instance(f"r-broken{n:03d}", latest={"status": "Failed"}, history={"days": 2, "at": "18:10"})
                for n in range(500)]
    run = timed(report, fleet(*problems), settings={"WECOM_MENTION_USERIDS": ",".join(userids)})

    card = run.feishu[0]
    assert len(json.dumps(card, ensure_ascii=False).encode("utf-8")) <= 20 * 1024
    assert card["card"]["header"]["title"]["content"].startswith("🔴 Redis backups: 500 need attention")
    shown = sum(text.count("\n- ") for text in lark_md(card))
    assert 0 < shown < 500 and any(f"…and {500 - shown} more" in text for text in lark_md(card))
    assert delivery(run, "feishu") == {"channel": "feishu", "ok": True}

    content = run.wecom[0]["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.startswith("## 🔴 Redis backups: 500 need attention")
    listed = content.count("\n- ")
    assert 0 < listed < 500 and f"…and {500 - listed} more" in content
    assert all(f"<@{u}>" in content for u in userids), "the most userids the settings accept all fit"
    assert delivery(run, "wecom") == {"channel": "wecom", "ok": True}


# --- nothing in a message is forged ---------------------------------------------------------------

def test_feishus_code_decides_whatever_the_http_status_and_its_rate_limit_is_never_retried(report):
    run = timed(report, fleet(*HEALTHY, FAILED, feishu={"faults": [
        {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]", "status": 429}]}))
    failed = delivery(run, "feishu")
    assert failed["error"] == ("HTTP 429: Feishu code 11232: rate limited: more than 100 messages a minute or 5 a "
                               "second to this bot (or Feishu was busy) (msg: frequency limited "
                               "psm[lark.oapi.app_platform_runtime]) (after 1 attempt)")
    assert run.sandbox.feishu.attempts == 1, "not retried: retrying adds to the load the limit is about"
    others_delivered(run, "feishu")
    # Feishu's code 0 is its word that the message was taken, whatever the status around it.
    run = timed(report, fleet(*HEALTHY, feishu={"faults": [{"code": 0, "msg": "success", "status": 500}]}))
    assert delivery(run, "feishu") == {"channel": "feishu", "ok": True} and run.sandbox.feishu.attempts == 1


def test_feishu_mentions_go_on_alerts_only(report):
    alert = timed(report, fleet(*HEALTHY, FAILED), settings={"FEISHU_MENTION": "ou_0123456789abcdef"})
    assert lark_md(alert.feishu[0])[0] == "<at id=ou_0123456789abcdef></at>"
    green = timed(report, fleet(*HEALTHY), settings={"FEISHU_MENTION": "all"})
    assert not any("<at" in text for text in lark_md(green.feishu[0]))


# --- one channel failing while the others post -----------------------------------------------------

@pytest.mark.parametrize("channel,fault", [
    ("feishu", {"code": 19021}), ("wecom", {"errcode": 45009}), ("feishu", {"kind": "reset"}),
    ("wecom", {"kind": "hang", "seconds": 600}),
], ids=["feishu-sign", "wecom-rate", "feishu-reset", "wecom-hang"])
def test_one_new_channel_failing_costs_only_itself(report, channel, fault):
    run = timed(report, fleet(*HEALTHY, FAILED, **{channel: {"faults": [fault]}}), timeout=15)
    assert delivery(run, channel)["ok"] is False
    others_delivered(run, channel)


def test_a_webhook_nobody_listens_on_is_retried_since_nothing_was_sent(report):
    import socket
    with socket.socket() as probe:  # bound, never listening: connections are refused, and no one else takes it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        run = timed(report, fleet(*HEALTHY), timeout=20,
                    settings={"WECOM_WEBHOOK": f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=closed-port-key"})
    failed = delivery(run, "wecom")
    assert "could not connect (refused)" in failed["error"] and re.search(r"after [2-4] attempts", failed["error"])
    others_delivered(run, "wecom")
