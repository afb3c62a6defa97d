"""DingTalk custom robot (自定义机器人): the digest as a signed `markdown` message, and its answers.

Rules relied on (DingTalk's custom-robot doc, https://open.dingtalk.com/document/group/custom-robot-access,
and its security settings, https://developers.dingtalk.com/document/robots/customize-robot-security-settings):
- Success is HTTP 200 with JSON `{"errcode": 0, "errmsg": "ok"}`; refusals are HTTP 200 too, with a
  non-zero `errcode`. Only the integer 0 is success: `0.9`, `false`, `"0"` are not.
- Signing: sign = urlencode(base64(HmacSHA256(key=secret, "timestamp\\nsecret"))), `timestamp` in ms.
- At most 20 messages a minute per robot; over it, errcode 130101 "send too fast, exceed 20 times per
  minute" and the robot is throttled for 10 minutes ("每个机器人每分钟最多发送20条。如果超过20条，会限流
  10分钟", the doc as quoted at http://3fwork.com/kaifa200/001550MYM007109; the errmsg as quoted in
  ccfos/nightingale#369). Retrying within the run cannot help, so 130101 is never retried. Public reports (and this
  project's issue 13) say DingTalk then answers 302: any 3xx is a failure that says "likely rate limited".
- 310000 covers three security checks, told apart only by `errmsg`: "keywords not in content",
  "sign not match" / "invalid timestamp", "ip X.X.X.X not in whitelist" (the doc's examples, quoted
  verbatim in public client code: a Go `BaseResp` and a Java `DingTalkWebhookResponse` comment list
  all four; sansan0/TrendRadar#70 shows a newer IP wording, "ip 不在白名单中": both are matched).
- -1 "系统繁忙": the service is busy, "retry once, at most 3 times" (DingTalk's global return codes,
  全局返回码, as reproduced at https://mabiji.com/dingtalk/errcode.html): retried.
- A body over 20,000 bytes is refused (460101 "message too long, exceed 20000 bytes").
- Markdown: the doc lists the subset DingTalk renders (headings, quotes, bold, italic, links, images,
  lists: "目前只支持 Markdown 语法的子集"), and clients render some HTML too (`<font color>`, `<br>`). It
  documents no escape: neither backslash escapes, nor HTML entities, nor code spans. Outside text
  (names, IDs, tag values, API messages, setting names) is shown exactly: each run of its words that holds a
  character of that markup or a URL, or a first word that is a list marker, is a CommonMark code span
  (base.literal_by), the other words are as they are: of the three
  undocumented forms, the one whose failure is least surprising (were code spans not rendered, the
  reader would see backticks around an exact name, not a backslash or `&#95;` inside it). An @ in
  outside text notifies nobody (DingTalk notifies only the JSON `at.atMobiles`, which the run builds
  from DINGTALK_AT_MOBILES), and is in a code span too, so that no @mobile is highlighted.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Callable
from urllib.parse import quote_plus

from .. import digest as d
from .base import body_blocks, body_bytes, clean, fit, footer, literal_by, markdown_link, notes_that_fit, shown_by
from .http import Answer, Refusal
from .webhook import UNKNOWN_CODE, WebhookChannel, errcode_answer

NAME = "dingtalk"
MAX_BODY_BYTES = 20_000  # the robot's limit (460101)
BODY_BYTES_KEPT = 19_000  # room for the signed URL's changes and rounding: never near the limit
# The @ list (text and JSON) may take this much, the list of instances the rest: the most mobiles the
# settings accept (settings.MAX_AT_MOBILES, 100, at up to 46 bytes each) always fit.
MENTIONS_BYTES = 4_800

RATE_LIMITED = "rate limited: more than 20 messages a minute to this robot; DingTalk blocks it for 10 minutes"
REDIRECT = ("a redirect, not followed; DingTalk answers so while it blocks a robot that sent too fast: likely rate "
            "limited")
SECURITY = "refused by the robot's security settings"
# errcode -> (meaning for a person, retry?)
ERRORS = {
    -1: ("DingTalk is busy (系统繁忙)", True),
    130101: (RATE_LIMITED, False),
    300001: ("the robot's access_token is not valid", False),
    300005: ("the robot's access_token is not valid", False),
    400013: ("the robot is disabled or its group was dissolved", False),
    460101: ("the message is too long (over 20,000 bytes)", False),
}
# errmsg fragment -> which of the 310000 checks failed
SECURITY_CHECKS = (
    ("keywords not in content", "the message has none of the robot's keywords"),
    ("sign not match", "the signature does not match: check DINGTALK_SECRET"),
    ("invalid timestamp", "the signature's timestamp was refused: check the clock, or DINGTALK_SECRET"),
    ("whitelist", "this function's outbound IP is not in the robot's IP allow-list"),
    ("白名单", "this function's outbound IP is not in the robot's IP allow-list"),
)
# The characters of DingTalk's Markdown and its HTML (tags, entities, backslash escapes), and @ (DingTalk
# highlights an @mobile of `atMobiles` in the text), as outside text may hold them: such a text is shown
# as a code span.
MARKUP = re.compile(r"[*_~`#\[\]<>|!\\&@]")
_literal = literal_by(MARKUP)


def escape(text: str) -> str:
    """Outside text (already one clean line) as DingTalk shows it, exactly: no link, emphasis, heading or
    HTML can come out of it."""
    return _literal(text)


_show = shown_by(escape)


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(webhook: str, secret: str, clock: Callable[[], float] = time.time) -> str:
    if not secret:
        return webhook
    timestamp = int(clock() * 1000)
    return f"{webhook}&timestamp={timestamp}&sign={sign(secret, timestamp)}"


def read_answer(answer: Answer, secrets: tuple[str, ...] = ()) -> Refusal | None:
    """None when DingTalk accepted the message; else what it said, scrubbed of `secrets`. Never raises."""
    return errcode_answer(answer, "DingTalk", secrets, REDIRECT, meaning)


def meaning(errcode: int, errmsg: str) -> tuple[str, bool]:
    """A refusal's meaning for a person, and whether to retry: ERRORS, or which of the 310000 checks failed."""
    if errcode == 310000:
        check = next((said for fragment, said in SECURITY_CHECKS if fragment in errmsg.lower()), None)
        return f"{SECURITY}: {check or 'keyword, signature or IP allow-list'}", False
    return ERRORS.get(errcode, UNKNOWN_CODE)


