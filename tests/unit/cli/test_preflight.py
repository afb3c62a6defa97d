"""cli/preflight.py and cli/syaml.py: the shipped s.yaml checked offline with a shell's environment, as
`check --deploy` prints it: a good environment passes, a bad one lists every problem at once, and no secret
is ever printed."""
from __future__ import annotations

from pathlib import Path

import pytest

from backup_report import cli
from backup_report.cli import preflight, syaml

REPO = Path(__file__).resolve().parents[3]
SYAML = (REPO / "s.yaml").read_text()
SCHEMA = preflight.load_schema()
TOKEN = "0123456789abcdef0123456789abcdef"
GOOD = {"REGION": "cn-hangzhou", "FC_ROLE_ARN": "acs:ram::1234567890123456:role/redis-backup-report",
        "INSTANCE_TAGS": "backup-report=daily", "REGIONS": "cn-hangzhou,cn-shanghai",
        "DINGTALK_WEBHOOK": f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}",
        "DINGTALK_SECRET": f"SEC{TOKEN}", "SLACK_WEBHOOK": f"https://hooks.slack.com/services/T0/B0/{TOKEN}"}


def checked(environ: dict, text: str = SYAML) -> preflight.Report:
    return preflight.inspect(text, environ, SCHEMA)


def test_a_good_environment_passes_and_the_plan_shows_what_deploy_creates_without_a_secret():
    report = checked(GOOD)
    assert report.problems == [] and report.warnings == []
    plan = "\n".join(report.plan)
    assert "function  redis-backup-report in cn-hangzhou: python3.10, 256 MB, timeout 300 s" in plan
    assert "role      acs:ram::1234567890123456:role/redis-backup-report" in plan
    assert "trigger   daily (timer): CRON_TZ=Asia/Shanghai " in plan and "trigger   collect (timer): " in plan
    assert "async     2 retries, events kept 3600 s, async tasks on, on failure: no destination" in plan
    assert "https://oapi.dingtalk.com/… (token hidden)" in plan and "set (hidden): posts are signed" in plan
    assert TOKEN not in plan


def test_a_bad_environment_lists_every_problem_at_once():
    bad = {**GOOD, "REGION": "cn-hangzou", "FC_ROLE_ARN": "redis-backup-report", "LOOKBACK_HOURS": "two days",
           "SLACK_WEBHOOK": f"http://hooks.slack.com/services/T0/B0/{TOKEN}"}
    del bad["INSTANCE_TAGS"]
    problems = checked(bad).problems
    assert problems[0].startswith("INSTANCE_TAGS is not set, and s.yaml gives it no default "
                                  "(resources.backup-report.props.environmentVariables.INSTANCE_TAGS)")
    assert "REGION='cn-hangzou' is not a region fc3 deploys to: did you mean cn-hangzhou?" in problems[1]
    assert problems[2] == ("FC_ROLE_ARN='redis-backup-report' is a role's name; FC takes the role's ARN: "
                           "acs:ram::<account-id>:role/redis-backup-report (CreateRole prints it as Arn; "
                           "`aliyun ram GetRole --RoleName redis-backup-report` shows it)")
    assert problems[3].startswith("environment: LOOKBACK_HOURS='two days' is invalid: a whole number from 1 to 168")
    assert problems[4].startswith("environment: SLACK_WEBHOOK='http://hooks.slack.com/…' is invalid")
    assert len(problems) == 5, problems  # INSTANCE_TAGS once, not again as "required"
    assert not any(TOKEN in p for p in problems)


def test_every_unset_required_variable_is_named_not_only_the_first():
    problems = checked({}).problems
    assert [p.split(" ", 1)[0] for p in problems if " is not set, " in p] == ["FC_ROLE_ARN", "INSTANCE_TAGS"]
    assert "environment: no channel: set one or more of DINGTALK_WEBHOOK" in problems[-1]


def edited(old: str, new: str) -> str:
    assert old in SYAML
    return SYAML.replace(old, new, 1)


def test_a_five_field_cron_is_refused_with_the_six_field_form():
    text = edited("cronExpression: CRON_TZ=Asia/Shanghai 0 */15 * * * *", "cronExpression: '*/15 * * * *'")
    [problem] = checked(GOOD, text).problems
    assert problem.startswith("trigger 'collect' cronExpression '*/15 * * * *': 5 fields, a crontab line; FC's cron "
                              "has 6, seconds first: `second minute hour day month weekday`")


def test_a_payload_is_checked_against_the_settings_and_who_may_set_them():
    text = edited("payload: '{}'", """payload: '{"kvstore_endpoint": "10.0.0.1", "lookback_hour": "48"}'""")
    assert checked(GOOD, text).problems == [
        "trigger 'daily' payload: payload key 'kvstore_endpoint': KVSTORE_ENDPOINT can only be set in the function's "
        "environment (s.yaml), never by an event's payload: it decides where the function's signed requests go",
        "trigger 'daily' payload: payload key 'lookback_hour' is not a setting (did you mean 'lookback_hours'?); accepted keys: " +
        checked(GOOD, edited("payload: '{}'", """payload: '{"x": 1}'""")).problems[0].split("accepted keys: ")[1]]


