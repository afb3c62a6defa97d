"""One run, from FC's event and context to the result JSON, as stages: settings -> scan (scope, reading
and judging: scan/) -> digest (channel-neutral) -> deliver (delivery.py) -> archive (archive/), the result
built in result.py and the log lines written by runlog.py. `index.handler` calls `run`; this module only
wires the stages (docs/architecture.md draws them).

Delivery and retries: the run raises only when it had something to report and *no* channel
accepted it. FC's async retry then re-runs it, and since no channel had accepted, nothing is
posted twice. When one channel accepted and another failed, the run returns normally (the failure
is in `deliveries` and the log) so a retry can never repeat the accepted post.
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from concurrent.futures import Future, TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Mapping

from . import addresses, coverage, delivery, digest, heartbeat, redact, regions, result as results, runlog, sizing
from .channels.base import configured
from .channels.http import Transport
from .cloud.kvstore import KVStore
from .cloud.pacing import Pacer, Quota
from .cloud.ratelimit import RateLimiter
from .cloud.retry import OUT_OF_TIME as OUT_OF_TIME_CODE, ApiFailure
from .deadlines import POST_MARGIN, Budget, Timing
from .invocation import COLLECT_INDEX, Invocation, TimerEvent, read_context, parse_event
from .judge.policy import Controls
from .judge.verdicts import Rules
from .model import Account, AccountFailure, ApiError, Coverage, Findings, Kind, Window
from . import fanout
from .scan import accounts
from .scan.collect import OUT_OF_TIME, collect
from .settings import BY_NAME, HEARTBEAT_URL, Settings, SettingsError, load_settings
from .window import iso_utc, window_for

if TYPE_CHECKING:
    from .archive import Memory

log = logging.getLogger("backup_report")
# Clocks differ a little; a timer's triggerTime is never ahead of the time it fired by more than this.
FUTURE_SLACK = timedelta(minutes=10)
POLICY_WAIT = 5.0  # seconds the scan waits for the previous run's policies before reading them from the API
MAX_CHANGE_NOTES = 12  # changes the digest lists; the result has up to result.MAX_CHANGES
PING_WAIT = 2.0  # seconds the digest waits for a start ping still under way (a hung monitor costs it no more)
ACCOUNTS_AT_ONCE = 4  # accounts read at once (ACCOUNTS), MAX_CONCURRENCY shared between them


class DeliveryError(RuntimeError):
    """Nothing could be delivered: FC records a failed invocation, so its retry/destination apply."""


class RedactedError(RuntimeError):
    """An unexpected exception whose text held a secret: re-raised as its type name and scrubbed text."""


@dataclass
class _Run:
    """What every stage of one run shares: the invocation, its event and settings, its secrets' scrubber,
    its clock (`started`: time.monotonic()), timings, budget, window and rules, and how it posts."""

    invocation: Invocation
    timer: TimerEvent
    settings: Settings
    scrubber: redact.Redaction
    transport: Transport
    started: float
    window: Window
    timing: Timing
    budget: Budget
    rules: Rules
    dry_run: bool = False
    progress: Callable[[int], None] | None = None
    environ: Mapping[str, str] = field(default_factory=dict)  # the function's environment (a piece reloads its settings)
    now: datetime | None = None  # the run's clock when it is not the real one (a local run's --at)
    start_ping: Future | None = None  # the heartbeat's start ping, beside the scan (its answer may warn the digest)

    def clock(self) -> datetime:
        """Now, UTC: the run's clock."""
        return self.now or datetime.now(timezone.utc)

    def seconds_left(self) -> float:
        """Seconds to FC's deadline, less what posts and pings keep (the end ping's own timeout too)."""
        return self.started + self.invocation.timeout_seconds - POST_MARGIN - self.timing.post_timeout - time.monotonic()


def run(event, context, environ: Mapping[str, str] = os.environ, now: datetime | None = None,
        dry_run: bool = False, progress: Callable[[int], None] | None = None) -> str:
    """`dry_run`: render the messages into the result's `deliveries` instead of posting them (and
    ping no heartbeat). `progress`: called with 1 as each instance is checked (the CLI's progress
    indicator). Raises SettingsError only when the settings are invalid and no channel took the alert
    about them; DeliveryError when every channel surely refused the digest (not when a post may have
    landed: FC's retry could post it twice)."""
    started = time.monotonic()
    invocation = read_context(context, environ)
    try:
        timer, settings = read_settings(event, environ, invocation, now)
    except SettingsError as error:
        # A local try of bad settings is told on the terminal, not in the team's channels; a piece of a fanned-out
        # run never posts (FC retries it; the run's collect names it if it never finishes).
        if dry_run or _is_piece(event):
            raise
        return _settings_failed(error, invocation, started)
    # This invocation's secrets are hidden from every log record of the process while it runs, and from
    # what leaves it: the result, deliveries[].error and any exception's text.
    with _secrets(settings, invocation.credentials) as scrubber, _transport(invocation, started) as transport:
        redact.quiet_sdk_debug(environ)
        ctx = replace(_context(invocation, timer, settings, scrubber, transport, started, now, dry_run, progress),
                      environ=environ, now=now)
        result = _with_heartbeat(ctx)
        if "fanout" in result and not result["deliveries"]:  # a piece, or the pieces started: nothing to post
            return results.text(result)
        # A post that may have landed is never risked again: FC's retry would repeat it, so the run
        # returns (the result says which channel is in doubt) unless every channel surely refused.
        if not results.took(result) and not results.in_doubt(result):
            raise DeliveryError(scrubber.scrub("no channel accepted the digest: " + "; ".join(
                f"{d['channel']}: {d.get('error', '')}" for d in result["deliveries"])))
        return results.text(result)


