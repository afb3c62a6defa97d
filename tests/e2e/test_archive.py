"""The archive (ARCHIVE_OSS_BUCKET): each run's JSON, CSV and report page in OSS, the page linked from
the message, and what changed since the previous run. Through index.handler against the sandbox's
OSS emulator (`sandbox/oss.py`, V4 signatures checked), one bucket kept across runs."""
from __future__ import annotations

import csv
import io
import json
import time
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit
from urllib.request import Request, urlopen
from urllib.error import HTTPError

import pytest

from backup_report.archive.oss import ArchiveError, Bucket
from conftest import DAILY, fleet, instance
from sandbox.httpserver import LoopbackServer
from sandbox import Sandbox
from sandbox.oss import OSSBucket

DAY = "redis-backup-report/2026/11/28/"
NEXT_DAY = "2026-11-29T01:00:00Z"
HOSTILE = '<img src=x onerror=alert(1)>"&'
RUN = re.compile(r"/[0-9]{6}Z-[0-9a-f]{8}-demo-request-0001\.(json|csv|html)\b")


def run_key(key: str) -> str:
    """A run's key with its start time and request ID as `<run>`: `…/daily/<run>.json`."""
    return RUN.sub(r"/<run>.\1", key)


def keys(bucket: dict) -> list[str]:
    return sorted(run_key(k) for k in bucket)


def stored(bucket: dict, key: str):
    """The object whose key is `key` with `<run>` for the run's start time and request ID."""
    (found,) = [v for k, v in bucket.items() if run_key(k) == key]
    return found


def link_in(text: str, host: str = r"http://127\.0\.0\.1:[0-9]+/backup-report-archive") -> str:
    found = re.findall(host + r"/[^\s)>|]+", text)
    assert len(found) == 1, text
    return found[0]


def opened(url: str, endpoint: str, host: str = ""):
    """GET `url` from the sandbox's OSS at `endpoint` (as DNS would send `host`, a bound domain, there): the answer."""
    parts = urlsplit(url)
    return urlopen(Request(f"{endpoint}{parts.path}?{parts.query}", headers={"Host": host} if host else {}))


def follow(answers: list, pattern: str = r"http://127\.0\.0\.1:[0-9]+/backup-report-archive", host: str = "",
           edit=lambda url: url):
    """A `before_stop`: the DingTalk message's page link (`edit`ed) opened while the sandbox is up; its answer
    (status, headers, body) appended to `answers`."""
    def visit(sb) -> None:
        url = edit(link_in("\n".join(m["markdown"]["text"] for m in sb.dingtalk.messages), pattern))
        try:
            with opened(url, sb.oss_endpoint, host) as answer:
                answers.append((answer.status, answer.headers, answer.read()))
        except HTTPError as refused:
            answers.append((refused.code, refused.headers, refused.read()))
    return visit


def test_a_run_with_the_archive_on_writes_json_csv_and_the_page_and_links_it(report):
    bucket: dict = {}
    answers: list = []
    run = report(fleet(instance("r-healthy01"), instance("r-failed01", latest={"status": "Failed"})), oss=bucket,
                 before_stop=follow(answers))
    assert keys(bucket) == [DAY + "daily/<run>.csv", DAY + "daily/<run>.html", DAY + "daily/<run>.json"]
    archive = {**run.result["archive"], "written": [run_key(k) for k in run.result["archive"]["written"]]}
    assert archive == {"ok": True, "written": [DAY + "daily/<run>.json", DAY + "daily/<run>.csv",
                                               DAY + "daily/<run>.html"], "previous": None}
    assert run.result["changes"] == []
    kept = json.loads(stored(bucket, DAY + "daily/<run>.json").body)
    assert {i["instance_id"]: i["verdict"] for i in kept["instances"]} == {"r-failed01": "failed", "r-healthy01": "ok"}
    assert kept["instances"][1]["policy"] == {"period": DAILY["period"], "slot": "18:00Z-19:00Z",
                                              "retention_days": 7, "backup_log": 0}
    rows = list(csv.DictReader(io.StringIO(stored(bucket, DAY + "daily/<run>.csv").body.decode())))
    assert [(r["instance_id"], r["verdict"], r["slot"]) for r in rows] == [
        ("r-failed01", "failed", "18:00Z-19:00Z"), ("r-healthy01", "ok", "18:00Z-19:00Z")]
    assert stored(bucket, DAY + "daily/<run>.html").content_type.startswith("text/html")
    for text in (run.dingtalk_text, run.slack_text):
        # Signed with FC's context credentials (an STS token): they are valid 36 hours, and so is no link longer.
        assert "📄 Report page: every instance, 30 days (link valid up to 36 hours)" in text
        url = link_in(text)
        parts = urlsplit(url)
        assert run_key(parts.path) == "/backup-report-archive/" + DAY + "daily/<run>.html"
        query = parse_qs(parts.query)
        assert query["x-oss-signature-version"] == ["OSS4-HMAC-SHA256"]
        assert 35 * 3600 < int(query["x-oss-expires"][0]) <= 36 * 3600
        assert query["response-content-disposition"] == ["inline"]
        assert run.sandbox.credentials.access_key_secret not in unquote(url)
    # OSS's default domain serves the page, but as a download, whatever the link asks.
    [(status, headers, body)] = answers
    assert status == 200 and body == stored(bucket, DAY + "daily/<run>.html").body
    assert headers["x-oss-force-download"] == "true" and headers["Content-Disposition"] == "attachment"