def test_a_payload_summary_names_a_destination_by_its_host_only():
    opted = {**GOOD, "PAYLOAD_SETTINGS": "SLACK_WEBHOOK"}
    text = edited("payload: '{}'", f"""payload: '{{"slack_webhook": "https://hooks.slack.com/services/T1/B1/{TOKEN}",
              "regions": "cn-shanghai"}}'""")
    report = checked(opted, text)
    assert report.problems == []
    assert ("payload {slack_webhook=https://hooks.slack.com/… (hidden), regions=cn-shanghai}"
            in "\n".join(report.plan))
    assert TOKEN not in "\n".join(report.plan)


def test_timezone_and_a_triggers_cron_tz_that_differ_are_warned_about():
    assert checked({**GOOD, "TIMEZONE": "PRC"}).warnings == []  # an alias of Asia/Shanghai: the same clock
    warnings = checked({**GOOD, "TIMEZONE": "UTC"}).warnings
    assert warnings[0] == ("trigger 'daily': fires by Asia/Shanghai time (cronExpression's CRON_TZ) but its "
                           "messages show TIMEZONE=UTC: set TIMEZONE to Asia/Shanghai, or the CRON_TZ to UTC")
    assert len(warnings) == 2  # collect too


def test_fc_tags_with_spaces_and_an_environment_key_that_is_no_setting_are_named():
    text = edited("      logConfig: auto\n", "      logConfig: auto\n      tags:\n        - key: cost center\n"
                                            "          value: sre\n")
    text = text.replace("        TIMEZONE:", "        SLACK_WEBHOOK_URL: x\n        TIMEZONE:", 1)
    assert checked(GOOD, text).problems == [
        "resources.backup-report.props.tags[0] 'cost center': FC's tags need no space (FC's tags allow none)",
        "resources.backup-report.props.environmentVariables.SLACK_WEBHOOK_URL: not a setting the function reads; "
        "did you mean SLACK_WEBHOOK?"]


def test_an_environment_key_in_fcs_reserved_prefix_is_refused():
    text = edited("        TIMEZONE:", "        FC_ENDPOINT: fcv3.example\n        TIMEZONE:")
    assert checked(GOOD, text).problems == [
        "resources.backup-report.props.environmentVariables.FC_ENDPOINT: FC reserves the prefix FC_* for its own "
        "variables; a function's may not start with it"]


def test_the_fc3_schema_is_applied_without_quoting_values():
    text = edited("memorySize: 256", "memorySize: 300").replace("enable: true", "enable: 'yes'", 1)
    assert checked(GOOD, text).problems == [
        "resources.backup-report.props.memorySize: fc3's schema wants multipleOf 64",
        "resources.backup-report.props.triggers[0].triggerConfig.enable: fc3's schema wants type boolean"]


def test_the_environment_past_fcs_4_kb_is_refused():
    many = ",".join(str(10**15 + i) for i in range(300))  # 300 account IDs
    problems = checked({**GOOD, "ACCOUNTS": many}).problems
    assert any("bytes of keys and values; FC takes at most 4,096 (4 KB) in all" in p for p in problems), problems


def test_expressions_the_check_cannot_resolve_are_named_never_guessed():
    resolved = syaml.resolve({"vars": {"a": "${env(REGION)}"}, "x": "${file('./x.txt')}", "y": "${vars.b}"},
                             {"REGION": "cn-hangzhou"})
    assert resolved.doc == {"vars": {"a": "cn-hangzhou"}, "x": "", "y": ""}
    assert [p.split(": ")[0] for p in resolved.problems] == ["vars.a", "x", "y"]
    assert "write env('REGION')" in resolved.problems[0]


def test_env_defaults_and_vars_resolve_as_serverless_devs_does():
    resolved = syaml.resolve({"vars": {"region": "${env('REGION', 'cn-hangzhou')}"},
                              "props": {"region": "${vars.region}", "desc": 'at ${env("WHERE", "home")}!'}}, {})
    assert resolved.doc["props"] == {"region": "cn-hangzhou", "desc": "at home!"}
    assert resolved.sources["props.region"] == "REGION" and resolved.missing == {} and resolved.problems == []


