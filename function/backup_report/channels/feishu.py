"""Feishu / Lark custom bot (自定义机器人): the digest as a signed `interactive` card, and its answers.

Rules relied on (Feishu's custom-bot guide, 自定义机器人使用指南,
https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot, also served as
https://open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN; Lark's international host is
open.larksuite.com with the same paths):
- The webhook is `https://open.feishu.cn/open-apis/bot/v2/hook/<token>` (or open.larksuite.com).
- Success is HTTP 200 with JSON `{"code": 0, "msg": "success", "data": {}}`. The guide's example answer
  also carries `"StatusCode": 0, "StatusMessage": "success"` as "redundant fields kept for old logic"
  (冗余字段，用于兼容存量历史逻辑), and older bots answered with those alone (caronc/apprise
  apprise/plugins/NotifyFeishu.py quotes the `code` form). Both are read: every one of `code` and
  `StatusCode` that is present must be the integer 0, and at least one must be present.
- Signing (签名校验): sign = base64(HmacSHA256(key = timestamp + "\\n" + secret, message = empty)),
  `timestamp` in seconds, both sent in the JSON body; refused when the timestamp is more than an hour
  off: 19021 "sign match fail or timestamp is not within one hour from current time" (the guide; the
  answer as reported in feiyu563/PrometheusAlert#422; the key/message order as in lynnclub/go
  v1/sign/feishu.go and leesinz/Athena notifications/feishu.py). A post is signed once, when it is
  sent: its retries (seconds apart) stay well within the hour.
- Security checks: 19024 "Key Words Not Found" (keywords), 19022 "Ip Not Allowed" (IP allow-list),
  19001 "param invalid: incoming webhook access token invalid" (a wrong or removed webhook), as the
  guide's answers are reproduced at https://blog.csdn.net/qq_43108153/article/details/136166075 and
  in public client code.
- A request body over 20 KB, or one that is not a valid message, is answered 9499 "Bad Request"
  ("请求体大小不能超过20k", the guide; apprise's plugin sees it as a non-200 answer). One public
  measurement found the refusal only near 150 KiB (hughcube/laravel-lark v1.0.0, error 19036): the
  documented 20 KB is kept, with room for the signature.
- Rate: "单租户单机器人 100 次/分钟，5 次/秒"; over it, or at busy moments, 11232 "frequency limited
  psm[…]" (the guide, which asks bots to avoid sending exactly on the hour or half hour). Retrying
  within the run cannot help much and may add to the load, so 11232 is never retried, like DingTalk's
  130101, whatever the HTTP status it comes with (a 429 included).
- The answer is Feishu's JSON whatever the HTTP status: when its body carries `code` (or `StatusCode`),
  that decides (0 delivered; else failed, naming the code and msg, retried only as ERRORS says); the
  HTTP status decides only an answer that is not Feishu's JSON (a proxy's page: 429 and 5xx retried).
- Card text (the card's Markdown, 消息卡片 Markdown, https://open.feishu.cn/document/common-capabilities/
  message-card/message-cards-content/using-markdown-tags, the same syntax in a `lark_md` text element):
  italics, bold, strike-through, links, `<a>`, `<at>`, `<font>`, `<text_tag>`, `:Emoji Key:`. "如果你要
  展示的字符命中了 markdown 语法使用的特殊字符…需要对特殊字符进行 HTML 转义，才可正常展示", as `&#实体编号;`
  (the doc's table: `&#42;` for *, `&#95;` for _, `&#91;` for [, …). Outside text in a lark_md text has
  each such character as its numeric entity (`escape`): shown exactly as the API has it, and no tag,
  link, emoji or @mention can come out of it. The header and the footer note are `plain_text`.
- Mentions: `<at id=open_id></at>` and `<at id=all></at>` in card Markdown ("自定义机器人仅支持使用
  open_id、user_id @指定人"; "@所有人需要群主开启权限。若未开启，卡片将发送失败": then the post fails
  and says Feishu's code), FEISHU_MENTION's, on alerts only.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Callable

from .. import digest as d
from .base import (LIST_MARKER, body_blocks, body_bytes, clean, fit, footer, markdown_link, notes_that_fit,
                   service_words, shown_by)
from .http import Answer, Refusal
from .webhook import (UNKNOWN_CODE, WebhookChannel, aside, http_refusal, is_zero, json_of, quoted, redirected,
                      words_of)

NAME = "feishu"
MAX_BODY_BYTES = 20 * 1024  # the guide's 20 KB
BODY_BYTES_KEPT = 19_000  # below it, with room for `timestamp` and `sign` (~70 bytes)
# The card header's colour (the card header's `template`: blue, wathet, turquoise, green, yellow,
# orange, red, carmine, violet, purple, indigo, grey; Feishu's card header docs).
TEMPLATE = {"alert": "red", "warning": "orange", "ok": "green"}

RATE_LIMITED = "rate limited: more than 100 messages a minute or 5 a second to this bot (or Feishu was busy)"
# code -> (meaning for a person, retry?)
ERRORS = {
    9499: ("Feishu could not read the message (Bad Request: malformed, or over 20 KB)", False),
    11232: (RATE_LIMITED, False),
    19001: ("the webhook's token is not valid (the bot was removed, or the URL is wrong)", False),
    19021: ("the signature does not match or its timestamp is over an hour off: check FEISHU_SECRET "
            "and the clock", False),
    19022: ("this function's outbound IP is not in the bot's IP allow-list", False),
    19024: ("the message has none of the bot's keywords", False),
}
# The characters of card Markdown that outside text could form markup with, each as its numeric entity (the
# doc's table): * _ ~ ` (emphasis, strike-through, code), [ ] (links and images: `![`, `](`, `($urlVal)` need
# one), < > (tags: <at>, <a>, <font>, <text_tag>), \ and & (so that an escape or entity in a name stays
# literal); and `:` where it would open a URL (`://`) or an emoji (`:Key:`). The doc's other characters
# (- + # > at a line's start, ! before [, ( ) $ after ], / : in a URL) form nothing once those are escaped:
# outside text never starts a line here (each starts with the run's bullet or heading), so they stay as
# they are and the card reads as the API's text; but a list marker that starts an outside text (a note
# "1. …" after the run's "- ") would nest a list, so its `-`, `+`, `.` or `)` is an entity too.
_ENTITIES = str.maketrans({ch: f"&#{ord(ch)};" for ch in "*_~`[]<>\\&"})
_EMOJI = re.compile(r":[A-Za-z0-9_+-]+:")


def escape(text: str) -> str:
    """Outside text (already one clean line) as a lark_md text shows it, exactly: no link, emphasis,
    tag, emoji, list or @mention can come out of it."""
    text = text.translate(_ENTITIES)
    marker = LIST_MARKER.match(text)  # after the run's bullet "- - dash" would nest a list: its last character an entity
    if marker:
        text = marker.group()[:-1] + f"&#{ord(marker.group()[-1])};" + text[marker.end():]
    while _EMOJI.search(text):  # again: `:a:b:` holds two, overlapping
        text = _EMOJI.sub(lambda m: "&#58;" + m.group(0)[1:-1] + "&#58;", text)
    return text.replace(":/", "&#58;/")


_show = shown_by(escape)


def sign(secret: str, timestamp: int) -> str:
    """base64(HmacSHA256(key=f"{timestamp}\\n{secret}", message=b"")), `timestamp` in seconds."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed(message: dict, secret: str, clock: Callable[[], float] = time.time) -> dict:
    """The message with `timestamp` (seconds, as a string, as the guide's example) and `sign`, when `secret` is set."""
    if not secret:
        return message
    timestamp = int(clock())
    return {"timestamp": str(timestamp), "sign": sign(secret, timestamp), **message}


