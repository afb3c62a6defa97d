"""Secrets in the places the per-run scan of conftest.py does not reach: the SDK's own stderr handler
under its debug switch, and two invocations running at once in one process (FC's instance
concurrency), each with its own webhook tokens.
"""
from __future__ import annotations

import io
import json
import logging
import threading
import time

import sandbox
from backup_report import app, redact
from backup_report.settings import NAMES
from conftest import ANCHOR, fleet, instance, keep_urllib3_at_debug, secrets_of
from sandbox.demo import fc_context

HEALTHY = (instance("r-fine01"), instance("r-fine02"))


def keep_at_debug(monkeypatch, name: str) -> None:
    """`name` stays at DEBUG whatever the function sets, so only the scrubbing stands between its
    records and the handlers."""
    logger = logging.getLogger(name)
    monkeypatch.setattr(logger, "level", logging.DEBUG)
    monkeypatch.setattr(logger, "setLevel", lambda level: None)


def test_with_the_sdk_debug_switch_on_stderr_holds_no_access_key_or_sts_token(report, monkeypatch, capfd):
    monkeypatch.setenv("DEBUG", "sdk")
    run = report(fleet(*HEALTHY))
    out, err = capfd.readouterr()
    creds = run.sandbox.credentials
    for secret in (creds.access_key_id, creds.access_key_secret, creds.security_token):
        assert secret not in err and secret not in out
    assert "DEBUG=sdk is set" in run.logs and "kept at INFO" in run.logs
    assert run.result["status"] == "ok"


def test_if_the_sdk_debug_dump_is_written_anyway_its_own_stderr_handler_gets_it_scrubbed(report, monkeypatch):
    # darabonba-core adds its own StreamHandler(sys.stderr as it was at import) to its logger; the dump
    # goes there as well as to the root's handlers. Its stream is read here through a buffer.
    keep_at_debug(monkeypatch, "darabonba-core")
    own = [h for h in logging.getLogger("darabonba-core").handlers if type(h) is logging.StreamHandler]
    assert own, "darabonba-core attaches its own stderr handler"
    buffer = io.StringIO()
    monkeypatch.setattr(own[0], "stream", buffer)
    monkeypatch.setenv("DEBUG", "sdk")
    run = report(fleet(*HEALTHY))
    err = buffer.getvalue()
    creds = run.sandbox.credentials
    assert "x-acs-security-token : ***" in err, "the SDK dumped its request headers to stderr"
    assert "Credential=***" in err
    assert creds.access_key_id not in err and creds.security_token not in err


def test_two_concurrent_runs_in_one_process_each_keep_both_tokens_out_of_the_logs(monkeypatch, caplog):
    """Run A is slow (every API call takes 150 ms); run B starts, and ends, while A is still checking.
    Each has its own environment (its own sandbox's endpoint and webhooks: a payload may not set them)."""
    caplog.set_level(logging.DEBUG)
    keep_urllib3_at_debug(monkeypatch)  # urllib3 logs every request line, webhook token included
    slow = fleet(*HEALTHY, faults=[{"kind": "latency", "ms": 150}], dingtalk={"token": "tokenofteamA0123"})
    fast = fleet(*HEALTHY, dingtalk={"token": "tokenofteamB4567"}, slack={"path": "T0B/B0B/slacktokenofteamB"})
    results: dict[str, object] = {}

    def invoke(name: str, sb: sandbox.Sandbox) -> None:
        environ = {**{k: v for k, v in sb.env().items() if k in NAMES and v}, "INSTANCE_TAGS": "backup-report=daily"}
        event = {"triggerTime": ANCHOR, "triggerName": name, "payload": "{}"}
        try:
            results[name] = json.loads(app.run(json.dumps(event).encode(),
                                               fc_context(sb.credentials, "cn-hangzhou", request_id=name), environ))
        except Exception as exc:  # reported below
            results[name] = exc

    with sandbox.start(slow, anchor=ANCHOR) as a, sandbox.start(fast, anchor=ANCHOR) as b:
        run_a = threading.Thread(target=invoke, args=("A", a))
        run_a.start()
        waited = time.monotonic()
        while not a.kvstore.calls and run_a.is_alive() and time.monotonic() - waited < 30:
            threading.Event().wait(0.01)  # A has started calling the API: B starts now
        invoke("B", b)
        assert run_a.is_alive(), f"A was still running when B finished: {results}"
        run_a.join(60)
        secrets = secrets_of(a, a.env()) + secrets_of(b, b.env())
        posted = [a.dingtalk.messages, b.dingtalk.messages, a.slack.messages, b.slack.messages]
    assert all(isinstance(results[n], dict) and results[n]["status"] == "ok" for n in "AB"), results
    assert all(len(messages) == 1 for messages in posted)
    assert "tokenofteamA0123" in secrets and "tokenofteamB4567" in secrets
    requests_logged = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert sum("/robot/send?access_token=***" in m for m in requests_logged) >= 2, "both runs' posts were logged"
    texts = [caplog.text] + [r.getMessage() for r in caplog.records] + [json.dumps(results[n]) for n in "AB"]
    assert [s for s in secrets for t in texts if s in t] == []


def test_a_thread_an_invocation_started_keeps_its_secrets_hidden_after_it_returned(caplog):
    caplog.set_level(logging.INFO)
    late = threading.Event()
    with redact.Redaction(["https://oapi.dingtalk.com/robot/send?access_token=lingeringtoken0123"]):
        thread = threading.Thread(target=redact.in_context(
            lambda: (late.wait(5), logging.getLogger("some.library").info("late retry of %s",
                                                                          "/robot/send?access_token=lingeringtoken0123"))))
        thread.start()
    late.set()  # the invocation is over; its abandoned call logs now
    thread.join(5)
    assert "lingeringtoken0123" not in caplog.text and "access_token=***" in caplog.text


def test_nothing_of_a_finished_invocation_is_hidden_in_the_next_one(caplog):
    caplog.set_level(logging.INFO)
    with redact.Redaction(["https://hc-ping.com/failed", "https://oapi.dingtalk.com/robot/send?access_token="
                           "earlierrunstoken0123"]) as first:
        assert first.scrub("backup failed; earlierrunstoken0123") == "backup failed; ***"
    with redact.Redaction(["https://hooks.slack.com/services/T0/B0/nextrunstoken0123456"]) as second:
        logging.getLogger("backup_report").warning("r-bp1 failed; earlierrunstoken0123")
        assert second.scrub("backup 2 failed at 02:10") == "backup 2 failed at 02:10"
    assert "r-bp1 failed; earlierrunstoken0123" in caplog.text  # not this invocation's secret: nothing hidden


def test_an_invokers_url_is_hidden_whole_and_never_pushes_the_credentials_out():
    long_url = "https://hooks.slack.com/services/" + "/".join(f"a1!!!!!!!!!!{n:03}" for n in range(150))
    with redact.Redaction(["STS.NTestKeyIdPlaceholder01", "TestSecretPlaceholder0123"],
                          whole=[long_url, "https://hc-ping.com/0f3c9b7e-5c1d?x=failed%20at%202026-11-27"]) as mine:
        said = mine.scrub("SignatureDoesNotMatch: AccessKeyId%3DSTS.NTestKeyIdPlaceholder01; backup 7 failed at "
                          "2026-11-27 18:10; " + long_url)
    assert said == "SignatureDoesNotMatch: AccessKeyId%3D***; backup 7 failed at 2026-11-27 18:10; ***"
