"""DingTalk custom robot: signed `markdown` posts, and its errcodes read as a person would.

DingTalk answers HTTP 200 even when it refuses a message; the verdict is the `errcode` in the
body (0 = accepted). Signing: HmacSHA256 keyed with the secret over "timestamp\\nsecret", base64,
URL-encoded, as the robot's security settings describe.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Callable
from urllib.parse import quote_plus

import requests

from .. import digest as d
from ..model import Delivery
from .base import fit, more_line
from .http import Transport, TransportError

NAME = "dingtalk"
# DingTalk refuses bodies over 20,000 bytes (errcode 460101); keep room for the @ list and JSON.
MAX_BODY_BYTES = 19_000

# errcode -> (meaning for a person, permanent?)
ERRORS = {
    130101: ("sending too fast (over 20 messages a minute)", False),
    310000: ("refused by the robot's security settings: signature, keyword or IP allow-list", True),
    300001: ("the robot's access_token is not valid", True),
    300005: ("the robot's access_token is not valid", True),
    400013: ("the robot is disabled or its group was dissolved", True),
    460101: ("the message is too long", True),
}


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(webhook: str, secret: str, clock: Callable[[], float] = time.time) -> str:
    if not secret:
        return webhook
    timestamp = int(clock() * 1000)
    return f"{webhook}&timestamp={timestamp}&sign={sign(secret, timestamp)}"


def interpret(response: requests.Response) -> None:
    if response.status_code != 200:
        raise TransportError(f"HTTP {response.status_code}", permanent=400 <= response.status_code < 500
                             and response.status_code != 429)
    try:
        answer = response.json()
        code = int(answer.get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        raise TransportError("an answer that is not DingTalk's JSON") from None
    if code == 0:
        return
    meaning, permanent = ERRORS.get(code, (str(answer.get("errmsg", "refused"))[:200], True))
    raise TransportError(f"DingTalk errcode {code}: {meaning}", permanent=permanent)


class DingTalk:
    name = NAME

    def __init__(self, webhook: str, secret: str, transport: Transport, clock: Callable[[], float] = time.time,
                 at_mobiles: tuple[str, ...] = ()):
        self._webhook, self._secret, self._transport, self._clock = webhook, secret, transport, clock
        self._at_mobiles = at_mobiles

    def send(self, message: dict) -> Delivery:
        return self._transport.post(NAME, lambda: signed_url(self._webhook, self._secret, self._clock),
                                    body_bytes(message), interpret)

    def render(self, dg: d.Digest) -> dict:
        return render(dg, self._at_mobiles)


def from_settings(settings, transport: Transport) -> DingTalk | None:
    if not settings.dingtalk_webhook:
        return None
    return DingTalk(settings.dingtalk_webhook, settings.dingtalk_secret, transport, at_mobiles=settings.dingtalk_at_mobiles)


def render(dg: d.Digest, at_mobiles: tuple[str, ...] = ()) -> dict:
    """The digest as a custom-robot `markdown` message, within its 20,000-byte limit."""
    mention = at_mobiles if dg.status == "alert" else ()  # never @ people for a green or a warning
    items = d.flat(dg.groups)
    return fit(len(items), lambda shown: _message(dg, items, shown, mention), _fits)


def body_bytes(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


def _fits(message: dict) -> bool:
    return len(body_bytes(message)) <= MAX_BODY_BYTES


def _message(dg: d.Digest, items: list, shown: int, mention: tuple[str, ...]) -> dict:
    lines = [f"#### {dg.headline}"]
    current = None
    for group, checked in items[:shown]:
        if group is not current:
            lines.append(f"**{group.heading}**")
            current = group
        lines.append(f"- {d.item_line(checked)}")
    if shown < len(items):
        lines.append(more_line(len(items) - shown))
    lines += [f"- ⛔ {d.region_line(f)}" for f in dg.unchecked_regions]
    lines.append(dg.fine_line)
    lines.append(f"###### {dg.window_line} · {dg.scope_line} · run {dg.request_id}")
    if mention:
        # DingTalk only notifies the mobiles that also appear in the text.
        lines.append(" ".join(f"@{m}" for m in mention))
    return {
        "msgtype": "markdown",
        "markdown": {"title": dg.headline, "text": "\n\n".join(lines)},
        "at": {"atMobiles": list(mention), "isAtAll": False},
    }
