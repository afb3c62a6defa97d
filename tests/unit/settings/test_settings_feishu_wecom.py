"""FEISHU_WEBHOOK, FEISHU_SECRET, WECOM_WEBHOOK and WECOM_MENTION_USERIDS: refused with the setting
named and the accepted form shown, before any API call, never quoting a token or the secret."""
from __future__ import annotations

import pytest

from backup_report import settings as cfg

HOOK = "0f1e2d3c-4b5a-6978-8796-feishutoken01"
KEY = "5a6b7c8d-0000-4000-8000-wecomkey0001"
SECRET = "feishuSecret0123"
FEISHU = f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}"
WECOM = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
BASE = {cfg.INSTANCE_TAGS: "backup-report=daily", cfg.REGIONS: "cn-hangzhou"}


def problems(**settings: str) -> list[str]:
    try:
        cfg.load_settings({**BASE, **settings})
    except cfg.SettingsError as error:
        assert all(s not in p for p in error.problems for s in (HOOK, KEY, SECRET)), "a secret was quoted"
        return error.problems
    return []


def refused(name: str, value: str, *says: str, **others: str) -> str:
    found = [p for p in problems(**{name: value}, **others) if p.startswith(name)]
    assert found, f"{name}={value!r} was accepted"
    for text in says:
        assert text in found[0], found[0]
    return found[0]


@pytest.mark.parametrize("url", [FEISHU, FEISHU.replace("open.feishu.cn", "open.larksuite.com")],
                         ids=["feishu", "lark"])
def test_a_feishu_or_lark_bot_alone_is_a_channel(url):
    settings = cfg.load_settings({**BASE, cfg.FEISHU_WEBHOOK: url, cfg.FEISHU_SECRET: SECRET})
    assert (settings.feishu_webhook, settings.feishu_secret) == (url, SECRET)
    assert HOOK not in repr(settings) and SECRET not in repr(settings)


def test_a_wecom_robot_alone_is_a_channel_and_its_key_is_hidden():
    settings = cfg.load_settings({**BASE, cfg.WECOM_WEBHOOK: WECOM, cfg.WECOM_MENTION_USERIDS: "zhangsan, li.si"})
    assert settings.wecom_mention_userids == ("zhangsan", "li.si")
    assert KEY not in repr(settings)


@pytest.mark.parametrize("url,says", [
    (f"http://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}", "https URL"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/", "ends in its token"),
    (f"https://open.feishu.cn/open-apis/bot/v1/hook/{HOOK}", "ends in its token"),
    (f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}?x=1", "ends in its token"),
    (f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}/extra", "ends in its token"),
    (f"https://open.feishu.cn/proxy/open-apis/bot/v2/hook/{HOOK}", "ends in its token"),
    (f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}#frag", "fragment"),
])
def test_a_feishu_webhook_of_another_shape_is_refused(url, says):
    found = refused(cfg.FEISHU_WEBHOOK, url, says, "open.feishu.cn/open-apis/bot/v2/hook/", "open.larksuite.com")
    assert HOOK not in found


@pytest.mark.parametrize("url,says", [
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "needs its key"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=", "needs its key"),
    (f"https://qyapi.weixin.qq.com/cgi-bin/message/send?key={KEY}", "needs its key"),
    (f"ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}", "https URL"),
])
def test_a_wecom_webhook_of_another_shape_is_refused(url, says):
    refused(cfg.WECOM_WEBHOOK, url, says, "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=")


def test_a_feishu_secret_with_spaces_is_refused_without_quoting_it():
    found = refused(cfg.FEISHU_SECRET, "feishu Secret 0123", "signing secret", **{cfg.FEISHU_WEBHOOK: FEISHU})
    assert "feishu Secret" not in found and "***" in found


@pytest.mark.parametrize("text,says", [
    ("zhangsan,13800000000x,-lead", "'-lead'"),
    ("@all", "'@all'"),
    ("zhang san", "'zhang san'"),
    (",".join(f"user{n}" for n in range(21)), "21 userids; at most 20"),
])
def test_mention_userids_of_another_shape_are_refused(text, says):
    found = refused(cfg.WECOM_MENTION_USERIDS, text, says, "a markdown message cannot @ a mobile number"
                    if "at most" not in says else "4,096-byte", **{cfg.WECOM_WEBHOOK: WECOM})
    assert cfg.WECOM_MENTION_USERIDS in found


@pytest.mark.parametrize("text,mention", [
    ("all", ("all",)), ("ou_0123456789abcdef, ou_fedcba9876543210", ("ou_0123456789abcdef", "ou_fedcba9876543210")),
])
def test_feishu_mentions_are_all_or_open_ids(text, mention):
    url = f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}"
    settings = cfg.load_settings({**BASE, cfg.FEISHU_WEBHOOK: url, cfg.FEISHU_MENTION: text})
    assert settings.feishu_mention == mention


@pytest.mark.parametrize("text,says", [
    ("zhangsan", "'zhangsan'"), ("all,ou_0123456789abcdef", "'all'"), ("@all", "'@all'"),
    (",".join(f"ou_0123456789abc{n:03d}" for n in range(21)), "21 open_ids; at most 20"),
])
def test_feishu_mentions_of_another_shape_are_refused(text, says):
    url = f"https://open.feishu.cn/open-apis/bot/v2/hook/{HOOK}"
    found = refused(cfg.FEISHU_MENTION, text, says, "open_ids like ou_" if "at most" not in says else "at most",
                    **{cfg.FEISHU_WEBHOOK: url})
    assert cfg.FEISHU_MENTION in found


def test_the_options_of_a_channel_without_its_webhook_are_refused_and_no_channel_names_all_four():
    found = problems(**{cfg.FEISHU_SECRET: SECRET, cfg.WECOM_MENTION_USERIDS: "zhangsan"})
    assert f"{cfg.FEISHU_SECRET} / {cfg.FEISHU_MENTION} are set but {cfg.FEISHU_WEBHOOK} is not" in found
    assert f"{cfg.WECOM_MENTION_USERIDS} is set but {cfg.WECOM_WEBHOOK} is not" in found
    no_channel = next(p for p in found if p.startswith("no channel"))
    assert all(n in no_channel for n in (cfg.DINGTALK_WEBHOOK, cfg.SLACK_WEBHOOK, cfg.FEISHU_WEBHOOK, cfg.WECOM_WEBHOOK))
