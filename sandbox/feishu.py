"""Feishu / Lark custom bot (自定义机器人) emulator: `POST /open-apis/bot/v2/hook/<token>` with a JSON body.

Rules from Feishu's custom-bot guide (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot,
as served at https://open.larkoffice.com/document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN; the answers as the
guide's examples are reproduced at https://blog.csdn.net/qq_43108153/article/details/136166075 and
quoted by public clients), checked in this order:
- HTTP 404 for another path;
- 19001 `param invalid: incoming webhook access token invalid` for another token (HTTP 200);
- HTTP 400 9499 `Bad Request` for a body over 20 KB (20,480 bytes) or one that is not a JSON object
  (caronc/apprise's apprise/plugins/NotifyFeishu.py quotes 9499 as a non-200 answer);
- bots with a secret: 19021 `sign match fail or timestamp is not within one hour from current time`
  when `timestamp` (seconds) is missing or over 3,600 s from the clock, or `sign` is not
  base64(HmacSHA256(key=timestamp + "\\n" + secret, message=empty)) (feiyu563/PrometheusAlert#422);
- HTTP 400 9499 `Bad Request` for a missing or unknown `msg_type`, or its content missing: text
  needs content.text, post content.post, image content.image_key, share_chat content.share_chat_id,
  interactive a `card` object (or its JSON text) with an `elements` list whose items all have a `tag`;
- 19024 `Key Words Not Found` when keywords are configured and no string of the message has one;
- 11232 `frequency limited psm[…]` once 5 messages were accepted in the last second or 100 in the
  last minute ("100 次/分钟，5 次/秒", sliding windows on the injectable clock);
- then a staged scenario fault (see `staged.py`) instead of success: `{code: N[, msg: ...][, status: S]}`
  (N as given: `0.9`, `false`, `"0"` are staged as such; S the HTTP status, 200 unless given: the
  frequency limit 11232 has been seen with HTTP 429), `{StatusCode: N}` (an answer in the old form
  only, `{"Extra": null, "StatusCode": N, "StatusMessage": ...}`), `{kind: legacy}` (accepted,
  answered in that old form with StatusCode 0), `{kind: echo_url}` (19001 with a msg that quotes
  the request's path, token included), `{kind: late, seconds: S}` / `{kind: drip, seconds: S}`
  (accepted, answered late / byte by byte), the generic kinds of `staged.generic`, `{kind: reset}`;
- else HTTP 200 `{"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}`
  and the parsed body is appended to `.messages`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time

from sandbox.httpserver import Reply
from sandbox.staged import RateWindow, Staged, generic, strings

PREFIX = "/open-apis/bot/v2/hook/"
MAX_BODY = 20 * 1024
SIGN_TOLERANCE = 3600.0
RATE_LIMITS = ((5, 1.0), (100, 60.0))  # (messages, seconds)
REQUIRED = {"text": "text", "post": "post", "image": "image_key", "share_chat": "share_chat_id"}
MSG = {
    0: "success",
    9499: "Bad Request",
    11232: "frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]",
    19001: "param invalid: incoming webhook access token invalid",
    19021: "sign match fail or timestamp is not within one hour from current time",
    19022: "Ip Not Allowed",
    19024: "Key Words Not Found",
}
SUCCESS = {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}


def _expected_sign(secret: str, timestamp: str) -> str:
    return base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def _answer(code, msg: str | None = None, status: int = 200) -> Reply:
    return Reply(status, {"code": code, "data": {}, "msg": msg or MSG.get(code, "error")})


def _card_ok(card) -> bool:
    if isinstance(card, str):
        try:
            card = json.loads(card)
        except ValueError:
            return False
    elements = card.get("elements") if isinstance(card, dict) else None
    return isinstance(elements, list) and all(isinstance(e, dict) and isinstance(e.get("tag"), str)
                                              for e in elements)


class FeishuBot:
    def __init__(self, token: str, secret: str | None, keywords=(), faults=(), clock=time.time):
        self.token = token
        self.secret = secret or None  # "" is a bot without signing
        self.keywords = tuple(keywords)
        self.clock = clock
        self.messages: list[dict] = []
        self.attempts = 0
        self._faults = Staged(faults)
        self._rate = RateWindow(RATE_LIMITS)
        self._lock = threading.Lock()

    def handle_request(self, method, path, query, headers, body, raw_query):
        if method != "POST" or not path.startswith(PREFIX):
            return Reply(404, "404 page not found")
        with self._lock:
            self.attempts += 1
            refusal = self._refusal(path, body)
            if refusal:
                return refusal
            now = self.clock()
            if self._rate.full(now):
                return _answer(11232)
            fault = self._faults.take()
            refused = _fault_answer(fault, path)
            if refused:
                return refused
            self._rate.accepted(now)
            self.messages.append(json.loads(body))
            return _accepted(fault)

    def _refusal(self, path, body) -> Reply | None:
        if path[len(PREFIX):] != self.token:
            return _answer(19001)
        message = _message(body)
        if message is None:
            return _answer(9499, status=400)
        if self.secret and not self._signed(message):
            return _answer(19021)
        content = _content(message)
        if content is None:
            return _answer(9499, status=400)
        if self.keywords and not any(k in s for s in strings(content) for k in self.keywords):
            return _answer(19024)
        return None

    def _signed(self, message: dict) -> bool:
        """A timestamp within SIGN_TOLERANCE of the clock and its sign computed with the secret."""
        timestamp = message.get("timestamp")
        timestamp = str(timestamp) if isinstance(timestamp, (str, int)) and not isinstance(timestamp, bool) else ""
        return (bool(re.fullmatch(r"[0-9]{1,12}", timestamp)) and abs(self.clock() - int(timestamp)) <= SIGN_TOLERANCE
                and hmac.compare_digest(str(message.get("sign", "")).encode(),
                                        _expected_sign(self.secret, timestamp).encode()))


def _message(body: bytes) -> dict | None:
    """The post's JSON object, None when the body is too long or not a JSON object."""
    if len(body) > MAX_BODY:
        return None
    try:
        message = json.loads(body)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _content(message: dict) -> dict | None:
    """The card of an interactive message or the content of another known msg_type, None when it lacks
    what that type requires."""
    msg_type = message.get("msg_type")
    if msg_type == "interactive":
        return message["card"] if _card_ok(message.get("card")) else None
    if isinstance(msg_type, str) and msg_type in REQUIRED:
        content = message.get("content")
        return content if isinstance(content, dict) and content.get(REQUIRED[msg_type]) else None
    return None


def _fault_answer(fault: dict | None, path: str) -> Reply | None:
    """What a staged fault answers instead of taking the post; None for none, or one that takes it
    (late, drip, legacy)."""
    if fault and "code" in fault:  # Feishu's code, under an HTTP status of its own when given (e.g. 429)
        return _answer(fault["code"], fault.get("msg"), int(fault.get("status", 200)))
    if fault and "StatusCode" in fault:
        return Reply(200, {"Extra": None, "StatusCode": fault["StatusCode"],
                           "StatusMessage": fault.get("StatusMessage", "error")})
    if fault and fault.get("kind") == "echo_url":
        return _answer(19001, f"{MSG[19001]}: POST {path}")
    if fault and fault.get("kind") not in ("late", "drip", "legacy"):
        return generic(fault)
    return None


def _accepted(fault: dict | None) -> Reply:
    """Success (the legacy answer under a `legacy` fault), late or dripped as a fault says."""
    ok = Reply(200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}
               if fault and fault["kind"] == "legacy" else dict(SUCCESS))
    if fault and fault["kind"] == "late":
        ok.delay = float(fault.get("seconds", 30))
    if fault and fault["kind"] == "drip":
        ok.drip = float(fault.get("seconds", 1))
    return ok
