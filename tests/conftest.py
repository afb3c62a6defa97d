"""Runs of the real handler against the sandbox, and what a person would read of them.

Every run through the `report` fixture is also scanned for the secrets it used (access keys, STS
token, webhook tokens, the robot's secret, backup download URLs): in every channel's messages, the result,
the exception text and every log line at DEBUG, third-party libraries included.
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest

import index
import sandbox
from backup_report.settings import NAMES
from sandbox.demo import fc_context

# The sandbox's own fixtures (`sandbox`, `serve`) for tests that talk to the emulators directly.
pytest_plugins = ["sandbox.pytest_plugin"]

SIGNED_LINK = re.compile(r"(x-oss-credential|x-oss-security-token)=[^&\s)>|\"]*")
ANCHOR = "2026-11-28T01:00:00Z"  # Saturday 09:00 in Shanghai; daily slots 18:00Z-19:00Z
TAG = {"backup-report": "daily"}
# Settings that leave only DingTalk and Slack configured (sb.env() configures all four channels).
TWO_CHANNELS = {"FEISHU_WEBHOOK": None, "FEISHU_SECRET": None, "WECOM_WEBHOOK": None}
DAILY = {"period": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday", "time": "18:00Z-19:00Z"}


def instance(instance_id: str, **spec) -> dict:
    """A tagged, healthy instance in cn-hangzhou with 8 days of daily backups, unless told otherwise."""
    base = {"id": instance_id, "name": instance_id.replace("r-", "") + "-cache", "region": "cn-hangzhou",
            "tags": dict(TAG), "created": "-400d", "policy": dict(DAILY),
            "history": {"days": 8, "at": "18:10", "size": "2GB"}}
    base.update(spec)
    return {k: v for k, v in base.items() if v is not None}


def fleet(*instances: dict, **extra) -> dict:
    return {"instances": list(instances), **extra}


@dataclass
class Run:
    sandbox: sandbox.Sandbox
    result: dict | None
    error: BaseException | None
    logs: str
    secrets: list[str] = field(default_factory=list)

    @property
    def dingtalk(self) -> list[dict]:
        return self.sandbox.dingtalk.messages

    @property
    def slack(self) -> list[dict]:
        return self.sandbox.slack.messages

    @property
    def feishu(self) -> list[dict]:
        return self.sandbox.feishu.messages

    @property
    def wecom(self) -> list[dict]:
        return self.sandbox.wecom.messages

    @property
    def pings(self) -> list[str]:
        """The signals the heartbeat check received, in order: start, success, fail."""
        return self.sandbox.heartbeat.signals

    @property
    def dingtalk_text(self) -> str:
        return "\n".join(m["markdown"]["text"] for m in self.dingtalk)

    @property
    def slack_text(self) -> str:
        """The Slack messages' blocks as text, rich_text written in mrkdwn's notation: a link
        `<url|text>`, bold `*text*`, a list item `• `, lines of a section or a list one to a line."""
        texts = []
        for m in self.slack:
            for block in m["blocks"]:
                if block["type"] == "rich_text":
                    texts += [_rich(e) for e in block["elements"]]
                else:
                    texts += [block["text"]["text"]] if "text" in block else [e["text"] for e in block["elements"]]
        return "\n".join(texts)

    def verdict(self, instance_id: str) -> str:
        return self.entry(instance_id)["verdict"]

    def detail(self, instance_id: str) -> str:
        return self.entry(instance_id)["detail"]

    def entry(self, instance_id: str) -> dict:
        found = [i for i in self.result["instances"] if i["instance_id"] == instance_id]
        assert found, f"{instance_id} is not in the result"
        return found[0]

    @property
    def verdicts(self) -> dict[str, str]:
        return {i["instance_id"]: i["verdict"] for i in self.result["instances"]}

    def calls(self, action: str | None = None) -> list:
        return [c for c in self.sandbox.kvstore.calls if action is None or c.action == action]


def _rich(element: dict) -> str:
    kind = element["type"]
    if kind == "rich_text_list":
        return "\n".join(f"• {_rich(e)}" for e in element["elements"])
    if kind in ("rich_text_section", "rich_text_quote", "rich_text_preformatted"):
        return "".join(_rich(e) for e in element["elements"])
    if kind == "link":
        return f"<{element['url']}|{element.get('text', '')}>"
    text = element.get("text", "")
    return f"*{text}*" if element.get("style", {}).get("bold") else text


def secrets_of(sb: sandbox.Sandbox, settings: dict) -> list[str]:
    creds = sb.credentials
    found = [creds.access_key_id, creds.access_key_secret, creds.security_token or "",
             sb.scenario.dingtalk.token, sb.dingtalk_secret or "", sb.scenario.slack.path.split("/")[-1],
             sb.kvstore.download_signature, sb.scenario.heartbeat.uuid]
    # A member account's credentials, as STS issued them to the run (ACCOUNTS).
    found += [part for issued in sb.sts.issued.values() for p in issued
              for part in (p.access_key_id, p.access_key_secret, p.security_token or "")]
    found += [v for k, v in settings.items() if v and "SECRET" in k]
    for k, v in settings.items():
        if v and ("WEBHOOK" in k or k == "HEARTBEAT_URL"):  # secret parts: query values, the last path segment
            parts = urlsplit(v)
            found += [value for values in parse_qs(parts.query).values() for value in values]
            found.append(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return [s for s in found if s and len(s) >= 6]


def leaks(texts: list[str], secrets: list[str]) -> list[str]:
    return [s for s in secrets for t in texts if s in t]


@pytest.fixture
def report(monkeypatch, caplog):
    """`report(scenario, **settings)` runs index.handler once and returns a Run (sandbox stopped)."""

    def run(scenario, settings: dict | None = None, payload=None, event: dict | None = None,
            anchor: str = ANCHOR, timeout: int = 300, context_credentials: bool = True,
            oss: dict | None = None, request_id: str = "demo-request-0001", fc: dict | None = None,
            before_stop=None, clones=None) -> Run:
        caplog.set_level(logging.DEBUG)
        for name in list(os.environ):
            if name in NAMES or name.startswith("ALIBABA_CLOUD_"):
                monkeypatch.delenv(name)
        # `oss`: the archive bucket's objects (turns ARCHIVE_OSS_BUCKET on); the same dict across runs is
        # the same bucket, day after day.
        # `fc`: the FC emulator's options (its faults); the async tasks a run starts (its pieces) are waited for
        # before the sandbox stops. `before_stop(sb)`: what the test does then, the sandbox still up.
        # `clones`: a restore test's clones and the service's behaviour (sandbox.kvstore_restore.Clones), across runs.
        with sandbox.start(scenario, anchor=anchor, oss_objects=oss, fc_options=fc, clones=clones) as sb:
            env = {**sb.env(), **(sb.archive_env() if oss is not None else {}), "INSTANCE_TAGS": "backup-report=daily",
                   **(settings or {})}
            if context_credentials:
                for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                             "ALIBABA_CLOUD_SECURITY_TOKEN"):
                    env.pop(name)
            for name, value in env.items():
                if value is not None:
                    monkeypatch.setenv(name, str(value))
            if event is None:
                body = {"triggerTime": anchor, "triggerName": "daily",
                        "payload": payload if isinstance(payload, str) else json.dumps(payload or {})}
            else:
                body = event
            creds = sb.credentials if context_credentials else _NoCredentials
            context = fc_context(creds, region="cn-hangzhou", timeout=timeout, request_id=request_id)
            result, error = None, None
            try:
                result = json.loads(index.handler(json.dumps(body).encode(), context))
            except Exception as exc:  # the test decides whether an error was expected
                error = exc
            assert sb.fc.wait(60), "the run's async tasks did not end"
            if before_stop is not None:
                before_stop(sb)
            outcome = Run(sb, result, error, caplog.text, secrets_of(sb, env))
        # The report page's pre-signed link carries the STS key ID and token by design (OSS's V4 query
        # signature): they are masked here, and the AccessKey secret is still looked for everywhere.
        texts = [SIGNED_LINK.sub(r"\1=…", json.dumps(m, ensure_ascii=False))
                 for m in outcome.dingtalk + outcome.slack + outcome.feishu + outcome.wecom]
        texts += [json.dumps(result or {}, ensure_ascii=False), str(error or ""), repr(error), caplog.text]
        texts += [r.getMessage() for r in caplog.records]
        leaked = leaks(texts, outcome.secrets)
        assert not leaked, f"a secret leaked into a message, the result, an error or a log line: {leaked}"
        return outcome

    return run


class _NoCredentials:
    access_key_id = access_key_secret = security_token = ""


def keep_urllib3_at_debug(monkeypatch) -> None:
    """urllib3 at DEBUG logs every request line, query string included: the R-KVStore calls and the
    webhook posts (requests), DingTalk's access_token with them. The function turns it down to INFO;
    here it stays at DEBUG, so only the scrubbing stands between its records and the handlers."""
    urllib3 = logging.getLogger("urllib3")
    monkeypatch.setattr(urllib3, "level", urllib3.level)  # restored after the test
    urllib3.setLevel(logging.DEBUG)
    monkeypatch.setattr(urllib3, "setLevel", lambda level: None)
