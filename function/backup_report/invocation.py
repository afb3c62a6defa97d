"""What FC hands the handler: the event bytes and the context, read into plain values."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from .settings import SettingsError
from .window import parse_api_time

# FC's default timeout when the context does not say; a local run has no deadline of its own.
DEFAULT_TIMEOUT_SECONDS = 300
# FC's trigger names: letters, digits, '_' and '-', 1-128 characters, not starting with a digit or '-'
# (alibabacloud_fc20230330/models/_create_trigger_input.py, trigger_name). The archive keys a run by it.
TRIGGER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")


@dataclass(frozen=True)
class TimerEvent:
    trigger_time: datetime | None = None
    trigger_name: str = ""
    payload: Mapping[str, object] = field(default_factory=dict)


def parse_event(event: bytes | str | Mapping | None) -> TimerEvent:
    """The timer trigger's JSON, `{}`, or any JSON object from a manual `s invoke`."""
    if isinstance(event, (bytes, bytearray)):
        event = event.decode("utf-8", errors="replace")
    if isinstance(event, str):
        text = event.strip()
        try:
            event = json.loads(text) if text else {}
        except (ValueError, RecursionError):  # not JSON, a 5,000-digit number, nesting past the stack
            raise SettingsError(["event: not JSON; expected the timer trigger's JSON object or {}"]) from None
    event = event or {}
    if not isinstance(event, Mapping):
        raise SettingsError(["event: expected a JSON object like "
                             '{"triggerTime": "2026-11-28T01:00:00Z", "payload": "{}"}'])
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
    request_id: str
    region: str
    timeout_seconds: float
    credentials: Credentials | None


def read_context(context: object, environ: Mapping[str, str] = os.environ) -> Invocation:
    """FC's context: request ID, the role's STS credentials, region, function timeout."""
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
    )


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
