"""What the archive keeps of a run (pure): the document (the result, each instance's policy, owner and
30-day calendar) and the CSV of its instances."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from ..judge.schedule import last_due_slot
from ..model import Checked
from . import drift, page

CSV_COLUMNS = ("instance_id", "name", "region", "owner", "verdict", "detail", "period", "slot",
               "retention_days", "backup_log")


def document(result: dict, checked: list[Checked], owner_tag: str, previous: dict | None, now: datetime,
             grace: timedelta) -> dict:
    """`result` with each instance's `policy`, `owner` (the OWNER_TAG tag's value) and `calendar`
    (page.calendar up to `now`'s UTC date, carried on from the `previous` document's entry of the same
    instance; a verdict counts for the day of the slot it judged: the last one due by `now`, `grace`
    after its end, as judge.verdicts reads it)."""
    before = {i.get("instance_id"): i for i in (previous or {}).get("instances", []) if isinstance(i, dict)}
    by_id = {c.instance.instance_id: c for c in checked}
    instances = []
    for entry in result["instances"]:
        c = by_id[entry["instance_id"]]
        item = {**entry, "owner": c.instance.tag(owner_tag) if owner_tag else "",
                "policy": drift.policy_json(c.verdict.policy)}
        slot = last_due_slot(c.verdict.policy, now, grace) if c.verdict.policy else None
        item["calendar"] = page.calendar(before.get(entry["instance_id"]), item,
                                         slot.start.astimezone(timezone.utc).date() if slot else None,
                                         now.astimezone(timezone.utc).date())
        instances.append(item)
    return {**result, "instances": instances}


def csv_text(document: dict) -> str:
    """One row per instance, CSV_COLUMNS; a cell that a spreadsheet would read as a formula
    (=, +, -, @ first) gets a leading apostrophe (OWASP "CSV Injection")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in document["instances"]:
        policy = item.get("policy") or {}
        row = [item.get("instance_id"), item.get("name"), item.get("region"), item.get("owner"), item.get("verdict"),
               item.get("detail"), policy.get("period"), policy.get("slot"), policy.get("retention_days"),
               policy.get("backup_log")]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
