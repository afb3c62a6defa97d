"""Slack incoming webhook: 200 `ok`, or an HTTP status with a short error word in the body."""
from __future__ import annotations

import json

import requests

from ..model import Delivery
from .transport import Transport, TransportError

NAME = "slack"

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
