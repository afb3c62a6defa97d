"""What FC hands the handler: the event bytes and the context, read into plain values."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping

from .fanout import MAX_PIECES, RUN_ID
from .settings import SettingsError
from .window import parse_api_time

# FC's default timeout when the context does not say; a local run has no deadline of its own.
DEFAULT_TIMEOUT_SECONDS = 300
# FC's trigger names: letters, digits, '_' and '-', 1-128 characters, not starting with a digit or '-'
# (alibabacloud_fc20230330/models/_create_trigger_input.py, trigger_name). The archive keys a run by it.
TRIGGER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")


@dataclass(frozen=True)
class PieceRef:
    """A piece of a fanned-out run, as its async task's event names it: the run (fanout.RUN_ID), the
    UTC day and trigger it is filed under, and the piece's index in the run's manifest (COLLECT_INDEX: the run's
    collect task)."""

    run: str
    day: date
    trigger_name: str
    index: int


@dataclass(frozen=True)
class TimerEvent:
    """The event: a timer's `triggerTime` (UTC), `triggerName` and `payload` (settings), or, for a piece of a
    fanned-out run started by the function itself, `piece` (nothing else of such an event is read)."""

    trigger_time: datetime | None = None
    trigger_name: str = ""
    payload: Mapping[str, object] = field(default_factory=dict)
    piece: PieceRef | None = None


# A piece's event, as fanout/ writes it: {"piece": {"run": "r20261128010000a1b2c3d4", "day": "2026-11-28",
# "trigger": "daily", "index": 3}}; the run's collect task's: {"collect": {"run": …, "day": …, "trigger": …}}.
MAX_PIECE_INDEX = MAX_PIECES - 1
COLLECT_INDEX = -1  # the PieceRef of a run's collect task


def _piece(value: object, collect: bool = False) -> PieceRef:
    """The `piece` (or `collect`) of an event. Raises SettingsError naming the form."""
    form = 'event piece: expected {"run": "r<14 digits><8 hex>", "day": "YYYY-MM-DD", "trigger": <a trigger name>, ' \
           f'"index": 0-{MAX_PIECE_INDEX}}} (a collect: the same without "index")'
    keys = {"run", "day", "trigger"} | ({"index"} if collect is False else set())
    if not isinstance(value, Mapping) or set(value) != keys:
        raise SettingsError([form])
    index = COLLECT_INDEX if collect else value["index"]
    day = _day(value["day"])
    if day is None or not _piece_named(value["run"], value["trigger"]) or \
            not (type(index) is int and (collect or 0 <= index <= MAX_PIECE_INDEX)):
        raise SettingsError([form])
    return PieceRef(value["run"], day, value["trigger"], index)


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _piece_named(run: object, trigger: object) -> bool:
    return isinstance(run, str) and RUN_ID.fullmatch(run) is not None and isinstance(trigger, str) and \
        (trigger == "" or TRIGGER_NAME.fullmatch(trigger) is not None)


def parse_event(event: bytes | str | Mapping | None) -> TimerEvent:
    """The timer trigger's JSON, `{}`, or any JSON object from a manual `s invoke`."""
    event = _json(event) or {}
    if not isinstance(event, Mapping):
        raise SettingsError(["event: expected a JSON object like "
                             '{"triggerTime": "2026-11-28T01:00:00Z", "payload": "{}"}'])
    if "piece" in event or "collect" in event:  # an async task of a fanned-out run: nothing else is read
        return TimerEvent(piece=_piece(event["piece"]) if "piece" in event else _piece(event["collect"], True))
    problems: list[str] = []
    trigger_time = None
    if event.get("triggerTime"):
        trigger_time = parse_api_time(str(event["triggerTime"]))
        if trigger_time is None:
            problems.append(f"event triggerTime {str(event['triggerTime'])[:40]!r}: expected UTC like "
                            "2026-11-28T01:00:00Z, from 1970 to 2199")
    name = event.get("triggerName") or ""
    if name and not (isinstance(name, str) and TRIGGER_NAME.fullmatch(name)):
        problems.append(f"event triggerName {str(name)[:40]!r}: FC's trigger names are 1-128 letters, digits, "
                        "'_' and '-', not starting with a digit or '-'")
        name = ""
    payload = _payload(event.get("payload"), problems)
    if problems:
        raise SettingsError(problems)
    return TimerEvent(trigger_time, name, payload)


