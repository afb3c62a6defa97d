"""The three parts of a fanned-out run (fanout/__init__.py): `start` (the timer's invocation), `piece` (an
async task's) and `collect` (the last piece's, or the `collect` timer's). The stages they run (one account's
scan, the digest to the archive, a run's context from a manifest) are app.py's, handed in as `Stages`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable

from ..archive.oss import ArchiveError
from ..cloud.retry import ApiFailure
from ..model import AccountFailure, ApiError, Coverage, Findings
from ..scan import accounts
from . import manifest as mf
from .manifest import Manifest, Piece, PieceResult
from .store import RunStore
from .tasks import AlreadyStarted, Tasks

log = logging.getLogger("backup_report")


@dataclass(frozen=True)
class Stages:
    """app.py's stages a fanned-out run calls: `scan_account(ctx, credentials, concurrency)` -> (Findings,
    [Coverage]) of one account; `finish(ctx, findings, covered, delivered)` -> the result (digest, delivery,
    archive; `delivered()` once a channel took the digest, before the run's JSON is written);
    `for_run(ctx, manifest)` -> the context of the manifest's run (its payload's settings, trigger and window)."""

    scan_account: Callable[..., tuple[Findings, list[Coverage]]]
    finish: Callable[[Any, Findings, list[Coverage], Callable[[], None]], dict]
    for_run: Callable[[Any, Manifest], Any]


def event(m: Manifest, index: int) -> dict:
    """The async task's event of piece `index` (invocation.PieceRef reads it)."""
    return {"piece": {"run": m.run, "day": m.day.isoformat(), "trigger": m.trigger_name, "index": index}}


def start(ctx, found: accounts.Scope, store: RunStore, tasks: Tasks, now: datetime, function: tuple[str, str],
          stages: Stages) -> dict | None:
    """Writes the run's manifest, then starts a piece for each account. None when the manifest could not be
    written (the caller reads the accounts itself). When no piece could be started, collects at once, each
    account named with why."""
    # Filed under the day it started (a collect looks at today's and yesterday's), whatever its window.
    m = Manifest(run=mf.run_id(now, ctx.invocation.request_id), day=now.date(),
                 trigger_name=ctx.timer.trigger_name, trigger_time=ctx.timer.trigger_time,
                 payload=json.dumps(dict(ctx.timer.payload), ensure_ascii=False), created=now,
                 deadline=mf.deadline(now, ctx.invocation.timeout_seconds, len(found.listed)), function=function[0],
                 qualifier=function[1], own_id=found.own_id or "",
                 pieces=tuple(Piece(n, a) for n, a in enumerate(found.listed)), failures=tuple(found.failures))
    try:
        store.write_manifest(m)
    except ArchiveError as error:
        log.warning("pieces not started: the manifest could not be written: %s; reading every account here", error)
        return None
    refused: dict[int, ApiError] = {}
    for piece in m.pieces:
        try:
            tasks.start(mf.task_id(m.run, piece.index), event(m, piece.index))
        except AlreadyStarted:
            pass
        except ApiFailure as failure:
            refused[piece.index] = failure.error
    if len(refused) == len(m.pieces):
        return collect(ctx, m, store, tasks, stages, now, refused)
    return {"status": "started", "deliveries": [],
            "fanout": {"run": m.run, "manifest": mf.manifest_key(store.prefix, m), "pieces": len(m.pieces),
                       "started": len(m.pieces) - len(refused), "deadline": m.deadline.isoformat()}}


def piece(ctx, ref, store: RunStore, tasks: Tasks, stages: Stages, credentials_of: Callable[[Manifest, Piece], Any],
          now: datetime) -> dict:
    """One piece: its account read (never posted), its result written once, and, when it is the last to
    finish, the run collected. Raises what should make FC retry it (the manifest or the result not read or
    written, the role not assumed)."""
    m = store.manifest(ref.day, ref.trigger_name, ref.run)
    if ref.index >= len(m.pieces):
        raise ValueError(f"piece {ref.index}: the run has {len(m.pieces)} pieces")
    run_ctx = stages.for_run(ctx, m)
    part = m.pieces[ref.index]
    try:
        creds = credentials_of(m, part)
    except ApiFailure as failure:  # said in the result, as a run of one account would: not retried
        findings, covered = Findings(window=run_ctx.window, account_failures=[AccountFailure(part.account,
                                                                                                failure.error)]), []
    else:
        findings, covered = accounts.stamped(*stages.scan_account(run_ctx, creds, run_ctx.settings.max_concurrency),
                                             part.account.account_id)
    findings = replace(findings, unwatched={})
    written = store.write_piece(m, PieceResult(m.run, ref.index, part.account.account_id, findings, tuple(covered)))
    out = {"status": "piece", "deliveries": [], "fanout": {"run": m.run, "piece": ref.index, "written": written,
                                                           "instances": len(findings.checked)}}
    if len(store.finished(m)) == len(m.pieces):  # the last: the collect gets an async task of its own
        try:
            tasks.start(mf.task_id(m.run, "collect"), collect_event(m))
        except AlreadyStarted:
            pass
        except ApiFailure as failure:  # collected here then, with what is left of this piece's time
            log.warning("the collect task was not started (%s): collecting in the last piece", failure.error)
            return {**collect(run_ctx, m, store, tasks, stages, now), "piece": out["fanout"]}
        out["fanout"]["collect"] = "started"
    return out


