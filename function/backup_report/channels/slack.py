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
- mrkdwn: `&`, `<` and `>` must be escaped as `&amp;`, `&lt;`, `&gt;`
  (https://api.slack.com/reference/surfaces/formatting#escaping); `*`, `_`, `~` and backticks have no
  escape, so in outside text they are replaced by look-alikes, as are `@` and URL schemes (Slack
  links bare URLs).
"""
from __future__ import annotations

from .. import digest as d
from .base import body_blocks, clean, defang, fit, footer, look_alikes, notes_that_fit, shown_by
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
_MARKUP = look_alikes("*_~`@")


def escape(text: str) -> str:
    """Outside text (already one clean line) that Slack's mrkdwn shows as written."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return defang(text).translate(_MARKUP)


_show = shown_by(escape)


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
    """Block Kit within every limit above, with "…and N more" when the list is cut; the fallback
    `text` (notifications, and clients without blocks) is the escaped headline. `mention`: Slack's
    mention forms, checked by settings.SLACK_MENTION_FORM, put raw (unescaped, so they notify) before
    the headline and in a section under it, on alerts only."""
    wanted = " ".join(mention) if dg.status == "alert" else ""  # never notify for a green or a warning
    items = d.flat(dg.groups)
    dg = notes_that_fit(dg, lambda g: total_text(_blocks(g, [], 0, wanted)), MAX_TOTAL_TEXT)
    blocks = fit(len(items), lambda shown: _blocks(dg, items, shown, wanted), _fits)
    text = escape(clean(dg.headline, 1000))
    return {"text": f"{wanted} {text}" if wanted else text, "blocks": blocks}


def total_text(blocks: list[dict]) -> int:
    """Characters of text over all blocks (section and header texts, context elements)."""
    texts = [b["text"]["text"] for b in blocks if "text" in b]
    texts += [e["text"] for b in blocks for e in b.get("elements", ())]
    return sum(len(t) for t in texts)


def _fits(blocks: list[dict]) -> bool:
    return len(blocks) <= MAX_BLOCKS and total_text(blocks) <= MAX_TOTAL_TEXT


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link(url: str, shown: str) -> str:
    # mrkdwn's <url|text>: `shown` is escaped (no > ends it); the URL is built by digest.console_url
    # from an ID and region of the documented forms only (https://api.slack.com/reference/surfaces/formatting#linking-urls).
    return f"<{url}|{shown}>"


def _blocks(dg: d.Digest, items: list, shown: int, mention: str = "") -> list[dict]:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _clip(clean(dg.headline, 1000), MAX_HEADER)}}]
    sections: list[list[str]] = [[mention]] if mention else []
    sections += body_blocks(dg, items, shown, _show, _link, bold=lambda text: f"*{escape(text)}*", bullet="• ")
    for lines in sections:
        blocks += [_section(text) for text in _chunks(lines)]
    context = escape(footer(dg))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(context, MAX_SECTION)}]})
    return blocks


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _chunks(lines: list[str]) -> list[str]:
    """Join lines into texts of at most MAX_SECTION characters, splitting between lines."""
    chunks: list[str] = []
    for line in (_clip(line, MAX_SECTION) for line in lines):
        if chunks and len(chunks[-1]) + 1 + len(line) <= MAX_SECTION:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return chunks