def _json(event: bytes | str | Mapping | None) -> object:
    """The event's bytes or text as JSON values (a mapping as it is). Raises SettingsError for what is not JSON."""
    if isinstance(event, (bytes, bytearray)):
        event = event.decode("utf-8", errors="replace")
    if not isinstance(event, str):
        return event
    text = event.strip()
    try:
        return json.loads(text) if text else {}
    except (ValueError, RecursionError):  # not JSON, a 5,000-digit number, nesting past the stack
        raise SettingsError(["event: not JSON; expected the timer trigger's JSON object or {}"]) from None


# FC's own timer example carries the payload "awesome-fc" (devsapp/fc3, docs/zh/yaml/readme.md): a
# trigger copied from it must be named, not read as "no settings".
PAYLOAD_FORM = ('a JSON object of settings in lower case, like {"regions": "cn-shanghai"}, or {} '
                "(FC's example payload \"awesome-fc\" is not one)")


def _payload(value: object, problems: list[str]) -> Mapping[str, object]:
    # The timer trigger delivers `payload` as a string; a manual invoke may send the object itself.
    if value is None or (isinstance(value, str) and not value.strip()):  # blank, as s.yaml may leave it
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # not JSON, a 5,000-digit number, nesting past the stack
            problems.append(f"event payload: not JSON; expected {PAYLOAD_FORM}")
            return {}
    if not isinstance(value, Mapping):
        problems.append(f"event payload: not a JSON object; expected {PAYLOAD_FORM}")
        return {}
    return value


@dataclass(frozen=True)
class Credentials:
    access_key_id: str = field(repr=False)
    access_key_secret: str = field(repr=False)
    security_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Invocation:
    """FC's context as read: `function_name` and `qualifier` "" when it did not say (a local run)."""

    request_id: str
    region: str
    timeout_seconds: float
    credentials: Credentials | None
    function_name: str = ""
    qualifier: str = ""


def read_context(context: object, environ: Mapping[str, str] = os.environ) -> Invocation:
    """FC's context: request ID, the role's STS credentials, region, function timeout, the function's name and
    qualifier (`context.function.name`; the qualifier as `context.function.qualifier` or FC 2.0's
    `context.service.qualifier`), as FC's Python runtime gives them (the FC_FUNCTION_NAME environment variable
    where the context has no name)."""
    creds = _context_credentials(getattr(context, "credentials", None)) or _env_credentials(environ)
    function = getattr(context, "function", None)
    timeout = _seconds(getattr(function, "timeout", None)) or _seconds(environ.get("FC_FUNCTION_TIMEOUT")) \
        or DEFAULT_TIMEOUT_SECONDS
    region = getattr(context, "region", "") or environ.get("FC_REGION") or environ.get("ALIBABA_CLOUD_REGION_ID", "")
    return Invocation(
        request_id=str(getattr(context, "request_id", "") or "local"),
        region=str(region),
        timeout_seconds=timeout,
        credentials=creds,
        function_name=_word(getattr(function, "name", "") or environ.get("FC_FUNCTION_NAME", "")),
        qualifier=_word(getattr(function, "qualifier", "") or getattr(getattr(context, "service", None), "qualifier", "")),
    )


def _word(value: object) -> str:
    """A name of FC's form (letters, digits, '_' and '-', at most 128), else ""."""
    text = value if isinstance(value, str) else ""
    return text if re.fullmatch(r"[A-Za-z0-9_-]{1,128}", text) else ""


def _seconds(value: object) -> float:
    """A positive number of seconds, or 0 when `value` is none (FC always gives one; a local context
    or an environment variable may not)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return seconds if 0 < seconds < float("inf") else 0.0


def _context_credentials(creds: object) -> Credentials | None:
    if creds is None:
        return None
    key = getattr(creds, "access_key_id", None) or getattr(creds, "accessKeyId", None)
    secret = getattr(creds, "access_key_secret", None) or getattr(creds, "accessKeySecret", None)
    token = getattr(creds, "security_token", None) or getattr(creds, "securityToken", None)
    if not key or not secret:
        return None
    return Credentials(str(key), str(secret), str(token or ""))


def _env_credentials(environ: Mapping[str, str]) -> Credentials | None:
    key = environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
    secret = environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
    if not key or not secret:
        return None
    return Credentials(key, secret, environ.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""))
