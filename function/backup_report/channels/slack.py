"""Slack incoming webhook: the digest as Block Kit with a plain `text` fallback, and Slack's answers.

Rules relied on:
- Success is HTTP 200 with the body `ok` (Slack's incoming-webhook docs,
  https://api.slack.com/messaging/webhooks; slack_sdk's `WebhookClient` returns that body as is,
  slack_sdk/webhook/client.py). Anything else, a 200 HTML page from a proxy included, is a failure.
- Errors are HTTP 4xx/5xx with a short word in the body: `invalid_payload`, `no_service`, `no_team`,
  `invalid_token`, `channel_is_archived`, `action_prohibited`, `posting_to_general_channel_denied`,
  `too_many_attachments`, `no_text`, `msg_too_long`, `invalid_blocks`, `invalid_blocks_format`,
  `msg_blocks_too_long` ("Handling errors", https://api.slack.com/messaging/webhooks#handling_errors,
  and the 2016-05-17 changelog).
- 429 carries `Retry-After` in seconds (https://api.slack.com/docs/rate-limits; slack_sdk's
  RateLimitErrorRetryHandler sleeps exactly that, slack_sdk/http_retry/builtin_handlers.py). It is
  honoured in full when it fits the run's budget; otherwise the post gives up at once.
- Block Kit limits: 50 blocks a message, 3,000 characters a section text, 150 a header
  (https://api.slack.com/reference/block-kit/blocks). The total text of all blocks has no documented
  limit, but Slack refuses long ones with `msg_blocks_too_long`: at ~13,200 characters in
  slackapi/bolt-js#2509 (13,297 with markdown blocks only), "near 12,000-13,000" in this project's
  issue 13. The lower figure is kept: at most 12,000 characters over all blocks.
- Outside text (names, IDs, tag values, API messages, setting names) is never mrkdwn: `&`, `<` and
  `>` have an escape there (`&amp;`, `&lt;`, `&gt;`,
  https://api.slack.com/reference/surfaces/formatting#escaping), but `*`, `_`, `~` and backticks have
  none, and URLs and channel names are linked. The body is therefore `rich_text` blocks
  (https://docs.slack.dev/reference/block-kit/blocks/rich-text-block): each line a
  `rich_text_section` of `text` elements, whose `text` is shown as given (formatting is the element's
  `style`, links are `link` elements of their own), items a `rich_text_list` of style `bullet`,
  headings `text` with style bold; the header and the footer are `plain_text` with `emoji` false (else
  a `:short_name:` becomes the emoji, https://docs.slack.dev/reference/block-kit/composition-objects/text-object;
  a rich_text `text` has its emoji as `emoji` elements of their own). What the run adds as
  structure (a link, bold, a list item) is marked in a line with Unicode noncharacters, which clean()
  strips from outside text, so a name can never forge one.
- The mentions (SLACK_MENTION, checked by settings.SLACK_MENTION_FORM) are a `mrkdwn` section of
  their own, put raw so that they notify. The fallback `text` (notifications, screen readers) is the
  mention and the headline, `&`, `<`, `>` escaped; a headline that holds a character mrkdwn would
  format (`*`, `_`, `~`, a backtick, an emoji's `:short_name:`) or a URL, which only INSTANCE_TAGS'
  text in "no instance found (…)" can bring, is cut to its words before the first `:` ("🟠 Redis
  backups: see the message").
"""
from __future__ import annotations

import re

from .. import digest as d
from .base import URL, body_blocks, clean, fit, footer, notes_that_fit
from .http import Answer, Refusal
from .webhook import WebhookChannel, http_refusal, quoted, redirected, words_of

NAME = "slack"
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TOTAL_TEXT = 12_000

