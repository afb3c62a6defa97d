"""One run, from FC's event and context to the result JSON. `index.handler` calls `run`.

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
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Mapping

from . import addresses, bounded, coverage, digest, heartbeat, redact, regions, sizing
from .channels.base import Channel, configured
from .channels.http import Transport
from .invocation import TimerEvent, read_context, parse_event
from .cloud.kvstore import KVStore
from .cloud.retry import OUT_OF_TIME as OUT_OF_TIME_CODE, ApiFailure
from .model import ApiError, Delivery, Kind, Severity
from .cloud.pacing import Pacer, Quota
from .cloud.ratelimit import RateLimiter
from .deadlines import Budget, Timing
from .scan.collect import OUT_OF_TIME, collect
from .settings import BY_NAME, HEARTBEAT_URL, Settings, SettingsError, load_settings
from .judge.policy import Controls
from .judge.verdicts import Rules
from .window import iso_utc, window_for

if TYPE_CHECKING:
    from .archive import Memory

log = logging.getLogger("backup_report")
SKIPPED = "nothing needs attention (NOTIFY_ON=failure)"
FUTURE_SLACK = timedelta(minutes=10)
POLICY_WAIT = 5.0  # seconds the scan waits for the previous run's policies before reading them from the API  # clocks differ a little; a timer's triggerTime is never ahead of it
MAX_CHANGE_NOTES = 12  # changes the digest lists; up to MAX_RESULT_CHANGES are in the result
MAX_RESULT_CHANGES = 1000
PAYLOAD_CHANNEL_NO_LINK = ("the report page is linked only in the channels the function's environment sets: "
                           "its link carries the function's STS token")
FINE = {kind.value for kind in Kind if kind.severity is Severity.FINE}

class DeliveryError(RuntimeError):
    """Nothing could be delivered: FC records a failed invocation, so its retry/destination apply."""


class RedactedError(RuntimeError):
    """An unexpected exception whose text held a secret: re-raised as its type name and scrubbed text."""


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
        if dry_run:  # a local try of bad settings is told on the terminal, not in the team's channels
            raise
        return _settings_failed(error, invocation, started)
    # This invocation's secrets are hidden from every log record of the process while it runs, and from
    # what leaves it: the result, deliveries[].error and any exception's text.
    with _secrets(settings, invocation.credentials) as scrubber, \
            _transport(invocation, started) as transport:
        redact.quiet_sdk_debug(environ)
        beat = heartbeat.Heartbeat(settings.heartbeat_url, transport, scrubber.scrub) \
            if settings.heartbeat_url and not dry_run else None
        # The start ping runs beside the scan: a hung monitor costs the report nothing.
        with redact.Pool(max_workers=1, thread_name_prefix="heartbeat") as side:
            start = side.submit(beat.ping, heartbeat.START) if beat else None
            try:
                result = _report(invocation, timer, settings, scrubber, started, now, dry_run, progress, transport)
            except Exception as exc:
                text = f"{exc}\n{exc!r}"
                _end(beat, start, heartbeat.FAIL, {"status": "error",
                                                   "error": f"{type(exc).__name__}: {scrubber.scrub(str(exc))}"})
                if scrubber.scrub(text) != text:  # its text holds a secret: it leaves with its type only
                    raise RedactedError(f"{type(exc).__name__}: {scrubber.scrub(str(exc))}") from None
                raise
            # The run did its job when a channel took the digest, or skipped it on purpose (NOTIFY_ON).
            took = any(d["ok"] for d in result["deliveries"])
            result["heartbeat"] = _end(beat, start, heartbeat.SUCCESS if took else heartbeat.FAIL,
                                       _ping_report(result))
        # A post that may have landed is never risked again: FC's retry would repeat it, so the run
        # returns (the result says which channel is in doubt) unless every channel surely refused.
        if not took and not any(d.get("maybe_delivered") for d in result["deliveries"]):
            raise DeliveryError(scrubber.scrub("no channel accepted the digest: " + "; ".join(
                f"{d['channel']}: {d.get('error', '')}" for d in result["deliveries"])))
        return bounded.utf8(json.dumps(result, ensure_ascii=False))


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
    with _secrets(usable, invocation.credentials) as scrubber, \
            _transport(invocation, started) as transport:
        # A channel is told when its own webhook and signing secret parse (a bad @ list only loses the @s).
        channels = [c for c in configured(usable, transport)
                    if not {f"{c.name.upper()}_WEBHOOK", f"{c.name.upper()}_SECRET"} & error.bad]
        beat = heartbeat.Heartbeat(usable.heartbeat_url, transport, scrubber.scrub) \
            if usable.heartbeat_url and HEARTBEAT_URL not in error.bad else None
        dg = digest.settings_alert(error.problems, invocation.request_id)
        with redact.Pool(max_workers=len(channels) + 1, thread_name_prefix="post") as pool:
            ping = pool.submit(beat.ping, heartbeat.FAIL, {"status": "error", "settings": error.problems}) \
                if beat else None
            deliveries = list(pool.map(lambda channel: _post(channel, dg), channels))
        result = {"status": "error", "settings": error.problems,
                  "deliveries": [_delivery_json(d, scrubber) for d in deliveries],
                  "heartbeat": [_ping_json(ping.result())] if ping else []}
        log.error(json.dumps({"event": "backup_report.settings", "request_id": invocation.request_id,
                              **result}, ensure_ascii=False))
        # Raised (FC retries) only when every channel surely refused: an alert that may have landed
        # would be posted again by the retry.
        if not any(d.ok or d.maybe_delivered for d in deliveries):
            raise error
        return bounded.utf8(json.dumps(result, ensure_ascii=False))


def _end(beat: heartbeat.Heartbeat | None, start: Future | None, signal: str, report: dict) -> list[dict]:
    """The end ping, after the start ping is done (its own deadline bounds the wait), so the monitor
    sees them in order; both as result entries, a failed one logged as a warning."""
    if beat is None or start is None:
        return []
    return [_ping_json(start.result()), _ping_json(beat.ping(signal, report))]


def _ping_json(ping: heartbeat.Ping) -> dict:
    if not ping.ok:
        log.warning("heartbeat: the %s ping failed: %s", ping.signal, ping.error)
    return ping.as_json()


def _ping_report(result: dict) -> dict:
    """What an end ping carries: the status, the counts, what failed (regions, channels); no secret."""
    failed = [f"region {r['region']} not checked" for r in result["unchecked_regions"]]
    failed += [f"{d['channel']}: {d.get('error', '')}" for d in result["deliveries"] if not d["ok"]]
    return {"status": result["status"], "counts": {k: v for k, v in result["counts"].items() if v},
            "failed": failed}


def _transport(invocation, started: float) -> Transport:
    """Posts (and pings), each within its own whole deadline, every retry and wait over a second before FC's."""
    timing = Timing.for_timeout(invocation.timeout_seconds)
    return Transport(attempt_timeout=timing.post_timeout, deadline=started + invocation.timeout_seconds - 1.0,
                     connect_timeout=min(3.0, timing.post_timeout))


