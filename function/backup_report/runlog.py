"""The run's structured log events, one JSON object a line (docs/deploy.md, "Invoke it and read the logs"):
- `backup_report.instance`: each instance that needs attention (where the digest's "…and N more" points);
- `backup_report.region`: each region not checked;
- `backup_report.account`: each account not checked (ACCOUNTS);
- `backup_report`: the run (counts, deliveries, duration);
- `backup_report.settings`: a run its settings stopped.
Every record is scrubbed of the invocation's secrets when it is made (redact.py), and carries its event's
name as `record.run_event` (which the CLI reads to keep the per-instance lines off a terminal; FC's log
format shows only the message, so FC's lines are the same)."""
from __future__ import annotations

import json
import logging
import time

from .model import Kind, Severity

log = logging.getLogger("backup_report")
FINE = {kind.value for kind in Kind if kind.severity is Severity.FINE}
# The events of one thing each (an instance, a region, an account), which a person reads in the digest instead.
PER_ITEM = ("backup_report.instance", "backup_report.region", "backup_report.account")


def _event(level: int, name: str, request_id: str, fields: dict) -> None:
    log.log(level, json.dumps({"event": name, "request_id": request_id, **fields}, ensure_ascii=False),
            extra={"run_event": name})


def finished(result: dict, request_id: str, started: float) -> None:
    """The instance, region and run lines of a run that reached the scan (`started`: time.monotonic())."""
    for item in result["instances"]:
        if item["verdict"] not in FINE:
            _event(logging.WARNING, "backup_report.instance", request_id, item)
    for failure in result["unchecked_regions"]:
        _event(logging.WARNING, "backup_report.region", request_id, failure)
    for failure in result.get("unchecked_accounts", []):
        _event(logging.WARNING, "backup_report.account", request_id, failure)
    _event(logging.INFO, "backup_report", request_id, {
        "status": result["status"], "counts": {k: v for k, v in result["counts"].items() if v},
        "instances": len(result["instances"]), "unchecked_regions": len(result["unchecked_regions"]),
        **({"unchecked_accounts": len(result["unchecked_accounts"])} if "unchecked_accounts" in result else {}),
        "deliveries": result["deliveries"], "duration_ms": int((time.monotonic() - started) * 1000)})


def settings_failed(result: dict, request_id: str) -> None:
    _event(logging.ERROR, "backup_report.settings", request_id, result)


def ping(entry: dict) -> dict:
    """A ping's result entry, a failed one said as a warning."""
    if not entry["ok"]:
        log.warning("heartbeat: the %s ping failed: %s", entry["signal"], entry.get("error", ""))
    return entry
