"""Reading scenario data: relative times, durations, sizes, and errors that name the key.

Times are relative to the anchor (`-7h`, `-2d3h`, `+30m`) or absolute (`2026-11-20T02:00:00Z`);
durations are `3m`, `1h30m`, `45s`; sizes are bytes or `5GB`, `300MB` (binary units).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping

_PARTS = re.compile(r"(\d+)([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)", re.IGNORECASE)
_SIZE_FACTOR = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


class ScenarioError(ValueError):
    """Bad scenario data; the message starts with the scenario and the key path."""


def parse_duration(text: str) -> timedelta:
    """`1h30m` -> timedelta; ValueError when it is not one."""
    if not isinstance(text, str) or not re.fullmatch(r"(?:\d+[dhms])+", text):
        raise ValueError(f"{text!r} is not a duration (use e.g. 3m, 1h, 2d3h)")
    return sum((timedelta(**{_UNITS[unit]: int(n)}) for n, unit in _PARTS.findall(text)), timedelta())


def parse_time(value: Any, anchor: datetime) -> datetime:
    """A relative (`-7h`) or absolute time as an aware UTC datetime."""
    if isinstance(value, datetime):  # YAML reads unquoted ISO timestamps itself
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if isinstance(value, str) and value[:1] in "+-" and len(value) > 1:
        offset = parse_duration(value[1:])
        return anchor - offset if value[0] == "-" else anchor + offset
    if isinstance(value, str):
        try:
            return parse_time(datetime.fromisoformat(value.replace("Z", "+00:00")), anchor)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a time (use -7h, -2d3h, +30m or 2026-11-20T02:00:00Z)")


def parse_size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a size (use bytes or e.g. 5GB, 300MB)")
    return int(float(match[1]) * _SIZE_FACTOR[match[2].upper()])


def parse_anchor(value: datetime | str | None) -> datetime:
    """The run's anchor: given, or now truncated to the minute (UTC)."""
    if value is None:
        return datetime.now(timezone.utc).replace(second=0, microsecond=0)
    if isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError(f"anchor {value!r} needs a time of day")
    return parse_time(value, datetime.now(timezone.utc))


class Section:
    """One mapping of the scenario, with its key path for error messages and a check on typos."""

    def __init__(self, data: Any, where: str, allowed: tuple[str, ...]):
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ScenarioError(f"{where}: expected a mapping, got {type(data).__name__}")
        unknown = sorted(str(key) for key in data if key not in allowed)
        if unknown:
            raise ScenarioError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(allowed)})")
        self.data, self.where = data, where

    def key(self, name: str) -> str:
        return f"{self.where}.{name}"

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def fail(self, name: str, why: str) -> ScenarioError:
        return ScenarioError(f"{self.key(name)}: {why}")

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(name, f"expected text, got {type(value).__name__}")
        return str(value)

    def required(self, name: str) -> str:
        if not self.has(name):
            raise self.fail(name, "is required")
        return self.text(name)

    def whole(self, name: str, default: int, minimum: int = 0) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(name, f"expected a whole number >= {minimum}, got {value!r}")
        return value

    def choice(self, name: str, options: tuple, default):
        """One of `options` (text or booleans, as YAML reads them), else the default when absent."""
        value = self.data.get(name, default)
        if value not in options or isinstance(value, bool) is not isinstance(options[0], bool):
            raise self.fail(name, f"{value!r} is not one of {', '.join(map(str, options))}")
        return value

    def number(self, name: str, default: float) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.fail(name, f"expected a number >= 0, got {value!r}")
        return float(value)

    def _convert(self, name: str, parse, default):
        if not self.has(name):
            return default
        try:
            return parse(self.data[name])
        except ValueError as error:
            raise self.fail(name, str(error)) from None

    def time(self, name: str, anchor: datetime, default: datetime | None = None) -> datetime | None:
        return self._convert(name, lambda value: parse_time(value, anchor), default)

    def duration(self, name: str, default: timedelta) -> timedelta:
        return self._convert(name, parse_duration, default)

    def size(self, name: str, default: int) -> int:
        return self._convert(name, parse_size, default)

    def items(self, name: str) -> list:
        value = self.data.get(name) or []
        if not isinstance(value, list):
            raise self.fail(name, f"expected a list, got {type(value).__name__}")
        return value

    def section(self, name: str, allowed: tuple[str, ...]) -> "Section":
        return Section(self.data.get(name), self.key(name), allowed)
