"""Slack incoming webhook: 200 `ok`, or an HTTP status with a short error word in the body."""
from __future__ import annotations

import json

import requests

from .. import digest as d
from ..model import Delivery
from .base import fit, more_line
from .http import Transport, TransportError

NAME = "slack"
# Block Kit limits: 50 blocks a message, 3,000 characters a section, 150 a header.
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150

MEANING = {
    "no_service": "the webhook was removed or disabled",
    "no_team": "the workspace of the webhook is gone",
    "invalid_token": "the webhook's token is not valid",
    "channel_is_archived": "the channel is archived",
    "action_prohibited": "an admin restricted posting to the channel",
    "invalid_payload": "Slack could not read the message",
    "invalid_blocks": "Slack refused the message's blocks",
    "invalid_blocks_format": "Slack refused the message's blocks",
}


def interpret(response: requests.Response) -> None:
    if response.status_code == 200:
        return
    word = response.text.strip()[:60]
    meaning = MEANING.get(word, word or "no reason given")
    if response.status_code == 429:
        raise TransportError("rate limited (HTTP 429)", retry_after=_seconds(response.headers.get("Retry-After")))
    permanent = 400 <= response.status_code < 500
    raise TransportError(f"HTTP {response.status_code} {word}: {meaning}" if word in MEANING
                         else f"HTTP {response.status_code}: {meaning}", permanent=permanent)


def _seconds(value: str | None) -> float:
    try:
        return min(60.0, max(0.0, float(value)))
    except (TypeError, ValueError):
        return 1.0


class Slack:
    name = NAME

    def __init__(self, webhook: str, transport: Transport):
        self._webhook, self._transport = webhook, transport

    def send(self, message: dict) -> Delivery:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        return self._transport.post(NAME, lambda: self._webhook, body, interpret)

    def render(self, dg: d.Digest) -> dict:
        return render(dg)


def from_settings(settings, transport: Transport) -> Slack | None:
    return Slack(settings.slack_webhook, transport) if settings.slack_webhook else None


def render(dg: d.Digest) -> dict:
    """The digest as Block Kit with a plain `text` fallback."""
    items = d.flat(dg.groups)
    blocks_for = lambda shown: _blocks(dg, items, shown)  # noqa: E731
    blocks = fit(len(items), blocks_for, lambda b: len(b) <= MAX_BLOCKS)
    return {"text": dg.headline, "blocks": blocks}


def escape(text: str) -> str:
    # Slack's mrkdwn treats &, < and > as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _blocks(dg: d.Digest, items: list, shown: int) -> list[dict]:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _clip(dg.headline, MAX_HEADER)}}]
    sections: list[list[str]] = []
    current = None
    for group, checked in items[:shown]:
        if group is not current:
            sections.append([f"*{escape(group.heading)}*"])
            current = group
        sections[-1].append("• " + escape(d.item_line(checked)))
    if shown < len(items):
        sections.append([more_line(len(items) - shown)])
    if dg.unchecked_regions:
        sections.append(["*⛔ regions not checked*"] + ["• " + escape(d.region_line(f)) for f in dg.unchecked_regions])
    sections.append([dg.fine_line])
    for lines in sections:
        blocks += [_section(text) for text in _chunks(lines)]
    context = f"{dg.window_line} · {dg.scope_line} · run {dg.request_id}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(escape(context), MAX_SECTION)}]})
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
