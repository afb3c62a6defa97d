"""channels/dingtalk.py called directly: the markdown message within 20,000 bytes, the @ list, the
signature, and the errcode table (status, body -> accepted / refusal text / retry). No socket."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from backup_report.channels import dingtalk
from backup_report.channels.base import body_bytes, code_span
from backup_report.channels.http import Refusal

from . import shown
from .channel_digests import answer, digest, hidden, shown_ids

MOBILE = "+86-1380000000000000"  # 20 characters, the longest settings.MOBILE accepts
TOKEN = "9f3c0e4b2a1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"


# --- render -------------------------------------------------------------------------------------------

def test_the_message_is_markdown_with_the_headline_the_list_and_the_footer():
    message = dingtalk.render(digest(2), ("13800000000",))
    assert set(message) == {"msgtype", "markdown", "at"} and message["msgtype"] == "markdown"
    assert message["markdown"]["title"] == "🔴 Redis backups: 2 need attention · 2 fine"
    lines = message["markdown"]["text"].split("\n\n")
    assert lines[0] == "#### 🔴 Redis backups: 2 need attention · 2 fine"
    assert lines[1] == "**❌ Backup failed (2)**"
    assert lines[2] == ("- [cache-00000](https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou/r-inst00000) "
                        "(r-inst00000, cn-hangzhou): the last backup failed at 18:10")
    assert lines[4] == "✅ 2 ok"
    assert lines[5].startswith("###### Backups from ") and lines[5].endswith(" · run req-0001")
    assert lines[6] == "@13800000000"  # DingTalk notifies only the mobiles that are also in the text
    assert message["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}


@pytest.mark.parametrize("status", ["warning", "ok"])
def test_nobody_is_mentioned_but_for_an_alert(status):
    message = dingtalk.render(digest(1 if status == "warning" else 0, status=status), ("13800000000",))
    assert message["at"] == {"atMobiles": [], "isAtAll": False}
    assert "@13800000000" not in message["markdown"]["text"]


@pytest.mark.parametrize("n", [300, 5000])
def test_a_long_list_stays_within_20000_bytes_with_every_instance_counted(n):
    message = dingtalk.render(digest(n, detail="x" * 600), tuple(f"{MOBILE[:-2]}{i:02d}" for i in range(100)))
    size = len(body_bytes(message))
    assert size <= dingtalk.BODY_BYTES_KEPT == 19_000 < dingtalk.MAX_BODY_BYTES == 20_000
    text = message["markdown"]["text"]
    shown = shown_ids(text)
    assert shown == [f"r-inst{i:05d}" for i in range(len(shown))]  # first ones first
    assert len(shown) + hidden(text) == n and hidden(text) > 0
    assert len(message["at"]["atMobiles"]) == 100  # the most the settings accept always fit


def test_the_mobiles_that_do_not_fit_are_counted():
    # more than the settings accept (100): the @ list is capped to MENTIONS_BYTES, the rest said
    mobiles = tuple(f"{MOBILE[:-3]}{i:03d}" for i in range(400))
    message = dingtalk.render(digest(3), mobiles)
    kept = message["at"]["atMobiles"]
    assert 0 < len(kept) < 400 and kept == list(mobiles[:len(kept)])
    assert f"(and {400 - len(kept)} more to notify: left out to stay within DingTalk's 20,000 bytes)" \
        in message["markdown"]["text"]
    assert len(body_bytes(message)) <= dingtalk.BODY_BYTES_KEPT


def test_outside_text_is_shown_exactly_in_a_code_span_and_forms_nothing():
    hostile = "**x** [y](https://evil.example) <font>@all</font> #h ~z~ `c` |t| !img \\"
    text = dingtalk.render(digest(1, detail=hostile))["markdown"]["text"]
    assert f": {code_span(hostile)}" in text
    seen = shown.dingtalk(dingtalk.render(digest(1, detail=hostile)))
    assert f"): {hostile}" in seen.text and seen.markup == [] and seen.mentions == []


def test_a_name_without_markup_reads_as_it_is():
    assert "(r-inst00000, cn-hangzhou): the last backup failed at 18:10" in \
        dingtalk.render(digest(1))["markdown"]["text"]


def test_notes_take_at_most_half_the_body_when_instances_are_listed():
    notes = tuple(f"note {i}: " + "n" * 500 for i in range(40))
    message = dingtalk.render(digest(400, detail="d" * 300, notes=notes))
    text = message["markdown"]["text"]
    assert "more notes (all are in the run's result and log)" in text
    assert len(shown_ids(text)) > 0 and len(body_bytes(message)) <= dingtalk.BODY_BYTES_KEPT


# --- signing -------------------------------------------------------------------------------------------

def test_the_signature_is_the_documented_hmac_of_timestamp_and_secret():
    secret, ts = "SEC0123456789abcdef", 1_700_000_000_000
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
    assert dingtalk.sign(secret, ts) == "TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D"
    assert parse_qs(f"s={dingtalk.sign(secret, ts)}")["s"] == [expected.decode()]


def test_the_url_is_signed_with_the_time_of_the_attempt_only_when_a_secret_is_set():
    webhook = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
    assert dingtalk.signed_url(webhook, "", clock=lambda: 1.0) == webhook
    url = dingtalk.signed_url(webhook, "SECx", clock=lambda: 1_700_000_000.5)
    query = parse_qs(urlsplit(url).query)
    assert query["timestamp"] == ["1700000000500"] and query["access_token"] == [TOKEN]
    assert url == f"{webhook}&timestamp=1700000000500&sign={dingtalk.sign('SECx', 1_700_000_000_500)}"


# --- answers -------------------------------------------------------------------------------------------

def errcode(code, errmsg="") -> dict:
    return {"errcode": code, "errmsg": errmsg}


SECURITY = "DingTalk errcode 310000: refused by the robot's security settings: "


@pytest.mark.parametrize("status,body,refusal", [
    (200, errcode(0, "ok"), None),
    (200, {"errcode": 0}, None),
    (200, errcode(-1, "系统繁忙"), Refusal("DingTalk errcode -1: DingTalk is busy (系统繁忙) (errmsg: 系统繁忙)", retry=True)),
    (200, errcode(130101, "send too fast, exceed 20 times per minute"),
     Refusal("DingTalk errcode 130101: rate limited: more than 20 messages a minute to this robot; DingTalk blocks it "
             "for 10 minutes (errmsg: send too fast, exceed 20 times per minute)")),
    (200, errcode(300001, "token is not exist"),
     Refusal("DingTalk errcode 300001: the robot's access_token is not valid (errmsg: token is not exist)")),
    (200, errcode(300005, "token is not exist"),
     Refusal("DingTalk errcode 300005: the robot's access_token is not valid (errmsg: token is not exist)")),
    (200, errcode(400013, "群已被解散"),
     Refusal("DingTalk errcode 400013: the robot is disabled or its group was dissolved (errmsg: 群已被解散)")),
    (200, errcode(460101, "message too long, exceed 20000 bytes"),
     Refusal("DingTalk errcode 460101: the message is too long (over 20,000 bytes) (errmsg: message too long, exceed "
             "20000 bytes)")),
    (200, errcode(310000, "keywords not in content"),
     Refusal(SECURITY + "the message has none of the robot's keywords (errmsg: keywords not in content)")),
    (200, errcode(310000, "sign not match"),
     Refusal(SECURITY + "the signature does not match: check DINGTALK_SECRET (errmsg: sign not match)")),
    (200, errcode(310000, "invalid timestamp"),
     Refusal(SECURITY + "the signature's timestamp was refused: check the clock, or DINGTALK_SECRET "
                        "(errmsg: invalid timestamp)")),
    (200, errcode(310000, "ip 1.2.3.4 not in whitelist"),
     Refusal(SECURITY + "this function's outbound IP is not in the robot's IP allow-list "
                        "(errmsg: ip 1.2.3.4 not in whitelist)")),
    (200, errcode(310000, "ip 不在白名单中"),
     Refusal(SECURITY + "this function's outbound IP is not in the robot's IP allow-list (errmsg: ip 不在白名单中)")),
    (200, errcode(310000, "Keywords Not In Content"),  # matched whatever the case
     Refusal(SECURITY + "the message has none of the robot's keywords (errmsg: Keywords Not In Content)")),
    (200, errcode(310000), Refusal(SECURITY + "keyword, signature or IP allow-list")),
    (200, errcode(123456, "new"), Refusal("DingTalk errcode 123456: refused (errmsg: new)")),
    # only the integer 0 is success
    (200, errcode(0.9, "ok"), Refusal("HTTP 200 with errcode 0.9, not the integer 0: not accepted (errmsg: ok)")),
    (200, errcode(False, "ok"), Refusal("HTTP 200 with errcode false, not the integer 0: not accepted (errmsg: ok)")),
    (200, errcode("0", "ok"), Refusal('HTTP 200 with errcode "0", not the integer 0: not accepted (errmsg: ok)')),
    (200, errcode(None), Refusal("HTTP 200 with errcode null, not the integer 0: not accepted")),
    # not DingTalk's JSON
    (200, b"", Refusal("HTTP 200 with an answer that is not DingTalk's JSON")),
    (200, b"ok", Refusal("HTTP 200 with an answer that is not DingTalk's JSON: ok")),
    (200, {"errmsg": "ok"}, Refusal("HTTP 200 with an answer that is not DingTalk's JSON: {\"errmsg\": \"ok\"}")),
    (200, [0], Refusal("HTTP 200 with an answer that is not DingTalk's JSON: [0]")),
    (200, b"<html>\n<body>busy</body>", Refusal("HTTP 200 with an answer that is not DingTalk's JSON: "
                                                 "<html> <body>busy</body>")),
    # HTTP
    (302, b"", Refusal("HTTP 302: a redirect, not followed; DingTalk answers so while it blocks a robot that sent "
                       "too fast: likely rate limited")),
    (429, b"slow down", Refusal("HTTP 429: slow down", retry=True)),
    (500, b"", Refusal("HTTP 500", retry=True)),
    (503, errcode(0, "ok"), Refusal('HTTP 503: {"errcode": 0, "errmsg": "ok"}', retry=True)),
    (404, b"not found", Refusal("HTTP 404: not found")),
])
def test_read_answer(status, body, refusal):
    assert dingtalk.read_answer(answer(status, body)) == refusal


@pytest.mark.parametrize("body", [b'{"errcode": ' + b"1" * 5000 + b"}", b"[" * 100_000])
def test_an_answer_the_parser_cannot_take_is_not_dingtalks_json(body):
    refusal = dingtalk.read_answer(answer(200, body))
    assert refusal is not None and refusal.error.startswith("HTTP 200 with an answer that is not DingTalk's JSON: ")
    assert len(refusal.error) <= len("HTTP 200 with an answer that is not DingTalk's JSON: ") + 200


def test_an_answer_is_scrubbed_of_the_channels_secrets():
    said = errcode(300001, f"token {TOKEN} is not exist: POST /robot/send?access_token={TOKEN}&x=1")
    refusal = dingtalk.read_answer(answer(200, said), (TOKEN,))
    assert refusal == Refusal("DingTalk errcode 300001: the robot's access_token is not valid "
                              "(errmsg: token *** is not exist: POST /robot/send?access_token=***&x=1)")
    # a token-shaped URL part goes even when it is not this channel's
    refusal = dingtalk.read_answer(answer(404, "no route POST /robot/send?access_token=other"))
    assert refusal == Refusal("HTTP 404: no route POST /robot/send?access_token=***")


def test_the_body_counted_is_the_utf8_json_posted():
    message = dingtalk.render(digest(1, headline="🔴 备份"))
    assert body_bytes(message) == json.dumps(message, ensure_ascii=False).encode("utf-8")