def read_answer(answer: Answer, secrets: tuple[str, ...] = ()) -> Refusal | None:
    """None when Feishu accepted the message; else what it said, scrubbed of `secrets`. Decided by
    Feishu's `code` / `StatusCode` whatever the HTTP status; by the status only when the answer is not
    Feishu's JSON. Never raises."""
    if 300 <= answer.status < 400:
        return redirected(answer, "a redirect, not followed (a login page or a proxy, not Feishu's answer)")
    parsed = json_of(answer.body)
    codes = _codes(parsed)
    if not codes:
        if answer.status != 200:
            return http_refusal(answer, quoted(words_of(answer, secrets)))
        return Refusal("HTTP 200 with an answer that is not Feishu's JSON" + quoted(words_of(answer, secrets)))
    refused = next(((k, c) for k, c in codes.items() if not is_zero(c)), None)  # every code present must be 0
    if refused is None:
        return None
    said, retry = _said(parsed, refused, secrets)
    return Refusal(f"HTTP {answer.status}{' ' if answer.status == 200 else ': '}{said}", retry=retry)


def _codes(parsed: object) -> dict[str, object]:
    """Which of `code` and the older `StatusCode` an answer carries, with their values."""
    return {k: parsed[k] for k in ("code", "StatusCode") if k in parsed} if isinstance(parsed, dict) else {}


