"""The argument parser and the settings' sources: defaults, --timeout's bounds, --set, --at, the region."""
from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from backup_report.cli import check, invoke, parser, run, shared
from backup_report.settings import NAMES, SettingsError


def parse(*argv: str) -> argparse.Namespace:
    return parser().parse_args(list(argv))


def test_each_command_is_bound_to_its_function():
    assert parse("check").command is check.cmd_check
    assert parse("run").command is run.cmd_run
    assert parse("invoke").command is invoke.cmd_invoke


def test_defaults_are_s_yaml_s():
    args = parse("run")
    assert (args.timeout, args.dry_run, args.json, args.at, args.payload, args.set) == (300, False, False, None, None, [])
    args = parse("invoke")
    assert (args.function_name, args.qualifier, args.event, args.endpoint) == ("redis-backup-report", "LATEST",
                                                                                None, None)
    assert (args.sandbox, args.region, args.verbose) == (None, None, False)


def test_set_is_repeatable_and_kept_in_order():
    assert parse("check", "--set", "A=1", "--set", "B=2", "--set", "A=3").set == ["A=1", "B=2", "A=3"]


@pytest.mark.parametrize("argv", [[], ["nope"], ["invoke", "--set", "A=1"], ["invoke", "--payload", "{}"],
                                  ["check", "--at", "2026-11-28T01:00Z"], ["check", "--dry-run"]])
def test_what_a_command_does_not_take_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        parse(*argv)
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith("usage: python -m backup_report")


@pytest.mark.parametrize("text, seconds", [("30", 30), ("300", 300), ("86400", 86_400), (" 60 ", 60)])
def test_timeout_takes_whole_seconds_within_fc_s_limits(text, seconds):
    assert parse("run", "--timeout", text).timeout == seconds


@pytest.mark.parametrize("text", ["29", "86401", "0", "-5", "1.5", "abc", "", "1e3", "0x1f", "9999999"])
def test_timeout_refuses_anything_else_naming_the_limits(text, capsys):
    with pytest.raises(SystemExit) as stop:
        parse("run", "--timeout", text)
    assert stop.value.code == 2
    assert "whole seconds from 30 to 86400" in capsys.readouterr().err


def test_top_level_help_is_the_package_docstring_s_first_paragraph():
    assert parser().description == ("`python -m backup_report`: check the settings, run the report locally, "
                                    "invoke the deployed function.")


# --- the settings' sources ----------------------------------------------------------------------

def sets(*items: str) -> argparse.Namespace:
    return argparse.Namespace(set=list(items))


def test_set_overrides_the_environment_by_name_whatever_its_case(monkeypatch):
    monkeypatch.setenv("NOTIFY_ON", "always")
    env = shared.environment(sets(" notify_on =failure", "INSTANCE_TAGS=a=b"), None)
    assert env["NOTIFY_ON"] == "failure"
    assert env["INSTANCE_TAGS"] == "a=b"  # the value is everything after the first '='


def test_set_with_an_empty_value_clears_the_setting(monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK", "https://hooks.slack.com/services/T/B/x")
    assert shared.environment(sets("SLACK_WEBHOOK="), None)["SLACK_WEBHOOK"] == ""


@pytest.mark.parametrize("item, says", [
    ("NO_SUCH=1", "--set NO_SUCH=…: NO_SUCH is not a setting; NAME is one of "),
    ("NOTIFY_ON", "--set with no '=': expected NAME=VALUE with NAME one of "),
    ("=1", "--set with no NAME before the '=': expected NAME=VALUE with NAME one of "), ("", "--set with no '='"),
    ("notify_of=failure", "--set NOTIFY_OF=…: NOTIFY_OF is not a setting (did you mean NOTIFY_ON?); NAME is one of "),
])
def test_set_refuses_an_unknown_name_or_no_value_and_never_repeats_the_value(item, says):
    with pytest.raises(shared.UsageError) as error:
        shared.environment(sets(item), None)
    assert str(error.value).startswith(says) and NAMES[0] in str(error.value)
    assert "1" not in str(error.value).split(":")[0] and "failure" not in str(error.value)


def test_invoke_has_no_set_and_takes_the_environment_as_it_is(monkeypatch):
    monkeypatch.setenv("NOTIFY_ON", "failure")
    assert shared.environment(argparse.Namespace(), None)["NOTIFY_ON"] == "failure"


def test_payload_is_a_json_object_or_nothing():
    assert shared.parse_payload(None) == {} and shared.parse_payload("") == {}
    assert dict(shared.parse_payload('{"regions": "cn-shanghai"}')) == {"regions": "cn-shanghai"}
    with pytest.raises(SettingsError):
        shared.parse_payload("not json")


def test_at_is_a_utc_time_or_a_usage_error():
    assert shared.parse_at("2026-11-28T01:00Z").isoformat() == "2026-11-28T01:00:00+00:00"
    with pytest.raises(shared.UsageError, match="--at 'yesterday'"):
        shared.parse_at("yesterday")


def test_home_region_is_region_then_the_sandbox_s_then_the_environment_s(monkeypatch):
    for name in ("REGION", "ALIBABA_CLOUD_REGION_ID"):
        monkeypatch.delenv(name, raising=False)
    sb = SimpleNamespace(regions=["cn-shanghai", "cn-hangzhou"])
    assert shared.home_region(argparse.Namespace(region="cn-beijing"), sb) == "cn-beijing"
    assert shared.home_region(argparse.Namespace(region=None), sb) == "cn-shanghai"
    assert shared.home_region(argparse.Namespace(region=None), None) == ""
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "cn-shenzhen")
    assert shared.home_region(argparse.Namespace(region=None), None) == "cn-shenzhen"
    monkeypatch.setenv("REGION", "cn-qingdao")
    assert shared.home_region(argparse.Namespace(region=None), None) == "cn-qingdao"