def _context(invocation, timer, settings, scrubber, transport, started, now, dry_run, progress) -> _Run:
    timing = Timing.for_timeout(invocation.timeout_seconds)
    return _Run(invocation, timer, settings, scrubber, transport, started,
                window_for(timer.trigger_time, settings.lookback_hours, now or datetime.now(timezone.utc)),
                timing, Budget(started + invocation.timeout_seconds - timing.reserve), _rules(settings), dry_run,
                progress)


def _rules(settings: Settings) -> Rules:
    """How the run judges, from its settings (a payload's tightening included)."""
    return Rules(grace=timedelta(minutes=settings.backup_grace_minutes), size_drop_percent=settings.size_drop_percent,
                 history_days=settings.history_days, tz=settings.tz,
                 controls=Controls(settings.min_retention_days, settings.min_backups_per_week,
                                   settings.require_backup_log, settings.min_restore_window_hours))


def _with_heartbeat(ctx: _Run) -> dict:
    """The run between its start and end pings: the start ping beside the scan (a hung monitor costs the
    report nothing), the end ping success when a channel took the digest, else fail."""
    beat = heartbeat.Heartbeat(ctx.settings.heartbeat_url, ctx.transport, ctx.scrubber.scrub) \
        if ctx.settings.heartbeat_url and not ctx.dry_run else None
    # A fanned-out run pings start when it starts its pieces and its end when it is collected; a piece never.
    starts = ctx.timer.piece is None and ctx.timer.trigger_name != fanout.COLLECT_TRIGGER
    with redact.Pool(max_workers=1, thread_name_prefix="heartbeat") as side:
        start = side.submit(beat.ping, heartbeat.START) if beat and starts else None
        try:
            result = _report(replace(ctx, start_ping=start))
        except Exception as exc:
            text = f"{exc}\n{exc!r}"
            _end(beat, start, heartbeat.FAIL, {"status": "error",
                                               "error": f"{type(exc).__name__}: {ctx.scrubber.scrub(str(exc))}"})
            if ctx.scrubber.scrub(text) != text:  # its text holds a secret: it leaves with its type only
                raise RedactedError(f"{type(exc).__name__}: {ctx.scrubber.scrub(str(exc))}") from None
            raise
        if "fanout" in result and (not result["deliveries"] or "heartbeat" in result):
            return result  # nothing posted yet (the run's collect pings its end), or the collect pinged it
        result["heartbeat"] = _end(beat, start, heartbeat.SUCCESS if results.took(result) else heartbeat.FAIL,
                                   results.ping_report(result), ends_only=not starts)
    return result


