"""What the archive keeps of a run (pure): the document (the result, each instance's policy, owner and
30-day calendar), the CSV of its instances, and what of a previous run's document can be trusted.

A previous run's JSON is read back from OSS, where anyone with write access to the prefix (or a bug of
an older version) may have left anything: `parse_previous` refuses what would cost memory or CPU out of
proportion (bytes are capped by the bucket's reader; here the count of values), and
`previous_instances` keeps only the entries that fit the one form this module writes, field by field.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone, tzinfo

from .. import bounded
from ..judge.schedule import last_due_slot, next_slot
from ..model import Checked, Kind, KnownPolicy
from ..schedule_text import WEEKDAYS, parse_policy
from ..settings.parsers import ACCOUNT_ID, REGION_ID
from . import drift, page

MAX_VALUES = 600_000  # ',' '[' '{' in a previous run's JSON: ~50 an instance, so ~12,000 instances
MAX_PREVIOUS_INSTANCES = 50_000
INSTANCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_NAME_CHARS = bounded.NAME  # as long as a name the run itself keeps
SLOT = re.compile(r"[0-9]{2}:[0-9]{2}Z-[0-9]{2}:[0-9]{2}Z")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
VERDICTS = frozenset(k.value for k in Kind)
SEVERITIES = ("fine", "warning", "alert")
MAX_ZONE_CHARS = 64  # an IANA zone's name (TIMEZONE); the longest in tzdata is 32
MAX_BYTES = 2 ** 63 - 1  # a backup's size as the API's Long can hold it


class Unreadable(ValueError):
    """A previous run's document that cannot be used at all; its text says why in a few words."""


