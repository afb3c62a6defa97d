"""DingTalk custom robot (自定义机器人) emulator: `POST /robot/send?access_token=T[&timestamp=&sign=]`.

Every answer to that path is HTTP 200 with `{"errcode", "errmsg"}`, checked in this order:
- 40035 `缺少参数 access_token`; 300001 `token is not exist` for another token;
- robots with a secret: 310000 `invalid timestamp` (missing, or more than an hour from the clock),
  310000 `sign not match` (sign = urlencode(base64(HmacSHA256(key=secret, timestamp + "\\n" + secret)))
  — the query is URL-decoded once, so a sign sent without URL-encoding its `+` does not match);
- 460101 `message too long, exceed 20000 bytes` for a body over 20,000 bytes;
- 40035 `缺少参数 json` for a body that is not a JSON object;
- 400105 `不支持的消息类型` for a missing or unknown `msgtype`;
- 40035 `缺少参数 <msgtype>.<field>` when the msgtype's required field is missing or empty: text.content;
  markdown.title/.text; link.title/.text/.messageUrl; actionCard.title/.text; feedCard.links.
  All five real msgtypes are accepted with these minimal checks;
- 310000 `keywords not in content` when keywords are configured and no string of the message has one;
- 130101 `send too fast, exceed 20 times per minute` once 20 messages were accepted in the last 60 s
  (sliding window on the injectable clock), and then the robot is blocked for 10 minutes: every post
  in that time answers 302 to an error page ("如果超过20条，会限流10分钟", DingTalk's custom-robot
  doc, https://open.dingtalk.com/document/group/custom-robot-access; the 302 as issue 13 reports it);
- then a staged scenario fault (see `staged.py`) instead of success: `{errcode: N[, errmsg: ...]}`
  (N as given: `0.9`, `false`, `"0"` are staged as such; -1 is `系统繁忙`, DingTalk's global error
  table), `{kind: blocked}` (the 10-minute block, as if another sender had burst: 302 from then on),
  `{kind: echo_url}` (300001 with an errmsg that quotes the request, token included), `{kind: late,
  seconds: S}` (accepted, answered S seconds later), the generic kinds of `staged.generic`, or
  `{kind: reset}`;
- else 0 `ok`, and the parsed body (with its `at`) is appended to `.messages`.
Other paths answer HTTP 404. Sources: 300001/310000/130101/40035 and their messages as public client
code quotes real answers; 400105 from DingTalk's custom-robot error table; 460101 from the issue.
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

MAX_BODY = 20_000
RATE_LIMITS = ((20, 60.0),)  # (messages, seconds)
BLOCK_SECONDS = 600.0
BLOCK_PAGE = "https://dingtalk-block.invalid/robot/blocked"  # .invalid never resolves (RFC 2606)
SIGN_TOLERANCE = 3600.0
REQUIRED = {
    "text": ("content",),
    "markdown": ("title", "text"),
    "link": ("title", "text", "messageUrl"),
    "actionCard": ("title", "text"),
    "feedCard": ("links",),
}
ERRMSG = {
    0: "ok",
    130101: "send too fast, exceed 20 times per minute",
    300001: "token is not exist",
    -1: "系统繁忙",
    310000: "sign not match",
    400105: "不支持的消息类型",
    460101: "message too long, exceed 20000 bytes",
}


def _expected_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _answer(errcode, errmsg: str | None = None) -> Reply:
    return Reply(200, {"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "error")})


def _accepted(ok: Reply, fault: dict | None) -> Reply:
    """The answer to an accepted message: at once, or `late` (silence, then the answer) or `drip`-fed."""
    if fault and fault["kind"] == "late":
        return Reply(ok.status, ok.body, ok.headers, delay=float(fault.get("seconds", 30)))
    if fault and fault["kind"] == "drip":
        return Reply(ok.status, ok.body, ok.headers, drip=float(fault.get("seconds", 1)))
    return ok


class DingTalkRobot:
    def __init__(self, token: str, secret: str | None, keywords=(), faults=(), clock=time.time):
        self.token = token
        self.secret = secret or None  # "" is an unsigned robot, as in the scenario format
        self.keywords = tuple(keywords)
        self.clock = clock
        self.messages: list[dict] = []
        self.queries: list[dict] = []  # each accepted post's query (access_token, timestamp, sign)
        self.attempts = 0
        self._faults = Staged(faults)
        self._rate = RateWindow(RATE_LIMITS)
        self.blocked_until = float("-inf")
        self._lock = threading.Lock()

    def handle_request(self, method, path, query, headers, body, raw_query):
        if method != "POST" or path != "/robot/send":
            return Reply(404, {"errcode": 404, "errmsg": "请求的URI地址不存在"})
        with self._lock:
            self.attempts += 1
            refusal = self._refusal(query, body)
            if refusal:
                return refusal
            now = self.clock()
            if now < self.blocked_until:
                return Reply(302, "", {"Location": BLOCK_PAGE})
            if self._rate.full(now):
                self.blocked_until = now + BLOCK_SECONDS
                return _answer(130101)
            fault = self._faults.take()
            if fault and fault.get("kind") == "blocked":
                self.blocked_until = now + BLOCK_SECONDS
                return Reply(302, "", {"Location": BLOCK_PAGE})
            if fault and fault.get("kind") == "echo_url":
                return _answer(300001, f"token is not exist: POST /robot/send?{raw_query}")
            if fault and "errcode" in fault:
                return _answer(fault["errcode"], fault.get("errmsg"))
            if fault and fault.get("kind") not in ("late", "drip"):
                return generic(fault)
            self._rate.accepted(now)
            self.messages.append(json.loads(body))
            self.queries.append(dict(query))
            return _accepted(_answer(0), fault)

    def _fresh(self, timestamp_ms: int) -> bool:
        return abs(self.clock() - timestamp_ms / 1000) <= SIGN_TOLERANCE

    def _refusal(self, query, body) -> Reply | None:
        if not query.get("access_token"):
            return _answer(40035, "缺少参数 access_token")
        if query["access_token"] != self.token:
            return _answer(300001)
        if self.secret:
            refused = self._sign_refusal(query)
            if refused:
                return refused
        if len(body) > MAX_BODY:
            return _answer(460101)
        return _message_refusal(body, self.keywords)

    def _sign_refusal(self, query) -> Reply | None:
        """310000 unless the timestamp is fresh and the sign is the secret's."""
        timestamp = query.get("timestamp", "")
        if not re.fullmatch(r"[0-9]{1,16}", timestamp) or not self._fresh(int(timestamp)):
            return _answer(310000, "invalid timestamp")
        expected = _expected_sign(self.secret, timestamp)
        if not hmac.compare_digest(query.get("sign", "").encode(), expected.encode()):
            return _answer(310000)
        return None


def _message_refusal(body: bytes, keywords) -> Reply | None:
    """DingTalk's error for a body that is not a JSON object, of an unknown msgtype, missing a field that
    msgtype requires, or without any of the robot's keywords; None for a message it takes."""
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        return _answer(40035, "缺少参数 json")
    msgtype = message.get("msgtype")
    if not isinstance(msgtype, str) or msgtype not in REQUIRED:
        return _answer(400105)
    content = message.get(msgtype)
    for field in REQUIRED[msgtype]:
        if not isinstance(content, dict) or not content.get(field):
            return _answer(40035, f"缺少参数 {msgtype}.{field}")
    if keywords and not any(k in s for s in strings(content) for k in keywords):
        return _answer(310000, "keywords not in content")
    return None
