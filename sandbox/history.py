"""Backup records of a scenario, expanded from each instance's `history`, `latest` and `backups`.

Deterministic: a `random.Random(seed)` drives the start seconds, the size jitter and the BackupIds,
so the same scenario and anchor give the same records on every run.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from .fleet import Backup, Instance
from .spec import Section

_HISTORY = ("days", "at", "duration", "size", "jitter")
_LATEST = ("status", "nodes", "size")
_BACKUP = ("start", "duration", "status", "size", "node", "type", "mode", "method", "raw")
_DURATION = timedelta(minutes=4)
_SIZE = 1 << 30


@dataclass
class _Draft:
    instance_id: str
    node_id: str
    start: datetime
    duration: timedelta
    status: str
    size: int
    type: str = "FullBackup"
    mode: str = "Automated"
    method: str = "Physical"
    raw: dict = field(default_factory=dict)
    run: str = ""


def expand(fleet: list[tuple[Instance, Section]], anchor: datetime, seed: int) -> tuple[Backup, ...]:
    rng = random.Random(seed)
    drafts = []
    for instance, spec in fleet:
        drafts += _history(instance, spec, anchor, rng)
        drafts += _explicit(instance, spec, anchor)
    # Real BackupIds grow with time, with gaps (other tenants' backups in between).
    drafts.sort(key=lambda d: (d.start, d.instance_id, d.node_id))
    backup_id = 700_000_000 + rng.randrange(100_000_000)
    backups = []
    for d in drafts:
        backup_id += rng.randint(1, 40)
        backups.append(Backup(backup_id, d.instance_id, d.node_id, d.start, d.start + d.duration, d.status,
                              d.size, d.type, d.mode, d.method, d.raw, d.run))
    return tuple(backups)


def _node(instance: Instance, value, where: str, spec: Section) -> str:
    """A shard index or a full node ID."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(instance.nodes):
        return instance.nodes[value]
    if isinstance(value, str) and value in instance.nodes:
        return value
    raise spec.fail(where, f"{value!r} is neither a shard index below {len(instance.nodes)} nor a node ID "
                           f"of {instance.id} ({', '.join(instance.nodes[:2])}, ...)")


def _clock(spec: Section, name: str, default: time) -> time:
    value = spec.data.get(name)
    if value is None:
        return default
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 18:10 as the base-60 number 1090
        raise spec.fail(name, f"write the time quoted, as \"HH:MM\" (YAML read {value!r})")
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise spec.fail(name, f"{value!r} is not a time of day HH:MM (UTC)") from None


def _history(instance: Instance, spec: Section, anchor: datetime, rng: random.Random) -> list[_Draft]:
    if not spec.has("history"):
        if spec.has("latest"):
            raise spec.fail("latest", "overrides the newest history day, but there is no history")
        return []
    history = spec.section("history", _HISTORY)
    days = history.whole("days", 8)
    policy_start = datetime.combine(anchor.date(), instance.policy.start)
    at = _clock(history, "at", (policy_start + timedelta(minutes=10)).time())
    duration = history.duration("duration", _DURATION)
    size = history.size("size", _SIZE)
    jitter = history.number("jitter", 0.0)
    if jitter >= 1:
        raise history.fail("jitter", "is a fraction of the size, below 1 (0.02 = ±2%)")
    newest = datetime.combine(anchor.date(), at, tzinfo=timezone.utc)
    if newest >= anchor:
        newest -= timedelta(days=1)
    runs = []
    for k, slot in enumerate(newest - timedelta(days=k) for k in range(days)):
        if instance.policy.runs_on(slot.date()) and slot >= instance.created:
            runs.append([_Draft(instance.id, node, slot + timedelta(seconds=rng.randrange(60)), duration, "Success",
                                round(size * (1 + rng.uniform(-jitter, jitter))), run=f"h{k}")
                         for node in instance.nodes])
    if spec.has("latest"):
        if not runs:
            raise spec.fail("latest", "the history has no run to override")
        _override(runs[0], instance, spec.section("latest", _LATEST))
    return [d for run in runs for d in run if d.status != "Absent"]


def _override(run: list[_Draft], instance: Instance, latest: Section) -> None:
    status = latest.text("status")
    if status not in (None, "Failed", "Absent"):
        raise latest.fail("status", f"{status!r} is not Failed or Absent")
    size = latest.size("size", None)
    nodes = latest.items("nodes")
    targets = {_node(instance, n, "nodes", latest) for n in nodes} if nodes else set(instance.nodes)
    for draft in run:
        if draft.node_id in targets:
            draft.status = status or draft.status
            draft.size = size if size is not None else (0 if status == "Failed" else draft.size)


def _explicit(instance: Instance, spec: Section, anchor: datetime) -> list[_Draft]:
    drafts = []
    for n, raw in enumerate(spec.items("backups")):
        entry = Section(raw, f"{spec.key('backups')}[{n}]", _BACKUP)
        if not entry.has("start"):
            raise entry.fail("start", "is required")
        raw_fields = entry.data.get("raw") or {}
        if not isinstance(raw_fields, dict):
            raise entry.fail("raw", "expected a mapping of answer fields")
        status = entry.text("status", "Success")
        nodes = [_node(instance, entry.data["node"], "node", entry)] if entry.has("node") else instance.nodes
        for node in nodes:
            drafts.append(_Draft(instance.id, node, entry.time("start", anchor), entry.duration("duration", _DURATION),
                                 status, entry.size("size", 0 if status == "Failed" else _SIZE),
                                 entry.text("type", "FullBackup"), entry.text("mode", "Automated"),
                                 entry.text("method", "Physical"), dict(raw_fields), f"e{n}"))
    return drafts
