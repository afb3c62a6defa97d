"""The report page: one self-contained HTML file (inline CSS, SVG and script; no external script, font,
image or request, and a Content-Security-Policy that forbids any), so it opens offline and in DingTalk's
or Slack's in-app browser on a phone. docs/report-page.md says what it shows.

All in one time zone, TIMEZONE's: the window, the calendar's days, the details, the policy's slot, the
time it was made. It shows the run's headline and counts as the messages word them, a chart of the fleet's
last `DAYS` days (instances fine / warning / alert each day), then one row per instance: its name linked
to its console page, its verdict (the messages' heading) and the detail behind it, a calendar of the last
`DAYS` days, a cell a day (backed up, failed, missed, ...; the days before the archive began one span), its
backup size over those days, owner and policy; a footer names the scope, the run and when it was made.
At a phone's width (under 700 CSS px) each row stacks, its calendar under its name, with no sideways
scroll. Rows sort by verdict or name and filter by region and owner. Every outside text (names, tags,
details, the scope) is HTML-escaped (html.escape), bidi controls dropped (BIDI): instance names are whatever
their owners typed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from html import escape as html_escape

from .. import digest, humanize
from ..model import BackupPolicy, Kind
from ..schedule_text import WEEKDAYS
from . import chart

DAYS = 30
# Unicode's explicit directional formatting characters and marks (UAX #9, 2.1-2.6): one in a name or a tag
# would turn the text after it around (an ID, a region shown backwards: "Trojan Source", CVE-2021-42574). They
# go, as in every channel (channels/base.py clean); every other character is shown as the API gave it.
BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
TITLES = digest.KIND_TITLE
STATES = {  # state: (symbol, words, css class)
    "done": ("✓", "backed up", "done"), "failed": ("✗", "failed", "failed"), "missing": ("○", "missed", "missing"),
    "unscheduled": ("·", "not scheduled", "unscheduled"), "uncreated": ("–", "not yet created", "uncreated"),
    "running": ("…", TITLES[Kind.RUNNING].lower(), "running"), "inactive": ("‖", TITLES[Kind.INACTIVE].lower(),
                                                                          "inactive"),
    "error": ("!", TITLES[Kind.ERROR].lower(), "error"), "later": ("→", "due later today", "later"),
    "unknown": ("?", "not known", "unknown"),
}
STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:12px;color:#222;overflow-wrap:break-word}
.detail,.id{overflow-wrap:anywhere}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:16px 0 4px}p{margin:4px 0}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px 4px;vertical-align:top;
text-align:left}
.cal{display:grid;grid-template-columns:repeat(30,minmax(0,1fr));gap:1px;width:330px}
.cal span{height:16px;font-size:9px;line-height:16px;text-align:center;border-radius:2px;overflow:hidden;
white-space:nowrap;text-overflow:ellipsis;min-width:0}
.done{background:#2e9d4f;color:#fff}.failed,.error{background:#d33;color:#fff}.missing{background:#f39c12;color:#fff}
.running,.inactive,.later{background:#fde9c8;color:#8a5a00}
.unscheduled{background:#eee;color:#888}.uncreated{background:#fafafa;color:#bbb}.unknown{background:#ccc;color:#444}
.cal .nodata{background:#f1f1f1;color:#777;text-align:left;padding-left:4px}.cal .today{box-shadow:inset 0 0 0 1px #222}
.spark{display:block;width:330px;height:16px;margin-top:2px}td:first-child{min-width:13em}.size{font-size:11px;color:#555}
.legend span.key{display:inline-block;width:12px;height:12px;vertical-align:middle;border-radius:2px;
text-align:center;font-size:9px;line-height:12px;margin-right:2px}.legend{font-size:12px;color:#444}
.counts span{margin-right:12px;white-space:nowrap}.detail{color:#555;font-size:12px;max-width:40em}
.id{font:12px ui-monospace,monospace;color:#555}.policy,.owner{font-size:12px}.owner{min-width:5em}th{white-space:nowrap}
.fleet{width:100%;max-width:480px;height:auto;display:block}.region{white-space:nowrap}
footer{margin-top:16px;font-size:12px;color:#555;border-top:1px solid #ddd;padding-top:8px}
@media (max-width:700px){
table,thead,tbody,tr,td{display:block}thead{display:none}tr{border-bottom:1px solid #bbb;padding:6px 0}
td{border:0;padding:2px 0}.cal,.spark{width:100%}
td[data-label]::before{content:attr(data-label) ": ";color:#777}}
"""
SCRIPT = """
const rows=()=>Array.from(document.querySelectorAll('#instances tbody tr'));
function filter(){const r=document.getElementById('region').value,o=document.getElementById('owner').value;
for(const tr of rows()){tr.hidden=(r&&tr.dataset.region!==r)||(o&&tr.dataset.owner!==o);}}
function sortBy(key){const body=document.querySelector('#instances tbody');
rows().sort((a,b)=>key==='rank'?a.dataset.rank-b.dataset.rank||a.dataset.name.localeCompare(b.dataset.name)
:a.dataset.name.localeCompare(b.dataset.name)).forEach(tr=>body.appendChild(tr));}
document.getElementById('region').addEventListener('change',filter);
document.getElementById('owner').addEventListener('change',filter);
document.getElementById('by-verdict').addEventListener('click',()=>sortBy('rank'));
document.getElementById('by-name').addEventListener('click',()=>sortBy('name'));
"""
# Nothing may load but the page itself: inline style and script only, the empty data: icon (without one a
# browser asks for /favicon.ico). https://developer.mozilla.org/docs/Web/HTTP/Headers/Content-Security-Policy
POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def escape(text: str) -> str:
    """Outside (or any) text as HTML text or an attribute's value: html.escape'd (quotes too), BIDI dropped."""
    return html_escape(str(text).translate(BIDI))


