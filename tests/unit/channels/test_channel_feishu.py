"""channels/feishu.py called directly: the interactive card within 19,000 bytes, the body signature,
and Feishu's answers (`code` and the older `StatusCode`; status, body -> accepted / refusal text /
retry). No socket."""
from __future__ import annotations

import base64
import hashlib
import html
import hmac

import pytest

from backup_report.channels import feishu
from backup_report.channels.base import body_bytes
from backup_report.channels.http import Refusal
from backup_report.model import Kind

from .channel_digests import answer, digest, hidden, shown_ids

TOKEN = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


def content(message: dict) -> str:
    return "\n".join(e["text"]["content"] for e in message["card"]["elements"] if e["tag"] == "div")


# --- render -------------------------------------------------------------------------------------------

def test_the_card_has_the_headline_in_the_runs_colour_a_block_per_group_and_a_note():
    message = feishu.render(digest(2))
    assert set(message) == {"msg_type", "card"} and message["msg_type"] == "interactive"
    card = message["card"]
    assert card["config"] == {"wide_screen_mode": True}
    assert card["header"] == {"title": {"tag": "plain_text", "content": "🔴 Redis backups: 2 need attention · 2 fine"},
                              "template": "red"}
    tags = [e["tag"] for e in card["elements"]]
    assert tags == ["div", "div", "hr", "note"]
    assert card["elements"][0]["text"]["tag"] == "lark_md"
    assert card["elements"][0]["text"]["content"].split("\n")[:2] == [
        "**❌ Backup failed (2)**",
        "- [cache-00000](https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou/r-inst00000) (r-inst00000, "
        "cn-hangzhou): the last backup failed at 18:10"]
    assert card["elements"][-1]["elements"][0]["content"].endswith(" · run req-0001")


@pytest.mark.parametrize("status,kind,template", [("alert", Kind.FAILED, "red"), ("warning", Kind.RUNNING, "orange"),
                                                  ("ok", Kind.FAILED, "green")])
def test_the_header_colour_is_the_runs_status(status, kind, template):
    assert feishu.render(digest(0 if status == "ok" else 1, status=status, kind=kind))["card"]["header"]["template"] \
        == template


@pytest.mark.parametrize("n,detail", [(200, "x" * 600), (5000, "y" * 30)])
def test_a_long_list_stays_within_19000_bytes_with_every_instance_counted(n, detail):
    message = feishu.render(digest(n, detail=detail))
    assert len(body_bytes(message)) <= feishu.BODY_BYTES_KEPT == 19_000 < feishu.MAX_BODY_BYTES == 20 * 1024
    # signed, it still fits: timestamp and sign add ~70 bytes
    assert len(body_bytes(feishu.signed(message, "s" * 64, clock=lambda: 1_700_000_000))) < 19_100
    text = content(message)
    shown = shown_ids(text)
    assert shown == [f"r-inst{i:05d}" for i in range(len(shown))] and len(shown) + hidden(text) == n > len(shown)


def test_outside_text_is_shown_exactly_with_the_documented_entities_and_forms_nothing():
    hostile = '<at id=all></at> **b** [l](https://evil.example) &amp; <font color="red">r</font> :OK: a_b~c`d\\'
    text = content(feishu.render(digest(1, detail=hostile)))
    escaped = ("&#60;at id=all&#62;&#60;/at&#62; &#42;&#42;b&#42;&#42; &#91;l&#93;(https&#58;//evil.example) &#38;amp; "
               '&#60;font color="red"&#62;r&#60;/font&#62; &#58;OK&#58; a&#95;b&#126;c&#96;d&#92;')
    assert escaped in text and html.unescape(escaped) == hostile


def test_mentions_are_at_tags_on_alerts_only():
    alert = content(feishu.render(digest(1), ("ou_0123456789abcdef", "ou_fedcba9876543210")))
    assert alert.startswith("<at id=ou_0123456789abcdef></at> <at id=ou_fedcba9876543210></at>\n")
    assert content(feishu.render(digest(1), ("all",))).startswith("<at id=all></at>\n")
    warning = content(feishu.render(digest(1, status="warning", kind=Kind.RUNNING), ("all",)))
    assert "<at" not in warning


# --- signing -------------------------------------------------------------------------------------------

def test_the_signature_is_the_documented_hmac_keyed_by_timestamp_and_secret():
    secret, ts = "feishu-secret", 1_700_000_000
    expected = base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    assert feishu.sign(secret, ts) == expected == "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="


def test_the_body_is_signed_with_seconds_as_a_string_only_when_a_secret_is_set():
    message = {"msg_type": "interactive", "card": {}}
    assert feishu.signed(message, "", clock=lambda: 1.0) is message
    signed = feishu.signed(message, "feishu-secret", clock=lambda: 1_700_000_000.9)
    assert signed == {"timestamp": "1700000000", "sign": feishu.sign("feishu-secret", 1_700_000_000), **message}
    assert list(signed)[:2] == ["timestamp", "sign"]


# --- answers -------------------------------------------------------------------------------------------

def coded(code, msg="") -> dict:
    return {"code": code, "msg": msg, "data": {}}