def parse_previous(raw: bytes) -> dict:
    """A previous run's JSON document (at most MAX_VALUES values, a JSON object). Raises Unreadable."""
    if raw.count(b",") + raw.count(b"[") + raw.count(b"{") > MAX_VALUES:
        raise Unreadable(f"over {MAX_VALUES:,} values")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, 1e400-digit numbers, nesting past the stack
        raise Unreadable("not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("instances"), list):
        raise Unreadable("not a run's document (no list of instances)")
    return document


def previous_instances(document: dict) -> tuple[list[dict], int, int]:
    """The entries of a previous run's `instances` that fit the form `document()` writes (instance_id,
    name, region, verdict, policy, calendar, sizes; the other fields are not read), first of each ID, at most
    MAX_PREVIOUS_INSTANCES; how many were left out (an identity of another form); and how many of those kept
    lost a part (a calendar or sizes of another form, then {}; a policy, then None): a part's defect costs only
    that part, never the entry, which still stands for its instance in what changed."""
    kept: dict[str, dict] = {}
    damaged = 0
    entries = document["instances"]
    for entry in entries[:MAX_PREVIOUS_INSTANCES]:
        clean = _entry(entry)
        if clean is not None and clean[0]["instance_id"] not in kept:
            kept[clean[0]["instance_id"]] = clean[0]
            damaged += clean[1]
    return list(kept.values()), len(entries) - len(kept), damaged


def _identified(entry: dict) -> bool:
    """Whether an entry's instance ID, name, region, verdict and account (ACCOUNTS; "" else) are of their form."""
    instance_id, name, region, verdict = (entry.get(k) for k in ("instance_id", "name", "region", "verdict"))
    account = entry.get("account_id", "")
    return (isinstance(instance_id, str) and INSTANCE_ID.fullmatch(instance_id) is not None
            and isinstance(region, str) and REGION_ID.fullmatch(region) is not None and verdict in VERDICTS
            and isinstance(name, str) and len(name) <= MAX_NAME_CHARS
            and isinstance(account, str) and (account == "" or ACCOUNT_ID.fullmatch(account) is not None))


def _entry(entry: object) -> tuple[dict, bool] | None:
    """An entry of the written form, and whether a part of it (calendar, sizes, policy) was of another form and
    left out; None when its identity is not."""
    if not isinstance(entry, dict) or not _identified(entry):
        return None
    instance_id, name, region, verdict = (entry.get(k) for k in ("instance_id", "name", "region", "verdict"))
    policy, calendar, sizes = _policy(entry.get("policy")), _calendar(entry.get("calendar")), _sizes(entry.get("sizes"))
    read, account = entry.get("policy_read"), entry.get("account_id", "")
    return {"instance_id": instance_id, "name": name, "region": region, "account_id": account,
            "verdict": verdict, "policy": policy or None, "calendar": calendar or {}, "sizes": sizes or {},
            "policy_read": read if isinstance(read, str) and DAY.fullmatch(read) and _real(read) else None}, \
        policy is False or calendar is None or sizes is None


def previous_days(document: dict) -> dict:
    """What a previous run's document says of its days: `timezone`, the TIMEZONE its days are of (a
    document without one is of the layout before it, whose days were UTC's; None when not a zone's name
    of at most MAX_ZONE_CHARS), and `fleet`, its tally of each day {YYYY-MM-DD: {fine, warning, alert}}
    ({} when of another form: the fleet chart starts again, nothing else is lost)."""
    zone = document.get("timezone", "UTC")
    fleet = document.get("fleet")
    return {"timezone": zone if isinstance(zone, str) and 0 < len(zone) <= MAX_ZONE_CHARS else None,
            "fleet": fleet if _fleet(fleet) else {}}


def _fleet(fleet: object) -> bool:
    """A tally {YYYY-MM-DD: {fine, warning, alert: count}} of at most 2 × page.DAYS real days."""
    return (isinstance(fleet, dict) and len(fleet) <= 2 * page.DAYS
            and all(isinstance(day, str) and DAY.fullmatch(day) and _real(day) and _tally(counts)
                    for day, counts in fleet.items()))


def _tally(counts: object) -> bool:
    return (isinstance(counts, dict) and set(counts) <= set(SEVERITIES)
            and all(type(n) is int and 0 <= n <= MAX_PREVIOUS_INSTANCES for n in counts.values()))


def _sizes(sizes: object) -> dict[str, int] | None:
    """Bytes a day {YYYY-MM-DD: bytes} of at most 2 × page.DAYS real days ({} when absent), None when of
    another form."""
    if sizes is None:
        return {}
    if not isinstance(sizes, dict) or len(sizes) > 2 * page.DAYS:
        return None
    for day, size in sizes.items():
        if not (isinstance(day, str) and DAY.fullmatch(day) and _real(day) and type(size) is int
                and 0 <= size <= MAX_BYTES):
            return None
    return dict(sizes)


def known_policies(entries: list[dict], today: date) -> dict[str, KnownPolicy]:
    """The policies of validated previous entries (previous_instances) with the UTC day each was read from
    the API (not after `today`), by instance ID; an entry without both stands in for nothing."""
    known = {}
    for entry in entries:
        read, policy = entry.get("policy_read"), entry.get("policy")
        if not read or not policy or date.fromisoformat(read) > today:
            continue
        try:
            parsed = parse_policy(policy["period"], policy["slot"])
        except ValueError:
            continue
        known[entry["instance_id"]] = KnownPolicy(
            replace(parsed, retention_days=policy["retention_days"], backup_log=policy["backup_log"]),
            date.fromisoformat(read))
    return known


def _policy(policy: object) -> dict | None | bool:
    """A policy as drift.policy_json writes it, None when absent, False when of another form."""
    if policy is None:
        return None
    if not isinstance(policy, dict):
        return False
    period, slot, retention, log = (policy.get(k) for k in ("period", "slot", "retention_days", "backup_log"))
    if not (_period(period) and _slot(slot) and _backup_log(log) and _retention(retention)):
        return False
    return {"period": period, "slot": slot, "retention_days": retention, "backup_log": log}


def _period(period: object) -> bool:
    """Weekday names joined by commas, as drift.policy_json writes them."""
    return isinstance(period, str) and all(d in WEEKDAYS for d in period.split(",") if d)


def _slot(slot: object) -> bool:
    return isinstance(slot, str) and bool(SLOT.fullmatch(slot))


def _backup_log(log: object) -> bool:
    """EnableBackupLog as written: 0, 1 or None (unknown)."""
    return log is None or (type(log) is int and log in (0, 1))


def _retention(retention: object) -> bool:
    """BackupRetentionPeriod in days as written: 0–100,000 or None (unknown)."""
    return retention is None or (type(retention) is int and 0 <= retention <= 100_000)


def _calendar(calendar: object) -> dict[str, str] | None:
    """A calendar {YYYY-MM-DD: state} of at most 2 × page.DAYS real days and known states ({} when
    absent), None when of another form."""
    if calendar is None:
        return {}
    if not isinstance(calendar, dict) or len(calendar) > 2 * page.DAYS:
        return None
    for day, state in calendar.items():
        if not (isinstance(day, str) and DAY.fullmatch(day) and _real(day) and state in page.STATES):
            return None
    return dict(calendar)


def _real(day: str) -> bool:
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True

CSV_COLUMNS = ("instance_id", "name", "region", "owner", "verdict", "detail", "period", "slot",
               "retention_days", "backup_log")


def document(result: dict, checked: list[Checked], owner_tag: str, previous: dict | None, now: datetime,
             grace: timedelta, tz: tzinfo, tz_name: str) -> dict:
    """`result` with each instance's `policy`, `owner` (the OWNER_TAG tag's value), `calendar` (page.calendar)
    and `sizes` (page.sizes), and the fleet's `fleet` (each day's instances fine, warning and alert), each of
    the page.DAYS days up to `now`'s day in `tz` (TIMEZONE, named `tz_name`: the document's `timezone`), carried
    on from the `previous` document (previous_instances and previous_days) when its days are of that zone.
    A verdict counts for the day of the slot it judged: the last one due by `now`, `grace` after its end, as
    judge.verdicts reads it; today, with no such word, says whether its slot is still to come."""
    same_zone = (previous or {}).get("timezone") == tz_name
    before = {i.get("instance_id"): i for i in (previous or {}).get("instances", []) if isinstance(i, dict)} \
        if same_zone else {}
    by_id = {c.instance.instance_id: c for c in checked}
    today = now.astimezone(tz).date()
    instances = [_item(entry, by_id[entry["instance_id"]], owner_tag, before.get(entry["instance_id"]), now, grace,
                       tz) for entry in result["instances"]]
    fleet = dict((previous or {}).get("fleet") or {}) if same_zone else {}
    fleet[today.isoformat()] = _tally_of(checked)
    oldest = (today - timedelta(days=page.DAYS - 1)).isoformat()
    return {**result, "instances": instances, "timezone": tz_name,
            "fleet": {d: v for d, v in sorted(fleet.items()) if oldest <= d <= today.isoformat()}}


def _item(entry: dict, c: Checked, owner_tag: str, earlier: dict | None, now: datetime, grace: timedelta,
          tz: tzinfo) -> dict:
    """One instance's entry of the document (see `document`); `earlier` its previous entry."""
    policy = c.verdict.policy
    item = {**entry, "owner": c.instance.tag(owner_tag) if owner_tag else "",
            "policy": drift.policy_json(policy),
            "policy_read": (c.verdict.policy_read or now.astimezone(timezone.utc).date()).isoformat()
            if policy else None}
    slot = last_due_slot(policy, now, grace) if policy else None
    pending = next_slot(policy, slot.start if slot else now - timedelta(days=1)) if policy else None
    today = now.astimezone(tz).date()
    item["calendar"] = page.calendar(earlier, item, policy, slot.start if slot else None,
                                     pending.start if pending else None, today, tz)
    # Only what the next run reads back (_sizes): a size past it would cost that entry's sizes every day.
    item["sizes"] = page.sizes(earlier, [(d, n) for d, n in c.verdict.sizes if 0 <= n <= MAX_BYTES], today)
    return item


def _tally_of(checked: list[Checked]) -> dict[str, int]:
    tally = dict.fromkeys(SEVERITIES, 0)
    for c in checked:
        tally[c.verdict.severity.value] += 1
    return tally


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
