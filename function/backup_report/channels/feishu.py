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
  psm[…]" (the guide). Retrying within the run cannot help much and may add to the load, so 11232
  is never retried, like DingTalk's 130101.
- Card markdown (`lark_md`) renders bold, italics, strike-through, links, `<at>` and `<font>`
  tags; outside text has the characters of that markup replaced by look-alikes.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Callable

from .. import digest as d
from .base import (body_blocks, body_bytes, clean, defang, fit, footer, look_alikes, markdown_link, notes_that_fit,
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
# Look-alikes for the characters of lark_md (Markdown, <at>/<font> tags, HTML entities), in outside text only.
_MARKUP = look_alikes("*_~`#[]<>|@!\\&")


def escape(text: str) -> str:
    """Outside text (already one clean line) that a lark_md text shows as written: no link,
    emphasis, tag or @mention can come out of it."""
    return defang(text).translate(_MARKUP)


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
    """None when Feishu accepted the message; else what it said, scrubbed of `secrets`. Never raises."""
    if 300 <= answer.status < 400:
        return redirected(answer, "a redirect, not followed (a login page or a proxy, not Feishu's answer)")
    parsed = json_of(answer.body)
    codes = _codes(parsed)
    refused = next(((k, c) for k, c in codes.items() if not is_zero(c)), None)  # every code present must be 0
    if answer.status != 200:
        return http_refusal(answer, _said(parsed, refused, secrets) if refused else quoted(words_of(answer, secrets)))
    if not codes:
        return Refusal("HTTP 200 with an answer that is not Feishu's JSON" + quoted(words_of(answer, secrets)))
    if refused is None:
        return None
    return Refusal("HTTP 200 " + _said(parsed, refused, secrets).removeprefix(": "))


def _codes(parsed: object) -> dict[str, object]:
    """Which of `code` and the older `StatusCode` an answer carries, with their values."""
    return {k: parsed[k] for k in ("code", "StatusCode") if k in parsed} if isinstance(parsed, dict) else {}


def _said(parsed: dict, refused: tuple[str, object], secrets: tuple[str, ...]) -> str:
    """`: Feishu code N: meaning (msg: …)` for the `refused` code (its name and value, not the integer 0)."""
    msg = service_words(parsed.get("msg", parsed.get("StatusMessage", "")), secrets)
    name, code = refused
    if type(code) is not int:  # noqa: E721 - bool is an int subclass, and False is not success
        return f": {name} {clean(json.dumps(code), 40)}, not the integer 0: not accepted{aside('msg', msg)}"
    meaning, _ = ERRORS.get(code, UNKNOWN_CODE)
    return f": Feishu {name} {code}: {meaning}{aside('msg', msg)}"


class Feishu(WebhookChannel):
    """The custom bot of FEISHU_WEBHOOK, each post signed when FEISHU_SECRET is set."""

    name = NAME
    webhook_setting, secret_setting = "feishu_webhook", "feishu_secret"

    def render(self, dg: d.Digest) -> dict:
        return render(dg)

    def read(self, answer: Answer) -> Refusal | None:
        return read_answer(answer, self._secrets)

    def body(self, message: dict) -> bytes:
        return body_bytes(signed(message, self._secret, self._clock))


from_settings = Feishu.from_settings


def render(dg: d.Digest) -> dict:
    """The digest as an `interactive` card whose JSON body stays under 19,000 bytes (BODY_BYTES_KEPT):
    a header with the counts in the run's colour, a lark_md block per group, "…and N more" when the
    list is cut, and a note with the window, scope and run."""
    items = d.flat(dg.groups)
    dg = notes_that_fit(dg, lambda g: len(body_bytes(_message(g, [], 0))), BODY_BYTES_KEPT)
    return fit(len(items), lambda shown: _message(dg, items, shown), _fits)


def _fits(message: dict) -> bool:
    return len(body_bytes(message)) <= BODY_BYTES_KEPT


def _div(lines: list[str]) -> dict:
    return {"tag": "div", "text": {"tag": "lark_md", "content": "\n".join(lines)}}


def _message(dg: d.Digest, items: list, shown: int) -> dict:
    blocks = body_blocks(dg, items, shown, _show, markdown_link)
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