def _secrets(settings: Settings, creds=None) -> redact.Redaction:
    """This invocation's secrets: the environment's channels', the heartbeat URL's and the credentials', and
    the payload's destinations whole (Settings.payload_secrets)."""
    found = [*settings.secrets(), *heartbeat.secrets(settings.heartbeat_url if HEARTBEAT_URL not in
                                                     settings.from_payload else "")]
    if creds is not None:
        found += [creds.access_key_id, creds.access_key_secret, creds.security_token]
    return redact.Redaction(found, whole=settings.payload_secrets())


def _report(invocation, timer, settings: Settings, scrubber: redact.Redaction, started: float,
            now: datetime | None, dry_run: bool, progress: Callable[[int], None] | None,
            transport: Transport) -> dict:
    """The run itself, once settings and credentials are read and this invocation's secrets registered."""
    creds = invocation.credentials
    window = window_for(timer.trigger_time, settings.lookback_hours, now or datetime.now(timezone.utc))
    timing = Timing.for_timeout(invocation.timeout_seconds)
    budget = Budget(started + invocation.timeout_seconds - timing.reserve)
    rules = Rules(grace=timedelta(minutes=settings.backup_grace_minutes), size_drop_percent=settings.size_drop_percent,
                  history_days=settings.history_days, tz=settings.tz,
                  controls=Controls(settings.min_retention_days, settings.min_backups_per_week,
                                    settings.require_backup_log))
    pacer = pacer_for(settings)
    cloud = KVStore(creds, endpoint=settings.kvstore_endpoint, protocol=settings.kvstore_protocol,
                    pacer=pacer, remaining=budget.remaining,
                    connect_timeout=timing.api_connect, read_timeout=timing.api_read,
                    pool_size=settings.max_concurrency)
    memory = _memory(settings, invocation, timer, window, timing) if settings.archive_oss_bucket and not dry_run \
        else None
    # DescribeRegions and the previous archived run are read beside the scan: a slow answer costs the scan
    # no time. The scan's one listing of each region serves the coverage too (COVERAGE).
    known = {}
    if memory:  # in a thread of its own: a slow OSS never holds the scan, the digest or the end ping
        memory.read_previous(budget.remaining)
        if settings.policy_refresh_days:  # the scan waits for the earlier run's policies a few seconds at most
            known = memory.known_policies(wait=min(POLICY_WAIT, max(0.0, budget.remaining() / 10)))
    with redact.Pool(max_workers=1) as side:
        offered = side.submit(offered_regions, cloud, invocation.region or settings.regions[0])
        findings = collect(cloud, settings.regions, settings.instance_tags, window, rules, budget,
                           settings.max_concurrency, progress, settings.max_instances, whole=settings.coverage,
                           known=known, refresh_days=settings.policy_refresh_days)
        found = Counter(c.instance.region for c in findings.checked)
        findings.region_failures = regions.reconcile(settings.regions, offered.result(), found,
                                                     findings.region_failures)
    checked_ids = {c.instance.instance_id for c in findings.checked}
    covered = [coverage.unwatched(region, findings.unwatched[region], settings.instance_tags, checked_ids)
               for region in settings.regions] if settings.coverage else []
    covered = [replace(c, error=replace(c.error, message=scrubber.scrub(c.error.message))) if c.error else c
               for c in covered]
    # API texts end up in messages, the result and the log: scrub them once, at the source.
    findings.checked = [replace(c, verdict=replace(c.verdict, detail=scrubber.scrub(c.verdict.detail)))
                        for c in findings.checked]
    findings.region_failures = [replace(f, error=replace(f.error, message=scrubber.scrub(f.error.message)))
                                for f in findings.region_failures]
    dg = digest.build(findings, settings.tz, settings.timezone, _scope(settings, findings), invocation.request_id,
                      coverage=tuple(covered), console=settings.console, owner_tag=settings.owner_tag)
    # A fleet the run could not reach whole: how long it needs at the quotas, and what to raise.
    short = sizing.shortfall(findings, pacer.quota, invocation.timeout_seconds - timing.reserve, timing.reserve,
                             lambda: _not_reached(findings))
    dg = replace(dg, notes=dg.notes + tuple(short))
    instances = [{"instance_id": c.instance.instance_id, "name": c.instance.name, "region": c.instance.region,
                  "verdict": c.verdict.kind.value, "detail": c.verdict.detail, **_history_json(c.verdict)}
                 for c in findings.checked]
    changes: list[str] = []
    if memory:
        changes = memory.changes(instances, findings.checked, {f.region for f in findings.region_failures}, budget.remaining())
        shown = changes[:MAX_CHANGE_NOTES] + ([f"…and {len(changes) - MAX_CHANGE_NOTES} more changes (in the run's "
                                              "result)"] if len(changes) > MAX_CHANGE_NOTES else [])
        # No link to a page that may never be written: when OSS failed already, the message says so instead.
        link = "" if memory.errors else memory.link()
        dg = replace(dg, notes=dg.notes + tuple(shown) + tuple(memory.notes)
                     + (() if link else ("the report page is not linked: the archive could not be read",)),
                     link=link, link_days=settings.report_link_days)

    # Channels post at the same time, each post within its own whole deadline, every retry and wait
    # over a second before FC's: one hung or drip-feeding channel never costs the other its post.
    deliveries = deliver(dg, settings, transport, dry_run)
    result = {
        "status": dg.status,
        "window": {"start": iso_utc(window.start), "end": iso_utc(window.end)},
        "counts": digest.counts(findings),
        "instances": instances,
        "unchecked_regions": [{"region": f.region, "error": str(f.error)} for f in findings.region_failures],
        "coverage": [coverage.as_json(c) for c in covered],
        "deliveries": [_delivery_json(d, scrubber) for d in deliveries],
    }
    if memory:  # written after the digest is posted: a slow or failing OSS never delays or costs it
        # Every change, up to a bound a hostile archive cannot pass (one line per instance of either run).
        result["changes"] = changes[:MAX_RESULT_CHANGES] + ([f"…and {len(changes) - MAX_RESULT_CHANGES} more changes"]
                                                           if len(changes) > MAX_RESULT_CHANGES else [])
        if any(d.ok or d.maybe_delivered for d in deliveries):
            # Room is kept for the end ping, and the whole second before FC's deadline that posts keep too.
            memory.keep(result, findings.checked, settings.owner_tag, {k.value: k.rank for k in Kind}, window.end,
                        rules.grace,
                        lambda: started + invocation.timeout_seconds - 1.0 - timing.post_timeout - time.monotonic())
        else:  # the run raises and FC retries it: that attempt, not this one, is the run to remember
            memory.errors.append("not written: no channel took the digest (FC's retry writes its own)")
        result["archive"] = {k: (scrubber.scrub(v) if isinstance(v, str) else v) for k, v in memory.report().items()}
    # The digest may end in "…and N more": each instance that needs attention has its own line here.
    for item in result["instances"]:
        if item["verdict"] not in FINE:
            log.warning(json.dumps({"event": "backup_report.instance", "request_id": invocation.request_id,
                                    **item}, ensure_ascii=False))
    for failure in result["unchecked_regions"]:
        log.warning(json.dumps({"event": "backup_report.region", "request_id": invocation.request_id,
                                **failure}, ensure_ascii=False))
    log.info(json.dumps({
        "event": "backup_report", "request_id": invocation.request_id, "status": dg.status,
        "counts": {k: v for k, v in result["counts"].items() if v}, "instances": len(findings.checked),
        "unchecked_regions": len(findings.region_failures), "deliveries": result["deliveries"],
        "duration_ms": int((time.monotonic() - started) * 1000)}, ensure_ascii=False))
    return result


