"""The report page in a real headless browser (Debian's `chromium`; skipped when it is not installed).

One Chromium for the whole module, driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
NUL-terminated JSON on fds 3 and 4, https://chromedevtools.github.io/devtools-protocol/), so each page is
opened at each width in the same browser: 1280 px (a laptop) and 390 px (a phone, as a phone lays out a
page with `width=device-width`). Every request the browser makes is seen (`Network.requestWillBeSent`)
and goes through a loopback proxy (`--proxy-server`, `--proxy-bypass-list=<-loopback>`) that answers the
page and 404 for anything else: nothing reaches the internet. Console messages, uncaught exceptions and
the browser's own errors (a Content-Security-Policy refusal, a failed load) are collected, the layout is
measured in the page (`document.documentElement.scrollWidth <= innerWidth`: no sideways scroll), and a
screenshot of each width is written to build/ for people to see (docs/report-page*.png are copies).

A control page (a wide table, a console error, a script from outside) proves each check can fail.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import fleet, instance
from sandbox.httpserver import LoopbackServer, Reply

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
ROOT = Path(__file__).resolve().parents[2]
PAGE_URL = "http://report.page.test/report.html"
WIDTHS = {"desktop": (1280, 1100, False), "phone": (390, 1500, True)}  # CSS px wide, screenshot high, mobile
MEASURE = """(() => {
  const rows = Array.from(document.querySelectorAll('#instances tbody tr')).map(tr => {
    const name = tr.querySelector('td'), cal = tr.querySelector('.cal');
    const n = name.getBoundingClientRect(), c = cal.getBoundingClientRect();
    return {name: tr.dataset.name, text: tr.innerText, below: c.top >= n.bottom - 1, left: c.left, right: c.right,
            cells: Array.from(cal.children).map(s => [s.className, s.title]),
            link: (name.querySelector('a') || {}).href || ''};
  });
  return {scroll: document.documentElement.scrollWidth, inner: innerWidth, rows,
          charts: document.querySelectorAll('svg.fleet rect').length,
          sparks: document.querySelectorAll('svg.spark polyline').length,
          footer: (document.querySelector('footer') || {}).innerText || ''};
})()"""


class Proxy:
    """Answers the page for PAGE_URL and 404 for anything else (the browser's proxy for every request)."""

    def __init__(self):
        self.html = b""

    def handle_request(self, method, path, query, headers, body, raw_query):
        if f"http://{headers.get('host', '')}{path}" == PAGE_URL:
            return Reply(200, self.html, {"Content-Type": "text/html; charset=utf-8"})
        return Reply(404, "not here")


class Browser:
    """One headless Chromium over the DevTools pipe: `open(html, width)` loads `html` as PAGE_URL in a fresh
    tab `width` CSS px wide and returns what the page showed and did."""

    def __init__(self, proxy_address: str):
        self.profile = tempfile.mkdtemp(prefix="chromium-")
        commands, self._to_browser = os.pipe()
        self._from_browser, answers = os.pipe()

        # The browser reads commands on fd 3 and answers on fd 4. close_fds=False, as subprocess would close
        # them after this runs; every other fd of ours is non-inheritable (PEP 446), so only these two reach it.
        def pipes():
            os.dup2(commands, 3)
            os.dup2(answers, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
             f"--proxy-server=http://{proxy_address}", "--proxy-bypass-list=<-loopback>", "about:blank"],
            close_fds=False, preexec_fn=pipes, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands)
        os.close(answers)
        self._reader = os.fdopen(self._from_browser, "rb")
        self._next, self._buffer, self.events = 0, b"", []

    def send(self, method: str, session: str | None = None, timeout: float = 30, **params) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params, **({"sessionId": session} if session else {})}
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self._read()
            if answer.get("id") == self._next:
                assert "error" not in answer, answer
                return answer["result"]
            self.events.append(answer)
        raise TimeoutError(method)

    def _read(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed its pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _wait(self, method: str, session: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method and e.get("sessionId") == session for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.events.append(self._read())

    def open(self, width: int, height: int, mobile: bool, screenshot: Path | None = None) -> dict:
        """PAGE_URL at `width` × `height` CSS px: the measures (MEASURE), the URLs requested, the errors."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session)
        self.send("Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1,
                  mobile=mobile)
        self.events = []
        self.send("Page.navigate", session, url=PAGE_URL)
        self._wait("Page.loadEventFired", session)
        measured = self.send("Runtime.evaluate", session, expression=MEASURE, returnByValue=True)["result"]["value"]
        if screenshot:
            shot = self.send("Page.captureScreenshot", session, format="png")["data"]
            screenshot.parent.mkdir(exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot))
        # The sort buttons' script runs: sorted by name, the rows' order is the names'.
        self.send("Runtime.evaluate", session, expression="document.getElementById('by-name')?.click()")
        order = self.send("Runtime.evaluate", session, returnByValue=True, expression=(
            "Array.from(document.querySelectorAll('#instances tbody tr')).map(tr => tr.dataset.name)"))
        mine = [e for e in self.events if e.get("sessionId") == session]
        self.send("Target.closeTarget", targetId=target)
        return {**measured, "by_name": order["result"].get("value"),
                "requests": [e["params"]["request"]["url"] for e in mine if e["method"] == "Network.requestWillBeSent"],
                "errors": _errors(mine)}

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)
        os.close(self._to_browser)
        self._reader.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def _errors(events: list[dict]) -> list[str]:
    """The console's errors and warnings, uncaught exceptions, and the browser's own error entries."""
    found = []
    for e in events:
        p = e.get("params", {})
        if e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning", "assert"):
            found.append("console." + p["type"] + ": " + " ".join(str(a.get("value", "")) for a in p["args"]))
        elif e["method"] == "Runtime.exceptionThrown":
            found.append("uncaught: " + p["exceptionDetails"].get("text", ""))
        elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            found.append(f"{p['entry']['source']}: {p['entry']['text']}")
    return found


@pytest.fixture(scope="module")
def browser():
    proxy = Proxy()
    server = LoopbackServer(proxy).start()
    chromium = Browser(server.address)

    def show(html: bytes, width: str, screenshot: Path | None = None) -> dict:
        proxy.html = html
        return chromium.open(*WIDTHS[width], screenshot=screenshot)

    try:
        yield show
    finally:
        chromium.close()
        server.stop()


def page_of(bucket: dict) -> bytes:
    return next(o.body for k, o in bucket.items() if k.endswith(".html"))


def test_the_page_at_a_laptops_and_a_phones_width(report, browser):
    bucket: dict = {}
    report(fleet(instance("r-healthy01", tags={"backup-report": "daily", "team": "payments"}),
                 instance("r-failed01", latest={"status": "Failed"}),
                 instance("r-shanghai1", region="cn-shanghai", name='<b onmouseover="alert(1)">x</b>')),
           oss=bucket, settings={"OWNER_TAG": "team", "TIMEZONE": "Asia/Shanghai"})
    html = page_of(bucket)
    for width in WIDTHS:
        shown = browser(html, width, ROOT / "build" / f"report-page{'' if width == 'desktop' else '-phone'}.png")
        assert shown["requests"] == [PAGE_URL], "the page fetched something besides itself"
        assert shown["errors"] == [], shown["errors"]
        assert shown["scroll"] <= shown["inner"], f"{width}: {shown['scroll']} px wide in {shown['inner']} px"
        rows = {r["name"]: r for r in shown["rows"]}
        assert set(rows) == {"healthy01-cache", "failed01-cache", '<b onmouseover="alert(1)">x</b>'}
        for row in rows.values():  # every row's whole calendar on screen, under its name on a phone
            assert 0 <= row["left"] and row["right"] <= shown["inner"], (width, row)
            assert row["below"] or width == "desktop", (width, row)
        failed = rows["failed01-cache"]["cells"]
        # The slot of 18:00Z on Nov 27 is 02:00 on Nov 28 in Shanghai: today's cell, the failure, the
        # strip's days before it; the days before the strip one span.
        assert failed[-1] == ["failed today", "2026-11-28: failed"]
        assert failed[-7] == ["done", "2026-11-22: backed up"]
        assert failed[0] == ["nodata", "no data before 2026-11-22"] and len(failed) == 8
        assert rows["healthy01-cache"]["cells"] == [["nodata", "no data before 2026-11-28"],
                                                    ["done today", "2026-11-28: backed up"]]
        assert "❌ Backup failed" in rows["failed01-cache"]["text"] and "✅ ok" in rows["healthy01-cache"]["text"]
        assert rows["failed01-cache"]["link"] == \
            "https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou/r-failed01"
        assert shown["charts"] >= 2 and shown["sparks"] == 3  # the fleet's bar, each instance's sizes
        assert "demo-request-0001" in shown["footer"] and "(Asia/Shanghai)" in shown["footer"]
        assert shown["by_name"][0] == '<b onmouseover="alert(1)">x</b>', "the page's script sorts by name"
    assert (ROOT / "build" / "report-page-phone.png").stat().st_size > 10_000


CONTROL = b"""<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"></head><body><table id="instances"><tbody><tr data-name="wide"><td>name</td>
<td><div class="cal" style="width:2000px">x</div></td></tr></tbody></table>
<script src="http://cdn.example/x.js"></script><script>console.error("boom")</script></body></html>"""


def test_each_browser_check_can_fail_on_a_broken_page(browser):
    """A page 2000 px wide that logs an error and loads a script from outside fails every check above."""
    shown = browser(CONTROL, "phone")
    assert shown["scroll"] > shown["inner"]
    assert shown["rows"][0]["right"] > shown["inner"]
    assert "console.error: boom" in shown["errors"]
    assert "http://cdn.example/x.js" in shown["requests"]
