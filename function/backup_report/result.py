"""The run's result, the JSON an invocation returns (its contract: docs/architecture.md, "What a run does", step 5),
built here and nowhere else: from the findings, the digest, the deliveries, the pings and the archive's report. Outside
text in it is scrubbed of the run's secrets where it enters (the deliveries' errors, the archive's), and the
whole is always valid UTF-8 (`text`).
"""
from __future__ import annotations

import json
from typing import Callable

from . import bounded, coverage, digest
from .model import Checked, Coverage, Delivery, Findings, RegionFailure, Verdict, Window
from .window import iso_utc

MAX_CHANGES = 1000  # the result's "changes", at most: a hostile archive cannot make it grow past this


def text(result: dict) -> str:
    """The result as the JSON text the handler returns, valid UTF-8."""
    return bounded.utf8(json.dumps(result, ensure_ascii=False))


def history_json(verdict: Verdict) -> dict:
    h = verdict.history
    return {} if h is None else {"history": h.strip, "history_from": h.first_day.isoformat(), "streak": h.streak}


def instance_json(c: Checked) -> dict:
    """An `instances` entry: ID, name, region, verdict, detail, and the history of one that needs attention."""
    account = {"account_id": c.instance.account_id} if c.instance.account_id else {}
    return {"instance_id": c.instance.instance_id, "name": c.instance.name, "region": c.instance.region, **account,
            "verdict": c.verdict.kind.value, "detail": c.verdict.detail, **history_json(c.verdict)}


def region_failure_json(f: RegionFailure) -> dict:
    return {"region": f.region, **({"account_id": f.account_id} if f.account_id else {}), "error": str(f.error)}


def accounts_json(findings: Findings) -> dict:
    """With ACCOUNTS: `accounts`, each account read (ID, name, and its Resource Directory status when listed),
    and `unchecked_accounts`, each one that could not be, and why (`account_id` "resource-directory" for the
    directory's listing)."""
    if not findings.accounts and not findings.account_failures:
        return {}
    failed = {f.account.account_id for f in findings.account_failures}
    return {"accounts": [{"account_id": a.account_id, "name": a.name, "status": a.status,
                          "checked": a.account_id not in failed} for a in findings.accounts],
            "unchecked_accounts": [{"account_id": f.account.account_id, "name": f.account.name,
                                    "error": f"{f.error.action} failed: {f.error}" if f.error.action else str(f.error)}
                                   for f in findings.account_failures]}


def delivery_json(d: Delivery, scrub: Callable[[str], str]) -> dict:
    out: dict = {"channel": d.channel, "ok": d.ok}
    if d.skipped:
        out["skipped"] = d.skipped
    if d.error:
        out["error"] = scrub(d.error)
    if d.message is not None:
        out["message"] = d.message
    if d.maybe_delivered:
        out["maybe_delivered"] = True
    return out


def changes_json(changes: list[str]) -> list[str]:
    """Every change, up to MAX_CHANGES, the rest counted (one line per instance of either run)."""
    if len(changes) <= MAX_CHANGES:
        return changes
    return changes[:MAX_CHANGES] + [f"…and {len(changes) - MAX_CHANGES} more changes"]


def build(dg: digest.Digest, window: Window, findings: Findings, covered: list[Coverage],
          deliveries: list[Delivery], scrub: Callable[[str], str]) -> dict:
    """The result of a run that reached the scan: status, window, counts, instances, unchecked regions,
    coverage, deliveries (the archive and the heartbeat are added as they happen)."""
    return {
        "status": dg.status,
        "window": {"start": iso_utc(window.start), "end": iso_utc(window.end)},
        "counts": digest.counts(findings),
        "instances": [instance_json(c) for c in findings.checked],
        "unchecked_regions": [region_failure_json(f) for f in findings.region_failures],
        **accounts_json(findings),
        "coverage": [coverage.as_json(c) for c in covered],
        "deliveries": [delivery_json(d, scrub) for d in deliveries],
    }


def settings_failed(problems: list[str], deliveries: list[Delivery], pings: list[dict],
                    scrub: Callable[[str], str]) -> dict:
    """The result of a run its settings stopped: `"status": "error"`, every problem, the alert's deliveries."""
    return {"status": "error", "settings": problems, "deliveries": [delivery_json(d, scrub) for d in deliveries],
            "heartbeat": pings}


def ping_report(result: dict) -> dict:
    """What an end ping carries: the status, the counts, what failed (regions, channels); no secret."""
    failed = [f"account {a['account_id']} not checked" for a in result.get("unchecked_accounts", [])]
    failed += [f"region {r['region']}" + (f" of account {r['account_id']}" if r.get("account_id") else "") +
               " not checked" for r in result["unchecked_regions"]]
    failed += [f"{d['channel']}: {d.get('error', '')}" for d in result["deliveries"] if not d["ok"]]
    return {"status": result["status"], "counts": {k: v for k, v in result["counts"].items() if v},
            "failed": failed}


def took(result: dict) -> bool:
    """Whether a channel took the digest (or skipped it on purpose, NOTIFY_ON=failure)."""
    return any(d["ok"] for d in result["deliveries"])


def in_doubt(result: dict) -> bool:
    """Whether a post may have landed (sent, no complete answer): FC's retry could repeat it."""
    return any(d.get("maybe_delivered") for d in result["deliveries"])