def _memory(settings: Settings, invocation, timer, window, timing: Timing) -> "Memory":
    """The archive of this run: the bucket through ARCHIVE_OSS_ENDPOINT (else the function's region's
    internal endpoint; the page link through its public one), signed for the function's region, with
    the run's credentials."""
    # The OSS SDK is imported only when the archive is on: 8 MB and 100 ms of import a run without it spares.
    from .archive import Memory, oss, scope_of

    region = invocation.region or settings.regions[0]
    example = "oss-cn-hangzhou-internal.aliyuncs.com"
    url = addresses.endpoint_url(settings.archive_oss_endpoint or oss.default_endpoint(region), example)
    # The link goes to people's phones: through the endpoint set, else the region's public one.
    link = url if settings.archive_oss_endpoint else addresses.endpoint_url(oss.public_endpoint(region), example)
    bucket = oss.Bucket(settings.archive_oss_bucket, url, region, invocation.credentials,
                        connect_timeout=timing.api_connect, read_timeout=timing.api_read, link_endpoint_url=link)
    # Secret settings a payload set are named, not shown: a scope is part of a key.
    payload = {name: "(set)" if BY_NAME[name].secret else str(getattr(settings, name.lower()))
               for name in sorted(settings.from_payload)}
    return Memory(bucket, settings.archive_oss_prefix, window.end.astimezone(timezone.utc).date(),
                  timer.trigger_name, invocation.request_id, datetime.now(timezone.utc),
                  scope_of(settings.instance_tags, settings.regions, payload), settings.report_link_days)


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


