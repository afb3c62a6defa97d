"""Outside text is shown exactly and forms nothing: every channel's posted message, read back as its
client shows it (tests/unit/channels/shown.py), holds each instance's name as the API gave it, links
only to the run's own URLs and notifies only the configured mentions."""
from __future__ import annotations

import re

import pytest

from conftest import fleet, instance
from unit.channels import shown

from .test_delivery import timed

NAMES = [
    "cart_cache", "a*b*c", "x~y~", "`tick`", "#1", "[link](http://evil)", "<@U123>", "<!channel>", "@all",
    "<at id=all></at>", "http://evil.example/", "**bold** <font color=red>red</font> ![img](https://evil.example/a.png)",
    "_it_ ~strike~ `code` > quote | pipe # hash", "&amp; &lt;b&gt; &#42; \\*x\\*", ":smile: :OK:", "``double`` `",
    "@13800000000 please", "www.evil.example",
]
# Made one clean line by the run (channels/base.clean): controls and line breaks as spaces, bidi controls gone.
CLEANED = {"evil\n#### 🟢 Redis backups: all fine\n- fake-ok (r-fake, cn-hangzhou): ok":
           "evil #### 🟢 Redis backups: all fine - fake-ok (r-fake, cn-hangzhou): ok",
           "bidi\u202eemanresu\u2028line\u2029para\x00nul\x1besc\ttab\rcr": "bidiemanresu line para nul esc tab cr"}
OWNER = "team_*a*<@U9>"  # OWNER_TAG's value, shown as "team: <value>"
CONSOLE = re.compile(r"^https://kvstore\.console\.aliyun\.com/Redis/instance/cn-hangzhou/r-hostile\d+$")


@pytest.fixture(scope="module")
def names():
    return NAMES + list(CLEANED)


def test_every_channel_shows_every_name_exactly_and_forms_no_markup_link_or_mention(report, names):
    instances = [instance(f"r-hostile{n}", name=name, latest={"status": "Failed"}, tags={"backup-report": "daily",
                                                                                            "team": OWNER})
                 for n, name in enumerate(names)]
    run = timed(report, fleet(*instances), settings={"OWNER_TAG": "team", "DINGTALK_AT_MOBILES": "13800000000",
                                                     "SLACK_MENTION": "<!here>", "WECOM_MENTION_USERIDS": "zhangsan",
                                                     "FEISHU_MENTION": "ou_0123456789abcdef"})
    assert [d["ok"] for d in run.result["deliveries"]] == [True] * 4
    readers = {"dingtalk": (shown.dingtalk, ["@13800000000"]), "slack": (shown.slack, ["!here", "!here"]),
               "feishu": (shown.feishu, ["ou_0123456789abcdef"]), "wecom": (shown.wecom, ["<@zhangsan>"])}
    for channel, (read, mentions) in readers.items():
        seen = read(getattr(run, channel)[0])
        lines, left_out = seen.text.split("\n"), 0
        for n, name in enumerate(names):
            exact = CLEANED.get(name, name)
            if channel == "wecom":  # its <@ mention has no literal form (channels/wecom.py)
                exact = exact.replace("<@", "\u2039@")
            line = next((line for line in lines if f"(r-hostile{n}, " in line), None)
            if line is None and channel == "wecom":  # 4,096 bytes do not hold them all: the rest counted
                left_out += 1
                continue
            assert line is not None and line.startswith(exact + f" (r-hostile{n}, cn-hangzhou, "), (channel, name, line)
            owner = "team: " + (OWNER.replace("<@", "\u2039@") if channel == "wecom" else OWNER)
            assert f", {owner}): " in line, (channel, line)
        assert seen.markup == [], (channel, seen.markup)
        assert left_out < len(names) // 2 and (not left_out or f"…and {left_out} more" in seen.text)
        assert all(CONSOLE.match(url) for url in seen.links), (channel, seen.links)
        assert len(seen.links) == len(names) - left_out, (channel, seen.links)
        assert seen.mentions == mentions, (channel, seen.mentions)


def test_a_settings_alert_names_the_setting_exactly_in_every_channel(report):
    run = timed(report, fleet(), settings={"LOOKBACK_HOURS": "36h"})
    said = "LOOKBACK_HOURS='36h' is invalid: a whole number from 1 to 168"
    for channel, read in (("dingtalk", shown.dingtalk), ("slack", shown.slack), ("feishu", shown.feishu),
                          ("wecom", shown.wecom)):
        seen = read(getattr(run, channel)[0])
        assert said in seen.text, channel
        assert seen.markup == [], (channel, seen.markup)


def test_outside_text_in_the_headline_forms_nothing_anywhere(report):
    run = timed(report, fleet(), settings={"INSTANCE_TAGS": "team=a<b>&c *x* <!here> <@all>"})
    tags = "a<b>&c *x* <!here> <@all>"
    assert run.slack[0]["text"] == "🟠 Redis backups: see the message", "mrkdwn has no escape for *"
    for channel, read in (("dingtalk", shown.dingtalk), ("slack", shown.slack), ("feishu", shown.feishu),
                          ("wecom", shown.wecom)):
        seen = read(getattr(run, channel)[0])
        exact = tags.replace("<@", "\u2039@") if channel == "wecom" else tags
        assert f"no instance found (tags team={exact} in cn-hangzhou)" in seen.text, channel
        assert seen.markup == [] and seen.mentions == [] and seen.links == [], (channel, seen)