MEANING = {
    "no_service": "the webhook was removed or disabled",
    "no_team": "the workspace of the webhook is gone",
    "invalid_token": "the webhook's token is not valid",
    "channel_is_archived": "the channel is archived",
    "action_prohibited": "an admin restricted posting to the channel",
    "posting_to_general_channel_denied": "only admins may post to the channel",
    "invalid_payload": "Slack could not read the message",
    "invalid_blocks": "Slack refused the message's blocks",
    "invalid_blocks_format": "Slack refused the message's blocks",
    "msg_blocks_too_long": "the message's blocks are too long in total",
    "msg_too_long": "the message is too long",
    "no_text": "the message has no text",
    "too_many_attachments": "the message has too many attachments",
    "rollup_error": "Slack failed",
    "service_unavailable": "Slack is unavailable",
}
# The run's own structure in a line (base.clean strips these noncharacters from outside text).
LINK, LINK_TEXT, LINK_END = "\ufdd0", "\ufdd1", "\ufdd2"  # LINK url LINK_TEXT shown LINK_END
BOLD, BOLD_END = "\ufdd3", "\ufdd4"
ITEM = "\ufdd5"  # a line that is a list item
_STRUCTURE = re.compile(f"({LINK}[^{LINK_TEXT}]*{LINK_TEXT}[^{LINK_END}]*{LINK_END}|{BOLD}[^{BOLD_END}]*{BOLD_END})")
_MRKDWN = re.compile(r"[*_~`]|:[a-z0-9_+'-]+:", re.I)  # mrkdwn's formatting, and an emoji's :short_name:


