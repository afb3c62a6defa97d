"""The report page: one self-contained HTML file (inline CSS and script; no external script, font,
image or request), so it opens offline and in DingTalk's or Slack's in-app browser on a phone.

It shows the run's counts, then one row per instance: its verdict, region, owner, policy, the detail
behind its verdict, and a calendar of the last `DAYS` days, a cell a day (backed up, failed, missed,
not scheduled, not yet created, unknown). Rows sort by verdict (urgency first) or by name, and filter
by region and owner. Every outside text (names, tags, details) is HTML-escaped: instance names are
whatever their owners typed.
"""
from __future__ import annotations

from datetime import date, timedelta
from html import escape

DAYS = 30
STATES = {  # state: (symbol, words, css class)
    "done": ("✓", "backed up", "done"), "failed": ("✗", "failed", "failed"), "missing": ("○", "missed", "missing"),
    "unscheduled": ("·", "not scheduled", "unscheduled"), "uncreated": ("–", "not yet created", "uncreated"),
    "unknown": ("?", "not known", "unknown"),
}
STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:12px;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px;vertical-align:top;text-align:left}
.cal{display:flex;gap:1px;min-width:330px}.cal span{width:10px;height:16px;font-size:9px;line-height:16px;text-align:center;border-radius:2px}
.done{background:#2e9d4f;color:#fff}.failed{background:#d33;color:#fff}.missing{background:#f39c12;color:#fff}
.unscheduled{background:#eee;color:#888}.uncreated{background:#fafafa;color:#bbb}.unknown{background:#ccc;color:#444}
.counts span{margin-right:12px}.detail{color:#555;font-size:12px;min-width:16em;max-width:40em}
.policy{font-size:12px;min-width:10em}
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


def render(document: dict, today: date, ranks: dict[str, int]) -> str:
    """The page for an archived `document` (the result plus each instance's `policy`, `owner` and
    `calendar` {YYYY-MM-DD: state}); `today`: the calendar's last day (UTC); `ranks`: verdict -> order."""
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    counts = "".join(f"<span>{escape(k)}: <b>{v}</b></span>" for k, v in document.get("counts", {}).items() if v)
    instances = document.get("instances", [])
    regions = sorted({str(i.get("region", "")) for i in instances})
    owners = sorted({str(i.get("owner", "")) for i in instances} - {""})
    rows = "\n".join(_row(i, days, ranks) for i in instances)
    legend = " ".join(f'<span class="{c}">{s}</span> {w}' for s, w, c in STATES.values())
    window = document.get("window", {})
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>Redis backup report {escape(today.isoformat())}</title><style>{STYLE}</style></head><body>
<h1>Redis backup report — {escape(document.get("status", ""))}</h1>
<p>Window {escape(str(window.get("start", "")))} – {escape(str(window.get("end", "")))} (UTC)</p>
<p class="counts">{counts or "no instance checked"}</p>
<p>Region <select id="region"><option value="">all</option>{_options(regions)}</select>
Owner <select id="owner"><option value="">all</option>{_options(owners)}</select>
Sort <button id="by-verdict" type="button">by verdict</button> <button id="by-name" type="button">by name</button></p>
<p class="cal-legend">{legend} — last {DAYS} days, oldest first ({escape(days[0].isoformat())} to {escape(today.isoformat())}, UTC)</p>
<table id="instances"><thead><tr><th>Instance</th><th>Verdict</th><th>Last {DAYS} days</th><th>Region</th>
<th>Owner</th><th>Policy</th></tr></thead><tbody>
{rows}
</tbody></table>
<script>{SCRIPT}</script></body></html>
"""


def _options(values: list[str]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)


def _row(item: dict, days: list[date], ranks: dict[str, int]) -> str:
    calendar = item.get("calendar") or {}
    cells = "".join(_cell(calendar.get(d.isoformat(), ""), d) for d in days)
    policy = item.get("policy") or {}
    period = str(policy.get("period", "?"))
    period = "daily" if period.count(",") == 6 else ", ".join(day[:3] for day in period.split(","))
    said = (f"{period} {policy.get('slot', '')}; retention {policy.get('retention_days', '?')} days; "
            f"backup log {({1: 'on', 0: 'off'}).get(policy.get('backup_log'), '?')}") if policy else "not read"
    verdict = str(item.get("verdict", ""))
    name = str(item.get("name", ""))
    return (f'<tr data-region="{escape(str(item.get("region", "")))}" data-owner="{escape(str(item.get("owner", "")))}" '
            f'data-rank="{ranks.get(verdict, 99)}" data-name="{escape(name)}">'
            f'<td><b>{escape(name)}</b><br>{escape(str(item.get("instance_id", "")))}</td>'
            f'<td>{escape(verdict)}<div class="detail">{escape(str(item.get("detail", "")))}</div></td>'
            f'<td><div class="cal">{cells}</div></td>'
            f'<td>{escape(str(item.get("region", "")))}</td><td>{escape(str(item.get("owner", "")))}</td>'
            f'<td class="policy">{escape(said)}</td></tr>')


def _cell(state: str, day: date) -> str:
    if state not in STATES:
        return f'<span class="unknown" title="{day.isoformat()}: not known">?</span>'
    symbol, words, css = STATES[state]
    return f'<span class="{css}" title="{day.isoformat()}: {words}">{symbol}</span>'



# A verdict's word on the day of its last due slot; running, inactive and error say nothing for sure.
VERDICT_DAY = {"ok": "done", "shrunk": "done", "recovered": "done", "policy": "done", "failed": "failed",
               "incomplete": "failed", "missing": "missing", "not_due": "unscheduled", "new": "unscheduled"}
STRIP = {"✓": "done", "✗": "failed", "○": "missing", "·": "unscheduled", "–": "uncreated"}


def calendar(previous: dict | None, entry: dict, judged: date | None, today: date) -> dict[str, str]:
    """An instance's `DAYS` days up to `today` {YYYY-MM-DD: state}: the previous run's calendar
    (`previous`, or None), then this run's history strip (`entry["history"]` from `history_from`,
    HISTORY_DAYS days, only for an instance that needs attention), else this run's verdict for the
    day `judged` (the UTC date of the slot it judged; None when no slot was due)."""
    days = dict((previous or {}).get("calendar") or {})
    if entry.get("history") and entry.get("history_from"):
        first = date.fromisoformat(entry["history_from"])
        for n, symbol in enumerate(entry["history"]):
            if symbol in STRIP:
                days[(first + timedelta(days=n)).isoformat()] = STRIP[symbol]
    state = VERDICT_DAY.get(entry.get("verdict", ""))
    if state and judged and not entry.get("history"):
        days[judged.isoformat()] = state
    oldest = (today - timedelta(days=DAYS - 1)).isoformat()
    return {d: v for d, v in sorted(days.items()) if oldest <= d <= today.isoformat() and v in STATES}