def _history_json(verdict) -> dict:
    h = verdict.history
    return {} if h is None else {"history": h.strip, "history_from": h.first_day.isoformat(), "streak": h.streak}


def deliver(dg: digest.Digest, settings: Settings, transport: Transport, dry_run: bool = False) -> list[Delivery]:
    """One Delivery per configured channel (registry order); the channels post concurrently and a
    channel's failure, whatever its kind (its rendering included), is its own Delivery."""
    channels = configured(settings, transport)
    if settings.notify_on == "failure" and not dg.needs_post:
        return [Delivery(channel.name, True, skipped=SKIPPED) for channel in channels]
    if dry_run:
        return [Delivery(channel.name, True, skipped="dry run: not posted",
                         message=channel.render(_for(channel, dg, settings))) for channel in channels]
    with redact.Pool(max_workers=max(1, len(channels)), thread_name_prefix="post") as pool:
        return list(pool.map(lambda channel: _post(channel, _for(channel, dg, settings)), channels))


def _for(channel: Channel, dg: digest.Digest, settings: Settings) -> digest.Digest:
    """The digest as `channel` may see it: a channel whose webhook came from the event's payload gets no
    page link, which carries the role's STS token (README, "Who decides what")."""
    if not dg.link or f"{channel.name.upper()}_WEBHOOK" not in settings.from_payload:
        return dg
    return replace(dg, link="", notes=dg.notes + (PAYLOAD_CHANNEL_NO_LINK,))