@dataclass(frozen=True)
class About:
    """What the page says of its run, as the digest says it: `headline`, `window` (its window line, in
    TIMEZONE), `scope` (its scope line: tags, regions, accounts), `request_id` (FC's), `made` (when the
    page was made, aware), `end` (the window's end, aware: its day in `tz` is the calendar's last),
    `tz` / `tz_name` (TIMEZONE), `console` (CONSOLE: cn / intl), `restore_tests` (RESTORE_TEST: the state's
    finished tests, oldest first, each {day, source, outcome, minutes, used_memory (bytes), words})."""

    headline: str
    window: str
    scope: str
    request_id: str
    made: datetime
    end: datetime
    tz: tzinfo
    tz_name: str
    console: str = "cn"
    restore_tests: tuple[dict, ...] = ()


def _restore_tests(tests: tuple[dict, ...]) -> str:
    """The restore tests' history (RESTORE_TEST), newest first: day, instance, outcome, minutes to Normal, the
    clone's memory and the digest's words; "" when there is none."""
    if not tests:
        return ""
    def cells(t: dict) -> str:
        minutes, memory = t.get("minutes"), t.get("used_memory")
        shown = (("Day", t.get("day", "")), ("Instance", t.get("source", "")), ("Outcome", t.get("outcome", "")),
                 ("To Normal", "" if minutes is None else f"{minutes} min"),
                 ("Memory", "" if memory is None else humanize.size(int(memory))), ("Said", t.get("words", "")))
        return "".join(f'<td data-label="{label}">{escape(str(value))}</td>' for label, value in shown)

    rows = "\n".join(f"<tr>{cells(t)}</tr>" for t in reversed(tests))
    return (f"<h2>Restore tests</h2>\n<table id=\"restore-tests\"><thead><tr><th>Day</th><th>Instance</th>"
            f"<th>Outcome</th><th>To Normal</th><th>Memory</th><th>What the digest said</th></tr></thead><tbody>\n"
            f"{rows}\n</tbody></table>")