def escape(text: str) -> str:
    """Text for a mrkdwn field: `&`, `<`, `>` as Slack's entities (its documented escape)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _show(text: object, max_chars: int) -> str:
    """Outside text as a rich_text `text` element shows it: one clean line, exactly."""
    return clean(text, max_chars)


def read_answer(answer: Answer, secrets: tuple[str, ...] = ()) -> Refusal | None:
    """None when Slack accepted the message (200 `ok`); else what it said, scrubbed of `secrets`."""
    if answer.status == 200 and answer.body.strip() == b"ok":
        return None
    words = words_of(answer, secrets)
    if 300 <= answer.status < 400:
        return redirected(answer, "a redirect, not followed (a login page or a proxy, not Slack's answer)")
    if answer.status == 200:
        return Refusal(f"HTTP 200 but not Slack's `ok`: {_what(answer, words)}")
    if answer.status == 429:
        return _rate_limited(answer)
    meaning = MEANING.get(words)
    return http_refusal(answer, f" {words}: {meaning}" if meaning else quoted(words))


def _what(answer: Answer, words: str) -> str:
    """What a 200 that is not `ok` carried."""
    page = words.lower().startswith(("<!doctype", "<html")) or "html" in answer.headers.get("content-type", "")
    return "an HTML page (a proxy or a login page?)" if page else (words or "an empty answer")


def _rate_limited(answer: Answer) -> Refusal:
    """A 429: retried after its Retry-After when it has a usable one (and it fits the run), else after the backoff."""
    wait = _seconds(answer.headers.get("retry-after"))
    return Refusal(f"rate limited for {wait:g} s (HTTP 429)" if wait is not None else "rate limited (HTTP 429)",
                   retry=True, wait=wait)


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < 86_400 else None


class Slack(WebhookChannel):
    """The incoming webhook of SLACK_WEBHOOK, mentioning SLACK_MENTION on alerts."""

    name = NAME
    webhook_setting, mention_setting = "slack_webhook", "slack_mention"

    def render(self, dg: d.Digest) -> dict:
        return render(dg, self._mention)

    def read(self, answer: Answer) -> Refusal | None:
        return read_answer(answer, self._secrets)


from_settings = Slack.from_settings


def render(dg: d.Digest, mention: tuple[str, ...] = ()) -> dict:
    """Block Kit within every limit above, with "…and N more" when the list is cut. `mention`: Slack's
    mention forms, checked by settings.SLACK_MENTION_FORM, put raw (unescaped, so they notify) before
    the headline of the fallback `text` and in a mrkdwn section under the header, on alerts only."""
    wanted = " ".join(mention) if dg.status == "alert" else ""  # never notify for a green or a warning
    items = d.flat(dg.groups)
    dg = notes_that_fit(dg, lambda g: total_text(_blocks(g, [], 0, wanted)), MAX_TOTAL_TEXT)
    blocks = fit(len(items), lambda shown: _blocks(dg, items, shown, wanted), _fits)
    text = fallback(clean(dg.headline, 1000))
    return {"text": f"{wanted} {text}" if wanted else text, "blocks": blocks}


def fallback(headline: str) -> str:
    """The headline as the mrkdwn `text` fallback: escaped, or cut to its words before the first `:`
    when it holds what mrkdwn would format or link (no escape exists for that)."""
    if _MRKDWN.search(headline) or URL.search(headline):
        return escape(headline.split(":", 1)[0]) + ": see the message"
    return escape(headline)


def total_text(blocks: list[dict]) -> int:
    """Characters of text over all blocks: every `text` and `url` string at any depth (sections, headers,
    context elements, rich_text elements and links)."""
    def walk(node: object) -> int:
        if isinstance(node, dict):
            return sum(len(v) if k in ("text", "url") and isinstance(v, str) else walk(v) for k, v in node.items())
        return sum(walk(v) for v in node) if isinstance(node, list) else 0
    return walk(blocks)


def _fits(blocks: list[dict]) -> bool:
    return len(blocks) <= MAX_BLOCKS and total_text(blocks) <= MAX_TOTAL_TEXT


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link(url: str, shown: str) -> str:
    # A rich_text `link` element; the URL is built by digest.console_url from an ID and region of the
    # documented forms only, or the report page's pre-signed URL.
    return f"{LINK}{url}{LINK_TEXT}{shown}{LINK_END}"


def _bold(text: str) -> str:
    return f"{BOLD}{text}{BOLD_END}"


def _blocks(dg: d.Digest, items: list, shown: int, mention: str = "") -> list[dict]:
    blocks = [{"type": "header", "text": plain_text(_clip(clean(dg.headline, 1000), MAX_HEADER))}]
    if mention:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": mention}})
    blocks += [rich_text(lines) for lines in body_blocks(dg, items, shown, _show, _link, bold=_bold, bullet=ITEM)]
    blocks.append({"type": "context", "elements": [plain_text(_clip(footer(dg), MAX_SECTION))]})
    return blocks


def plain_text(text: str) -> dict:
    """A `plain_text` object shown as written: `emoji` false, or Slack shows a `:short_name:` of outside text
    (a tag value) as the emoji (the text object's `emoji` field,
    https://docs.slack.dev/reference/block-kit/composition-objects/text-object). Emoji characters stay emoji."""
    return {"type": "plain_text", "text": text, "emoji": False}


def rich_text(lines: list[str]) -> dict:
    """A `rich_text` block of `lines` (base.body_blocks' lines, marked with LINK…, BOLD…, ITEM): the
    lines that are items as one bullet `rich_text_list`, the others as sections, in their order."""
    elements: list[dict] = []
    for line in lines:
        if line.startswith(ITEM):
            section = {"type": "rich_text_section", "elements": _elements(line[len(ITEM):])}
            if elements and elements[-1]["type"] == "rich_text_list":
                elements[-1]["elements"].append(section)
            else:
                elements.append({"type": "rich_text_list", "style": "bullet", "elements": [section]})
        elif elements and elements[-1]["type"] == "rich_text_section":
            elements[-1]["elements"] += [{"type": "text", "text": "\n"}, *_elements(line)]
        else:
            elements.append({"type": "rich_text_section", "elements": _elements(line)})
    return {"type": "rich_text", "elements": elements}


def _elements(line: str) -> list[dict]:
    """A marked line as rich_text elements: `link`s, bold `text`s and plain `text`s."""
    found = []
    for part in filter(None, _STRUCTURE.split(line)):
        if part.startswith(LINK):
            url, shown = part[1:-1].split(LINK_TEXT)
            found.append({"type": "link", "url": url, "text": shown})
        elif part.startswith(BOLD):
            found.append({"type": "text", "text": part[1:-1], "style": {"bold": True}})
        else:
            found.append({"type": "text", "text": part})
    return found
