"""The stages' results as JSON and back: any of model.py's dataclasses (Findings, Checked, Verdict, Coverage,
…) dumped to plain JSON values and loaded again, so a stage can run in another invocation and hand its
result on (a piece of a many-account run writes its Findings; the collect step reads them back).

What is loaded is untrusted: every value must have the type its field declares (a bool is not an int, a
float not an int), dates and times must read, enums must be known members, and nothing else is accepted;
a value of another form raises ValueError naming where it is. Strings are cut as where they are read from
the API (bounded.py), so a loaded Findings costs what a scanned one does.
"""
from __future__ import annotations

import dataclasses
import sys
import types
import typing
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from . import bounded

MAX_TEXT = 4 * bounded.MESSAGE  # a loaded string's longest (details, notes): what the run itself writes


def dump(value: Any) -> Any:
    """`value` (a dataclass, enum, datetime, date, tuple, frozenset, list, dict or plain value) as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(dump(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


def load(kind: Any, data: Any, where: str = "$") -> Any:
    """`data` (JSON values) as an instance of `kind` (a type or a typing form). Raises ValueError."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(kind), data, where)
    if origin in (tuple, list, frozenset, dict):
        return _container(origin, typing.get_args(kind), data, where)
    if dataclasses.is_dataclass(kind):
        return _dataclass(kind, data, where)
    return _plain(kind, data, where)


def _union(options: tuple, data: Any, where: str) -> Any:
    if data is None and type(None) in options:
        return None
    kinds = [o for o in options if o is not type(None)]
    if len(kinds) == 1:  # an optional value: its own error says where
        return load(kinds[0], data, where)
    for option in kinds:
        try:
            return load(option, data, where)
        except ValueError:
            continue
    raise ValueError(f"{where}: not any of {', '.join(getattr(o, '__name__', str(o)) for o in kinds)}")


def _container(origin: type, args: tuple, data: Any, where: str) -> Any:
    if origin is dict:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: not an object")
        return {load(args[0], k, f"{where}.key"): load(args[1], v, f"{where}.{k}") for k, v in data.items()}
    if not isinstance(data, list):
        raise ValueError(f"{where}: not a list")
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        if len(data) != len(args):
            raise ValueError(f"{where}: {len(data)} items, not {len(args)}")
        return tuple(load(a, v, f"{where}[{n}]") for n, (a, v) in enumerate(zip(args, data)))
    items = [load(args[0], v, f"{where}[{n}]") for n, v in enumerate(data)]
    return {tuple: tuple, list: list, frozenset: frozenset}[origin](items)


def _dataclass(kind: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: not an object")
    fields = {f.name: f for f in dataclasses.fields(kind) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0][:40]!r}")
    hints = _hints(kind)
    values = {name: load(hints[name], data[name], f"{where}.{name}") for name in fields if name in data}
    try:
        return kind(**values)
    except TypeError:  # a required field absent
        raise ValueError(f"{where}: a required field of {kind.__name__} is absent") from None


def _plain(kind: Any, data: Any, where: str) -> Any:
    if kind is Any:
        return data
    if kind is type(None):
        if data is None:
            return None
    elif isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(data)
        except ValueError:
            raise ValueError(f"{where}: not a {kind.__name__}") from None
    elif kind is datetime or kind is date:
        return _moment(kind, data, where)
    elif kind is str:
        if isinstance(data, str):
            return bounded.text(data, MAX_TEXT)
    elif kind is float:
        if type(data) in (int, float):
            return float(data)
    elif kind in (int, bool):
        if type(data) is kind:
            return data
    raise ValueError(f"{where}: not a {getattr(kind, '__name__', kind)}")


def _moment(kind: type, data: Any, where: str) -> Any:
    if isinstance(data, str) and len(data) <= 40:
        try:
            moment = kind.fromisoformat(data)
        except ValueError:
            pass
        else:
            if kind is date or moment.tzinfo is not None:  # every time the run keeps is aware (UTC)
                return moment
    raise ValueError(f"{where}: not a {kind.__name__} in ISO 8601")


@lru_cache(maxsize=None)
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind, vars(sys.modules[kind.__module__]))
