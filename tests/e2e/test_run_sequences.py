"""Invocations one after another and at once in one process, as a warm FC instance runs them, with hostile
payloads and hostile archives (hypothesis writes the sequence). Whatever they hold:
- no request leaves for a host the environment did not name (a second sandbox stands for the invoker's
  hosts: its API, robots, bucket and check hear nothing);
- every invocation posts exactly one message per channel, FC's retries of one that raised included;
- nothing of one invocation is in the next: a plain run at the end reads exactly as the same run did at
  the start (verdicts, details, counts, status), with nothing of it hidden as ***;
- the result always encodes as UTF-8, no secret appears in any message, result or log line, and the
  memory the runs add stays under FC's memorySize (256 MB).
Bounded: SEQUENCE_EXAMPLES examples (default 6).
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import index
import sandbox
from backup_report.settings import NAMES
from conftest import ANCHOR, SIGNED_LINK, fleet, instance, leaks, secrets_of
from sandbox.demo import fc_context
from sandbox.oss import StoredObject

EXAMPLES = settings(max_examples=int(os.environ.get("SEQUENCE_EXAMPLES", "6")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FLEET = fleet(instance("r-seq01"), instance("r-seq02", latest={"status": "Failed"}), instance("r-seq03", history={"days": 0, "at": "18:10", "size": "2GB"}))
MEMORY_SIZE = 256 * 1024 * 1024  # s.yaml's memorySize
HOSTILE_PAYLOADS = ("kvstore_endpoint", "archive_oss_endpoint", "dingtalk_webhook", "slack_webhook", "heartbeat_url",
                    "feishu_webhook", "api_qps", "regions", "unknown", "benign", "none")
ARCHIVES = ("none", "deep", "junk", "bomb", "good")
TRIGGERS = ("daily", "team_a", "team/a", "", "-x")


def payload_for(kind: str, elsewhere: sandbox.Sandbox) -> dict:
    return {"kvstore_endpoint": {"kvstore_endpoint": elsewhere.kvstore_endpoint},
            "archive_oss_endpoint": {"archive_oss_endpoint": elsewhere.oss_endpoint},
            "dingtalk_webhook": {"dingtalk_webhook": elsewhere.dingtalk_webhook},
            "slack_webhook": {"slack_webhook": elsewhere.slack_webhook},
            "heartbeat_url": {"heartbeat_url": elsewhere.heartbeat_url + "/failed"},
            "feishu_webhook": {"feishu_webhook": elsewhere.feishu_webhook},
            "api_qps": {"api_qps": "1000"}, "regions": {"regions": ",".join(f"cn-x{n}" for n in range(300))},
            "unknown": {f"k{n}": "v" for n in range(200)}, "benign": {"lookback_hours": "48", "timezone": "Asia/Tokyo"},
            "none": {}}[kind]


def seed(bucket: dict, kind: str) -> None:
    key = "redis-backup-report/2026/11/27/daily/010000Z-seeded.json"
    good = {"instance_id": "r-seq09", "name": "gone", "region": "cn-hangzhou", "verdict": "ok", "policy": None,
            "calendar": {}}
    body = {"deep": b'{"instances": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
            "junk": json.dumps({"instances": [good, {"instance_id": 1}, {**good, "calendar": "x"}]}).encode(),
            "bomb": __import__("gzip").compress(b"\0" * (1 << 20)) * 100,
            "good": json.dumps({"instances": [good]}).encode()}.get(kind)
    if body is not None:
        bucket[key] = StoredObject(body, "application/json", encoding="gzip" if kind == "bomb" else "")


def invoke(event: dict, request_id: str, sb: sandbox.Sandbox) -> tuple[str | None, BaseException | None]:
    try:
        return index.handler(json.dumps(event).encode(), fc_context(sb.credentials, "cn-hangzhou",
                                                                   request_id=request_id)), None
    except Exception as exc:  # noqa: BLE001 - FC would retry it; the test does
        return None, exc


def invoke_as_fc(event: dict, request_id: str, sb: sandbox.Sandbox) -> tuple[dict | None, str]:
    """One invocation with FC's async retries (2, s.yaml): (the result, the texts to scan)."""
    texts = []
    for attempt in range(3):
        text, error = invoke(event, request_id, sb)
        if error is None:
            text.encode("utf-8")  # FC returns it as UTF-8: a lone surrogate would fail the invocation here
            texts.append(text)
            return json.loads(text), texts
        texts += [str(error), repr(error)]
    return None, texts


