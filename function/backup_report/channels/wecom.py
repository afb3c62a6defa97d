"""WeCom (企业微信) group robot (群机器人): the digest as a `markdown` message, and its answers.

Rules relied on (WeCom's group-robot guide, 群机器人配置说明,
https://developer.work.weixin.qq.com/document/path/91770, also https://work.weixin.qq.com/api/doc/90000/90136/91770):
- The webhook is `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>`; the key is the secret.
- Success is HTTP 200 with JSON `{"errcode": 0, "errmsg": "ok"}`; refusals are HTTP 200 too, with a
  non-zero `errcode`. Only the integer 0 is success: `0.9`, `false`, `"0"` are not.
- `markdown.content`: "最长不超过4096个字节，必须是utf8编码" (at most 4,096 bytes of UTF-8); over it,
  errcode 40058 "markdown.content exceed max length 4096. invalid Request Parameter" (the answer as
  public client code quotes it).
- Mentions: "机器人的text/markdown类型消息支持在content中使用<@userid>扩展语法来@群成员"; the mobile list
  (`mentioned_mobile_list`) is a field of `text` messages only. A markdown digest can therefore only
  @-mention by userid: WECOM_MENTION_USERIDS, as `<@userid>` in the content, on alerts only.
- Rate: "每个机器人发送的消息不能超过20条/分钟"; over it, errcode 45009 "api freq out of limit" (WeCom's
  global error codes, 全局错误码, https://developer.work.weixin.qq.com/document/path/90313; the errmsg as in
  WecomTeam/wecom-openclaw-plugin#48). Retrying within the run cannot help, so 45009 is never
  retried, like DingTalk's 130101.
- errcode 93000 "invalid webhook url" for a wrong or removed key (the errmsg as public client code
  quotes it); 40008 "不合法的msgtype参数"; -1 "系统繁忙": "服务器暂不可用，建议稍候重试。建议重试次数不超过
  3次" (retry, at most 3 times): retried, within the transport's 4 attempts (the global error codes as
  reproduced at https://static.kancloud.cn/dabashan/qiwei/2376083, which also says a request that
  is not valid JSON gets "Warning: wrong json format." in its errmsg; this body is always json.dumps').
- Markdown: headings, bold, links, inline code ("行内代码段（暂不支持跨行）"), quotes and
  `<font color="info|comment|warning">` (the guide's markdown type). Outside text (names, IDs, tag
  values, API messages, setting names) is shown exactly, each run of its words that holds a character
  of that markup or a URL (or a first word that is a list marker) as an inline code span, the other
  words as they are (base.literal_by); one line, so never across lines.
  The guide documents neither a backtick inside a code span (a longer fence is CommonMark's rule,
  base.code_span) nor any escape. `<@userid>` is an extension the robot parses in the content
  ("扩展语法"), and the guide does not say a code span stops it: it has no literal form, so in outside
  text the `<` of a `<@` is shown as ‹ (U+2039), the one character of a name not shown as written.
"""
from __future__ import annotations

import re

from .. import digest as d
from .base import body_blocks, clean, fit, footer, literal_by, markdown_link, notes_that_fit, shown_by
from .http import Answer, Refusal
from .webhook import UNKNOWN_CODE, WebhookChannel, errcode_answer

NAME = "wecom"
MAX_CONTENT_BYTES = 4096  # markdown.content, UTF-8
CONTENT_BYTES_KEPT = 4000  # a margin: the limit's counting (before or after JSON escaping) is not documented
# The @ list may take this much of the content, the list of instances the rest: the most userids the
# settings accept (settings.MAX_MENTION_USERIDS, 20, at up to 68 bytes each as "<@…> ") always fit.
MENTIONS_BYTES = 20 * 68

