"""Slack incoming webhook emulator: `POST /services/T…/B…/X…` with a JSON body.

Answers are short text/plain strings, as the real webhooks send them (Slack's "Handling errors"
table for incoming webhooks and its 2016-05-17 changelog), checked in this order:
- 404 `no_service` for a path of another shape; then 404 `no_team` / 404 `no_service` /
  403 `invalid_token` when the team (T…), the webhook (B…) or the secret last segment differs;
- 400 `invalid_payload` for a body that is not a JSON object or has none of `text`, `blocks`,
  `attachments`;
- 400 `invalid_blocks_format` when `blocks` is not a list;
- 400 `invalid_blocks` when the blocks break Block Kit rules: more than 50 blocks, an unknown block
  type, or a block the `slack_sdk` models refuse (`Block.parse` then `validate_json`: e.g. a
  section text over 3,000 characters, a header over 150, a `rich_text` element of an unknown type)
  or cannot even build; plus the rules
  those models let through: a header's text must be `plain_text`, a section's `plain_text` or
  `mrkdwn`;
- 400 `msg_blocks_too_long` when the text of all blocks together (every `text` and `url` string, rich_text
  elements included) is over 12,000 characters (no
  documented limit: slackapi/bolt-js#2509 measured the refusal at ~13,200-13,297 characters, issue 13
  puts it near 12,000-13,000; the emulator refuses from the lower figure, so the function must stay
  within it);
- then a staged scenario fault (see `staged.py`) instead of success: `{status: 429, retry_after: S}`
  answers `rate_limited` with `Retry-After: S` (Slack's rate-limit doc, https://api.slack.com/docs/rate-limits);
  `{status: N[, error: e]}` answers `e` (default by status: `no_service`, `rollup_error`,
  `service_unavailable`, …; `{status: 200, error: e}` is a 200 whose body is not `ok`);
  `{kind: echo_url[, status: 404]}` answers `no route POST /services/T…/B…/<token>` (a proxy's text
  that repeats the path, token included); `{kind: late, seconds: S}` / `{kind: drip, seconds: S}`
  accept the message and answer late / byte by byte; the generic kinds of `staged.generic`;
  `{kind: reset}` drops the connection;
- else 200 `ok`, and the parsed body is appended to `.messages`.
"""
from __future__ import annotations

import json
import threading

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from sandbox.httpserver import Reply
from sandbox.staged import Staged, generic

MAX_BLOCKS = 50
MAX_TOTAL_TEXT = 12_000
CONTENT_KEYS = ("text", "blocks", "attachments")
TEXT_TYPES = {"header": {"plain_text"}, "section": {"plain_text", "mrkdwn"}}
FAULT_ERRORS = {
    403: "invalid_token",
    404: "no_service",
    410: "channel_is_archived",
    429: "rate_limited",
    500: "rollup_error",
    503: "service_unavailable",
}


def _blocks_error(blocks) -> str | None:
    if not isinstance(blocks, list):
        return "invalid_blocks_format"
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    if total_text(blocks) > MAX_TOTAL_TEXT:
        return "msg_blocks_too_long"
    for raw in blocks:
        if not _block_ok(raw):
            return "invalid_blocks"
    return None


def total_text(blocks) -> int:
    """Characters of text in the blocks: every `text` and `url` string at any depth (a section's or
    header's text object, context elements, rich_text elements and their links)."""
    if isinstance(blocks, dict):
        return sum(len(v) if k in ("text", "url") and isinstance(v, str) else total_text(v) for k, v in blocks.items())
    return sum(total_text(v) for v in blocks) if isinstance(blocks, list) else 0


def _block_ok(raw) -> bool:
    """A block slack_sdk's model builds and validates, its text of a type its block type allows."""
    try:
        block = Block.parse(raw)
        if block is None:  # an unknown type (or not a block at all)
            return False
        block.validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError):
        return False  # refused by the model, or too malformed to build one
    text = raw.get("text")
    allowed = TEXT_TYPES.get(raw["type"])
    return not (allowed and isinstance(text, dict) and text.get("type") not in allowed)


class SlackWebhook:
    def __init__(self, path: str, faults=()):
        self.path = path.strip("/")
        self._team, self._service, self._token = self.path.split("/")  # a malformed path fails here
        self.messages: list[dict] = []
        self.attempts = 0
        self._faults = Staged(faults)
        self._lock = threading.Lock()

    def handle_request(self, method, path, query, headers, body, raw_query):
        with self._lock:
            self.attempts += 1
            refusal = self._refusal(method, path, body)
            if refusal:
                return refusal
            fault = self._faults.take()
            if fault and fault.get("kind") == "echo_url":
                return Reply(int(fault.get("status", 404)), f"no route {method} {path}")
            if fault and "status" in fault and "kind" not in fault:
                status = int(fault["status"])
                retry = {"Retry-After": str(fault.get("retry_after", 1))} if status == 429 else {}
                return Reply(status, fault.get("error") or FAULT_ERRORS.get(status, "rollup_error"), retry)
            if fault and fault.get("kind") not in ("late", "drip"):
                return generic(fault)
            self.messages.append(json.loads(body))
            if fault and fault["kind"] == "late":
                return Reply(200, "ok", delay=float(fault.get("seconds", 30)))
            if fault and fault["kind"] == "drip":
                return Reply(200, "ok", drip=float(fault.get("seconds", 1)))
            return Reply(200, "ok")

    def _refusal(self, method, path, body) -> Reply | None:
        given = path.removeprefix("/services/").split("/") if path.startswith("/services/") else []
        if method != "POST" or len(given) != 3:
            return Reply(404, "no_service")
        if given[0] != self._team:
            return Reply(404, "no_team")
        if given[1] != self._service:
            return Reply(404, "no_service")
        if given[2] != self._token:
            return Reply(403, "invalid_token")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not any(payload.get(k) for k in CONTENT_KEYS):
            return Reply(400, "invalid_payload")
        if "blocks" in payload:
            error = _blocks_error(payload["blocks"])
            if error:
                return Reply(400, error)
        return None