def plain(result: dict) -> dict:
    return {"status": result["status"], "counts": result["counts"],
            "instances": [(i["instance_id"], i["verdict"], i["detail"]) for i in result["instances"]]}


def peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def reset_peak_rss() -> int:
    """Resets the kernel's peak RSS of this process (Linux: clear_refs 5); returns the RSS now."""
    Path("/proc/self/clear_refs").write_text("5")
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


STEP = st.tuples(st.sampled_from(HOSTILE_PAYLOADS), st.sampled_from(ARCHIVES), st.sampled_from(TRIGGERS),
                 st.booleans())  # (payload, archive, trigger, at once with the next)


@EXAMPLES
@given(steps=st.lists(STEP, min_size=2, max_size=4))
def test_invocations_in_one_process_never_reach_elsewhere_post_once_and_leave_nothing_behind(
        monkeypatch, caplog, steps):
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    for name in list(os.environ):
        if name in NAMES or name.startswith("ALIBABA_CLOUD_"):
            monkeypatch.delenv(name)
    bucket: dict = {}
    with sandbox.start(FLEET, anchor=ANCHOR, oss_objects=bucket) as sb, \
            sandbox.start(fleet(instance("r-seq01")), anchor=ANCHOR) as elsewhere:
        env = {**{k: v for k, v in sb.env().items() if not k.startswith("ALIBABA_CLOUD_")}, **sb.archive_env(),
               "INSTANCE_TAGS": "backup-report=daily"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        canary = {"triggerTime": ANCHOR, "triggerName": "canary", "payload": "{}"}
        baseline, texts = invoke_as_fc(canary, "canary-0", sb)
        before = reset_peak_rss()
        invocations = 1
        n = 0
        while n < len(steps):
            group = [steps[n]] + ([steps[n + 1]] if steps[n][3] and n + 1 < len(steps) else [])
            threads, outcomes = [], []
            for m, (payload, archive, trigger, _) in enumerate(group):
                seed(bucket, archive)
                event = {"triggerTime": ANCHOR, "payload": json.dumps(payload_for(payload, elsewhere)),
                         **({"triggerName": trigger} if trigger else {})}
                threads.append(threading.Thread(target=lambda e=event, r=f"seq-{n}-{m}": outcomes.append(
                    invoke_as_fc(e, r, sb))))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            for _, more in outcomes:
                texts += more
            invocations += len(group)
            n += len(group)
            time.sleep(0.55)  # at most two groups a second: Feishu's custom bots take 5 messages a second (sandbox/feishu.py)
        peak = peak_rss() - before
        again, more = invoke_as_fc(canary, "canary-1", sb)
        texts += more
        invocations += 1
        secrets = secrets_of(sb, env) + [elsewhere.scenario.dingtalk.token]
        posted = [sb.dingtalk.messages, sb.slack.messages, sb.feishu.messages, sb.wecom.messages]
        heard = (elsewhere.kvstore.calls, elsewhere.dingtalk.messages, elsewhere.slack.messages,
                 elsewhere.feishu.messages, elsewhere.wecom.messages, elsewhere.heartbeat.signals, elsewhere.oss.requests)
    assert all(h == [] for h in heard), "a request left for a host the environment did not name"
    assert [len(m) for m in posted] == [invocations] * 4, "one message per channel per invocation"
    assert baseline is not None and again is not None
    assert plain(again) == plain(baseline), "a later invocation read differently: something carried over"
    assert "***" not in json.dumps(plain(again))
    assert peak < MEMORY_SIZE, f"the runs added {peak / 2**20:.0f} MB"
    texts += [SIGNED_LINK.sub(r"\1=…", json.dumps(m, ensure_ascii=False)) for m in posted]
    texts += [caplog.text] + [r.getMessage() for r in caplog.records]
    assert leaks(texts, secrets) == []