def render(document: dict, about: About, ranks: dict[str, int]) -> str:
    """The page for an archived `document` (record.document: the result plus each instance's `policy`,
    `owner`, `calendar` {YYYY-MM-DD: state} and `sizes` {YYYY-MM-DD: bytes}, and the fleet's `fleet`
    {YYYY-MM-DD: {fine, warning, alert}}, days in TIMEZONE); `ranks`: verdict -> order."""
    today = about.end.astimezone(about.tz).date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    counts = "".join(f"<span>{escape(_title(k))}: <b>{v}</b></span>" for k, v in document.get("counts", {}).items()
                     if v)
    instances = document.get("instances", [])
    regions = sorted({str(i.get("region", "")) for i in instances})
    owners = sorted({str(i.get("owner", "")) for i in instances} - {""})
    rows = "\n".join(_row(i, days, ranks, about) for i in instances)
    legend = " ".join(f'<span class="key {c}">{s}</span>{escape(w)}' for s, w, c in STATES.values())
    tally = {date.fromisoformat(d): c for d, c in (document.get("fleet") or {}).items()}
    keys = " ".join(f'<span class="key" style="background:{colour}"></span>{key}' for key, colour in
                    reversed(chart.SEVERITIES))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{POLICY}">
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">
<title>Redis backup report {escape(today.isoformat())}</title><style>{STYLE}</style></head><body>
<h1>{escape(about.headline)}</h1>
<p>{escape(about.window)}</p>
<p class="counts">{counts or "no instance checked"}</p>
<h2>The fleet, last {DAYS} days</h2>
{chart.fleet(days, tally)}
<p class="legend">{keys} — instances each day, as the day's run judged them ({escape(about.tz_name)})</p>
<h2>Instances</h2>
<p>Region <select id="region"><option value="">all</option>{_options(regions)}</select>
Owner <select id="owner"><option value="">all</option>{_options(owners)}</select>
Sort <button id="by-verdict" type="button">by verdict</button> <button id="by-name" type="button">by name</button></p>
<p class="legend">{legend} — last {DAYS} days, oldest first ({escape(days[0].isoformat())} to
{escape(today.isoformat())}, {escape(about.tz_name)}); the line under them: the backup's size each day</p>
<table id="instances"><thead><tr><th>Instance</th><th>Verdict</th><th>Last {DAYS} days</th>
<th>Owner</th><th>Policy ({escape(about.tz_name)})</th></tr></thead><tbody>
{rows}
</tbody></table>
{_restore_tests(about.restore_tests)}
<footer><p>Scope: {escape(about.scope)}</p>
<p>Run: {escape(about.request_id)} · made {escape(humanize.at(about.made, about.tz))} ({escape(about.tz_name)})
by redis-backup-report</p></footer>
<script>{SCRIPT}</script></body></html>
"""


def _title(verdict: str) -> str:
    """A verdict ID as the messages name it ("❌ Backup failed"); an ID of no known verdict as it is."""
    try:
        return digest.title(Kind(verdict))
    except ValueError:
        return verdict


def _options(values: list[str]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)


def _row(item: dict, days: list[date], ranks: dict[str, int], about: About) -> str:
    calendar = item.get("calendar") or {}
    sizes = {date.fromisoformat(d): v for d, v in (item.get("sizes") or {}).items()}
    verdict, name = str(item.get("verdict", "")), str(item.get("name", ""))
    instance_id, region = str(item.get("instance_id", "")), str(item.get("region", ""))
    owner = str(item.get("owner", ""))
    url = digest.instance_url(instance_id, region, about.console)
    shown = f"<b>{escape(name)}</b>"
    if url:
        shown = f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{shown}</a>'
    account = f" · account {escape(str(item['account_id']))}" if item.get("account_id") else ""
    return (f'<tr data-region="{escape(region)}" data-owner="{escape(owner)}" '
            f'data-rank="{ranks.get(verdict, 99)}" data-name="{escape(name)}">'
            f'<td>{shown}<br><span class="id">{escape(instance_id)}</span> · <span class="region">{escape(region)}</span>'
            f'{account}</td>'
            f'<td><b>{escape(_title(verdict))}</b><div class="detail">{escape(str(item.get("detail", "")))}</div></td>'
            f'<td><div class="cal">{_cells(calendar, days)}</div>{chart.sparkline(days, sizes)}{_size(days, sizes)}</td>'
            f'<td class="owner" data-label="owner">{escape(owner) or "–"}</td>'
            f'<td class="policy" data-label="policy">{escape(_policy(item.get("policy"), about.tz, days[-1]))}</td></tr>')


def _cells(calendar: dict[str, str], days: list[date]) -> str:
    """One cell a day; the days before the first known one a single "no data before <day>" span."""
    gap = chart.leading_gap(days, {date.fromisoformat(d) for d in calendar})
    cells = []
    if gap:
        words = f"no data before {days[gap].isoformat()}" if gap < len(days) else "no data"
        cells.append(f'<span class="nodata" style="grid-column:span {gap}" title="{words}">{words}</span>')
    for day in days[gap:]:
        state = calendar.get(day.isoformat(), "unknown")
        symbol, words, css = STATES.get(state, STATES["unknown"])
        today = " today" if day == days[-1] else ""
        cells.append(f'<span class="{css}{today}" title="{day.isoformat()}: {escape(words)}">{symbol}</span>')
    return "".join(cells)


def _size(days: list[date], sizes: dict[date, int]) -> str:
    shown = [sizes[d] for d in days if d in sizes]
    if not shown:
        return '<div class="size">backup size: none read</div>'
    spread = f", {humanize.size(min(shown))}–{humanize.size(max(shown))} over {len(shown)} days" \
        if len(shown) > 1 else ""
    return f'<div class="size">backup size {escape(humanize.size(shown[-1]))}{escape(spread)}</div>'


def _policy(policy: dict | None, tz: tzinfo, today: date) -> str:
    """The policy as the page's time zone reads it: "daily 02:00–03:00; retention 7 days; backup log off".
    The API's PreferredBackupTime is UTC (HH:mmZ-HH:mmZ) and its weekdays are UTC's: a slot that starts on
    another day in `tz` names that day (as of `today`: a zone's offset may change)."""
    if not policy:
        return "not read"
    try:
        start, end = (datetime.combine(today, time.fromisoformat(t.rstrip("Z")), timezone.utc).astimezone(tz)
                      for t in str(policy["slot"]).split("-"))
    except (ValueError, KeyError):
        return "not read"
    shift = (start.date() - today).days
    names = [d for d in str(policy.get("period", "")).split(",") if d in WEEKDAYS]
    period = "daily" if len(set(names)) == 7 else \
        ", ".join(WEEKDAYS[n][:3] for n in sorted({(WEEKDAYS.index(d) + shift) % 7 for d in names})) or "never"
    log = {1: "on", 0: "off"}.get(policy.get("backup_log"), "not known")
    retention = policy.get("retention_days")
    kept = f"{retention} day{'s' if retention != 1 else ''}" if retention is not None else "not known"
    return f"{period} {start:%H:%M}–{end:%H:%M}; retention {kept}; backup log {log}"


# A verdict's word on the day of the slot it judged (`not_due` judged none: the last due slot is older than
# the window, and nothing was asked of it); the history strip's symbols as days.
VERDICT_DAY = {"ok": "done", "shrunk": "done", "recovered": "done", "policy": "done", "at_risk": "done",
               "failed": "failed", "incomplete": "failed", "missing": "missing", "new": "uncreated",
               "running": "running", "inactive": "inactive", "error": "error"}
OWN_WORD = ("running", "inactive", "error")  # verdicts whose word for the day outranks the history strip's
STRIP = {"✓": "done", "✗": "failed", "○": "missing", "·": "unscheduled", "–": "uncreated"}


def calendar(previous: dict | None, entry: dict, policy: BackupPolicy | None, judged: datetime | None,
             pending: datetime | None, today: date, tz: tzinfo) -> dict[str, str]:
    """An instance's `DAYS` days up to `today` {YYYY-MM-DD: state}, days in `tz` (TIMEZONE): the previous
    run's calendar (`previous`: its entry, of the same time zone, or None; its "due later today" dropped),
    then this run's history strip (`entry["history"]` from `history_from`, HISTORY_DAYS UTC days, each
    the day its slot starts in `tz`, for an instance that needs attention), then this run's verdict for
    the day of the slot it judged (`judged`, its start; None when no slot was due, then `today`); and the
    days after that slot's up to today, which the policy gives no slot due by now: "due later today" on
    the day the first slot not yet due (`pending`) starts, not scheduled on the others."""
    days = {d: s for d, s in ((previous or {}).get("calendar") or {}).items() if s != "later"}
    if policy is not None:
        days.update(_strip(entry, policy, tz))
    day = judged.astimezone(tz).date() if judged else today
    days.update(_verdict_word(entry, day, judged is not None))
    if policy is not None:
        days.update(_quiet(days, day + timedelta(days=1) if judged else today, today,
                           pending.astimezone(tz).date() if pending else None))
    oldest = (today - timedelta(days=DAYS - 1)).isoformat()
    return {d: v for d, v in sorted(days.items()) if oldest <= d <= today.isoformat() and v in STATES}


def _verdict_word(entry: dict, day: date, judged: bool) -> dict[str, str]:
    """The verdict's word for `day`, the day of the slot it `judged` (else today's): only where the history
    strip says nothing of it, or the verdict has a word of its own (running, not in service, error)."""
    verdict = entry.get("verdict", "")
    state = VERDICT_DAY.get(verdict)
    own = verdict in OWN_WORD
    if state and (not entry.get("history") or own) and (judged or own):
        return {day.isoformat(): state}
    return {}


def _strip(entry: dict, policy: BackupPolicy, tz: tzinfo) -> dict[str, str]:
    """The history strip's days {YYYY-MM-DD in `tz`: state}: each UTC day's slot, on the day it starts in `tz`."""
    if not entry.get("history") or not entry.get("history_from"):
        return {}
    first, days = date.fromisoformat(entry["history_from"]), {}
    for n, symbol in enumerate(entry["history"]):
        if symbol in STRIP:
            start = datetime.combine(first + timedelta(days=n), time(), timezone.utc) + \
                timedelta(minutes=policy.slot_start_minute)
            days[start.astimezone(tz).date().isoformat()] = STRIP[symbol]
    return days


def _quiet(days: dict[str, str], first: date, today: date, later: date | None) -> dict[str, str]:
    """The days from `first` to `today` with no slot due by now: "later" on `later` (the first slot not yet
    due starts then), "unscheduled" on the others; today keeps a word it has (an error's)."""
    quiet, day = {}, first
    while day <= today:
        if day != today or day.isoformat() not in days:
            quiet[day.isoformat()] = "later" if day == later else "unscheduled"
        day += timedelta(days=1)
    return quiet


def sizes(previous: dict | None, verdict_sizes, today: date) -> dict[str, int]:
    """An instance's backup bytes per day {YYYY-MM-DD: bytes} of the `DAYS` days up to `today`: the
    previous run's (its entry, of the same time zone, or None), then this run's (Verdict.sizes)."""
    days = dict((previous or {}).get("sizes") or {})
    days.update((day.isoformat(), size) for day, size in verdict_sizes)
    oldest = (today - timedelta(days=DAYS - 1)).isoformat()
    return {d: v for d, v in sorted(days.items()) if oldest <= d <= today.isoformat()}