class DingTalk(WebhookChannel):
    """The robot of DINGTALK_WEBHOOK (signed when DINGTALK_SECRET is set), @-mentioning DINGTALK_AT_MOBILES on alerts."""

    name = NAME
    webhook_setting, secret_setting, mention_setting = "dingtalk_webhook", "dingtalk_secret", "dingtalk_at_mobiles"

    def render(self, dg: d.Digest) -> dict:
        return render(dg, self._mention)

    def read(self, answer: Answer) -> Refusal | None:
        return read_answer(answer, self._secrets)

    def url(self) -> str:
        return signed_url(self._webhook, self._secret, self._clock)


from_settings = DingTalk.from_settings


def render(dg: d.Digest, at_mobiles: tuple[str, ...] = ()) -> dict:
    """The digest as a `markdown` message whose JSON body stays under 20,000 bytes (BODY_BYTES_KEPT).

    The @ list is capped first (to MENTIONS_BYTES), then as many instances as fit are listed, the
    rest counted in "…and N more"."""
    wanted = at_mobiles if dg.status == "alert" else ()  # never @ people for a green or a warning
    items = d.flat(dg.groups)
    dg = notes_that_fit(dg, lambda g: len(body_bytes(_message(g, [], 0, (), 0))), BODY_BYTES_KEPT - MENTIONS_BYTES)
    mentions = fit(len(wanted), lambda k: _message(dg, [], 0, wanted[:k], len(wanted) - k),
                   lambda m: len(body_bytes(m)) - len(body_bytes(_message(dg, [], 0, (), 0))) <= MENTIONS_BYTES)
    shown_mobiles = tuple(mentions["at"]["atMobiles"])
    left_out = len(wanted) - len(shown_mobiles)
    return fit(len(items), lambda shown: _message(dg, items, shown, shown_mobiles, left_out), _fits)


def _fits(message: dict) -> bool:
    return len(body_bytes(message)) <= BODY_BYTES_KEPT


def _message(dg: d.Digest, items: list, shown: int, mention: tuple[str, ...], left_out: int) -> dict:
    headline = escape(clean(dg.headline, 200))
    blocks = body_blocks(dg, items, shown, _show, markdown_link)
    lines = [f"#### {headline}"] + [line for block in blocks for line in block]
    lines.append(f"###### {escape(footer(dg))}")
    if mention:
        # DingTalk only notifies the mobiles that also appear in the text.
        lines.append(" ".join(f"@{m}" for m in mention))
    if left_out:
        lines.append(f"(and {left_out} more to notify: left out to stay within DingTalk's 20,000 bytes)")
    return {
        "msgtype": "markdown",
        "markdown": {"title": clean(dg.headline, 200), "text": "\n\n".join(lines)},
        "at": {"atMobiles": list(mention), "isAtAll": False},
    }
