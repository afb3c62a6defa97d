"""archive/page.py, chart.py and record.document: the report page as a person reads it, pure, no socket.

The run ends 2026-11-28 01:00Z, 09:00 in Shanghai; the policy backs up daily 18:00Z-19:00Z, 02:00-03:00 in
Shanghai: the slot it judged began 2026-11-27 18:00Z, on Nov 28 in Shanghai.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html import escape
from zoneinfo import ZoneInfo

from backup_report.archive import chart, page, record
from backup_report.model import Checked, History, Instance, Kind, Verdict
from backup_report.schedule_text import parse_policy

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
DAILY = parse_policy("Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "18:00Z-19:00Z")
SLOT = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
RANKS = {k.value: k.rank for k in Kind}
HOSTILE = '<img src=x onerror=alert(1)>"&\''


def about(tz=SHANGHAI, name="Asia/Shanghai", **more) -> page.About:
    return page.About(**{"headline": "🔴 Redis backups: 1 needs attention · 1 fine",
                         "window": "Backups from 2026-11-27 09:00 to 2026-11-28 09:00 (Asia/Shanghai)",
                         "scope": "tags backup-report=daily in cn-hangzhou of 2 accounts", "request_id": "req-42",
                         "made": END + timedelta(minutes=3), "end": END, "tz": tz, "tz_name": name, **more})


def checked(instance_id="r-bp1failed01", kind=Kind.FAILED, name="cart_cache", history=None, sizes=(), **more):
    return Checked(Instance(instance_id, name, more.pop("region", "cn-hangzhou"), **more),
                   Verdict(kind, "backup 717519151 failed at 2026-11-28 02:10", history=history, policy=DAILY,
                           sizes=sizes))


def made(*instances: Checked, previous=None, tz=SHANGHAI, name="Asia/Shanghai") -> dict:
    """record.document of a result of `instances`, as app builds it."""
    result = {"status": "alert", "counts": {"failed": 1, "ok": 1, "not_due": 0},
              "instances": [{"instance_id": c.instance.instance_id, "name": c.instance.name,
                             "region": c.instance.region, "verdict": c.verdict.kind.value, "detail": c.verdict.detail,
                             **({"history": c.verdict.history.strip, "history_from": c.verdict.history.first_day
                                 .isoformat()} if c.verdict.history else {})} for c in instances]}
    return record.document(result, list(instances), "", previous, END, timedelta(minutes=60), tz, name)


STRIP = History(days=("done",) * 6 + ("failed",), first_day=date(2026, 11, 21))


def test_a_failure_at_0210_beijing_time_sits_in_that_beijing_days_column_and_today_says_the_verdict():
    item = made(checked(history=STRIP))["instances"][0]
    # The strip's UTC days Nov 21-27 start at 02:00 the next day in Shanghai: Nov 22-28, today the failure.
    assert item["calendar"] == {**{f"2026-11-{d}": "done" for d in range(22, 28)}, "2026-11-28": "failed"}
    # In UTC the same slot is Nov 27's, and today's own slot (18:00Z) is still to come: not "?".
    utc = made(checked(history=STRIP), tz=UTC, name="UTC")["instances"][0]["calendar"]
    assert utc["2026-11-27"] == "failed" and utc["2026-11-28"] == "later"


def test_today_always_has_a_word_an_error_its_own():
    error = Checked(Instance("r-bp1error01", "e", "cn-hangzhou"), Verdict(Kind.ERROR, "DescribeBackups failed: …"))
    assert made(error)["instances"][0]["calendar"] == {"2026-11-28": "error"}
    ok = made(checked(kind=Kind.OK))["instances"][0]["calendar"]
    assert ok == {"2026-11-28": "done"}


def test_days_before_the_archive_began_are_one_no_data_span_not_a_row_of_question_marks():
    html = page.render(made(checked(kind=Kind.OK)), about(), RANKS)
    row = re.search(r'<div class="cal">(.*?)</div>', html).group(1)
    assert row.count("<span") == 2 and "?" not in row
    assert '<span class="nodata" style="grid-column:span 29" title="no data before 2026-11-28">' in row
    assert '<span class="done today" title="2026-11-28: backed up">✓</span>' in row


def test_verdicts_read_as_the_messages_name_them_never_as_ids():
    document = made(checked(), checked("r-bp1notdue01", kind=Kind.NOT_DUE, name="n"))
    shown = re.sub(r"<(style|script)>.*?</\1>", "", page.render(document, about(), RANKS), flags=re.S)
    text = re.sub(r"<[^>]+>", " ", shown)
    assert "❌ Backup failed" in text and "✅ not due" in text and "✅ ok" in text
    assert "not_due" not in text and not re.search(r"(?<!Backup )failed: ", text), "a raw verdict ID shown"


def test_each_instance_links_its_console_page_and_an_odd_id_gets_no_link():
    document = made(checked(), checked("r-bp1 <x>", kind=Kind.OK, name="odd"))
    html = page.render(document, about(), RANKS)
    assert re.findall(r'<a href="([^"]*)"', html) == [
        "https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou/r-bp1failed01"]
    intl = page.render(document, about(console="intl"), RANKS)
    assert "https://kvstore.console.alibabacloud.com/Redis/instance/cn-hangzhou/r-bp1failed01" in intl


def test_the_footer_names_the_scope_the_run_and_when_it_was_made_in_the_time_zone():
    footer = re.search(r"<footer>(.*)</footer>", page.render(made(checked()), about(), RANKS), re.S).group(1)
    assert "tags backup-report=daily in cn-hangzhou of 2 accounts" in footer
    assert "req-42" in footer and "made 2026-11-28 09:03 (Asia/Shanghai)" in footer


def test_one_time_zone_everywhere_the_window_the_calendar_the_policy():
    html = page.render(made(checked()), about(), RANKS)
    assert "(UTC)" not in html and "Z-" not in html
    assert "daily 02:00–03:00; retention not known; backup log not known" in html
    assert "2026-10-30 to\n2026-11-28, Asia/Shanghai" in html


def test_a_weekly_slot_names_its_weekday_in_the_time_zone():
    sundays = {"period": "Sunday", "slot": "18:00Z-19:00Z", "retention_days": 7, "backup_log": 1}
    assert page._policy(sundays, SHANGHAI, date(2026, 11, 28)) == "Mon 02:00–03:00; retention 7 days; backup log on"
    assert page._policy(sundays, UTC, date(2026, 11, 28)) == "Sun 18:00–19:00; retention 7 days; backup log on"


def test_every_outside_text_is_escaped_exactly_never_a_look_alike():
    c = checked(name=HOSTILE, tags=(("team", HOSTILE),))
    document = made(c)
    document["instances"][0]["owner"] = HOSTILE
    html = page.render(document, about(scope=HOSTILE, request_id=HOSTILE, headline=HOSTILE), RANKS)
    assert HOSTILE not in html and "<img" not in html
    assert html.count(escape(HOSTILE)) >= 6  # headline, scope, run, name, its data attribute, owner


def test_a_bidi_override_in_outside_text_cannot_turn_what_follows_it_around():
    # U+202E (RIGHT-TO-LEFT OVERRIDE) in a name would show the ID and region after it backwards
    # ("Trojan Source"); the channels drop such characters (channels/base.py clean), and so does the page.
    c = checked(name="cart\u202e_cache", tags=(("team", "ops\u2066"),))
    document = made(c)
    document["instances"][0]["owner"] = "ops\u2067"
    document["instances"][0]["detail"] = "backup\u202d failed"
    html = page.render(document, about(scope="tags\u202b x", headline="\u200f🔴 head"), RANKS)
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f]", html)
    assert "<b>cart_cache</b>" in html and ">ops<" in html and "backup failed" in html


def test_the_page_forbids_every_load_but_itself():
    html = page.render(made(checked()), about(), RANKS)
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
            "script-src 'unsafe-inline'; img-src data:\">") in html
    assert not re.search(r'\bsrc="|url\(|@import|<link(?![^>]*href="data:,")', html)


def test_the_fleet_chart_stacks_each_days_instances_and_says_no_data_before_the_archive():
    days = [date(2026, 11, 28) - timedelta(days=n) for n in range(29, -1, -1)]
    svg = chart.fleet(days, {date(2026, 11, 27): {"fine": 3, "warning": 1, "alert": 0},
                             date(2026, 11, 28): {"fine": 2, "warning": 1, "alert": 1}})
    assert "<title>no data before 2026-11-27</title>" in svg and ">no data before 2026-11-27</text>" in svg
    assert "<title>2026-11-28: 2 fine, 1 warning, 1 alert</title>" in svg
    bar = re.search(r"<title>2026-11-28: [^<]*</title>(.*?)</g>", svg).group(1)
    heights = [float(h) for h in re.findall(r'height="([0-9.]+)"', bar)]
    assert heights == [20.0, 20.0, 40.0]  # alert, warning, fine of 4 at most: 80 units


def test_an_instances_sparkline_draws_its_sizes_under_its_calendar_days():
    days = [date(2026, 11, 28) - timedelta(days=n) for n in range(29, -1, -1)]
    svg = chart.sparkline(days, {days[28]: 2 * 2 ** 30, days[29]: 2 ** 30})
    assert re.search(r'points="285.0,2.00 295.0,8.00"', svg), svg
    assert "backup size 2.0 GiB on 2026-11-27 to 1.0 GiB on 2026-11-28" in svg
    assert chart.sparkline(days, {}) == ""


def test_the_record_carries_sizes_and_the_fleet_on_only_within_one_time_zone():
    gib = 2 ** 30
    first = made(checked(sizes=((date(2026, 11, 28), gib),)))
    assert first["timezone"] == "Asia/Shanghai"
    assert first["fleet"] == {"2026-11-28": {"fine": 0, "warning": 0, "alert": 1}}
    entries, _, _ = record.previous_instances(first)
    previous = {"instances": entries, **record.previous_days(first)}
    later = END + timedelta(days=1)
    result = {"instances": [first["instances"][0] | {"verdict": "ok"}]}
    again = record.document(result, [checked(kind=Kind.OK, sizes=((date(2026, 11, 29), 2 * gib),))], "", previous,
                            later, timedelta(minutes=60), SHANGHAI, "Asia/Shanghai")
    assert again["instances"][0]["sizes"] == {"2026-11-28": gib, "2026-11-29": 2 * gib}
    assert list(again["fleet"]) == ["2026-11-28", "2026-11-29"]
    # Days of another zone would land a day off: they start again, said by the page's "no data before".
    other = record.document(result, [checked(kind=Kind.OK)], "", previous, later, timedelta(minutes=60), UTC, "UTC")
    assert list(other["fleet"]) == ["2026-11-29"] and other["instances"][0]["sizes"] == {}


def test_what_the_record_writes_it_reads_back_whole_even_a_size_past_what_it_reads():
    # BackupSize comes as up to 20 digits (cloud/answers.size); the reader takes sizes up to 2**63 - 1 bytes, so
    # a larger one written would cost that entry's sizes, with a note, every day for 30 days.
    first = made(checked(sizes=((date(2026, 11, 27), 10 ** 20), (date(2026, 11, 28), 2 ** 30))))
    assert first["instances"][0]["sizes"] == {"2026-11-28": 2 ** 30}
    (entry,), dropped, damaged = record.previous_instances(first)
    assert (entry["sizes"], dropped, damaged) == ({"2026-11-28": 2 ** 30}, 0, 0)


def test_a_previous_documents_days_are_untrusted():
    good = made(checked())
    bad_sizes = {**good["instances"][0], "sizes": {"2026-11-28": -1}}
    # A bad size costs the sizes alone: the entry stands, its calendar kept.
    (kept,), dropped, damaged = record.previous_instances({"instances": [bad_sizes]})
    assert (kept["sizes"], kept["calendar"], dropped, damaged) == ({}, good["instances"][0]["calendar"], 0, 1)
    for fleet in ({"2026-11-28": {"fine": True}}, {"2026-13-01": {"fine": 1}}, {"2026-11-28": {"evil": 1}}, "x",
                  {f"2026-10-{d:02}": {} for d in range(1, 32)} | {f"2026-11-{d:02}": {} for d in range(1, 31)}):
        assert record.previous_days({"fleet": fleet})["fleet"] == {}
    assert record.previous_days({}) == {"timezone": "UTC", "fleet": {}}  # the layout before: UTC's days
    assert record.previous_days({"timezone": ["UTC"]})["timezone"] is None


def test_every_verdict_that_judged_a_slot_has_a_word_for_its_day():
    # A verdict added later (at_risk: backed up, a risk ahead) must not leave its day blank on the page.
    from backup_report.archive.page import VERDICT_DAY
    assert set(VERDICT_DAY) == {k.value for k in Kind} - {"not_due"}


def test_the_restore_tests_history_is_shown_newest_first_and_escaped():
    from datetime import datetime, timezone
    from backup_report.archive.page import About, render
    tests = ({"day": "2026-11-21", "source": "r-a", "outcome": "failed", "minutes": None, "used_memory": None,
              "words": "the dry run was refused: <Zone.NotOnSale>"},
             {"day": "2026-11-28", "source": "r-b", "outcome": "passed", "minutes": 31, "used_memory": 3 * 2**30,
              "words": "31 min, 3.0 GiB in memory (keys not counted)"})
    at = datetime(2026, 11, 28, 1, tzinfo=timezone.utc)
    html = render({"instances": [], "counts": {}}, About("h", "w", "s", "req", at, at, timezone.utc, "UTC",
                                                        restore_tests=tests), RANKS)
    section = html[html.index("<h2>Restore tests</h2>"):html.index("<footer>")]
    assert section.index("2026-11-28") < section.index("2026-11-21")
    assert ">31 min<" in section and "&lt;Zone.NotOnSale&gt;" in section and "<Zone" not in section
    plain = render({"instances": [], "counts": {}}, About("h", "w", "s", "req", at, at, timezone.utc, "UTC"), RANKS)
    assert "Restore tests" not in plain
