"""What a misspelled or mispasted setting is told: the setting meant, and what is wrong with a hidden value."""
from __future__ import annotations

import pytest

from backup_report.settings import SettingsError, load_settings, misspellings

BASE = {"INSTANCE_TAGS": "backup-report=daily", "REGIONS": "cn-hangzhou",
        "SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/slacktoken0123456789"}
TOKEN = "0123456789abcdef0123456789abcdef"


def problems(env: dict, payload: dict | None = None) -> list[str]:
    with pytest.raises(SettingsError) as refused:
        load_settings({**BASE, **env}, payload)
    return refused.value.problems


def test_a_missing_instance_tags_names_the_variable_spelt_like_it():
    env = {k: v for k, v in BASE.items() if k != "INSTANCE_TAGS"}
    with pytest.raises(SettingsError) as refused:
        load_settings({**env, "INSTANCE_TAG": "backup-report=daily"})
    assert refused.value.problems == [
        "INSTANCE_TAGS is required: key=value[,key=value…] (at most 5 pairs); the environment has INSTANCE_TAG, "
        "which is not a setting: did you mean INSTANCE_TAGS?"]


def test_no_channel_names_the_webhook_variable_spelt_like_a_setting():
    with pytest.raises(SettingsError) as refused:
        load_settings({"INSTANCE_TAGS": "a=b", "REGIONS": "cn-hangzhou", "REGION": "cn-hangzhou",
                       "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x"})
    [problem] = refused.value.problems
    assert problem.endswith("; the environment has SLACK_WEBHOOK_URL, which is not a setting: did you mean "
                            "SLACK_WEBHOOK?")
    assert "slack.com" not in problem


def test_s_yaml_s_region_and_fc_s_own_variables_are_not_misspellings():
    assert misspellings({"REGION": "cn-hangzhou", "FC_REGION": "cn-hangzhou", "FC_ACCOUNT_ID": "1", "PATH": "/bin",
                         "INSTANCE_TAG": "a", "SLACK_WEBHOOK_URL": "x", "DINGTALK_WEBHOK": ""}) == [
        ("INSTANCE_TAG", "INSTANCE_TAGS"), ("SLACK_WEBHOOK_URL", "SLACK_WEBHOOK")]


def test_a_misspelled_payload_key_names_the_key_meant():
    [problem] = problems({}, {"instance_tag": "team=b"})
    assert problem.startswith("payload key 'instance_tag' is not a setting (did you mean 'instance_tags'?); "
                              "accepted keys: instance_tags, regions,")


def test_a_region_in_capitals_or_with_underscores_is_told_its_form():
    problem = problems({"REGIONS": "cn-hangzhou,CN_SHANGHAI"})[0]  # then: REGIONS is required (none read)
    assert problem == ("REGIONS='cn-hangzhou,CN_SHANGHAI' is invalid: CN_SHANGHAI (did you mean cn-shanghai?): "
                       "region IDs look like cn-hangzhou, ap-southeast-1")


@pytest.mark.parametrize("value, shown, says", [
    (f"'https://oapi.dingtalk.com/robot/send?access_token={TOKEN}'", "\"'https://oapi.dingtalk.com/…'\"",
     "it is in quotes, which became part of the value"),
    (f"oapi.dingtalk.com/robot/send?access_token={TOKEN}", "'oapi.dingtalk.com/…'", "it does not start with https://"),
    (f"<https://oapi.dingtalk.com/robot/send?access_token={TOKEN}>", "'<https://oapi.dingtalk.com/…>'",
     "it is in <…>, as a chat window shows a link"),
])
def test_a_mispasted_webhook_says_what_is_wrong_with_it_without_its_token(value, shown, says):
    [problem] = problems({"DINGTALK_WEBHOOK": value})
    assert problem.startswith(f"DINGTALK_WEBHOOK={shown} is invalid: an https URL like ")
    assert says in problem
    assert TOKEN not in problem and "access_token=0" not in problem


def test_a_quoted_signing_secret_shows_its_quotes_and_nothing_of_it():
    secret = "SEC" + TOKEN
    [problem] = problems({"DINGTALK_WEBHOOK": f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}",
                          "DINGTALK_SECRET": f'"{secret}"'})
    assert problem.startswith("DINGTALK_SECRET='\"***\"' is invalid: the robot's signing secret as DingTalk shows it")
    assert "it is in quotes" in problem and TOKEN not in problem


def test_a_signing_secret_with_a_space_inside_says_so():
    [problem] = problems({"FEISHU_WEBHOOK": f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}",
                          "FEISHU_SECRET": "abcd efgh ijkl"})
    assert problem.startswith("FEISHU_SECRET='***' is invalid") and "it has a space, tab or line break" in problem
    assert "abcd" not in problem


def test_a_payload_webhook_in_quotes_says_so_too():
    env = {"PAYLOAD_SETTINGS": "SLACK_WEBHOOK"}
    [problem] = problems(env, {"slack_webhook": f"'https://hooks.slack.com/services/T0/B0/{TOKEN}'"})
    assert "(payload key 'slack_webhook') is invalid" in problem and "it is in quotes" in problem
    assert TOKEN not in problem


@pytest.mark.parametrize("name", ["CONSOLE", "SLACK_MENTION", "REGIONS", "NOTIFY_ON", "TIMEZONE", "OWNER_TAG"])
def test_a_webhook_pasted_into_a_setting_that_is_no_secret_is_refused_by_its_host_only(name):
    # The value of a setting that is no secret is quoted in full, but a webhook pasted into the wrong line of an
    # env file carries its token: the problem shows the URL's host, never its path or query.
    found = problems({name: f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"})
    assert any(p.startswith(f"{name}='https://oapi.dingtalk.com/…' is invalid: ") for p in found), found
    assert not any(TOKEN[:8] in p for p in found)


def test_a_url_in_instance_tags_is_refused_since_no_tag_may_hold_one():
    # Alibaba Cloud's tag rule: a key or value "cannot contain http:// or https://"; such a tag selects nothing,
    # and INSTANCE_TAGS is shown in every message's footer.
    found = problems({"INSTANCE_TAGS": f"https://hooks.slack.com/services/T0/B0/{TOKEN}"})
    assert found == ["INSTANCE_TAGS='https://hooks.slack.com/…' is invalid: a tag key or value holds no http:// or "
                     "https:// (Alibaba Cloud's tag rule), so no instance carries this one: key=value[,key=value…]"]
