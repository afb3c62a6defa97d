"""`check`'s settings table: every setting once, in the settings' order, and no secret in any row."""
from __future__ import annotations

import pytest

from backup_report.cli import describe
from backup_report.settings import NAMES, load_settings

SECRETS = {
    "DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send?access_token=dt-token-0123456789abcdef",
    "DINGTALK_SECRET": "SECdingtalk-signing-secret-0123456789",
    "SLACK_WEBHOOK": "https://hooks.slack.com/services/T0SECRET/B0SECRET/slack-token-0123456789",
    "FEISHU_WEBHOOK": "https://open.feishu.cn/open-apis/bot/v2/hook/feishu-hook-0123456789",
    "FEISHU_SECRET": "feishu-signing-secret-0123",
    "WECOM_WEBHOOK": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-0123456789",
    "HEARTBEAT_URL": "https://hc-ping.com/5b1d0c3e-0000-4000-8000-0123456789ab",
}
BASE = {"INSTANCE_TAGS": "backup-report=daily,team", "REGIONS": "cn-hangzhou,cn-shanghai"}


def rows(**env: str) -> dict[str, str]:
    return dict(describe(load_settings({**BASE, **env})))


def test_no_row_carries_a_secret_or_a_part_of_one():
    shown = "\n".join(f"{name} {value}" for name, value in describe(load_settings({**BASE, **SECRETS})))
    for name, secret in SECRETS.items():
        assert secret not in shown, name
    for part in ("dt-token", "SECdingtalk", "T0SECRET", "slack-token", "feishu-hook", "feishu-signing", "wecom-key",
                 "5b1d0c3e", "access_token", "/robot/", "/services/"):
        assert part not in shown, part


def test_webhooks_and_the_heartbeat_show_their_host_only():
    shown = rows(**SECRETS)
    assert shown["DINGTALK_WEBHOOK"] == "https://oapi.dingtalk.com/… (token hidden)"
    assert shown["SLACK_WEBHOOK"] == "https://hooks.slack.com/… (token hidden)"
    assert shown["FEISHU_WEBHOOK"] == "https://open.feishu.cn/… (token hidden)"
    assert shown["WECOM_WEBHOOK"] == "https://qyapi.weixin.qq.com/… (token hidden)"
    assert shown["HEARTBEAT_URL"] == "https://hc-ping.com/… (check hidden)"


def test_signing_secrets_say_only_whether_posts_are_signed():
    shown = rows(**SECRETS)
    assert shown["DINGTALK_SECRET"] == shown["FEISHU_SECRET"] == "set (hidden): posts are signed"
    unsigned = rows(SLACK_WEBHOOK=SECRETS["SLACK_WEBHOOK"])
    assert unsigned["DINGTALK_SECRET"] == unsigned["FEISHU_SECRET"] == "not set: posts are not signed"


def test_what_is_not_set_says_so():
    shown = rows(SLACK_WEBHOOK=SECRETS["SLACK_WEBHOOK"])
    assert shown["DINGTALK_WEBHOOK"] == shown["FEISHU_WEBHOOK"] == shown["WECOM_WEBHOOK"] == "not set"
    assert shown["HEARTBEAT_URL"] == "not set: no heartbeat"
    assert shown["DINGTALK_AT_MOBILES"] == "nobody"
    assert shown["KVSTORE_ENDPOINT"] == "the SDK's endpoint for each region"
    assert shown["API_QUOTAS"] == "the published quotas (cloud/pacing.py)"


def test_mobiles_keep_their_first_three_and_last_four_digits():
    shown = rows(DINGTALK_WEBHOOK=SECRETS["DINGTALK_WEBHOOK"], DINGTALK_AT_MOBILES="13800001234,13912345678")
    assert shown["DINGTALK_AT_MOBILES"] == "138****1234, 139****5678"


def test_plain_settings_read_as_they_were_set():
    shown = rows(SLACK_WEBHOOK=SECRETS["SLACK_WEBHOOK"], API_QUOTAS="DescribeBackups=100/60,DescribeRegions=5/1.5",
                 KVSTORE_ENDPOINT="127.0.0.1:8080", KVSTORE_PROTOCOL="http", LOOKBACK_HOURS="36")
    assert shown["INSTANCE_TAGS"] == "backup-report=daily,team"  # a key alone: any value
    assert shown["REGIONS"] == "cn-hangzhou,cn-shanghai"
    assert shown["API_QUOTAS"] == "DescribeBackups=100/60, DescribeRegions=5/1.5"
    assert shown["KVSTORE_ENDPOINT"] == "127.0.0.1:8080"
    assert shown["LOOKBACK_HOURS"] == "36"


def test_every_setting_is_shown_once_in_the_settings_order():
    names = [name for name, _ in describe(load_settings({**BASE, **SECRETS}))]
    assert len(names) == len(set(names))
    assert [n for n in names if n in NAMES] == list(NAMES)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_secret_alone_is_hidden(name):
    env = {name: SECRETS[name]}
    if name.endswith("_SECRET"):  # a signing secret needs its robot
        env[name.replace("_SECRET", "_WEBHOOK")] = SECRETS[name.replace("_SECRET", "_WEBHOOK")]
    elif name == "HEARTBEAT_URL":
        env["SLACK_WEBHOOK"] = SECRETS["SLACK_WEBHOOK"]  # a channel, so the settings load
    shown = "\n".join(value for _, value in describe(load_settings({**BASE, **env})))
    assert SECRETS[name] not in shown


def test_a_setting_left_empty_says_not_set_rather_than_nothing():
    shown = rows(**SECRETS)
    for name in ("ACCOUNTS", "ARCHIVE_OSS_BUCKET", "ARCHIVE_OSS_ENDPOINT", "REPORT_LINK_HOST", "OWNER_TAG"):
        assert shown[name] == "not set", name
    assert all(value.strip() for value in shown.values()), shown