def test_the_next_day_reports_a_vanished_instance_a_shortened_retention_and_a_new_one(report):
    bucket: dict = {}
    policy = {**DAILY, "retention": 7, "backup_log": 1}
    report(fleet(instance("r-gone01"), instance("r-keep01", policy=policy)), oss=bucket)
    # Every policy read afresh (POLICY_REFRESH_DAYS=0): a kept one would show the change only when next read.
    run = report(fleet(instance("r-keep01", policy={**policy, "retention": 3, "backup_log": 0}), instance("r-new01")),
                 oss=bucket, anchor=NEXT_DAY, settings={"POLICY_REFRESH_DAYS": "0"})
    assert run_key(run.result["archive"]["previous"]) == DAY + "daily/<run>.json"
    assert run.result["changes"] == [
        "no longer reported: r-gone01 (gone01-cache, ok yesterday) — released or untagged?",
        "newly reported: r-new01 (new01-cache)",
        "r-keep01 (keep01-cache): retention shortened from 7 to 3 days",
        "r-keep01 (keep01-cache): backup log (data flashback) turned off",
    ]
    assert "no longer reported: r-gone01 (gone01-cache, ok yesterday) — released or untagged?" in run.slack_text
    assert "retention shortened from 7 to 3 days" in run.dingtalk_text
    # The calendar carries on: yesterday's day is still there for the instance that stayed; today's slot
    # (18:00Z, TIMEZONE=UTC) is still to come.
    kept = json.loads(stored(bucket, "redis-backup-report/2026/11/29/daily/<run>.json").body)
    keep = next(i for i in kept["instances"] if i["instance_id"] == "r-keep01")
    assert keep["calendar"] == {"2026-11-27": "done", "2026-11-28": "done", "2026-11-29": "later"}
    assert kept["timezone"] == "UTC" and kept["fleet"] == {"2026-11-28": {"fine": 2, "warning": 0, "alert": 0},
                                                           "2026-11-29": {"fine": 2, "warning": 0, "alert": 0}}


def test_without_the_archive_the_run_is_stateless(report):
    run = report(fleet(instance("r-healthy01")))
    assert "archive" not in run.result and "changes" not in run.result
    assert "Report page" not in run.dingtalk_text + run.slack_text


def test_a_failing_oss_never_costs_the_digest(report, monkeypatch):
    bucket: dict = {}
    monkeypatch.setattr(OSSBucket, "down", True, raising=False)
    run = report(fleet(instance("r-healthy01")), oss=bucket)
    assert run.error is None and run.pings == ["start", "success"]
    assert len(run.dingtalk) == 1 and len(run.slack) == 1
    assert bucket == {}
    archive = run.result["archive"]
    assert archive["ok"] is False and archive["written"] == []
    busy = "OSS ServiceUnavailable (HTTP 503): Please reduce your request rate."
    assert [run_key(e) for e in archive["errors"]] == [
        f"the previous run was not read: {busy}", DAY + f"daily/<run>.html not written: {busy}",
        DAY + f"daily/<run>.json not written: {busy}"]
    assert "archive: the previous run was not read" in run.logs
    for text in (run.dingtalk_text, run.slack_text):
        assert "Report page" not in text and f"report page not archived: {busy}" in text
        assert f"what changed since the last run is not reported: the previous run was not read: {busy}" in text


def test_a_drip_feeding_oss_holds_neither_the_digest_nor_the_end_ping_past_the_deadline(report, monkeypatch):
    monkeypatch.setattr(OSSBucket, "drip", 0.3, raising=False)  # no read timeout ends it
    started = time.monotonic()
    run = report(fleet(instance("r-failed01", latest={"status": "Failed"})), oss={}, timeout=30)
    assert time.monotonic() - started < 30, "the run outlived FC's timeout"
    assert run.error is None and run.pings == ["start", "success"]
    assert [len(m) for m in (run.dingtalk, run.slack, run.feishu, run.wecom)] == [1, 1, 1, 1]
    assert "r-failed01" in run.dingtalk_text
    assert run.result["archive"]["ok"] is False
    # The page's write has 5 s before the post (archive.PAGE_SECONDS): no link to a page that may not be there.
    assert "Report page" not in run.dingtalk_text
    assert "report page not archived: no complete answer within 5 s" in run.dingtalk_text