def test_check_deploy_prints_the_plan_then_the_problems_and_exits_1(monkeypatch, capsys):
    for name in list(GOOD) + ["TIMEZONE", "SLACK_WEBHOOK"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FC_ROLE_ARN", "redis-backup-report")
    code = cli.main(["check", "--deploy", "--template", str(REPO / "s.yaml")])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith(f"What `s deploy` would create from {REPO / 's.yaml'} and this shell's environment:\n"
                          "  function  redis-backup-report in cn-hangzhou")
    assert "\n3 problems:\n  - INSTANCE_TAGS is not set" in out and "is a role's name" in out


def test_check_deploy_with_a_good_environment_exits_0(monkeypatch, capsys):
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TIMEZONE", raising=False)
    assert cli.main(["check", "--deploy", "-t", str(REPO / "s.yaml")]) == 0
    out = capsys.readouterr().out
    assert "\nNo problem found: `make build && s deploy`.\n" in out and TOKEN not in out


@pytest.mark.parametrize("argv", [["--set", "NOTIFY_ON=failure"], ["--payload", "{}"], ["--region", "cn-beijing"]])
def test_check_deploy_refuses_what_s_deploy_would_not_read(argv, capsys):
    assert cli.main(["check", "--deploy", *argv]) == 2
    assert "check --deploy reads what `s deploy` reads" in capsys.readouterr().err


def test_the_plan_never_shows_the_value_of_a_payload_key_that_is_not_a_setting():
    # A misspelt key is no known secret, but its value may be one: a webhook under dingtalk_webhok.
    text = edited("payload: '{}'", f"""payload: '{{"dingtalk_webhok": "https://oapi.dingtalk.com/robot/send?access_token={TOKEN}", "owner_tag": "team"}}'""")
    report = checked(GOOD, text)
    plan = "\n".join(report.plan)
    assert "payload {dingtalk_webhok=… (not a setting), owner_tag=team}" in plan
    assert TOKEN[:8] not in plan + "\n".join(report.problems)


def test_a_url_in_a_setting_that_is_no_secret_is_shown_by_its_host_in_the_plan():
    text = edited("payload: '{}'", f"""payload: '{{"owner_tag": "https://hooks.slack.com/services/T0/B0/{TOKEN}"}}'""")
    plan = "\n".join(checked(GOOD, text).plan)
    assert "payload {owner_tag=https://hooks.slack.com/…}" in plan and TOKEN[:8] not in plan


@pytest.mark.parametrize("expression", ["${env('DAILY_PAYLOAD', '{}')}", "${env('A', '${env('B')}')}", "${env('A'"])
def test_an_expression_the_check_cannot_read_is_named_never_passed_on_as_text(expression):
    # Serverless Devs ends an expression at its first `}`; a default holding braces, a nested expression or an
    # unclosed one is not what it looks like, and the check says so rather than read the text as a value.
    text = edited("payload: '{}'", f"payload: \"{expression}\"")
    problems = checked(GOOD, text).problems
    assert any(p.startswith("resources.backup-report.props.triggers[0].triggerConfig.payload: ")
               and "cannot read" in p for p in problems), problems


def test_a_secret_default_in_an_expression_the_check_cannot_read_is_not_repeated():
    text = edited("DINGTALK_WEBHOOK: ${env('DINGTALK_WEBHOOK', '')}",
                  f"DINGTALK_WEBHOOK: ${{env('DINGTALK_WEBHOOK', 'https://oapi.dingtalk.com/robot/send?access_token={TOKEN}', 1)}}")
    problems = checked({k: v for k, v in GOOD.items() if k != "DINGTALK_WEBHOOK"}, text).problems
    assert any("environmentVariables.DINGTALK_WEBHOOK: ${env('DINGTALK_WEBHOOK', 'https://oapi.dingtalk.com/…'" in p
               for p in problems), problems
    assert not any(TOKEN[:8] in p for p in problems)


def test_vars_that_refer_to_vars_are_named_as_not_resolved_not_as_missing():
    text = edited("  region: ${env('REGION', 'cn-hangzhou')}",
                  "  home: ${env('REGION', 'cn-hangzhou')}\n  region: ${vars.home}")
    problems = checked(GOOD, text).problems
    assert not any("has no home" in p for p in problems), problems
    assert any(p.startswith("vars.region: ${vars.home}: ") for p in problems), problems


def test_a_region_in_regions_or_a_payload_that_fc3_does_not_know_is_a_warning_with_its_guess():
    text = edited("payload: '{}'", """payload: '{"regions": "cn-shanghai,cn-hangzou"}'""")
    warnings = checked({**GOOD, "REGIONS": "cn-hangzhou,ap-sotheast-1"}, text).warnings
    assert "environment: REGIONS has ap-sotheast-1, which is not a region fc3 knows: did you mean ap-southeast-1? " \
           "(`check` asks DescribeRegions)" in warnings
    assert "trigger 'daily' payload: REGIONS has cn-hangzou, which is not a region fc3 knows: did you mean " \
           "cn-hangzhou? (`check` asks DescribeRegions)" in warnings


def test_a_tag_written_as_the_console_shows_it_is_a_warning_in_the_deploy_check_too():
    text = edited("payload: '{}'", """payload: '{"instance_tags": "team:payments"}'""")
    warnings = checked({**GOOD, "INSTANCE_TAGS": "backup-report:daily"}, text).warnings
    assert any(w.startswith("environment: INSTANCE_TAGS has 'backup-report:daily': a tag key with a colon") and
               "did you mean backup-report=daily?" in w for w in warnings), warnings
    assert any(w.startswith("trigger 'daily' payload: INSTANCE_TAGS has 'team:payments'") for w in warnings), warnings
