"""The report page in a real headless browser (Debian's `chromium`; skipped when it is not installed).

The page is served by a loopback server that is also the browser's proxy for every request, loopback
included (`--proxy-server`, `--proxy-bypass-list=<-loopback>`): whatever the page would fetch over
http from anywhere reaches it and is recorded (https would be a CONNECT, refused: the page has no URL
at all, as tests/e2e/test_archive.py checks). Console messages come from Chromium's own log on stderr
(`--enable-logging=stderr`: one `CONSOLE` line each). The DOM after the page's script ran
(`--dump-dom`) is checked, and a screenshot is written to build/report-page.png for people to see.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import fleet, instance
from sandbox.httpserver import LoopbackServer, Reply

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
ROOT = Path(__file__).resolve().parents[2]
PAGE_URL = "http://report.page.test/report.html"
CONSOLE = re.compile(r":CONSOLE[^\]]*\]|Uncaught|console\.error")


class Recorder:
    """Answers the page for PAGE_URL and 404 for anything else; `.requests` the page and every URL asked
    for on the page's behalf (those carry its Referer; Chromium's own background calls carry none)."""

    def __init__(self, html: bytes):
        self.html, self.requests = html, []

    def handle_request(self, method, path, query, headers, body, raw_query):
        url = f"http://{headers.get('host', '')}{path}" + (f"?{raw_query}" if raw_query else "")
        if url == PAGE_URL or "report.page.test" in headers.get("referer", ""):
            self.requests.append(f"{method} {url}")
        if url == PAGE_URL:
            return Reply(200, self.html, {"Content-Type": "text/html; charset=utf-8"})
        return Reply(404, "not here")


class Calendar(HTMLParser):
    """The rows of #instances' body: each row's instance ID and its calendar cells' classes."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict] = []
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append({"region": attrs.get("data-region"), "cells": [], "text": ""})
        elif tag == "span" and self.rows and attrs.get("title"):
            self.rows[-1]["cells"].append((attrs.get("class"), attrs["title"]))

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._in_body and self.rows:
            self.rows[-1]["text"] += data


def browse(html: bytes, screenshot: Path | None = None) -> tuple[str, str, list[str]]:
    """(the DOM after the script ran, Chromium's stderr, the URLs requested) for `html`."""
    recorder = Recorder(html)
    server = LoopbackServer(recorder).start()
    try:
        common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0", f"--proxy-server=http://{server.address}",
                  "--proxy-bypass-list=<-loopback>", "--window-size=1280,900", "--virtual-time-budget=3000"]
        dom = subprocess.run([*common, "--dump-dom", PAGE_URL], capture_output=True, text=True, timeout=120)
        requests = list(recorder.requests)  # the screenshot's load of the page is not counted again
        if screenshot:
            screenshot.parent.mkdir(exist_ok=True)
            subprocess.run([*common, f"--screenshot={screenshot}", PAGE_URL], capture_output=True, timeout=120)
    finally:
        server.stop()
    return dom.stdout, dom.stderr, requests


def page_of(report, bucket: dict) -> bytes:
    return next(o.body for k, o in bucket.items() if k.endswith(".html"))


def test_the_report_page_shows_each_instance_a_30_day_calendar_and_fetches_nothing(report):
    bucket: dict = {}
    report(fleet(instance("r-healthy01", tags={"backup-report": "daily", "team": "payments"}),
                 instance("r-failed01", latest={"status": "Failed"}),
                 instance("r-shanghai1", region="cn-shanghai", name='<b onmouseover="alert(1)">x</b>')),
           oss=bucket, settings={"OWNER_TAG": "team"})
    screenshot = ROOT / "build" / "report-page.png"
    dom, log, requests = browse(page_of(report, bucket), screenshot)
    assert requests == [f"GET {PAGE_URL}"], "the page fetched something besides itself"
    assert not CONSOLE.findall(log), log
    table = Calendar()
    table.feed(dom)
    assert [r["region"] for r in table.rows] == ["cn-hangzhou", "cn-hangzhou", "cn-shanghai"]
    assert all(len(r["cells"]) == 30 for r in table.rows)
    failed = table.rows[0]
    # The run of Nov 28 01:00Z judged the slot of Nov 27 18:00Z: the history strip's last day.
    assert failed["cells"][-1] == ("unknown", "2026-11-28: not known")
    assert "r-failed01" in failed["text"] and failed["cells"][-2] == ("failed", "2026-11-27: failed")
    assert failed["cells"][-8] == ("done", "2026-11-21: backed up")  # the history strip's first day
    assert table.rows[1]["cells"][-2] == ("done", "2026-11-27: backed up")
    assert table.rows[1]["cells"][0] == ("unknown", "2026-10-30: not known")
    assert '<b onmouseover="alert(1)">x</b>' in table.rows[2]["text"], "a hostile name is shown as text"
    assert screenshot.stat().st_size > 10_000


def test_the_browser_check_sees_a_console_error_and_an_outside_request():
    """The two checks above can fail: a page that logs an error and loads a script from outside."""
    broken = b'<!DOCTYPE html><link rel="icon" href="data:,"><script src="http://cdn.example/x.js"></script><script>console.error("boom")</script>'
    _, log, requests = browse(broken)
    assert CONSOLE.findall(log), log
    assert requests == [f"GET {PAGE_URL}", "GET http://cdn.example/x.js"]