def _said(parsed: dict, refused: tuple[str, object], secrets: tuple[str, ...]) -> tuple[str, bool]:
    """`Feishu code N: meaning (msg: …)` for the `refused` code (its name and value, not the integer 0),
    and whether ERRORS says to retry it."""
    msg = service_words(parsed.get("msg", parsed.get("StatusMessage", "")), secrets)
    name, code = refused
    if type(code) is not int:  # noqa: E721 - bool is an int subclass, and False is not success
        return f"{name} {clean(json.dumps(code), 40)}, not the integer 0: not accepted{aside('msg', msg)}", False
    meaning, retry = ERRORS.get(code, UNKNOWN_CODE)
    return f"Feishu {name} {code}: {meaning}{aside('msg', msg)}", retry


class Feishu(WebhookChannel):
    """The custom bot of FEISHU_WEBHOOK, each post signed when FEISHU_SECRET is set, @-mentioning
    FEISHU_MENTION on alerts."""

    name = NAME
    webhook_setting, secret_setting, mention_setting = "feishu_webhook", "feishu_secret", "feishu_mention"

    def render(self, dg: d.Digest) -> dict:
        return render(dg, self._mention)

    def read(self, answer: Answer) -> Refusal | None:
        return read_answer(answer, self._secrets)

    def body(self, message: dict) -> bytes:
        return body_bytes(signed(message, self._secret, self._clock))


from_settings = Feishu.from_settings


def render(dg: d.Digest, mention: tuple[str, ...] = ()) -> dict:
    """The digest as an `interactive` card whose JSON body stays under 19,000 bytes (BODY_BYTES_KEPT):
    a header with the counts in the run's colour, FEISHU_MENTION's `<at>`s on alerts only (`mention`:
    open_ids, or `all`, checked by settings.parse_feishu_mention), a lark_md block per group, "…and N
    more" when the list is cut, and a note with the window, scope and run."""
    wanted = mention if dg.status == "alert" else ()  # never notify for a green or a warning
    items = d.flat(dg.groups)
    dg = notes_that_fit(dg, lambda g: len(body_bytes(_message(g, [], 0, wanted))), BODY_BYTES_KEPT)
    return fit(len(items), lambda shown: _message(dg, items, shown, wanted), _fits)


def _fits(message: dict) -> bool:
    return len(body_bytes(message)) <= BODY_BYTES_KEPT


def _div(lines: list[str]) -> dict:
    return {"tag": "div", "text": {"tag": "lark_md", "content": "\n".join(lines)}}


def at(mention: tuple[str, ...]) -> str:
    """The card Markdown that @-mentions `mention`: `<at id=ou_…></at>` each, or `<at id=all></at>`."""
    return " ".join(f"<at id={m}></at>" for m in mention)


def _message(dg: d.Digest, items: list, shown: int, mention: tuple[str, ...] = ()) -> dict:
    blocks = ([[at(mention)]] if mention else []) + body_blocks(dg, items, shown, _show, markdown_link)
    elements = [_div(lines) for lines in blocks]
    elements += [{"tag": "hr"}, {"tag": "note", "elements": [{"tag": "plain_text", "content": footer(dg)}]}]
    return {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": clean(dg.headline, 200)},
                       "template": TEMPLATE[dg.status]},
            "elements": elements,
        },
    }
