"""What every webhook channel shares, through the registry: built from its settings (None when its
webhook is not set), it renders, and it sends through the Transport with its own URL, body and answer
reading, its secrets scrubbed from what the service says. A recording transport: no socket."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from backup_report.channels import base, dingtalk, feishu, slack, wecom
from backup_report.channels.http import Answer
from backup_report.model import Delivery
from backup_report.settings import Settings

from .channel_digests import digest

DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=" + "d" * 64
SLACK = "https://hooks.slack.com/services/T0000AAAA/B0000BBBB/" + "s" * 24
FEISHU = "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"
ALL = dict(dingtalk_webhook=DINGTALK, dingtalk_secret="SEC" + "k" * 40, dingtalk_at_mobiles=("13800000000",),
           slack_webhook=SLACK, slack_mention=("<!here>",), feishu_webhook=FEISHU, feishu_secret="f" * 20,
           wecom_webhook=WECOM, wecom_mention_userids=("zhangsan",))


def settings(**values) -> Settings:
    return Settings(instance_tags=(("backup-report", "daily"),), regions=("cn-hangzhou",), **values)


class Recording:
    """A Transport that records each delivery and answers it with `answer`."""

    def __init__(self, answer: Answer) -> None:
        self.answer, self.posts = answer, []

    def deliver(self, channel, url, body, read) -> Delivery:
        self.posts.append((channel, url(), body))
        refusal = read(self.answer)
        return Delivery(channel, refusal is None, error=refusal.error if refusal else "")


def test_the_registry_builds_the_channels_whose_webhook_is_set_in_its_order():
    transport = Recording(Answer(200, {}, b"ok"))
    assert [c.name for c in base.configured(settings(**ALL), transport)] == ["dingtalk", "slack", "feishu", "wecom"]
    assert [c.name for c in base.configured(settings(wecom_webhook=WECOM, slack_webhook=SLACK), transport)] \
        == ["slack", "wecom"]
    assert base.configured(settings(), transport) == []
    assert base.REGISTRY == ("dingtalk", "slack", "feishu", "wecom")


@pytest.mark.parametrize("module", [dingtalk, slack, feishu, wecom])
def test_no_webhook_no_channel(module):
    others = {k: v for k, v in ALL.items() if not k.startswith(module.NAME)}
    assert module.from_settings(settings(**others), Recording(Answer(200, {}, b""))) is None


@pytest.mark.parametrize("module,mentions,mentioned", [
    (dingtalk, ("13800000000",), "@13800000000"), (slack, ("<!here>",), "<!here>"), (feishu, None, None),
    (wecom, ("zhangsan",), "<@zhangsan>")])
def test_a_channel_renders_with_its_mentions(module, mentions, mentioned):
    channel = module.from_settings(settings(**ALL), Recording(Answer(200, {}, b"")))
    assert channel.name == module.NAME
    message = channel.render(digest(1))
    assert message == (module.render(digest(1)) if mentions is None else module.render(digest(1), mentions))
    if mentioned:
        assert mentioned in json.dumps(message, ensure_ascii=False)


def test_dingtalk_posts_the_message_to_its_url_signed_at_each_attempt():
    transport = Recording(Answer(200, {}, b'{"errcode":0,"errmsg":"ok"}'))
    channel = dingtalk.from_settings(settings(**ALL), transport)
    message = channel.render(digest(1))
    assert channel.send(message) == Delivery("dingtalk", True)
    name, url, body = transport.posts[0]
    assert name == "dingtalk" and url.startswith(DINGTALK + "&timestamp=") and "&sign=" in url
    assert set(parse_qs(urlsplit(url).query)) == {"access_token", "timestamp", "sign"}
    assert body == base.body_bytes(message)
    unsigned = dingtalk.from_settings(settings(dingtalk_webhook=DINGTALK), transport)
    unsigned.send(message)
    assert transport.posts[1][1] == DINGTALK


def test_feishu_signs_the_body_once_and_posts_it_to_its_webhook():
    transport = Recording(Answer(200, {}, b'{"code":0,"msg":"success","data":{}}'))
    channel = feishu.from_settings(settings(**ALL), transport)
    message = channel.render(digest(1))
    assert channel.send(message) == Delivery("feishu", True)
    _, url, body = transport.posts[0]
    posted = json.loads(body)
    assert url == FEISHU and set(posted) == {"timestamp", "sign", *message}
    assert {k: v for k, v in posted.items() if k not in ("timestamp", "sign")} == message
    assert posted["sign"] == feishu.sign(ALL["feishu_secret"], int(posted["timestamp"]))
    feishu.from_settings(settings(feishu_webhook=FEISHU), transport).send(message)
    assert json.loads(transport.posts[1][2]) == message


@pytest.mark.parametrize("module,hook,ok", [(slack, SLACK, b"ok"), (wecom, WECOM, b'{"errcode":0,"errmsg":"ok"}')])
def test_slack_and_wecom_post_the_message_as_is_to_their_webhook(module, hook, ok):
    transport = Recording(Answer(200, {}, ok))
    channel = module.from_settings(settings(**ALL), transport)
    message = channel.render(digest(1))
    assert channel.send(message) == Delivery(module.NAME, True)
    assert transport.posts == [(module.NAME, hook, base.body_bytes(message))]


@pytest.mark.parametrize("module,hook,said,secret", [
    (dingtalk, DINGTALK, lambda s: json.dumps({"errcode": 300001, "errmsg": f"token {s} is not exist"}), "d" * 64),
    (dingtalk, DINGTALK, lambda s: json.dumps({"errcode": 310000, "errmsg": f"sign not match {s}"}), "SEC" + "k" * 40),
    (slack, SLACK, lambda s: f"no_service {s}", SLACK),
    (feishu, FEISHU, lambda s: json.dumps({"code": 19021, "msg": f"sign {s}"}), "f" * 20),
    (feishu, FEISHU, lambda s: json.dumps({"code": 19001, "msg": f"token {s}"}), "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"),
    (wecom, WECOM, lambda s: json.dumps({"errcode": 93000, "errmsg": f"key {s}"}), "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"),
])
def test_the_channels_secrets_are_scrubbed_from_what_the_service_says(module, hook, said, secret):
    transport = Recording(Answer(200 if module is not slack else 404, {}, said(secret).encode()))
    delivery = module.from_settings(settings(**ALL), transport).send({"x": 1})
    assert not delivery.ok and "***" in delivery.error and secret not in delivery.error
