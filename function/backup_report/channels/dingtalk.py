"""DingTalk custom robot: signed `markdown` posts, and its errcodes read as a person would.

DingTalk answers HTTP 200 even when it refuses a message; the verdict is the `errcode` in the
body (0 = accepted). Signing: HmacSHA256 keyed with the secret over "timestamp\\nsecret", base64,
URL-encoded, as the robot's security settings describe.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Callable
from urllib.parse import quote_plus

import requests

from ..model import Delivery
from ..render_dingtalk import body_bytes
from .transport import Transport, TransportError

NAME = "dingtalk"

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

    def __init__(self, webhook: str, secret: str, transport: Transport, clock: Callable[[], float] = time.time):
        self._webhook, self._secret, self._transport, self._clock = webhook, secret, transport, clock

    def send(self, message: dict) -> Delivery:
        return self._transport.post(NAME, lambda: signed_url(self._webhook, self._secret, self._clock),
                                    body_bytes(message), interpret)



