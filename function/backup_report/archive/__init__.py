"""The run's memory and evidence in OSS (ARCHIVE_OSS_BUCKET): the objects (oss.py), the report page
(page.py), what the archive keeps (record.py) and what changed since the last run (drift.py).

`Memory` is the run's side of it: read the previous run beside the scan, say what changed, write the
page before the digest is posted (within PAGE_SECONDS) and link it only when it is written, and write
the run's JSON and CSV after the digest is posted (the record of a run that was told). Every failure is kept
in `report()` (the result's `archive`) and the log; none is raised, none fails the run. What it reads
back is untrusted (record.parse_previous, record.previous_instances): a defect in it costs only the
"what changed" notes and the page's earlier calendar days, said in `notes`, never the digest.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from concurrent.futures import Future, TimeoutError as FutureTimeout
from datetime import date, datetime, timedelta
from typing import Callable, TypeVar

from . import drift, oss, page, record
from ..model import KnownPolicy
from .. import redact

T = TypeVar("T")

log = logging.getLogger("backup_report")
# The page's write before the digest is posted: one PutObject of one page (~100 KB for hundreds of
# instances). Longer would cost the digest's own time; past it the message says the page is not archived.
PAGE_SECONDS = 5.0


class Memory:
    """One run's archive: `bucket` (oss.Bucket), its `prefix`, the window's end `day` (UTC), the timer
    trigger's name ("" for a run no timer started), the request ID, the run's start (UTC) and its scope
    (`scope_of`: what the run looked at, which the previous run must share);
    `validity` the page link's (oss.link_validity). `errors`: what failed in OSS; `notes`: what of the
    previous run could not be used (both for the digest's notes)."""

    def __init__(self, bucket: oss.Bucket, prefix: str, day: date, trigger_name: str, request_id: str,
                 started: datetime, scope: str, validity: oss.Validity):
        self.archive = oss.Archive(bucket, prefix, day, trigger_name, request_id, started, scope)
        self.day, self.validity = day, validity
        self._previous: Future | None = None
        self._found: tuple[str, dict] | None = None
        self._settled = False  # the previous run's read has ended, read or not
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.written: list[str] = []
        self._made: dict | None = None  # the page's document (publish), whose instances the record reuses (keep)

    def read_previous(self, seconds_left: Callable[[], float]) -> None:
        """Starts reading the previous run beside the scan, in a daemon thread of its own: `changes`
        waits for it only within the run's budget, and nothing else ever waits for it. Each of its calls
        ends within its whole deadline (oss.BoundedClient) and none starts after `seconds_left()` runs
        out, so the thread ends soon after the run does."""
        self._previous = _in_thread(lambda: self.archive.previous(seconds_left))

    def changes(self, instances: list[dict], checked, unchecked: set[tuple[str, str]], wait: float,
                seen: frozenset[str] | None = None) -> list[str]:
        """What changed since the previous run (drift.changes), waiting at most `wait` seconds for it.
        `instances`: the result's entries, one per `checked` instance, in the same order. Never raises."""
        try:
            return self._changes(instances, checked, unchecked, wait, seen)
        except Exception as exc:  # noqa: BLE001 - what the archive held costs its notes, never the digest
            log.exception("archive: comparing with the previous run failed")
            self._found = None
            self.notes.append(f"previous run unreadable: {type(exc).__name__} while comparing; what changed "
                              "is not reported")
            return []

    def _changes(self, instances: list[dict], checked, unchecked: set[tuple[str, str]], wait: float,
                 seen: frozenset[str] | None) -> list[str]:
        if not self._previous_run(wait, final=True):
            return []
        key, document = self._found
        when = _when(key, self.archive.prefix, self.day)
        current = [{**entry, "policy": drift.policy_json(c.verdict.policy)} for entry, c in zip(instances, checked)]
        return drift.changes(document["instances"], current, unchecked, when, seen)

    def known_policies(self, wait: float) -> dict[str, KnownPolicy]:
        """The policies the previous run read (by instance ID, with the day each was read), waiting at most
        `wait` seconds for that run; {} when it is not read by then. Never raises."""
        try:
            if not self._previous_run(wait, final=False):
                return {}
            return record.known_policies(self._found[1]["instances"], self.day)
        except Exception:  # noqa: BLE001 - what the archive held costs its cache, never the run
            log.exception("archive: the previous run's policies could not be read")
            return {}

    def _previous_run(self, wait: float, final: bool) -> bool:
        """Whether the previous run is read, waiting at most `wait` seconds: parsed and validated once, its
        defects in `notes`, OSS's in `errors` (not reading in time is an error only when `final`)."""
        if self._found is not None or self._previous is None or self._settled:
            return self._found is not None
        try:
            found = self._previous.result(timeout=max(0.0, wait))
        except FutureTimeout:
            if final:
                self.errors.append("the previous run was not read in time")
                self._settled = True
            return False
        except oss.Untrusted as why:
            self.notes.append(f"previous run unreadable: {why}; what changed is not reported")
        except oss.ArchiveError as error:
            self.errors.append(f"the previous run was not read: {error}")
        else:
            self._found = self._parsed(found) if found is not None else None
        self._settled = True
        return self._found is not None

    def _parsed(self, found: tuple[str, bytes]) -> tuple[str, dict] | None:
        key, raw = found
        try:
            document = record.parse_previous(raw)
            entries, dropped, damaged = record.previous_instances(document)
        except record.Unreadable as why:
            self.notes.append(f"previous run unreadable: {why}; what changed is not reported")
            return None
        if dropped:
            self.notes.append(f"previous run: {dropped} entr{'y' if dropped == 1 else 'ies'} unreadable, left out")
        if damaged:
            self.notes.append(f"previous run: the calendar, sizes or policy of {damaged} "
                              f"entr{'y' if damaged == 1 else 'ies'} unreadable, left out")
        return key, {"instances": entries, **record.previous_days(document)}

    def read_failure(self) -> str:
        """Why the previous run was not read from OSS ("" when it was, or there was none): what changed is
        then not reported, which the digest says."""
        return next((e for e in self.errors if e.startswith("the previous run was not read")), "")

    def publish(self, result: dict, checked, owner_tag: str, ranks: dict[str, int], now: datetime,
                grace: timedelta, seconds_left: Callable[[], float], about: page.About) -> tuple[str, str]:
        """Writes the page of `result` (the run's result before delivery; record.document: `now` the window's
        end, `grace` BACKUP_GRACE_MINUTES; page.render: `about` what the page says of the run, its days in
        `about.tz`) before the digest is posted, within PAGE_SECONDS or what `seconds_left()` leaves, if less.
        Returns (its pre-signed link, "") once written and signed, else ("", why: OSS's reason, one line;
        `page_written` says whether the page is there). Never raises."""
        try:
            document = self._document(result, checked, owner_tag, now, grace, about)
            html = page.render(document, about, ranks)
        except Exception as exc:  # noqa: BLE001 - a defect in what was read back costs the page, not the run
            log.exception("archive: the page could not be made")
            why = f"{type(exc).__name__} while making it"
            self.errors.append(f"{self.archive.html_key} not written: {why}")
            return "", why
        within = min(PAGE_SECONDS, seconds_left())
        try:  # in a thread of its own, as keep's writes: the put's watchdog ends it within `within`
            self.written.append(_in_thread(lambda: self.archive.write_page(html, within)).result(
                timeout=max(0.0, within) + 1.0))
        except FutureTimeout:
            why = f"not written within {within:.0f} s"
        except oss.ArchiveError as error:
            why = str(error)
        else:
            try:  # computed locally: no request
                return self.archive.bucket.presigned_get(self.archive.html_key, self.validity.seconds, page=True), ""
            except oss.ArchiveError as error:
                self.errors.append(f"no link to the page: {error}")
                return "", str(error)
        self.errors.append(f"{self.archive.html_key} not written: {why}")
        return "", why

    def _document(self, result: dict, checked, owner_tag: str, now: datetime, grace: timedelta,
                  about: page.About) -> dict:
        """record.document of `result`. Its instances (their calendars, sizes, policies) and the fleet's days are
        made once a run: the record's result (keep) is the page's (publish) with what delivery added, the same
        instances, so it takes those of the page's document rather than making them again."""
        made = self._made
        if made is not None and made.get("timezone") == about.tz_name \
                and [i.get("instance_id") for i in made["instances"]] == [i["instance_id"] for i in result["instances"]]:
            return {**result, **{key: made[key] for key in ("instances", "timezone", "fleet")}}
        previous = self._found[1] if self._found else None
        self._made = record.document(result, checked, owner_tag, previous, now, grace, about.tz, about.tz_name)
        return self._made

    @property
    def page_written(self) -> bool:
        """Whether this run's page is in the bucket."""
        return self.archive.html_key in self.written

    def keep(self, result: dict, checked, owner_tag: str, now: datetime, grace: timedelta,
             seconds_left: Callable[[], float], about: page.About) -> None:
        """Writes this run's JSON and CSV (record.document of the delivered `result`: `now` the window's end,
        `grace` BACKUP_GRACE_MINUTES, its days in `about.tz`), each while `seconds_left()` leaves room for it."""
        try:
            document = self._document(result, checked, owner_tag, now, grace, about)
            pieces = (document, record.csv_text(document))
        except Exception as exc:  # noqa: BLE001 - a defect in what was read back costs the archive, not the run
            log.exception("archive: the objects could not be made")
            self.errors.append(f"the archive was not written: {type(exc).__name__} while making it")
            return

        def write() -> list[str]:
            return self.archive.write(*pieces, seconds_left)

        # The writes too run in a thread of their own, waited for only while the budget lasts: a slow
        # OSS must not cost the end ping or FC's deadline.
        try:
            self.written = _in_thread(write).result(timeout=max(0.0, seconds_left())) + self.written
        except FutureTimeout:
            self.errors.append("the archive was not written in time")
        except oss.ArchiveError as error:
            self.errors.append(str(error))

    def report(self) -> dict:
        """The result's `archive`: ok, the keys written, the previous run's key, what failed."""
        out: dict = {"ok": not self.errors, "written": self.written,
                     "previous": self._found[0] if self._found else None}
        if self.errors:
            out["errors"] = self.errors
            log.warning("archive: %s", "; ".join(self.errors))
        return out


def scope_of(tags, regions, payload: dict[str, str]) -> str:
    """8 hex digits naming what a run looks at: its tags, its regions and what its event's payload set
    (`payload`: setting name -> shown value). Runs compare only with runs of the same scope."""
    text = json.dumps({"tags": [list(t) for t in tags], "regions": list(regions), "payload": payload}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _when(key: str, prefix: str, today: date) -> str:
    """How a change line names the previous run: "earlier today", "yesterday" or "on YYYY-MM-DD"."""
    try:
        y, m, d = key[len(prefix):].split("/")[:3]
        day = date(int(y), int(m), int(d))
    except ValueError:
        return "last time"
    if day == today:
        return "earlier today"
    return "yesterday" if day == today - timedelta(days=1) else f"on {day.isoformat()}"


def _in_thread(work: Callable[[], T]) -> Future:
    """`work()` in a daemon thread; its outcome in the returned Future. Unlike a pool's, nobody joins
    the thread: a call that never ends costs no one's wait but the Future's own, bounded one."""
    outcome: Future = Future()

    def run() -> None:
        try:
            outcome.set_result(work())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
            outcome.set_exception(exc)

    threading.Thread(target=redact.in_context(run), name="archive", daemon=True).start()
    return outcome
