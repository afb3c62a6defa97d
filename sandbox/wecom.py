"""WeCom (企业微信) group robot (群机器人) emulator: `POST /cgi-bin/webhook/send?key=K` with a JSON body.

Every answer to that path is HTTP 200 with `{"errcode", "errmsg"}` (WeCom's group-robot guide,
https://developer.work.weixin.qq.com/document/path/91770, and its global error codes,
https://developer.work.weixin.qq.com/document/path/90313, as reproduced at
https://static.kancloud.cn/dabashan/qiwei/2376083), checked in this order:
- 93000 `invalid webhook url` for a missing or another key;
- 40058 `Warning: wrong json format. invalid Request Parameter` for a body that is not a JSON object
  (the errcode of an invalid parameter; the exact answer to malformed JSON is not documented);
- 40008 `Warning: wrong json format. invalid message type` for a missing or unknown `msgtype`
  (text, markdown, image, news, file, template_card are known);
- 44004 `empty content` when text.content / markdown.content is missing or empty;
- 40058 `markdown.content exceed max length 4096. invalid Request Parameter` for a markdown content
  over 4,096 UTF-8 bytes ("最长不超过4096个字节"; the errmsg as public client code quotes it), and
  `text.content exceed max length 2048` likewise for a text over 2,048;
- 45009 `api freq out of limit` once 20 messages were accepted in the last 60 s ("每个机器人发送的消息不能
  超过20条/分钟", sliding window on the injectable clock);
- then a staged scenario fault (see `staged.py`) instead of success: `{errcode: N[, errmsg: ...]}`
  (N as given: `0.9`, `false`, `"0"` are staged as such; -1 is `系统繁忙`), `{kind: echo_url}` (93000
  with an errmsg that quotes the request, key included), `{kind: late, seconds: S}` /
  `{kind: drip, seconds: S}` (accepted, answered late / byte by byte), the generic kinds of
  `staged.generic`, or `{kind: reset}`;
- else 0 `ok`, and the parsed body is appended to `.messages`.
Other paths answer HTTP 404.
"""
from __future__ import annotations

import json
import threading
import time

from sandbox.httpserver import Reply
from sandbox.staged import RateWindow, Staged, generic

PATH = "/cgi-bin/webhook/send"
RATE_LIMITS = ((20, 60.0),)  # (messages, seconds)
MAX_CONTENT = {"markdown": 4096, "text": 2048}
KNOWN = ("text", "markdown", "image", "news", "file", "template_card")
ERRMSG = {
    0: "ok",
    -1: "系统繁忙",
    40008: "Warning: wrong json format. invalid message type",
    40058: "Warning: wrong json format. invalid Request Parameter",
    44004: "empty content",
    45009: "api freq out of limit",
    93000: "invalid webhook url",
}


def _answer(errcode, errmsg: str | None = None) -> Reply:
    return Reply(200, {"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "error")})


class WeComRobot:
    def __init__(self, key: str, faults=(), clock=time.time):
        self.key = key
        self.clock = clock
        self.messages: list[dict] = []
        self.attempts = 0
        self._faults = Staged(faults)
        self._rate = RateWindow(RATE_LIMITS)
        self._lock = threading.Lock()

    def handle_request(self, method, path, query, headers, body, raw_query):
        if method != "POST" or path != PATH:
            return Reply(404, "404 not found")
        with self._lock:
            self.attempts += 1
            refusal = self._refusal(query, body)
            if refusal:
                return refusal
            now = self.clock()
            if self._rate.full(now):
                return _answer(45009)
            fault = self._faults.take()
            if fault and "errcode" in fault:
                return _answer(fault["errcode"], fault.get("errmsg"))
            if fault and fault.get("kind") == "echo_url":
                return _answer(93000, f"invalid webhook url: POST {PATH}?{raw_query}")
            if fault and fault.get("kind") not in ("late", "drip"):
                return generic(fault)
            self._rate.accepted(now)
            self.messages.append(json.loads(body))
            ok = _answer(0)
            if fault and fault["kind"] == "late":
                ok.delay = float(fault.get("seconds", 30))
            if fault and fault["kind"] == "drip":
                ok.drip = float(fault.get("seconds", 1))
            return ok

    def _refusal(self, query, body) -> Reply | None:
        if query.get("key") != self.key:
            return _answer(93000)
        try:
            message = json.loads(body)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            return _answer(40058)
        msgtype = message.get("msgtype")
        if not isinstance(msgtype, str) or msgtype not in KNOWN:
            return _answer(40008)
        if msgtype in MAX_CONTENT:
            content = message.get(msgtype, {}).get("content") if isinstance(message.get(msgtype), dict) else None
            if not isinstance(content, str) or not content:
                return _answer(44004)
            if len(content.encode("utf-8")) > MAX_CONTENT[msgtype]:
                return _answer(40058, f"{msgtype}.content exceed max length {MAX_CONTENT[msgtype]}. "
                                      "invalid Request Parameter")
        return None