def read_settings(event, environ: Mapping[str, str], invocation,
                  now: datetime | None = None) -> tuple[TimerEvent, Settings]:
    """The timer event and the settings. Raises one SettingsError naming every problem of both and
    missing credentials, with the settings as far as they could be read (`usable`)."""
    problems: list[str] = []
    try:
        timer = parse_event(event)
    except SettingsError as error:
        problems += error.problems
        timer = TimerEvent()  # the environment alone still says which channel can be told
    now = now or datetime.now(timezone.utc)
    if timer.trigger_time and timer.trigger_time > now + FUTURE_SLACK:
        # A timer fires at its time or after: a later one is an invoker's, and would judge slots not yet due
        # and file its archive under a day whose real run would then compare with it.
        problems.append(f"event triggerTime {iso_utc(timer.trigger_time)} is in the future (now "
                        f"{iso_utc(now)}): a timer trigger's is the time it fired")
        timer = replace(timer, trigger_time=None)
    bad: frozenset[str] = frozenset()
    try:
        settings: Settings | None = load_settings(environ, timer.payload, default_region=invocation.region)
    except SettingsError as error:
        problems += error.problems
        bad, settings = error.bad, error.usable
    if invocation.credentials is None:
        problems.append("credentials: none found; give the function a role (context.credentials) or set "
                        "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if problems:
        raise SettingsError(problems, bad, settings)
    return timer, settings


def _settings_failed(error: SettingsError, invocation, started: float) -> str:
    """Settings that cannot run: an alert naming every problem through each channel whose webhook and
    secret are fine, a /fail ping when HEARTBEAT_URL is fine, no API call, and an error result instead
    of an exception, so FC does not retry a run that cannot succeed. Raises `error` when no channel took it."""
    usable = error.usable
    with _secrets(usable, invocation.credentials) as scrubber, _transport(invocation, started) as transport:
        # A channel is told when its own webhook and signing secret parse (a bad @ list only loses the @s).
        channels = [c for c in configured(usable, transport)
                    if not {f"{c.name.upper()}_WEBHOOK", f"{c.name.upper()}_SECRET"} & error.bad]
        beat = heartbeat.Heartbeat(usable.heartbeat_url, transport, scrubber.scrub) \
            if usable.heartbeat_url and HEARTBEAT_URL not in error.bad else None
        dg = digest.settings_alert(error.problems, invocation.request_id)
        with redact.Pool(max_workers=1, thread_name_prefix="heartbeat") as side:
            ping = side.submit(beat.ping, heartbeat.FAIL, {"status": "error", "settings": error.problems}) \
                if beat else None
            deliveries = delivery.post_all([(channel, dg) for channel in channels])
            pings = [runlog.ping(ping.result().as_json())] if ping else []
        result = results.settings_failed(error.problems, deliveries, pings, scrubber.scrub)
        runlog.settings_failed(result, invocation.request_id)
        # Raised (FC retries) only when every channel surely refused: an alert that may have landed
        # would be posted again by the retry.
        if not any(d.ok or d.maybe_delivered for d in deliveries):
            raise error
        return results.text(result)


def _end(beat: heartbeat.Heartbeat | None, start: Future | None, signal: str, report: dict,
         ends_only: bool = False) -> list[dict]:
    """The end ping, after the start ping is done (its own deadline bounds the wait), so the monitor
    sees them in order; both as result entries, a failed one logged as a warning. `ends_only`: a collect,
    whose run pinged start in another invocation."""
    if beat is None or (start is None and not ends_only):
        return []
    started = [runlog.ping(start.result().as_json())] if start is not None else []
    return started + [runlog.ping(beat.ping(signal, report).as_json())]


def _transport(invocation, started: float) -> Transport:
    """Posts (and pings), each within its own whole deadline, every retry and wait over a second before FC's."""
    timing = Timing.for_timeout(invocation.timeout_seconds)
    return Transport(attempt_timeout=timing.post_timeout, deadline=started + invocation.timeout_seconds - POST_MARGIN,
                     connect_timeout=min(3.0, timing.post_timeout))


def _secrets(settings: Settings, creds=None) -> redact.Redaction:
    """This invocation's secrets: the environment's channels', the heartbeat URL's and the credentials', and
    the payload's destinations whole (Settings.payload_secrets)."""
    found = [*settings.secrets(), *heartbeat.secrets(settings.heartbeat_url if HEARTBEAT_URL not in
                                                     settings.from_payload else "")]
    if creds is not None:
        found += [creds.access_key_id, creds.access_key_secret, creds.security_token]
    return redact.Redaction(found, whole=settings.payload_secrets())


def _report(ctx: _Run) -> dict:
    """The run itself, once settings and credentials are read and this invocation's secrets registered: a
    piece of a fanned-out run, a `collect` timer's, or a run, which may start pieces (fanout/)."""
    if ctx.timer.piece is not None:
        return _collect_task(ctx) if ctx.timer.piece.index == COLLECT_INDEX else _piece(ctx)
    if ctx.timer.trigger_name == fanout.COLLECT_TRIGGER and not ctx.dry_run:
        return _collect_due(ctx)
    pacer = pacer_for(ctx.settings)
    found = _accounts_scope(ctx, pacer) if ctx.settings.accounts else None
    if found is not None and fanout.fans_out(ctx.settings, len(found.listed)) and not ctx.dry_run:
        from .fanout import flow

        started = flow.start(ctx, found, _store(ctx), _tasks(ctx, pacer), ctx.clock(),
                             _function(ctx), _stages())
        if started is not None:
            return started
    memory = _memory(ctx.settings, ctx.invocation, ctx.timer, ctx.window, ctx.timing) \
        if ctx.settings.archive_oss_bucket and not ctx.dry_run else None
    findings, covered = _scan(ctx, pacer, memory, found)
    return _finish(ctx, findings, covered, pacer, memory)


def _finish(ctx: _Run, findings: Findings, covered: list[Coverage], pacer: Pacer, memory: "Memory | None",
            delivered: Callable[[], None] | None = None) -> dict:
    """From the findings on: the digest, with the archive its page written first (and linked only once written),
    its delivery (then `delivered()`, when a channel took it or may have), the result, and the run's record."""
    dg, changes = _digest(ctx, findings, covered, pacer, memory)
    restored = _restore_test(ctx, findings.checked, pacer) if ctx.settings.restore_test and memory else None
    if restored is not None:
        dg = replace(dg, notes=dg.notes + tuple(ctx.scrubber.scrub(line) for line in restored.lines))
    if memory:
        dg = _page(ctx, memory, dg, findings, covered, restored)
    deliveries = delivery.deliver(dg, ctx.settings, ctx.transport, ctx.dry_run)
    took = any(d.ok or d.maybe_delivered for d in deliveries)
    if delivered is not None and took:
        delivered()
    result = results.build(dg, ctx.window, findings, covered, deliveries, ctx.scrubber.scrub)
    if restored is not None:
        from .restore import plan

        result["restore_test"] = plan.result_json(restored.state, restored.did)
    if memory:  # the record after the digest is posted: it is the run that told the team, whose retry never is
        result["changes"] = results.changes_json(changes)
        _archive(ctx, memory, result, findings, took, dg)
    runlog.finished(result, ctx.invocation.request_id, ctx.started)
    return result


def _restore_test(ctx: _Run, checked: list, pacer: Pacer, start: bool = True):
    """This run's step of a restore test (restore/step.py), in the function's own account, for a timer's run only:
    an invoker's event never creates an instance. `start=False`: the `collect` timer's, which only watches a test
    under way (step.advance), so a clone lives minutes past `Normal`, not until the next daily run."""
    if not ctx.timer.trigger_name or ctx.timer.payload:
        return None
    from .cloud.restore import Restores
    from .restore.step import Rules, advance
    from .restore.store import StateStore

    s = ctx.settings
    edge = Restores(ctx.invocation.credentials, endpoint=s.kvstore_endpoint, **_edge(ctx, pacer))
    store = StateStore(_bucket(s, ctx.invocation, ctx.timing), s.archive_oss_prefix)
    now = ctx.timer.trigger_time or ctx.clock()  # the timer's time: a clone's minutes are counted between runs
    rules = Rules(s.restore_test, s.restore_test_sample, s.restore_test_max_cost, s.restore_test_max_hours, s.regions)
    return advance(edge, store, rules, checked, now, now.astimezone(s.tz).date(), start=start)


def _page(ctx: _Run, memory: "Memory", dg: digest.Digest, findings: Findings, covered: list[Coverage],
          restored=None) -> digest.Digest:
    """The report page written before the digest is posted (within archive.PAGE_SECONDS), from the result as it
    stands before delivery (and `restored`'s history of restore tests); the digest with its link once the page is
    in the bucket, else with why it is not."""
    draft = results.build(dg, ctx.window, findings, covered, [], ctx.scrubber.scrub)
    link, why = memory.publish(draft, findings.checked, ctx.settings.owner_tag, {k.value: k.rank for k in Kind},
                               ctx.window.end, ctx.rules.grace, ctx.seconds_left, _about(ctx, dg, restored))
    if not link:  # OSS's reason is outside text: scrubbed of the run's secrets like every API text
        return replace(dg, notes=dg.notes + (digest.page_not_archived(ctx.scrubber.scrub(why), memory.page_written),))
    return replace(dg, link=link, link_valid=memory.validity.words)


def _scan(ctx: _Run, pacer: Pacer, memory: "Memory | None",
          found: accounts.Scope | None = None) -> tuple[Findings, list[Coverage]]:
    """Scope, reading and judging: every tagged instance of the regions, of the function's own account or of
    each of ACCOUNTS (scan/accounts.py), judged (scan/), with the previous archived run read beside it, and the
    coverage from the scan's own listings. API texts are scrubbed of the run's secrets here, at the source."""
    settings = ctx.settings
    known = {}
    if memory:  # in a thread of its own: a slow OSS never holds the scan, the digest or the end ping
        memory.read_previous(ctx.budget.remaining)
        if settings.policy_refresh_days:  # the scan waits for the earlier run's policies a few seconds at most
            known = memory.known_policies(wait=min(POLICY_WAIT, max(0.0, ctx.budget.remaining() / 10)))
    if found is not None:
        findings, covered = _scan_accounts(ctx, pacer, known, found)
    else:
        findings, covered = _scan_account(ctx, ctx.invocation.credentials, pacer, known, settings.max_concurrency)
    return _scrubbed(ctx, findings, covered)


def _scrubbed(ctx: _Run, findings: Findings, covered: list[Coverage]) -> tuple[Findings, list[Coverage]]:
    """The findings with every API text scrubbed of the run's secrets (an answer may echo a request's token)."""
    scrub = ctx.scrubber.scrub
    covered = [replace(c, error=replace(c.error, message=scrub(c.error.message))) if c.error else c for c in covered]
    findings.checked = [replace(c, verdict=replace(c.verdict, detail=scrub(c.verdict.detail)))
                        for c in findings.checked]
    findings.region_failures = [replace(f, error=replace(f.error, message=scrub(f.error.message)))
                                for f in findings.region_failures]
    findings.account_failures = [replace(f, error=replace(f.error, message=scrub(f.error.message)))
                                 for f in findings.account_failures]
    return findings, covered


def _scan_account(ctx: _Run, credentials, pacer: Pacer, known, concurrency: int) -> tuple[Findings, list[Coverage]]:
    """One account's regions with `credentials`: its tagged instances judged, `concurrency` at a time, with
    DescribeRegions asked beside them, and its coverage."""
    settings = ctx.settings
    cloud = KVStore(credentials, endpoint=settings.kvstore_endpoint, protocol=settings.kvstore_protocol,
                    pacer=pacer, remaining=ctx.budget.remaining, connect_timeout=ctx.timing.api_connect,
                    read_timeout=ctx.timing.api_read, pool_size=concurrency)
    with redact.Pool(max_workers=1) as side:
        offered = side.submit(offered_regions, cloud, ctx.invocation.region or settings.regions[0])
        findings = collect(cloud, settings.regions, settings.instance_tags, ctx.window, ctx.rules, ctx.budget,
                           concurrency, ctx.progress, settings.max_instances, whole=settings.coverage,
                           known=known, refresh_days=settings.policy_refresh_days)
        found = Counter(c.instance.region for c in findings.checked)
        findings.region_failures = regions.reconcile(settings.regions, offered.result(), found,
                                                     findings.region_failures)
    checked = {c.instance.instance_id for c in findings.checked}
    covered = [coverage.unwatched(region, findings.unwatched[region], settings.instance_tags, checked)
               for region in settings.regions] if settings.coverage else []
    return findings, covered


def _accounts_scope(ctx: _Run, pacer: Pacer) -> accounts.Scope:
    """ACCOUNTS resolved (scan/accounts.scope) through STS and, for `resource-directory`, ResourceManager."""
    from .cloud.accounts import Directory  # their SDKs are imported by a run of many accounts only

    own, settings = ctx.invocation.credentials, ctx.settings
    return accounts.scope(settings.accounts, _sts(ctx, pacer),
                          lambda: Directory(own, endpoint=settings.resourcemanager_endpoint, **_edge(ctx, pacer)))


def _edge(ctx: _Run, pacer: Pacer) -> dict:
    """What every cloud edge of the run is made with: the protocol, the pacer, the budget, the timeouts."""
    return dict(protocol=ctx.settings.kvstore_protocol, pacer=pacer, remaining=ctx.budget.remaining,
                connect_timeout=ctx.timing.api_connect, read_timeout=ctx.timing.api_read)


def _sts(ctx: _Run, pacer: Pacer):
    from .cloud.accounts import Sts

    return Sts(ctx.invocation.credentials, ctx.invocation.region or ctx.settings.regions[0],
               endpoint=ctx.settings.sts_endpoint, **_edge(ctx, pacer))


def _credentials(ctx: _Run, sts, account: Account, own_id: str | None, session: str):
    """The credentials to read `account` with (scan/accounts.credentials_for: the function's own in its own
    account, else AssumeRole's, lasting what is left of the run), hidden from then on like the run's own.
    Raises ApiFailure."""
    creds = accounts.credentials_for(account, own_id, ctx.invocation.credentials, sts, ctx.settings.account_role_name,
                                     session, accounts.session_seconds(ctx.budget.remaining()))
    ctx.scrubber.add([creds.access_key_id, creds.access_key_secret, creds.security_token])
    return creds


def _scan_accounts(ctx: _Run, pacer: Pacer, known, found: accounts.Scope) -> tuple[Findings, list[Coverage]]:
    """Each of ACCOUNTS in its order (`resource-directory`: the directory's members, where it stands),
    ACCOUNTS_AT_ONCE at a time, as ACCOUNT_ROLE_NAME in it, each under quotas of its own and the run's API_QPS;
    one Findings of all."""
    settings = ctx.settings
    sts = _sts(ctx, pacer)
    # Never more checks at once than MAX_CONCURRENCY, however many accounts.
    parallel = max(1, min(ACCOUNTS_AT_ONCE, len(found.listed), settings.max_concurrency))
    session = accounts.session_name(ctx.invocation.request_id)

    def read(account: Account):
        try:
            creds = _credentials(ctx, sts, account, found.own_id, session)
        except ApiFailure as failure:
            if failure.error.code == OUT_OF_TIME_CODE:  # never asked: the run had no time left for it
                return AccountFailure(account, ApiError(OUT_OF_TIME_CODE, "not read: the run ran out of time"))
            return AccountFailure(account, failure.error)
        # Quotas are per account: each account's windows are its own, under the run's one API_QPS.
        part = _scan_account(ctx, creds, pacer.for_another_account(), known,
                             max(1, settings.max_concurrency // parallel))
        return accounts.stamped(*part, account.account_id)

    with redact.Pool(max_workers=parallel, thread_name_prefix="account") as pool:
        read_all = list(pool.map(read, found.listed))
    parts = [r for r in read_all if not isinstance(r, AccountFailure)]
    failures = found.failures + [r for r in read_all if isinstance(r, AccountFailure)]
    return accounts.merged(ctx.window, parts, found.listed, failures)


def _digest(ctx: _Run, findings: Findings, covered: list[Coverage], pacer: Pacer,
            memory: "Memory | None") -> tuple[digest.Digest, list[str]]:
    """The channel-neutral digest, with its notes: what a fleet the run could not reach whole needs, and,
    with the archive, what changed since the previous run (or why it is not known). Returns it and the changes."""
    settings = ctx.settings
    dg = digest.build(findings, settings.tz, settings.timezone, _scope(settings, findings), ctx.invocation.request_id,
                      coverage=tuple(covered), console=settings.console, owner_tag=settings.owner_tag)
    short = sizing.shortfall(findings, pacer.quota, ctx.invocation.timeout_seconds - ctx.timing.reserve,
                             ctx.timing.reserve, lambda: _not_reached(findings))
    dg = replace(dg, notes=dg.notes + tuple(short), footer_notes=_ping_warnings(ctx))
    if not memory:
        return dg, []
    instances = [results.instance_json(c) for c in findings.checked]
    changes = memory.changes(instances, findings.checked, accounts.region_failures(findings), ctx.budget.remaining(),
                             accounts.seen(findings))
    shown = changes[:MAX_CHANGE_NOTES] + ([f"…and {len(changes) - MAX_CHANGE_NOTES} more changes (in the run's "
                                          "result)"] if len(changes) > MAX_CHANGE_NOTES else [])
    failed = memory.read_failure()
    dg = replace(dg, notes=dg.notes + tuple(shown) + tuple(memory.notes)
                 + ((digest.previous_not_read(ctx.scrubber.scrub(failed)),) if failed else ()))
    return dg, changes


def _ping_warnings(ctx: _Run) -> tuple[str, ...]:
    """The start ping's warning for the digest's footer, when its answer says HEARTBEAT_URL is wrong (a check
    that does not exist); waited for PING_WAIT seconds at most, else nothing: the ping's own result says."""
    if ctx.start_ping is None:
        return ()
    try:
        ping = ctx.start_ping.result(timeout=max(0.0, min(PING_WAIT, ctx.budget.remaining())))
    except FutureTimeout:
        return ()
    return (ping.warning,) if ping.warning else ()


def _about(ctx: _Run, dg: digest.Digest, restored=None):
    """What the page says of the run: the digest's headline, window and scope, the run, when it was made, and
    the restore tests' history (`restored`, this run's restore step, when RESTORE_TEST is on)."""
    from .archive import page

    s = ctx.settings
    tests = tuple(dict(o.__dict__) for o in restored.state.history) if restored is not None else ()
    return page.About(dg.headline, dg.window_line, dg.scope_line, ctx.invocation.request_id, ctx.clock(),
                      ctx.window.end, s.tz, s.timezone, s.console, tests)


def _archive(ctx: _Run, memory: "Memory", result: dict, findings: Findings, delivered: bool,
             dg: digest.Digest) -> None:
    """This run's JSON and CSV written, when a channel took (or may have taken) the digest `dg`; the result's
    `archive`."""
    if delivered:
        memory.keep(result, findings.checked, ctx.settings.owner_tag, ctx.window.end, ctx.rules.grace,
                    ctx.seconds_left, _about(ctx, dg))
    else:  # the run raises and FC retries it: that attempt, not this one, is the run to remember
        memory.errors.append("not written: no channel took the digest (FC's retry writes its own)")
    result["archive"] = {k: (ctx.scrubber.scrub(v) if isinstance(v, str) else v) for k, v in memory.report().items()}


def _bucket(settings: Settings, invocation, timing: Timing):
    """The archive's bucket through ARCHIVE_OSS_ENDPOINT (else the function's region's internal endpoint; the
    page link through REPORT_LINK_HOST, the custom domain bound to the bucket, else the region's public
    endpoint), signed for the function's region, with the run's credentials."""
    from .archive import oss

    region = invocation.region or settings.regions[0]
    example = "oss-cn-hangzhou-internal.aliyuncs.com"
    url = addresses.endpoint_url(settings.archive_oss_endpoint or oss.default_endpoint(region), example)
    if settings.report_link_host:  # the one host that serves the page inline (archive/oss.py), over HTTPS only
        link, cname = f"https://{settings.report_link_host}", True
    else:  # the link goes to people's phones: through the endpoint set, else the region's public one
        link = url if settings.archive_oss_endpoint else addresses.endpoint_url(oss.public_endpoint(region), example)
        cname = False
    return oss.Bucket(settings.archive_oss_bucket, url, region, invocation.credentials,
                      connect_timeout=timing.api_connect, read_timeout=timing.api_read, link_endpoint_url=link,
                      link_cname=cname)


def _memory(settings: Settings, invocation, timer, window, timing: Timing) -> "Memory":
    """The archive of this run: the bucket through ARCHIVE_OSS_ENDPOINT (else the function's region's
    internal endpoint; the page link through its public one), signed for the function's region, with
    the run's credentials."""
    # The OSS SDK is imported only when the archive is on: 8 MB and 100 ms of import a run without it spares.
    from .archive import Memory, oss, scope_of

    bucket = _bucket(settings, invocation, timing)
    # Secret settings a payload set are named, not shown: a scope is part of a key.
    payload = {name: "(set)" if BY_NAME[name].secret else str(getattr(settings, name.lower()))
               for name in sorted(settings.from_payload)}
    return Memory(bucket, settings.archive_oss_prefix, window.end.astimezone(timezone.utc).date(),
                  timer.trigger_name, invocation.request_id, datetime.now(timezone.utc),
                  scope_of(settings.instance_tags, settings.regions, payload),
                  oss.link_validity(settings.report_link_days, bool(invocation.credentials.security_token)))


# --- a fanned-out run (fanout/): the stages its parts run, and what they are made with ----------------------

def _stages():
    """app's stages as fanout.flow calls them. A piece judges every instance by the policy it reads now (no
    archive read: the earlier run is the collect's to read)."""
    from .fanout import flow

    return flow.Stages(scan_account=lambda ctx, creds, concurrency: _scrubbed(ctx, *_scan_account(
        ctx, creds, pacer_for(ctx.settings), {}, concurrency)), finish=_finish_collected, for_run=_for_run)


def _finish_collected(ctx: _Run, findings: Findings, covered: list[Coverage], delivered: Callable[[], None]) -> dict:
    """A collected run's page, digest, delivery, result and record (_finish), the previous run read first (for what
    changed); `delivered()` once a channel took it (after the page, before the run's JSON and CSV, so a collect
    that dies writing them is not posted again, and one that dies writing the page had posted nothing); the end
    ping to the run's HEARTBEAT_URL (its payload's, when it set one)."""
    memory = _memory(ctx.settings, ctx.invocation, ctx.timer, ctx.window, ctx.timing)
    memory.read_previous(ctx.budget.remaining)
    result = _finish(ctx, findings, covered, pacer_for(ctx.settings), memory, delivered)
    beat = heartbeat.Heartbeat(ctx.settings.heartbeat_url, ctx.transport, ctx.scrubber.scrub) \
        if ctx.settings.heartbeat_url else None
    result["heartbeat"] = _end(beat, None, heartbeat.SUCCESS if results.took(result) else heartbeat.FAIL,
                               results.ping_report(result), ends_only=True)
    return result


def _for_run(ctx: _Run, m) -> _Run:
    """The context of the manifest's run in this invocation: the settings its payload gave (the environment's
    as they are now), its trigger and its window; this invocation's clock, budget and posting."""
    payload = json.loads(m.payload)
    timer = TimerEvent(m.trigger_time, m.trigger_name, payload)
    settings = load_settings(ctx.environ, payload, default_region=ctx.invocation.region)
    ctx.scrubber.add(settings.secrets(), whole=settings.payload_secrets())
    window = window_for(m.trigger_time, settings.lookback_hours, m.created)
    return replace(ctx, timer=timer, settings=settings, window=window, rules=_rules(settings))


def _store(ctx: _Run):
    from .fanout.store import RunStore

    return RunStore(_bucket(ctx.settings, ctx.invocation, ctx.timing), ctx.settings.archive_oss_prefix)


def _tasks(ctx: _Run, pacer: Pacer):
    from .fanout.tasks import Tasks

    name, qualifier = _function(ctx)
    return Tasks(ctx.invocation.credentials, ctx.invocation.region or ctx.settings.regions[0], name, qualifier,
                 endpoint=ctx.settings.function_compute_endpoint, **_edge(ctx, pacer))


def _function(ctx: _Run) -> tuple[str, str]:
    """The function's own name and qualifier, as FC's context gives them: its pieces run as it does."""
    return ctx.invocation.function_name or "redis-backup-report", ctx.invocation.qualifier or "LATEST"


def _piece(ctx: _Run) -> dict:
    """An async task's piece: its account read as the manifest says, its result written (fanout.flow.piece)."""
    pacer = pacer_for(ctx.settings)
    session = accounts.session_name(ctx.invocation.request_id)

    def credentials_of(m, part):
        return _credentials(ctx, _sts(ctx, pacer), part.account, m.own_id or None, session)

    from .fanout import flow

    return flow.piece(ctx, ctx.timer.piece, _store(ctx), _tasks(ctx, pacer), _stages(), credentials_of,
                      ctx.clock())


def _collect_task(ctx: _Run) -> dict:
    """The async task `<run>-collect` the last piece started: the run collected with a whole budget of its own."""
    from .fanout import flow

    ref, now = ctx.timer.piece, ctx.clock()
    store = _store(ctx)
    m = store.manifest(ref.day, ref.trigger_name, ref.run)
    return flow.collect(_for_run(ctx, m), m, store, _tasks(ctx, pacer_for(ctx.settings)), _stages(), now)


def _collect_due(ctx: _Run) -> dict:
    """The `collect` timer: the runs due (_collect_runs), and with RESTORE_TEST and the archive a restore test under
    way watched (its outcome is said by the next digest)."""
    result = _collect_runs(ctx)
    if ctx.settings.restore_test and ctx.settings.archive_oss_bucket:
        watched = _restore_test(ctx, [], pacer_for(ctx.settings), start=False)
        if watched is not None:
            from .restore import plan

            result["restore_test"] = plan.result_json(watched.state, watched.did)
    return result


def _collect_runs(ctx: _Run) -> dict:
    """Each run of today's or yesterday's (UTC) not yet posted and past its deadline, collected; the results of
    those it collected."""
    if not ctx.settings.accounts or not ctx.settings.archive_oss_bucket:  # no run of this function fans out
        return {"status": "nothing to collect", "deliveries": [], "fanout": {"collected": []}}
    from .fanout import flow

    store, now = _store(ctx), ctx.clock()
    tasks = _tasks(ctx, pacer_for(ctx.settings))
    collected = []
    for day in (now.date() - timedelta(days=1), now.date()):
        for trigger, run_name in store.open_runs(day):
            outcome = _collect_one(ctx, flow, store, tasks, day, trigger, run_name, now)
            if outcome is not None:
                collected.append(outcome)
    posted = [r for r in collected if r["deliveries"]]
    if not posted:
        return {"status": "nothing due", "deliveries": [], "fanout": {"collected": [r["fanout"] for r in collected]}}
    # The result (and the end ping) of the first run posted; every run collected is listed beside it.
    return {**posted[0], "collected": [r["fanout"] for r in collected]}


def _collect_one(ctx: _Run, flow, store, tasks, day, trigger: str, run_name: str, now: datetime) -> dict | None:
    """One open run collected when due (past its deadline, or every unfinished piece's task ended), else None. A
    run that cannot be read is logged and left, so it costs the others nothing."""
    try:
        m = store.manifest(day, trigger, run_name)
        if not flow.due(m, now) and not flow.ended(m, store, tasks):
            return None
        return flow.collect(_for_run(ctx, m), m, store, tasks, _stages(), now)
    except (ValueError, SettingsError, flow.ArchiveError) as error:
        log.error("collect: run %s of %s not collected: %s", run_name, day, error)
        return None


def _is_piece(event) -> bool:
    """Whether the event is a piece's (its settings' problems are not posted: see run)."""
    try:
        data = json.loads(event) if isinstance(event, (bytes, bytearray, str)) else event
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and ("piece" in data or "collect" in data)


def _not_reached(findings) -> bool:
    """Whether the budget cut the run short: an instance not checked for want of time, or a listing cut."""
    return any(c.verdict.detail == OUT_OF_TIME.detail for c in findings.checked) or \
        any(f.error.code == OUT_OF_TIME_CODE for f in findings.region_failures)


def pacer_for(settings: Settings) -> Pacer:
    """The run's pacer: API_QPS over every call, and each API's quota per region (API_QUOTAS, else the
    published or assumed ones of cloud/pacing.py)."""
    return Pacer(RateLimiter(settings.api_qps), {a: Quota(c, s) for a, c, s in settings.api_quotas})


def offered_regions(cloud: KVStore, home: str) -> frozenset[str] | ApiError:
    """DescribeRegions' region IDs, asked through `home` (a region known to be real, such as the
    function's own), or the ApiError it failed with: `regions.reconcile` reads either."""
    try:
        return cloud.region_ids(home)
    except ApiFailure as failure:
        log.warning("REGIONS not verified: DescribeRegions failed: %s", failure.error)
        return failure.error


def _scope(settings: Settings, findings: Findings | None = None) -> str:
    """The digest's scope line: the tags, the regions, with ACCOUNTS how many accounts were read, and how many
    policies were judged as an earlier run read them."""
    tags = ",".join(k if v is None else f"{k}={v}" for k, v in settings.instance_tags)
    scope = f"tags {tags} in {', '.join(settings.regions)}"
    if findings is None:
        return scope
    if findings.accounts or findings.account_failures:
        read = len(findings.accounts) - sum(1 for f in findings.account_failures if f.account in findings.accounts)
        scope += f" of {read} account{'s' if read != 1 else ''}"
    today = findings.window.end.astimezone(timezone.utc).date()
    kept = sum(1 for c in findings.checked if c.verdict.policy_read and c.verdict.policy_read < today)
    if kept:  # said, so a policy changed since is known to be seen within POLICY_REFRESH_DAYS
        scope += (f"; {kept} backup polic{'y' if kept == 1 else 'ies'} as an earlier run read "
                  f"{'it' if kept == 1 else 'them'} (each read afresh at least every {settings.policy_refresh_days} "
                  "days)")
    return scope