@pytest.mark.parametrize("status,body,refusal", [
    (200, coded(0, "success"), None),
    (200, {"StatusCode": 0, "StatusMessage": "success"}, None),
    (200, {"code": 0, "StatusCode": 0, "msg": "success"}, None),
    (200, coded(19021, "sign match fail or timestamp is not within one hour from current time"),
     Refusal("HTTP 200 Feishu code 19021: the signature does not match or its timestamp is over an hour off: check "
             "FEISHU_SECRET and the clock (msg: sign match fail or timestamp is not within one hour from current "
             "time)")),
    (200, coded(19024, "Key Words Not Found"),
     Refusal("HTTP 200 Feishu code 19024: the message has none of the bot's keywords (msg: Key Words Not Found)")),
    (200, coded(19022, "Ip Not Allowed"),
     Refusal("HTTP 200 Feishu code 19022: this function's outbound IP is not in the bot's IP allow-list "
             "(msg: Ip Not Allowed)")),
    (200, coded(19001, "param invalid: incoming webhook access token invalid"),
     Refusal("HTTP 200 Feishu code 19001: the webhook's token is not valid (the bot was removed, or the URL is "
             "wrong) (msg: param invalid: incoming webhook access token invalid)")),
    (200, coded(11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"),
     Refusal("HTTP 200 Feishu code 11232: rate limited: more than 100 messages a minute or 5 a second to this bot "
             "(or Feishu was busy) (msg: frequency limited psm[lark.oapi.app_platform_runtime]appID[1])")),
    (200, coded(9499, "Bad Request"),
     Refusal("HTTP 200 Feishu code 9499: Feishu could not read the message (Bad Request: malformed, or over 20 KB) "
             "(msg: Bad Request)")),
    (200, coded(1234), Refusal("HTTP 200 Feishu code 1234: refused")),
    (200, {"StatusCode": 19024, "StatusMessage": "Key Words Not Found"},
     Refusal("HTTP 200 Feishu StatusCode 19024: the message has none of the bot's keywords (msg: Key Words Not Found)")),
    # both are read: every one present must be the integer 0
    (200, {"code": 0, "StatusCode": 7, "msg": "odd"}, Refusal("HTTP 200 Feishu StatusCode 7: refused (msg: odd)")),
    (200, {"code": False, "msg": "success"},
     Refusal("HTTP 200 code false, not the integer 0: not accepted (msg: success)")),
    (200, {"code": "0"}, Refusal('HTTP 200 code "0", not the integer 0: not accepted')),
    (200, {"code": 0.0, "StatusCode": 0}, Refusal("HTTP 200 code 0.0, not the integer 0: not accepted")),
    # not Feishu's JSON
    (200, b"", Refusal("HTTP 200 with an answer that is not Feishu's JSON")),
    (200, b"ok", Refusal("HTTP 200 with an answer that is not Feishu's JSON: ok")),
    (200, {"msg": "success"}, Refusal('HTTP 200 with an answer that is not Feishu\'s JSON: {"msg": "success"}')),
    (200, [0], Refusal("HTTP 200 with an answer that is not Feishu's JSON: [0]")),
    # HTTP
    (302, b"", Refusal("HTTP 302: a redirect, not followed (a login page or a proxy, not Feishu's answer)")),
    (400, coded(9499, "Bad Request"),
     Refusal("HTTP 400: Feishu code 9499: Feishu could not read the message (Bad Request: malformed, or over 20 KB) "
             "(msg: Bad Request)")),
    # Feishu's code decides whatever the status: its 0 is delivered, its 11232 is never retried
    (400, {"code": 0}, None),
    (500, {"code": 0, "msg": "success"}, None),
    (429, coded(11232, "frequency limited"),
     Refusal("HTTP 429: Feishu code 11232: rate limited: more than 100 messages a minute or 5 a second to this bot "
             "(or Feishu was busy) (msg: frequency limited)")),
    (400, b"Bad Request", Refusal("HTTP 400: Bad Request")),
    (429, b"", Refusal("HTTP 429", retry=True)),
    (500, b"oops", Refusal("HTTP 500: oops", retry=True)),
    (503, coded(11232, "frequency limited"),
     Refusal("HTTP 503: Feishu code 11232: rate limited: more than 100 messages a minute or 5 a second to this bot "
             "(or Feishu was busy) (msg: frequency limited)")),
    (502, coded(77777, "new"), Refusal("HTTP 502: Feishu code 77777: refused (msg: new)")),
])
def test_read_answer(status, body, refusal):
    assert feishu.read_answer(answer(status, body)) == refusal


@pytest.mark.parametrize("body", [b'{"code": ' + b"1" * 5000 + b"}", b"[" * 100_000])
def test_an_answer_the_parser_cannot_take_is_not_feishus_json(body):
    refusal = feishu.read_answer(answer(200, body))
    assert refusal is not None and refusal.error.startswith("HTTP 200 with an answer that is not Feishu's JSON: ")


def test_an_answer_is_scrubbed_of_the_channels_secrets():
    hook = f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}"
    refusal = feishu.read_answer(answer(200, coded(19001, f"token {TOKEN} invalid for /bot/v2/hook/{TOKEN}")),
                                 (hook, TOKEN))
    assert refusal == Refusal("HTTP 200 Feishu code 19001: the webhook's token is not valid (the bot was removed, or "
                              "the URL is wrong) (msg: token *** invalid for /bot/v2/hook/***)")
