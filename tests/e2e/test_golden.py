"""Golden files: exactly what the demo fleet's DingTalk, Slack, Feishu and WeCom messages say.

The README (DingTalk's) and docs/messages.md (the others) show these same files. After an intended change of wording, regenerate them with
`UPDATE_GOLDEN=1 make test` and read the diff as a reader of the channel would.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from sandbox.demo import DEMO_SETTINGS, show_dingtalk, show_feishu, show_slack, show_wecom

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SETTINGS = {**DEMO_SETTINGS, "REGIONS": "cn-hangzhou,cn-shanghai"}


def check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed; see the module docstring"


def test_the_demo_dingtalk_message_reads_as_the_golden_file(report):
    run = report("demo", settings=SETTINGS)
    check("demo-dingtalk.md", show_dingtalk(run.dingtalk[0]) + "\n")
    check("demo-dingtalk.json", json.dumps(run.dingtalk[0], ensure_ascii=False, indent=2) + "\n")


def test_the_demo_slack_message_reads_as_the_golden_file(report):
    run = report("demo", settings=SETTINGS)
    check("demo-slack.txt", show_slack(run.slack[0]) + "\n")
    check("demo-slack.json", json.dumps(run.slack[0], ensure_ascii=False, indent=2) + "\n")


def test_the_demo_feishu_card_reads_as_the_golden_file(report):
    run = report("demo", settings=SETTINGS)
    card = dict(run.sandbox.feishu.messages[0])
    timestamp, sign = card.pop("timestamp"), card.pop("sign")  # they change with every run
    assert timestamp and sign, "the demo bot signs"
    check("demo-feishu.txt", show_feishu(card) + "\n")
    check("demo-feishu.json", json.dumps(card, ensure_ascii=False, indent=2) + "\n")


def test_the_demo_wecom_message_reads_as_the_golden_file(report):
    run = report("demo", settings=SETTINGS)
    check("demo-wecom.md", show_wecom(run.sandbox.wecom.messages[0]) + "\n")
    check("demo-wecom.json", json.dumps(run.sandbox.wecom.messages[0], ensure_ascii=False, indent=2) + "\n")
