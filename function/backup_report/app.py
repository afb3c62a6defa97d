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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

from . import digest, redact, regions
from .channels.base import Channel, configured
from .channels.http import Transport
from .invocation import read_context, parse_event
from .cloud.kvstore import KVStore
from .cloud.retry import ApiFailure
from .model import ApiError, Delivery, Kind, Severity
from .cloud.ratelimit import RateLimiter
from .report import Budget, Timing, collect
from .settings import Settings, SettingsError, load_settings
from .judge.verdicts import Rules
from .window import iso_utc, window_for

log = logging.getLogger("backup_report")
SKIPPED = "nothing needs attention (NOTIFY_ON=failure)"
FINE = {kind.value for kind in Kind if kind.severity is Severity.FINE}

class DeliveryError(RuntimeError):
    """Nothing could be delivered: FC records a failed invocation, so its retry/destination apply."""


class RedactedError(RuntimeError):
    """An unexpected exception whose text held a secret: re-raised as its type name and scrubbed text."""


def run(event, context, environ: Mapping[str, str] = os.environ, now: datetime | None = None,
        dry_run: bool = False, progress: Callable[[int], None] | None = None) -> str:
    """`dry_run`: render the messages into the result's `deliveries` instead of posting them.
    `progress`: called with 1 as each instance is checked (the CLI's progress indicator)."""
    started = time.monotonic()
    invocation = read_context(context, environ)
    timer = parse_event(event)
    settings = load_settings(environ, timer.payload, default_region=invocation.region)
    if invocation.credentials is None:
        raise SettingsError(["credentials: none found; give the function a role (context.credentials) or set "
                             "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    creds = invocation.credentials
    # This invocation's secrets are hidden from every log record of the process while it runs, and from
    # what leaves it: the result, deliveries[].error and any exception's text.
    with redact.Redaction([settings.dingtalk_webhook, settings.dingtalk_secret, settings.slack_webhook,
                           settings.feishu_webhook, settings.feishu_secret, settings.wecom_webhook,
                           creds.access_key_id, creds.access_key_secret, creds.security_token]) as scrubber:
        redact.quiet_sdk_debug(environ)
        try:
            return _report(invocation, timer, settings, scrubber, started, now, dry_run, progress)
        except Exception as exc:
            text = f"{exc}\n{exc!r}"
            if scrubber.scrub(text) != text:  # its text holds a secret: it leaves with its type only
                raise RedactedError(f"{type(exc).__name__}: {scrubber.scrub(str(exc))}") from None
            raise


def _report(invocation, timer, settings: Settings, scrubber: redact.Redaction, started: float,
             now: datetime | None, dry_run: bool, progress: Callable[[int], None] | None) -> str:
    """The run itself, once settings and credentials are read and this invocation's secrets registered."""
    creds = invocation.credentials
    window = window_for(timer.trigger_time, settings.lookback_hours, now or datetime.now(timezone.utc))
    timing = Timing.for_timeout(invocation.timeout_seconds)
    budget = Budget(started + invocation.timeout_seconds - timing.reserve)
    rules = Rules(grace=timedelta(minutes=settings.backup_grace_minutes), size_drop_percent=settings.size_drop_percent,
                  history_days=settings.history_days, tz=settings.tz)
    cloud = KVStore(creds, endpoint=settings.kvstore_endpoint, protocol=settings.kvstore_protocol,
                    limiter=RateLimiter(settings.api_qps), remaining=budget.remaining,
                    connect_timeout=timing.api_connect, read_timeout=timing.api_read,
                    pool_size=settings.max_concurrency)
    # DescribeRegions runs beside the scan: a slow answer costs the scan no time.
    with ThreadPoolExecutor(max_workers=1) as side:
        offered = side.submit(offered_regions, cloud, invocation.region or settings.regions[0])
        findings = collect(cloud, settings.regions, settings.instance_tags, window, rules, budget,
                           settings.max_concurrency, progress)
        found = Counter(c.instance.region for c in findings.checked)
        findings.region_failures = regions.reconcile(settings.regions, offered.result(), found,
                                                     findings.region_failures)
    # API texts end up in messages, the result and the log: scrub them once, at the source.
    findings.checked = [replace(c, verdict=replace(c.verdict, detail=scrubber.scrub(c.verdict.detail)))
                        for c in findings.checked]
    findings.region_failures = [replace(f, error=replace(f.error, message=scrubber.scrub(f.error.message)))
                                for f in findings.region_failures]
    dg = digest.build(findings, settings.tz, settings.timezone, _scope(settings), invocation.request_id)

    # Channels post at the same time, each post within its own whole deadline, every retry and wait
    # over a second before FC's: one hung or drip-feeding channel never costs the other its post.
    transport = Transport(attempt_timeout=timing.post_timeout, deadline=started + invocation.timeout_seconds - 1.0,
                          connect_timeout=min(3.0, timing.post_timeout))
    deliveries = deliver(dg, settings, transport, dry_run)
    result = {
        "status": dg.status,
        "window": {"start": iso_utc(window.start), "end": iso_utc(window.end)},
        "counts": digest.counts(findings),
        "instances": [{"instance_id": c.instance.instance_id, "name": c.instance.name, "region": c.instance.region,
                       "verdict": c.verdict.kind.value, "detail": c.verdict.detail}
                      for c in findings.checked],
        "unchecked_regions": [{"region": f.region, "error": str(f.error)} for f in findings.region_failures],
        "deliveries": [_delivery_json(d, scrubber) for d in deliveries],
    }
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
    posted = [d for d in deliveries if not d.skipped]
    if posted and not any(d.ok for d in posted):
        raise DeliveryError(scrubber.scrub("no channel accepted the digest: "
                                           + "; ".join(f"{d.channel}: {d.error}" for d in posted)))
    return json.dumps(result, ensure_ascii=False)


def offered_regions(cloud: KVStore, home: str) -> frozenset[str] | ApiError:
    """DescribeRegions' region IDs, asked through `home` (a region known to be real, such as the
    function's own), or the ApiError it failed with: `regions.reconcile` reads either."""
    try:
        return cloud.region_ids(home)
    except ApiFailure as failure:
        log.warning("REGIONS not verified: DescribeRegions failed: %s", failure.error)
        return failure.error


def deliver(dg: digest.Digest, settings: Settings, transport: Transport, dry_run: bool = False) -> list[Delivery]:
    """One Delivery per configured channel (registry order); the channels post concurrently and a
    channel's failure, whatever its kind (its rendering included), is its own Delivery."""
    channels = configured(settings, transport)
    if settings.notify_on == "failure" and not dg.needs_post:
        return [Delivery(channel.name, True, skipped=SKIPPED) for channel in channels]
    if dry_run:
        return [Delivery(channel.name, True, skipped="dry run: not posted", message=channel.render(dg))
                for channel in channels]
    with ThreadPoolExecutor(max_workers=max(1, len(channels)), thread_name_prefix="post") as pool:
        return list(pool.map(lambda channel: _post(channel, dg), channels))


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
    return out


def _scope(settings: Settings) -> str:
    tags = ",".join(k if v is None else f"{k}={v}" for k, v in settings.instance_tags)
    return f"tags {tags} in {', '.join(settings.regions)}"
