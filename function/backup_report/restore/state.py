"""A restore test's state between runs, kept in the archive (one JSON object, restore/store.py) and read back as
untrusted data: every field checked and bounded here, anything else `Unreadable`.

    {"version": 1,
     "current": null | {"run", "source", "region", "backup", "cluster_set", "clone", "created", "price",
                        "currency", "size"},                 # the clone being restored (one at a time)
     "week": "2026-W48", "tested": [source IDs tested (or tried) this ISO week],
     "cursor": the last source ID of the rotation,
     "history": [{"day", "source", "outcome", "minutes", "used_memory", "words"}, … newest last, MAX_HISTORY],
     "leftovers": [{"clone", "region", "error"}, … MAX_LEFTOVERS],   # clones not yet released
     "last": null | the time of the latest step}                      # steps never go back (restore/step.py)

Times are UTC ISO 8601; `minutes` from CreateInstance to the run that saw Normal; `used_memory` bytes.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone

from .. import bounded

VERSION = 1
MAX_BYTES = 256 * 1024
MAX_HISTORY = 52  # a year of weekly tests
MAX_LEFTOVERS = 20
MAX_TESTED = 50
OUTCOMES = ("passed", "failed", "refused", "skipped")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:#-]{0,127}")
WEEK = re.compile(r"\d{4}-W\d{2}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
REGION = re.compile(r"[a-z0-9-]{1,64}")
CURRENCY = re.compile(r"[A-Z]{1,8}")
MAX_WORDS = 300
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def one_line(text: str) -> str:
    """`text` as words the state keeps: control characters (a line break in an API's error code) as spaces, at most
    MAX_WORDS characters (a longer one ends in "…"), lone surrogates as U+FFFD (bounded.text: else the state's
    UTF-8 could not be written). What is kept must read back (`loads`)."""
    return bounded.text("".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text), MAX_WORDS)


class Unreadable(ValueError):
    """The kept state is not one this function writes: its words say what is wrong (never its content)."""


@dataclass(frozen=True)
class Current:
    """The clone under test: `run` names the test (its tag's value), `source` the instance whose `backup` (a
    BackupId, or a ClusterBackupId when `cluster_set`) it restores in `region`; `created` when CreateInstance
    answered (UTC); `price` what DescribePrice gave, in `currency`."""

    run: str
    source: str
    region: str
    backup: str
    cluster_set: bool
    clone: str
    created: datetime
    price: float
    currency: str
    size: int = 0  # the backup's size in bytes (0: not answered)


@dataclass(frozen=True)
class Outcome:
    """One finished test: the local `day`, the `source`, `outcome` (OUTCOMES), `minutes` to Normal, the clone's
    `used_memory` (bytes) and `words` (what the digest says of it)."""

    day: str
    source: str
    outcome: str
    minutes: int | None = None
    used_memory: int | None = None
    words: str = ""

    def __post_init__(self):
        object.__setattr__(self, "words", one_line(self.words))


@dataclass(frozen=True)
class Leftover:
    """A clone a test made that is not released yet: DeleteInstance's last failure in `error`."""

    clone: str
    region: str
    error: str = ""

    def __post_init__(self):
        object.__setattr__(self, "error", one_line(self.error))


@dataclass(frozen=True)
class State:
    current: Current | None = None
    week: str = ""
    tested: tuple[str, ...] = ()
    cursor: str = ""
    history: tuple[Outcome, ...] = ()
    leftovers: tuple[Leftover, ...] = ()
    last: datetime | None = None  # UTC, the latest step's time

    def finished(self, outcome: Outcome) -> "State":
        """This state with `outcome` recorded and no current test."""
        return replace(self, current=None, history=(self.history + (outcome,))[-MAX_HISTORY:])

    def left(self, clones: list[Leftover]) -> "State":
        return replace(self, leftovers=tuple(clones[:MAX_LEFTOVERS]))


def dumps(state: State) -> bytes:
    """`state` as the object kept. Raises Unreadable when `loads` would not read it back (an answer's value the
    state cannot keep): such a state is not written, and the clone it names is found by its tag."""
    document = asdict(state)
    if state.current is not None:
        document["current"]["created"] = _stamp(state.current.created)
    document["last"] = _stamp(state.last) if state.last else None
    document["version"] = VERSION
    raw = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    loads(raw)
    return raw


def loads(raw: bytes) -> State:
    """The state `raw` holds. Raises Unreadable."""
    if len(raw) > MAX_BYTES:
        raise Unreadable(f"over {MAX_BYTES // 1024} KB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Unreadable("not JSON") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise Unreadable("not a restore test state of this version")
    try:
        return State(current=_current(data.get("current")), week=_text(data.get("week", ""), WEEK, True),
                     tested=tuple(_text(s, ID) for s in _list(data.get("tested", []), MAX_TESTED)),
                     cursor=_text(data.get("cursor", ""), ID, True),
                     history=tuple(_outcome(o) for o in _list(data.get("history", []), MAX_HISTORY)),
                     leftovers=tuple(_leftover(x) for x in _list(data.get("leftovers", []), MAX_LEFTOVERS)),
                     last=_time(data["last"]) if data.get("last") is not None else None)
    except (TypeError, ValueError, KeyError, AttributeError) as why:
        raise Unreadable(f"a field is not as written: {type(why).__name__}") from None


def _list(value, limit: int) -> list:
    if not isinstance(value, list) or len(value) > limit:
        raise ValueError("list")
    return value


def _text(value, pattern: re.Pattern, empty: bool = False) -> str:
    if not isinstance(value, str) or not (pattern.fullmatch(value) or (empty and value == "")):
        raise ValueError("text")
    return value


def _number(value, low: float, high: float, whole: bool = False):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high or \
            (whole and not isinstance(value, int)):
        raise ValueError("number")
    return value


def _words(value) -> str:
    if not isinstance(value, str) or one_line(value) != value:
        raise ValueError("words")
    return value


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value) -> datetime:
    return datetime.strptime(_text(value, STAMP), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _current(value) -> Current | None:
    if value is None:
        return None
    created = _time(value["created"])
    if not isinstance(value["cluster_set"], bool):
        raise ValueError("cluster_set")
    return Current(_text(value["run"], ID), _text(value["source"], ID), _text(value["region"], REGION),
                   _text(value["backup"], ID), value["cluster_set"], _text(value["clone"], ID),
                   created, float(_number(value["price"], 0, 1e9)),
                   _text(value["currency"], CURRENCY), int(_number(value.get("size", 0), 0, 1 << 50, whole=True) or 0))


def _outcome(value) -> Outcome:
    if value["outcome"] not in OUTCOMES:
        raise ValueError("outcome")
    return Outcome(_text(value["day"], DAY), _text(value["source"], ID), value["outcome"],
                   _number(value.get("minutes"), 0, 10**6, whole=True),
                   _number(value.get("used_memory"), 0, 1 << 50, whole=True), _words(value.get("words", "")))


def _leftover(value) -> Leftover:
    return Leftover(_text(value["clone"], ID), _text(value["region"], REGION), _words(value.get("error", "")))