def test_changes_since_yesterday_are_posted_under_notify_on_failure_too(report):
    bucket: dict = {}
    report(fleet(instance("r-keep01"), instance("r-gone01")), oss=bucket, anchor="2026-11-28T01:00:00Z")
    run = report(fleet(instance("r-keep01")), oss=bucket, anchor="2026-11-29T01:00:00Z",
                 settings={"NOTIFY_ON": "failure"})
    assert len(run.dingtalk) == 1, "an instance gone from the report is worth a post"
    assert "no longer reported: r-gone01" in run.dingtalk_text


def test_an_unreachable_oss_never_costs_the_digest(report):
    run = report(fleet(instance("r-healthy01")), oss={}, settings={"ARCHIVE_OSS_ENDPOINT": "http://127.0.0.1:9"})
    assert run.error is None and len(run.dingtalk) == 1 and run.result["archive"]["ok"] is False
    assert [run_key(e) for e in run.result["archive"]["errors"]] == [
        "the previous run was not read: OSS did not answer (the connection failed)",
        DAY + "daily/<run>.html not written: OSS did not answer (the connection failed)",
        DAY + "daily/<run>.json not written: OSS did not answer (the connection failed)"], run.result["archive"]


def test_the_page_escapes_hostile_names(report):
    bucket: dict = {}
    report(fleet(instance("r-hostile01", name=HOSTILE)), oss=bucket)
    html = stored(bucket, DAY + "daily/<run>.html").body.decode()
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;" in html
    loads = re.findall(r"\bsrc=\"|<link[^>]*href=\"([^\"]*)\"|url\(|@import", html)
    assert loads == ["data:,"], "the page loads nothing from outside (its icon is an empty data: URL)"
    # Its only link is the instance's console page, opened by a person, never loaded.
    assert re.findall(r"<a href=\"([^\"]*)\"", html) == [
        "https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou/r-hostile01"]


@pytest.mark.parametrize("settings, problem", [
    ({"ARCHIVE_OSS_BUCKET": "My_Bucket"}, "ARCHIVE_OSS_BUCKET='My_Bucket' is invalid: an OSS bucket name"),
    ({"ARCHIVE_OSS_PREFIX": "/abs/"}, "ARCHIVE_OSS_PREFIX='/abs/' is invalid: a folder of the bucket ending in '/'"),
    ({"ARCHIVE_OSS_ENDPOINT": "http://oss-cn-hangzhou.aliyuncs.com"},
     "ARCHIVE_OSS_ENDPOINT='http://oss-cn-hangzhou.aliyuncs.com' is invalid: an OSS endpoint like"),
    ({"REPORT_LINK_DAYS": "8"}, "REPORT_LINK_DAYS='8' is invalid: a whole number from 1 to 7"),
    ({"REPORT_LINK_HOST": "https://reports.example.com/"}, "REPORT_LINK_HOST='https://reports.example.com/' is "
     "invalid: a custom domain bound to the archive bucket, the host name alone, like reports.example.com"),
])
def test_bad_archive_settings_are_named_before_any_call(report, settings, problem):
    run = report(fleet(instance("r-healthy01")), oss={}, settings=settings)
    assert run.calls() == [] and run.sandbox.oss.requests == []
    assert any(p.startswith(problem) for p in run.result["settings"]), run.result["settings"]


def test_the_emulator_checks_v4_signatures_and_serves_presigned_links():
    creds = SimpleNamespace(access_key_id="STS.NTestKeyId01", access_key_secret="TestSecret0123456789",
                            security_token="CAIS+test/token==")
    emulator = OSSBucket("audit-bucket", creds)
    server = LoopbackServer(emulator).start()
    try:
        good = Bucket("audit-bucket", f"http://{server.address}", "cn-hangzhou", creds, 2, 2)
        good.put("p/a.html", b"<p>hi</p>", "text/html")
        assert urlopen(good.presigned_get("p/a.html", 86400)).read() == b"<p>hi</p>"
        assert [o.key for o in good.listed("p/")] == ["p/a.html"]
        wrong = SimpleNamespace(access_key_id=creds.access_key_id, access_key_secret="NotTheSecret0000",
                                security_token=creds.security_token)
        with pytest.raises(ArchiveError, match=r"^OSS SignatureDoesNotMatch \(HTTP 403\): The request signature we "
                                               r"calculated does not match the signature you provided\.$"):
            Bucket("audit-bucket", f"http://{server.address}", "cn-hangzhou", wrong, 2, 2).get("p/a.html")
        tampered = good.presigned_get("p/a.html", 86400).replace("p/a.html", "p/b.html")
        with pytest.raises(HTTPError) as refused:
            urlopen(tampered)
        assert refused.value.code == 403 and b"SignatureDoesNotMatch" in refused.value.read()
    finally:
        server.stop()