def collect_event(m: Manifest) -> dict:
    """The event of the run's collect task (invocation.PieceRef reads it, index COLLECT_INDEX)."""
    return {"collect": {"run": m.run, "day": m.day.isoformat(), "trigger": m.trigger_name}}


def collect(run_ctx, m: Manifest, store: RunStore, tasks: Tasks, stages: Stages, now: datetime,
            refused: dict[int, ApiError] | None = None) -> dict:
    """The run's one digest, when this invocation claims it: every piece's result, each one missing,
    unreadable or refused named as its account not checked, with what FC says of its task."""
    if not store.claim(m, run_ctx.invocation.request_id, now, run_ctx.invocation.timeout_seconds):
        return {"status": "collected elsewhere", "deliveries": [], "fanout": {"run": m.run}}
    done = store.finished(m)
    parts, failures = [], list(m.failures)
    for p in m.pieces:
        outcome = _piece_outcome(m, p, p.index in done, store, tasks, (refused or {}).get(p.index))
        if isinstance(outcome, AccountFailure):
            failures.append(outcome)
        else:
            parts.append((outcome.findings, list(outcome.coverage)))
            failures += outcome.findings.account_failures
    findings, covered = accounts.merged(run_ctx.window, parts, [p.account for p in m.pieces], failures)
    def delivered() -> None:
        try:
            store.posted(m, run_ctx.invocation.request_id)
        except ArchiveError as error:  # a later collect may post again: twice beats never
            log.warning("the run's digest was posted but not marked so: %s", error)

    result = stages.finish(run_ctx, findings, covered, delivered)
    result["fanout"] = {"run": m.run, "pieces": len(m.pieces), "collected": len(parts)}
    return result


def _piece_outcome(m: Manifest, p: Piece, finished: bool, store: RunStore, tasks: Tasks,
                   refused: ApiError | None) -> PieceResult | AccountFailure:
    """A piece's result, or its account not checked and why: not started, not finished (FC's word on its
    task), or a result that is not this piece's."""
    if refused is not None:
        return AccountFailure(p.account, ApiError(refused.code, f"its piece was not started: {refused.message}",
                                                  "InvokeFunction"))
    if finished:  # an OSS failure raises (FC retries the collect); a result of another form costs its account
        try:
            return store.piece(m, p.index)
        except ValueError as error:
            return AccountFailure(p.account, ApiError("PieceUnreadable", f"its piece's result: {error}"))
    task = mf.task_id(m.run, p.index)
    try:
        said = tasks.status(task)
    except ApiFailure as failure:
        said = f"status not known ({failure.error})"
    if said.startswith("Succeeded"):
        why = f"its piece ended (FC async task {task} {said}) without a result"
    else:
        why = f"its piece had not finished by {m.deadline:%Y-%m-%d %H:%M}Z: FC async task {task} {said}"
    return AccountFailure(p.account, ApiError("PieceNotFinished", why))


def due(m: Manifest, now: datetime) -> bool:
    """Whether the `collect` timer may collect `m`: past its deadline (earlier, its pieces may still come)."""
    return now >= m.deadline


# GetAsyncTask's statuses of a task that will not run again (models/_async_task.py).
ENDED = ("Failed", "Stopped", "Invalid", "Expired", "Succeeded")


def ended(m: Manifest, store: RunStore, tasks: Tasks) -> bool:
    """Whether every piece without a result has a task FC has ended (failed for good, expired, …): then nothing
    more can come, and the run is collected before its deadline."""
    done = store.finished(m)
    try:
        return all(tasks.status(mf.task_id(m.run, p.index)).startswith(ENDED) for p in m.pieces if p.index not in done)
    except ApiFailure:
        return False