RATE_LIMITED = "rate limited: more than 20 messages a minute to this robot"
REDIRECT = "a redirect, not followed (a login page or a proxy, not WeCom's answer)"
# errcode -> (meaning for a person, retry?)
ERRORS = {
    -1: ("WeCom is busy (系统繁忙)", True),
    40008: ("WeCom refused the message type", False),
    40058: ("the message is too long (markdown over 4,096 bytes) or malformed", False),
    45009: (RATE_LIMITED, False),
    93000: ("the webhook's key is not valid (the robot was removed, or the URL is wrong)", False),
}
# The characters of WeCom's markdown, its <font>/<@userid> tags and HTML entities and escapes, as outside
# text may hold them: such a text is shown as a code span.
MARKUP = re.compile(r"[*_~`#\[\]<>|!\\&]")
MENTION = "<@"  # the robot's mention extension: no literal form documented
_literal = literal_by(MARKUP)


def escape(text: str) -> str:
    """Outside text (already one clean line) as WeCom's markdown shows it: exactly, but for the `<` of a
    `<@`; no link, emphasis, heading, tag or @mention can come out of it."""
    return _literal(text.replace(MENTION, "\u2039@"))


_show = shown_by(escape)


def read_answer(answer: Answer, secrets: tuple[str, ...] = ()) -> Refusal | None:
    """None when WeCom accepted the message; else what it said, scrubbed of `secrets`. Never raises."""
    return errcode_answer(answer, "WeCom", secrets, REDIRECT, lambda errcode, _: ERRORS.get(errcode, UNKNOWN_CODE))


class WeCom(WebhookChannel):
    """The group robot of WECOM_WEBHOOK, @-mentioning WECOM_MENTION_USERIDS on alerts."""

    name = NAME
    webhook_setting, mention_setting = "wecom_webhook", "wecom_mention_userids"

    def render(self, dg: d.Digest) -> dict:
        return render(dg, self._mention)

    def read(self, answer: Answer) -> Refusal | None:
        return read_answer(answer, self._secrets)


from_settings = WeCom.from_settings


def render(dg: d.Digest, mention_userids: tuple[str, ...] = ()) -> dict:
    """The digest as a `markdown` message whose content stays within 4,000 UTF-8 bytes
    (CONTENT_BYTES_KEPT): the @ list first (capped to MENTIONS_BYTES), then as many instances as
    fit, the rest counted in "…and N more"."""
    wanted = mention_userids if dg.status == "alert" else ()  # never @ people for a green or a warning
    items = d.flat(dg.groups)
    dg = notes_that_fit(dg, lambda g: content_bytes(_message(g, [], 0, (), 0)), CONTENT_BYTES_KEPT - MENTIONS_BYTES)
    bare = content_bytes(_message(dg, [], 0, (), 0))
    mentions = fit(len(wanted), lambda k: _message(dg, [], 0, wanted[:k], len(wanted) - k),
                   lambda m: content_bytes(m) - bare <= MENTIONS_BYTES)
    shown_ids = tuple(u for u in wanted if f"<@{u}>" in mentions["markdown"]["content"])
    left_out = len(wanted) - len(shown_ids)
    return fit(len(items), lambda shown: _message(dg, items, shown, shown_ids, left_out), _fits)


def content_bytes(message: dict) -> int:
    return len(message["markdown"]["content"].encode("utf-8"))


def _fits(message: dict) -> bool:
    return content_bytes(message) <= CONTENT_BYTES_KEPT


def _message(dg: d.Digest, items: list, shown: int, mention: tuple[str, ...], left_out: int) -> dict:
    lines = [f"## {escape(clean(dg.headline, 200))}"]
    lines += [line for block in body_blocks(dg, items, shown, _show, markdown_link) for line in block]
    lines.append(f'<font color="comment">{escape(footer(dg))}</font>')
    if mention:
        lines.append(" ".join(f"<@{u}>" for u in mention))
    if left_out:
        lines.append(f"(and {left_out} more to notify: left out to stay within WeCom's 4,096 bytes)")
    return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}