def test_each_trigger_compares_with_its_own_runs(report):
    bucket: dict = {}
    report(fleet(instance("r-payments1")), oss=bucket,
           event={"triggerTime": "2026-11-28T01:00:00Z", "triggerName": "payments", "payload": "{}"})
    report(fleet(instance("r-search01")), oss=bucket,
           event={"triggerTime": "2026-11-28T01:00:00Z", "triggerName": "search", "payload": "{}"})
    run = report(fleet(instance("r-search01")), oss=bucket, anchor=NEXT_DAY,
                 event={"triggerTime": NEXT_DAY, "triggerName": "search", "payload": "{}"})
    assert run_key(run.result["archive"]["previous"]) == DAY + "search/<run>.json"
    assert run.result["changes"] == []


def test_no_write_is_started_that_could_outlast_fcs_deadline(report):
    bucket: dict = {}
    run = report(fleet(instance("r-healthy01")), oss=bucket, timeout=3)
    assert run.error is None and len(run.dingtalk) == 1 and bucket == {}
    assert run_key(run.result["archive"]["errors"][-1]) == DAY + "daily/<run>.json not written: out of time before " \
                                                             "FC's deadline"
    assert "report page not archived: out of time before FC's deadline" in run.dingtalk_text


def test_a_page_oss_refuses_is_not_linked_and_the_message_says_why(report, monkeypatch):
    # A role made from an older policy: every PutObject refused, every day.
    monkeypatch.setattr(OSSBucket, "put_denied", ("",), raising=False)
    bucket: dict = {}
    run = report(fleet(instance("r-failed01", latest={"status": "Failed"})), oss=bucket)
    assert run.error is None and run.pings == ["start", "success"] and bucket == {}
    assert [len(m) for m in (run.dingtalk, run.slack, run.feishu, run.wecom)] == [1, 1, 1, 1]
    why = "OSS AccessDenied (HTTP 403): You have no right to access this object because of bucket acl."
    for text in (run.dingtalk_text, run.slack_text):
        assert "Report page" not in text and f"report page not archived: {why}" in text


def test_a_previous_run_not_read_still_writes_and_links_the_page(report, monkeypatch):
    monkeypatch.setattr(OSSBucket, "list_down", True, raising=False)  # a listing's glitch
    bucket: dict = {}
    answers: list = []
    run = report(fleet(instance("r-healthy01")), oss=bucket, before_stop=follow(answers))
    assert run.result["archive"]["errors"] == [
        "the previous run was not read: OSS ServiceUnavailable (HTTP 503): Please reduce your request rate."]
    assert keys(bucket) == [DAY + "daily/<run>.csv", DAY + "daily/<run>.html", DAY + "daily/<run>.json"]
    assert "what changed since the last run is not reported: the previous run was not read" in run.dingtalk_text
    [(status, _, body)] = answers
    assert status == 200 and body == stored(bucket, DAY + "daily/<run>.html").body


def test_a_custom_domain_link_is_signed_for_it_and_opens_the_page_inline(report):
    bucket: dict = {}
    answers: list = []
    domain = r"https://reports\.example\.com"

    def both(sb) -> None:
        follow(answers, domain, Sandbox.LINK_HOST)(sb)
        # The signature covers the bucket and key, not only the host: another key is refused.
        follow(answers, domain, Sandbox.LINK_HOST, edit=lambda url: url.replace(".html?", ".csv?"))(sb)

    run = report(fleet(instance("r-healthy01")), oss=bucket, settings={"REPORT_LINK_HOST": Sandbox.LINK_HOST},
                 before_stop=both)
    url = link_in(run.slack_text, domain)
    assert run_key(urlsplit(url).path) == "/" + DAY + "daily/<run>.html"  # the domain names the bucket
    (status, headers, body), (refused, _, error) = answers
    assert status == 200 and body == stored(bucket, DAY + "daily/<run>.html").body
    assert headers["Content-Disposition"] == "inline" and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "x-oss-force-download" not in headers
    assert refused == 403 and b"SignatureDoesNotMatch" in error
