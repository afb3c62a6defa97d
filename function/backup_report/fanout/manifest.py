"""A fanned-out run's manifest and its pieces' results as data: what they hold, where they are kept, and how
they are read back (untrusted: codec.load's types, and the bounds here). Pure.

Objects, under the archive's prefix (ARCHIVE_OSS_PREFIX) and `runs/YYYY/MM/DD/` (the run's UTC day), each kind
in a folder of its own so that a listing reads only what it needs: `manifests/<trigger>/<run>.json`,
`pieces/<trigger>/<run>/<index>.json`, `claims/<trigger>/<run>/<n>.json` (who collects: the first writer of a
number wins, OSS refusing the second, x-oss-forbid-overwrite) and `posted/<trigger>/<run>.json`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from .. import codec
from . import MAX_PIECES, RUN_ID
from ..model import Account, AccountFailure, Coverage, Findings

MAX_PAYLOAD_CHARS = 64 * 1024
# What a piece may take, at most, before collect names it late: FC's async attempts (the first and
# s.yaml's asyncInvokeConfig.maxAsyncRetryAttempts, 2) of a whole timeout each, in waves of RESERVED_CONCURRENCY
# pieces at once (s.yaml's concurrencyConfig), and their back-offs. FC publishes no interval between retries of a
# function error: RETRY_WAITS is this project's allowance for them.
ATTEMPTS = 3
RESERVED_CONCURRENCY = 10
RETRY_WAITS = timedelta(minutes=10)


@dataclass(frozen=True)
class Piece:
    """One piece of a run: its `index` in the manifest and the account it reads."""

    index: int
    account: Account


@dataclass(frozen=True)
class Manifest:
    """A fanned-out run: `run` (RUN_ID), the timer's `trigger_name` and `trigger_time` (UTC), its `payload` as
    the JSON text the event carried, `created` and `deadline` (UTC: when collect names a piece not finished as
    late), the function's `function` name and `qualifier` its pieces run as, `own_id` the function's own
    account ("" when not known), the `pieces`, and `failures`: what could not be read before any piece (the
    Resource Directory's listing)."""

    run: str
    day: date
    trigger_name: str
    trigger_time: datetime | None
    payload: str
    created: datetime
    deadline: datetime
    function: str
    qualifier: str
    pieces: tuple[Piece, ...]
    own_id: str = ""
    failures: tuple[AccountFailure, ...] = ()


@dataclass(frozen=True)
class PieceResult:
    """What one piece read: its run and index, its account's Findings (instances, region failures; `unwatched`
    left empty) and its regions' coverage."""

    run: str
    index: int
    account_id: str
    findings: Findings
    coverage: tuple[Coverage, ...] = field(default_factory=tuple)


def run_id(started: datetime, request_id: str) -> str:
    """A run's ID: its start (UTC, to the second) and 8 hex digits of its request ID: letters and digits only,
    so every task ID made of it is one FC accepts."""
    return f"r{started:%Y%m%d%H%M%S}" + hashlib.sha256(request_id.encode()).hexdigest()[:8]


def task_id(run: str, index: int | str) -> str:
    """The piece's async task ID, `<run>-<index>` (`<run>-collect` for the run's collect): the same task started
    twice is refused by FC (409)."""
    return f"{run}-{index}"


MANUAL = "manual"  # the folder of a run no timer started (as the archive's)


def day_prefix(prefix: str, day: date, kind: str) -> str:
    """`<prefix>runs/YYYY/MM/DD/<kind>/`: one kind of a day's objects (manifests, pieces, claims, posted)."""
    return f"{prefix}runs/{day:%Y/%m/%d}/{kind}/"


def key(prefix: str, day: date, kind: str, trigger_name: str, run: str, name: str | None = None) -> str:
    """`…/<kind>/<trigger>/<run>` + `.json`, or + `/<name>` (a piece's or a claim's, `<n>.json`; "" for the run's
    folder of them)."""
    base = f"{day_prefix(prefix, day, kind)}{trigger_name or MANUAL}/{run}"
    return f"{base}/{name}" if name is not None else f"{base}.json"


def manifest_key(prefix: str, m: Manifest) -> str:
    return key(prefix, m.day, "manifests", m.trigger_name, m.run)


def piece_key(prefix: str, m: Manifest, index: int) -> str:
    return key(prefix, m.day, "pieces", m.trigger_name, m.run, f"{index}.json")


def deadline(created: datetime, timeout_seconds: float, pieces: int = 1) -> datetime:
    """When `pieces` started at `created` have had every FC async attempt: ATTEMPTS of a whole timeout, in
    waves of RESERVED_CONCURRENCY, and RETRY_WAITS."""
    waves = -(-max(1, pieces) // RESERVED_CONCURRENCY)
    return created + ATTEMPTS * waves * timedelta(seconds=timeout_seconds) + RETRY_WAITS


def dumps(value: Manifest | PieceResult) -> bytes:
    return json.dumps(codec.dump(value), ensure_ascii=False).encode("utf-8")


def _payload(data: object) -> str:
    """The manifest's payload as written, read beside codec (which cuts a long string: a payload cut would be
    another payload): a string of at most MAX_PAYLOAD_CHARS."""
    text = data.pop("payload", None) if isinstance(data, dict) else None
    if not isinstance(text, str) or len(text) > MAX_PAYLOAD_CHARS:
        raise ValueError("manifest: its payload is over its bounds or not a string")
    return text


def load_manifest(body: bytes, expected_run: str = "") -> Manifest:
    """A manifest read back (untrusted): its types, RUN_ID, at most MAX_PIECES pieces of distinct indexes
    0…n-1 and distinct accounts, a payload of at most MAX_PAYLOAD_CHARS; `expected_run` when given. Raises
    ValueError naming what is wrong."""
    data = _json(body)
    payload = _payload(data)
    m = replace(codec.load(Manifest, {**data, "payload": ""}, "manifest"), payload=payload)
    if not RUN_ID.fullmatch(m.run) or (expected_run and m.run != expected_run):
        raise ValueError("manifest: not this run's")
    if len(m.pieces) > MAX_PIECES:
        raise ValueError("manifest: over its bounds")
    if [p.index for p in m.pieces] != list(range(len(m.pieces))) or \
            len({p.account.account_id for p in m.pieces}) != len(m.pieces):
        raise ValueError("manifest: pieces not numbered 0…n-1 or an account twice")
    return m


def load_piece(body: bytes, m: Manifest, index: int) -> PieceResult:
    """A piece's result read back (untrusted): its types, and its run, index and account those of the
    manifest's piece; every instance, region failure and coverage line of that account. Raises ValueError."""
    r = codec.load(PieceResult, _json(body), "piece")
    account = m.pieces[index].account.account_id
    if r.run != m.run or r.index != index or r.account_id != account:
        raise ValueError("piece: not this piece's result")
    if any(c.instance.account_id != account for c in r.findings.checked) or \
            any(f.account_id != account for f in r.findings.region_failures) or \
            any(c.account_id != account for c in r.coverage):
        raise ValueError("piece: holds another account's instances")
    return r


def _json(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("not JSON") from None