def _post(channel: Channel, dg: digest.Digest) -> Delivery:
    try:
        message = channel.render(dg)
    except Exception as exc:  # noqa: BLE001 - a rendering bug costs this channel only, and says so
        log.exception("rendering for %s failed", channel.name)
        return Delivery(channel.name, False, error=f"the message could not be rendered ({type(exc).__name__})")
    return channel.send(message)


def _delivery_json(d: Delivery, scrubber: redact.Redaction) -> dict:
    out: dict = {"channel": d.channel, "ok": d.ok}
    if d.skipped:
        out["skipped"] = d.skipped
    if d.error:
        out["error"] = scrubber.scrub(d.error)
    if d.message is not None:
        out["message"] = d.message
    if d.maybe_delivered:
        out["maybe_delivered"] = True
    return out


def _scope(settings: Settings, findings=None) -> str:
    tags = ",".join(k if v is None else f"{k}={v}" for k, v in settings.instance_tags)
    scope = f"tags {tags} in {', '.join(settings.regions)}"
    today = findings.window.end.astimezone(timezone.utc).date() if findings else None
    kept = sum(1 for c in findings.checked if c.verdict.policy_read and c.verdict.policy_read < today) if findings else 0
    if kept:  # said, so a policy changed since is known to be seen within POLICY_REFRESH_DAYS
        scope += (f"; {kept} backup polic{'y' if kept == 1 else 'ies'} as an earlier run read "
                  f"{'it' if kept == 1 else 'them'} (each read afresh at least every {settings.policy_refresh_days} "
                  "days)")
    return scope
