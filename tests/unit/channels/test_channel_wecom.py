"""channels/wecom.py called directly: the markdown content within 4,000 of its 4,096 bytes, the
<@userid> mentions, and WeCom's errcode table (status, body -> accepted / refusal text / retry). No socket."""
from __future__ import annotations

import pytest

from backup_report.channels import wecom
from backup_report.channels.base import code_span
from backup_report.channels.http import Refusal
from backup_report.model import Kind

from . import shown
from .channel_digests import answer, digest, hidden, shown_ids

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
USERID = "u" * 64  # the longest settings.USERID accepts


# --- render -------------------------------------------------------------------------------------------

def test_the_message_is_markdown_with_the_headline_the_list_the_footer_and_the_mentions():
    message = wecom.render(digest(2), ("zhangsan", "lisi"))
    assert message == {"msgtype": "markdown", "markdown": {"content": message["markdown"]["content"]}}
    lines = message["markdown"]["content"].split("\n")
    assert lines[0] == "## 🔴 Redis backups: 2 need attention · 2 fine"
    assert lines[1] == "**❌ Backup failed (2)**"
    assert lines[2].startswith("- [cache-00000](https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou/r-inst00000)")
    assert lines[4] == "✅ 2 ok"
    assert lines[5].startswith('<font color="comment">Backups from ') and lines[5].endswith(" · run req-0001</font>")
    assert lines[6] == "<@zhangsan> <@lisi>"


@pytest.mark.parametrize("status", ["warning", "ok"])
def test_nobody_is_mentioned_but_for_an_alert(status):
    message = wecom.render(digest(1 if status == "warning" else 0, status=status, kind=Kind.RUNNING), ("zhangsan",))
    assert "<@" not in message["markdown"]["content"]


@pytest.mark.parametrize("n,detail", [(40, "x" * 600), (2000, "y" * 20)])
def test_a_long_list_stays_within_4000_bytes_with_every_instance_counted(n, detail):
    message = wecom.render(digest(n, detail=detail), tuple(f"{USERID[:-2]}{i:02d}" for i in range(20)))
    text = message["markdown"]["content"]
    assert wecom.content_bytes(message) == len(text.encode("utf-8")) <= wecom.CONTENT_BYTES_KEPT == 4000
    assert wecom.MAX_CONTENT_BYTES == 4096
    shown = shown_ids(text)
    assert shown == [f"r-inst{i:05d}" for i in range(len(shown))] and len(shown) + hidden(text) == n > len(shown)
    assert text.count("<@") == 20  # the most the settings accept always fit


def test_the_userids_that_do_not_fit_are_counted():
    userids = tuple(f"{USERID[:-3]}{i:03d}" for i in range(60))
    text = wecom.render(digest(2), userids)["markdown"]["content"]
    kept = text.count("<@")
    assert 0 < kept < 60
    assert f"(and {60 - kept} more to notify: left out to stay within WeCom's 4,096 bytes)" in text
    assert len(text.encode("utf-8")) <= wecom.CONTENT_BYTES_KEPT


def test_outside_text_is_shown_exactly_in_a_code_span_but_for_the_mention_syntax():
    hostile = '<@all> <font color="warning">w</font> **b** [l](https://evil.example) `c` &lt;'
    message = wecom.render(digest(1, detail=hostile))
    assert code_span(hostile.replace("<@", "\u2039@")) in message["markdown"]["content"]
    seen = shown.wecom(message)
    assert f"): {hostile.replace('<@', chr(0x2039) + '@')}" in seen.text
    assert seen.markup == [] and seen.mentions == []


# --- answers -------------------------------------------------------------------------------------------

def errcode(code, errmsg="") -> dict:
    return {"errcode": code, "errmsg": errmsg}


@pytest.mark.parametrize("status,body,refusal", [
    (200, errcode(0, "ok"), None),
    (200, errcode(-1, "system busy"), Refusal("WeCom errcode -1: WeCom is busy (系统繁忙) (errmsg: system busy)", retry=True)),
    (200, errcode(45009, "api freq out of limit"),
     Refusal("WeCom errcode 45009: rate limited: more than 20 messages a minute to this robot "
             "(errmsg: api freq out of limit)")),
    (200, errcode(93000, "invalid webhook url"),
     Refusal("WeCom errcode 93000: the webhook's key is not valid (the robot was removed, or the URL is wrong) "
             "(errmsg: invalid webhook url)")),
    (200, errcode(40008, "invalid message type"),
     Refusal("WeCom errcode 40008: WeCom refused the message type (errmsg: invalid message type)")),
    (200, errcode(40058, "markdown.content exceed max length 4096. invalid Request Parameter"),
     Refusal("WeCom errcode 40058: the message is too long (markdown over 4,096 bytes) or malformed "
             "(errmsg: markdown.content exceed max length 4096. invalid Request Parameter)")),
    (200, errcode(777), Refusal("WeCom errcode 777: refused")),
    (200, errcode(0.0, "ok"), Refusal("HTTP 200 with errcode 0.0, not the integer 0: not accepted (errmsg: ok)")),
    (200, errcode(True), Refusal("HTTP 200 with errcode true, not the integer 0: not accepted")),
    (200, b"", Refusal("HTTP 200 with an answer that is not WeCom's JSON")),
    (200, b"<html>ok</html>", Refusal("HTTP 200 with an answer that is not WeCom's JSON: <html>ok</html>")),
    (200, {"errmsg": "ok"}, Refusal('HTTP 200 with an answer that is not WeCom\'s JSON: {"errmsg": "ok"}')),
    (301, b"", Refusal("HTTP 301: a redirect, not followed (a login page or a proxy, not WeCom's answer)")),
    (429, b"", Refusal("HTTP 429", retry=True)),
    (502, b"Bad Gateway", Refusal("HTTP 502: Bad Gateway", retry=True)),
    (403, b"Forbidden", Refusal("HTTP 403: Forbidden")),
])
def test_read_answer(status, body, refusal):
    assert wecom.read_answer(answer(status, body)) == refusal


def test_an_answer_is_scrubbed_of_the_webhooks_key():
    hook = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
    refusal = wecom.read_answer(answer(200, errcode(93000, f"invalid webhook url, hint: [key={KEY}]")), (hook, KEY))
    assert refusal == Refusal("WeCom errcode 93000: the webhook's key is not valid (the robot was removed, or the URL "
                              "is wrong) (errmsg: invalid webhook url, hint: [key=***)")  # a key= value ends at & or space
