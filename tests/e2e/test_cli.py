"""`python -m backup_report` against the sandbox, over loopback: check, run, invoke, and their errors.

In-process runs hand `main` the sandbox the test started (`main(argv, sandbox=sb)`); the runs that
exercise the credential chain, or `python -m` itself, are subprocesses with a clean environment.
Every output is scanned for the sandbox's secrets (access keys, STS token, webhook tokens, the
robot's secret, backup download signatures).
"""
from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import sandbox
from backup_report import cli
from backup_report.settings import NAMES
from conftest import leaks, secrets_of
from sandbox.demo import DEMO_SETTINGS
from sandbox.fc import FunctionCompute, serve

REPO = Path(__file__).resolve().parents[2]
ANCHOR = "2026-11-28T01:00:00Z"
TAG = ("backup-report", "daily")
WIDTH = max(map(len, NAMES))  # check's settings column: the longest name


@pytest.fixture
def sb(monkeypatch):
    for name in list(os.environ):
        if name in NAMES or name.startswith("ALIBABA_CLOUD_") or name == "REGION":
            monkeypatch.delenv(name)
    with sandbox.start("demo", anchor=ANCHOR) as started:
        yield started


@pytest.fixture
def cli_run(sb, capsys):
    """`cli_run(*argv)` -> (exit status, stdout, stderr), with no secret in either."""

    def run(*argv: str, sandbox=sb) -> tuple[int, str, str]:
        code = cli.main(list(argv), sandbox=sandbox)
        out, err = capsys.readouterr()
        leaked = leaks([out, err], secrets_of(sb, sb.env()))
        assert not leaked, f"a secret reached the CLI's output: {leaked}"
        return code, out, err

    return run


def tagged(sb, region: str | None = None) -> list:
    """The instances the demo's tags select, in the regions it scans."""
    return [i for i in sb.scenario.instances if i.tags.get(TAG[0]) == TAG[1] and i.region in sb.regions
            and (region is None or i.region == region)]


def subprocess_env(**extra: str) -> dict[str, str]:
    """A clean environment: no settings or credentials of the machine's, no ECS metadata lookups."""
    env = {k: v for k, v in os.environ.items()
           if k not in NAMES and not k.startswith("ALIBABA_CLOUD_") and k not in ("REGION", "PYTHONPATH")}
    env.update(ALIBABA_CLOUD_ECS_METADATA_DISABLED="true", PYTHONPATH=f"{REPO / 'function'}{os.pathsep}{REPO}")
    env.update(extra)
    return env


def python_m(args: list[str], env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backup_report", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


# --- check --------------------------------------------------------------------------------------

def test_check_lists_the_tagged_instances_per_region_and_not_the_others(sb, cli_run):
    code, out, _ = cli_run("check")
    assert code == 0
    assert len(tagged(sb)) == 15
    for region in sb.regions:
        assert f"{region}: {len(tagged(sb, region))} instances carry backup-report=daily" in out
    for instance in sb.scenario.instances:
        assert (instance.id in out) == (instance in tagged(sb)), instance.name
    assert "15 instances in 2 regions" in out
    # Columns as wide as their widest cell: the status always stands apart, in one column.
    for paragraph in out.split("\n\n"):
        rows = [line for line in paragraph.splitlines() if line.startswith("  r-") and line.endswith(" Normal")]
        assert len({line.rindex(" Normal") for line in rows}) <= 1, paragraph
    assert "3 shards Normal" in out


def test_check_reads_no_backups(sb, cli_run):
    cli_run("check")
    assert {c.action for c in sb.kvstore.calls} == {"DescribeRegions", "DescribeInstances"}


def test_check_shows_every_setting_but_no_secret(cli_run):
    code, out, _ = cli_run("check")
    for name in NAMES:
        assert f"  {name} " in out, name
    assert f"{'DINGTALK_SECRET':<{WIDTH}} set (hidden)" in out
    assert "token hidden" in out and "138****0000" in out
    assert f"{'FEISHU_SECRET':<{WIDTH}} set (hidden)" in out
    assert out.count("(token hidden)") == 4, "each of the four webhooks shows its host only"


def test_check_applies_payload_then_set(sb, cli_run):
    code, out, _ = cli_run("check", "--payload", '{"regions": "cn-shanghai"}', "--set", "INSTANCE_TAGS=team")
    assert code == 0
    assert "cn-hangzhou" not in out.split("Credentials:")[1]
    assert f"{'INSTANCE_TAGS':<{WIDTH}} team" in out
    shanghai = [i for i in sb.scenario.instances if "team" in i.tags and i.region == "cn-shanghai"]
    assert f"cn-shanghai: {len(shanghai)} instances carry team" in out


def test_check_warns_of_a_tag_written_as_the_console_shows_it_and_exits_1(sb, cli_run):
    code, out, _ = cli_run("check", "--set", "INSTANCE_TAGS=backup-report:daily")
    assert code == 1
    assert "0 instances in 2 regions would be checked" in out
    warned = out.split("Warnings (check exits 1):\n")[1]
    assert "  - INSTANCE_TAGS has 'backup-report:daily': a tag key with a colon in it, matching any value. The " \
           "console shows a tag as key:value, but INSTANCE_TAGS is key=value: did you mean backup-report=daily?" in warned
    assert "  - the tags select no instance in cn-hangzhou, cn-shanghai: the run would check nothing." in warned


def test_check_warns_when_the_tags_select_no_instance_and_exits_1(sb, cli_run):
    code, out, _ = cli_run("check", "--set", "INSTANCE_TAGS=backup-report=hourly")
    assert code == 1
    assert out.split("Warnings (check exits 1):\n")[1].splitlines() == [
        "  - the tags select no instance in cn-hangzhou, cn-shanghai: the run would check nothing. INSTANCE_TAGS is "
        "key=value[,key=value…], and an instance must carry every pair"]


def test_check_warns_of_a_variable_spelt_like_a_setting_and_exits_1(sb, cli_run, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/not-the-real-one")
    monkeypatch.setenv("REGION", "cn-hangzhou")  # s.yaml's own, not a misspelling of REGIONS
    code, out, _ = cli_run("check")
    assert code == 1
    assert out.split("Warnings (check exits 1):\n")[1].splitlines() == [
        "  - the environment has SLACK_WEBHOOK_URL, which is not a setting: did you mean SLACK_WEBHOOK?"]


def test_check_without_a_warning_prints_none(cli_run):
    code, out, _ = cli_run("check")
    assert code == 0 and "Warnings" not in out


def test_check_names_the_region_a_misspelled_one_looks_like(cli_run):
    code, out, _ = cli_run("check", "--set", "REGIONS=cn-hangzhou,cn-hangzou")
    assert code == 1
    assert "cn-hangzou: not checked: UnknownRegion: DescribeRegions does not list this region: check REGIONS " \
           "(did you mean cn-hangzhou?)" in out


def test_set_with_a_misspelled_name_names_the_setting_meant_and_never_its_value(sb, cli_run):
    code, out, err = cli_run("check", "--set", "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0/B0/secrettoken99")
    assert code == 2 and out == ""
    assert err.startswith("backup_report: --set SLACK_WEBHOOK_URL=…: SLACK_WEBHOOK_URL is not a setting (did you mean "
                          "SLACK_WEBHOOK?); NAME is one of INSTANCE_TAGS,")
    assert "secrettoken99" not in err and "hooks.slack.com" not in err
    assert sb.kvstore.calls == []


def test_a_webhook_pasted_with_its_quotes_is_refused_saying_so(sb, cli_run):
    quoted = f"'{sb.slack_webhook}'"
    code, out, err = cli_run("check", "--set", f"SLACK_WEBHOOK={quoted}")
    assert code == 2
    assert "SLACK_WEBHOOK=\"'http://127.0.0.1/…'\" is invalid" in err and "it is in quotes" in err
    assert sb.kvstore.calls == []


def test_on_off_settings_show_as_on_and_off(cli_run):
    code, out, _ = cli_run("check", "--set", "COVERAGE=off")
    assert f" {'COVERAGE':<{WIDTH}} off\n" in out and f" {'REQUIRE_BACKUP_LOG':<{WIDTH}} on\n" in out


# --- run ----------------------------------------------------------------------------------------

def test_run_dry_run_prints_both_messages_and_posts_nothing(sb, cli_run):
    code, out, _ = cli_run("run", "--dry-run")
    assert code == 0
    assert "DingTalk (markdown, as the group would see it; not posted)" in out
    assert "Slack (Block Kit, as the channel would see it; not posted)" in out
    assert "cart-cache" in out and "search-suggest" in out
    assert "dingtalk: dry run: not posted" in out and "slack: dry run: not posted" in out
    assert "Feishu (card, as the group would see it; not posted)" in out and "[red header]" in out
    assert "WeCom (markdown, as the group would see it; not posted)" in out and "<@zhangsan>" in out
    assert "feishu: dry run: not posted" in out and "wecom: dry run: not posted" in out
    assert sb.dingtalk.messages == [] and sb.slack.messages == []
    assert sb.feishu.attempts == 0 and sb.wecom.attempts == 0
    assert any(c.action == "DescribeBackups" for c in sb.kvstore.calls)


def test_run_posts_the_digest_when_not_a_dry_run(sb, cli_run):
    code, out, _ = cli_run("run")
    assert code == 0
    assert len(sb.dingtalk.messages) == 1 and len(sb.slack.messages) == 1
    assert "dingtalk: posted" in out and "slack: posted" in out
    assert "heartbeat start: pinged\nheartbeat success: pinged" in out and sb.heartbeat.signals == ["start", "success"]


def test_run_json_prints_the_result_of_the_window_ending_at_the_trigger_time(sb, cli_run):
    code, out, _ = cli_run("run", "--json", "--at", "2026-11-28T01:00Z")
    result = json.loads(out)
    assert result["status"] == "alert"
    assert result["window"] == {"start": "2026-11-27T01:00:00Z", "end": ANCHOR}
    assert {i["instance_id"] for i in result["instances"]} == {i.id for i in tagged(sb)}
    assert [d["channel"] for d in result["deliveries"]] == ["dingtalk", "slack", "feishu", "wecom"]


def test_run_json_with_dry_run_carries_the_messages(sb, cli_run):
    code, out, _ = cli_run("run", "--json", "--dry-run", "--payload", '{"regions": "cn-shanghai"}')
    result = json.loads(out)
    assert {i["region"] for i in result["instances"]} == {"cn-shanghai"}
    assert result["deliveries"][0]["message"]["msgtype"] == "markdown"
    assert "blocks" in result["deliveries"][1]["message"]
    assert sb.dingtalk.messages == [] and sb.slack.messages == []


@pytest.mark.parametrize("argv, named", [
    (["run", "--set", "LOOKBACK_HOURS=999"], "LOOKBACK_HOURS"),
    (["run", "--payload", '{"lookback": 3}'], "'lookback'"),
    (["run", "--payload", "not json"], "payload"),
    (["check", "--set", "TIMEZONE=Mars/Base"], "TIMEZONE"),
    (["check", "--set", "NO_SUCH=1"], "NO_SUCH"),
    (["run", "--at", "yesterday"], "--at"),
])
def test_bad_settings_exit_2_naming_the_setting_before_any_call(sb, cli_run, argv, named):
    code, out, err = cli_run(*argv)
    assert code == 2
    assert named in err
    assert sb.kvstore.calls == [] and sb.dingtalk.messages == [] and sb.slack.messages == []


def test_run_refused_by_every_channel_exits_1(sb, cli_run):
    # The robot with another token: DingTalk refuses the post, and no other channel is configured.
    wrong_token = sb.dingtalk_webhook.split("access_token=")[0] + "access_token=not-the-robots"
    code, out, err = cli_run("run", "--set", "SLACK_WEBHOOK=", "--set", "FEISHU_WEBHOOK=", "--set", "FEISHU_SECRET=",
                             "--set", "FEISHU_MENTION=", "--set", "WECOM_WEBHOOK=", "--set", "WECOM_MENTION_USERIDS=",
                             "--set", f"DINGTALK_WEBHOOK={wrong_token}")
    assert code == 1
    assert "no channel accepted the digest" in err


# --- invoke -------------------------------------------------------------------------------------

def test_invoke_with_the_sandbox_runs_the_handler_behind_an_emulated_fc(sb, cli_run):
    code, out, err = cli_run("invoke", "--event", str(REPO / "events" / "timer-payload.json"))
    assert code == 0
    result = json.loads(out)
    assert {i["name"] for i in result["instances"]} == {"orders-cache", "cart-cache"}  # team=payments, cn-hangzhou
    assert len(sb.dingtalk.messages) == 1 and len(sb.slack.messages) == 1
    assert "redis-backup-report (LATEST)" in err and "HTTP 200" in err


def test_invoke_exits_1_when_the_function_stopped_at_its_settings_and_told_the_team(sb, cli_run, tmp_path):
    # FC's own example payload: the function posts the settings alert and returns an error result.
    event = tmp_path / "awesome.json"
    event.write_text(json.dumps({"triggerTime": "2026-11-28T01:00:00Z", "payload": "awesome-fc"}))
    code, out, _ = cli_run("invoke", "--event", str(event))
    assert code == 1
    assert json.loads(out)["status"] == "error" and "event payload" in json.loads(out)["settings"][0]
    assert sb.kvstore.calls == [] and len(sb.dingtalk.messages) == 1 and len(sb.slack.messages) == 1
    assert sb.heartbeat.signals == ["fail"]


@pytest.fixture
def fc(sb):
    """An FC 3.0 emulator on loopback with two stub functions, accepting the sandbox's keys."""

    def report(event: bytes, context) -> str:
        return json.dumps({"status": "ok", "echo": json.loads(event), "region": context.region})

    def broken(event: bytes, context):
        raise RuntimeError("invalid settings: INSTANCE_TAGS is required")

    emulator = FunctionCompute({"redis-backup-report": report, "broken": broken}, sb.credentials,
                               region="cn-shanghai", qualifiers=("LATEST", "prod"))
    server = serve(emulator)
    yield emulator, f"http://{server.address}"
    server.stop()


def keys_env(sb) -> dict[str, str]:
    c = sb.credentials
    return {"ALIBABA_CLOUD_ACCESS_KEY_ID": c.access_key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": c.access_key_secret,
            "ALIBABA_CLOUD_SECURITY_TOKEN": c.security_token or ""}


def test_invoke_sends_the_event_file_over_the_fc3_api_with_the_chains_credentials(sb, fc):
    emulator, endpoint = fc
    event = REPO / "events" / "timer.json"
    done = python_m(["invoke", "--endpoint", endpoint, "--region", "cn-shanghai", "--qualifier", "prod",
                     "--event", str(event)], subprocess_env(**keys_env(sb)))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"status": "ok", "echo": json.loads(event.read_bytes()), "region": "cn-shanghai"}
    [call] = emulator.invocations
    assert (call.function, call.qualifier, call.invocation_type) == ("redis-backup-report", "prod", "Sync")
    assert call.event == event.read_bytes()
    assert not leaks([done.stdout, done.stderr], secrets_of(sb, {}))


def test_invoke_with_a_wrong_key_is_refused_by_the_signature_check(sb, fc):
    _, endpoint = fc
    env = subprocess_env(**{**keys_env(sb), "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "not-the-secret"})
    done = python_m(["invoke", "--endpoint", endpoint], env)
    assert done.returncode == 1
    assert "SignatureDoesNotMatch" in done.stderr


def test_invoke_reports_what_the_function_raised_and_exits_1(sb, fc, cli_run):
    _, endpoint = fc
    code, out, err = cli_run("invoke", "--endpoint", endpoint, "--function-name", "broken")
    assert code == 1 and out == ""
    assert "UnhandledInvocationError" in err and "RuntimeError: invalid settings: INSTANCE_TAGS is required" in err


def test_invoke_of_a_function_that_does_not_exist_exits_1(fc, cli_run):
    _, endpoint = fc
    code, out, err = cli_run("invoke", "--endpoint", endpoint, "--function-name", "nope")
    assert code == 1
    assert "FunctionNotFound" in err


@pytest.mark.parametrize("endpoint,says", [
    ("http://fc.example.com:8080", "only loopback hosts"), ("http://127.0.0.2:9\\@127.0.0.1", "backslash"),
    ("https://fc.example.com:99999", "1–65535"), ("fc..example.com", "not a host name"),
])
def test_invoke_holds_its_endpoint_to_the_functions_address_rule(cli_run, endpoint, says):
    code, out, err = cli_run("invoke", "--endpoint", endpoint)
    assert code == 2 and says in err and "--endpoint" in err


def test_invoke_refuses_an_event_file_that_is_not_json(tmp_path, cli_run):
    bad = tmp_path / "event.json"
    bad.write_text("triggerTime: tomorrow")
    code, out, err = cli_run("invoke", "--event", str(bad))
    assert code == 2 and "not JSON" in err


# --- credentials, python -m, the handler ----------------------------------------------------------

def sandbox_settings(sb) -> dict[str, str]:
    return {k: v for k, v in {**DEMO_SETTINGS, **sb.env()}.items() if not k.startswith("ALIBABA_CLOUD_")}


def test_no_credentials_is_a_clear_error_with_exit_2(sb, tmp_path):
    done = python_m(["run", "--dry-run"], subprocess_env(HOME=str(tmp_path), **sandbox_settings(sb)))
    assert done.returncode == 2
    assert "no Alibaba Cloud credentials found" in done.stderr
    assert "Traceback" not in done.stderr
    assert sb.kvstore.calls == []


def test_check_takes_credentials_from_the_aliyun_cli_profile(sb, tmp_path):
    c = sb.credentials
    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_text(json.dumps({"current": "ops", "profiles": [
        {"name": "ops", "mode": "StsToken", "access_key_id": c.access_key_id,
         "access_key_secret": c.access_key_secret, "sts_token": c.security_token or "", "region_id": "cn-hangzhou"}]}))
    done = python_m(["check"], subprocess_env(HOME=str(tmp_path), **sandbox_settings(sb)))
    assert done.returncode == 0, done.stderr
    assert "Credentials: from the default chain (default/cli_profile" in done.stdout
    assert all(i.id in done.stdout for i in tagged(sb))
    assert not leaks([done.stdout, done.stderr], secrets_of(sb, sb.env()))


def test_python_m_from_function_dir_runs_the_demo_dry_run(tmp_path):
    # What a newcomer types: no PYTHONPATH, cwd function/, the sandbox found beside it.
    env = subprocess_env(HOME=str(tmp_path))
    del env["PYTHONPATH"]
    done = python_m(["run", "--sandbox", "demo", "--dry-run", "--at", ANCHOR], env, cwd=REPO / "function")
    assert done.returncode == 0, done.stderr
    assert "DingTalk (markdown" in done.stdout and "Slack (Block Kit" in done.stdout
    assert "sandbox: scenario 'demo' at 2026-11-28T01:00Z" in done.stderr


def test_the_handler_imports_neither_the_cli_nor_the_fc_sdk_nor_the_sandbox():
    probe = ("import sys, index; bad = [m for m in ('backup_report.cli', 'alibabacloud_fc20230330', 'sandbox', "
             "'fc2') if m in sys.modules]; print(bad)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO / "function", env=subprocess_env(PYTHONPATH=str(REPO / "function")), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- progress -----------------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_spins_on_a_terminal_and_clears_its_line():
    import time

    stream = _Terminal()
    with cli.Progress("checking backups", stream=stream, interval=0.01):
        time.sleep(0.1)
    text = stream.getvalue()
    assert "\r| checking backups … 0s" in text
    assert text.endswith("\r")
    assert text.rstrip("\r").split("\r")[-1].strip() == ""  # the last write blanks the line


def test_progress_counts_what_is_done_when_given_a_unit():
    import time

    stream = _Terminal()
    with cli.Progress("listing", stream=stream, interval=0.01, unit="listed") as progress:
        progress.add(50)
        time.sleep(0.05)
    assert "listing … 50 listed, 0s" in stream.getvalue()


def test_progress_is_silent_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    with cli.Progress("checking backups", stream=stream, interval=0.01):
        pass
    assert stream.getvalue() == ""


# --- exit statuses, --timeout, help, the pinned sandbox clock (docs/deploy.md, "The CLI") -----------------

FORBIDDEN_SHANGHAI = {"faults": [{"kind": "forbidden", "region": "cn-shanghai", "action": "DescribeInstances"}]}


@pytest.fixture
def refused(sb):
    """The demo fleet, with cn-shanghai's DescribeInstances refused (Forbidden.RAM)."""
    with sandbox.start({**_demo_dict(), **FORBIDDEN_SHANGHAI}, anchor=ANCHOR) as started:
        yield started


def _demo_dict() -> dict:
    import yaml
    return yaml.safe_load((REPO / "sandbox" / "scenarios" / "demo.yaml").read_text())


@pytest.mark.parametrize("argv", [["run"], ["run", "--dry-run"], ["run", "--dry-run", "--json"], ["check"]])
def test_a_region_refused_by_the_api_exits_1_from_check_and_from_run(refused, cli_run, argv):
    code, out, err = cli_run(*argv, sandbox=refused)
    assert code == 1
    assert "cn-shanghai" in out and "Forbidden.RAM" in out


def test_a_run_that_checked_everything_and_posted_exits_0(sb, cli_run):
    code, out, _ = cli_run("run")
    assert code == 0
    assert "dingtalk: posted" in out and "slack: posted" in out


def test_an_instance_that_could_not_be_checked_makes_run_exit_1(cli_run):
    broken = {**_demo_dict(), "faults": [{"kind": "not_found", "instance": "r-bp1c8fy5t1gw7j9m"}]}
    with sandbox.start(broken, anchor=ANCHOR) as started:
        code, out, _ = cli_run("run", "--dry-run", "--json", sandbox=started)
    assert code == 1
    [entry] = [i for i in json.loads(out)["instances"] if i["instance_id"] == "r-bp1c8fy5t1gw7j9m"]
    assert entry["verdict"] == "error" and "InvalidInstanceId.NotFound" in entry["detail"]


def test_a_misspelled_region_is_named_by_check_and_by_the_run_never_read_as_zero_instances(sb, cli_run):
    code, out, _ = cli_run("check", "--set", "REGIONS=cn-hangzhou,cn-hangzhuo")
    assert code == 1
    assert "cn-hangzhuo: not checked: UnknownRegion: DescribeRegions does not list this region" in out
    assert "in 1 region would be checked" in out

    code, out, _ = cli_run("run", "--dry-run", "--json", "--set", "REGIONS=cn-hangzhou,cn-hangzhuo")
    assert code == 1
    result = json.loads(out)
    assert result["status"] == "alert"
    assert [r["region"] for r in result["unchecked_regions"]] == ["cn-hangzhuo"]
    dingtalk = result["deliveries"][0]["message"]["markdown"]["text"]
    assert "region cn-hangzhuo not checked: UnknownRegion: DescribeRegions does not list this region" in dingtalk


@pytest.mark.parametrize("value", ["-5", "0", "1", "29", "86401", "abc", "1.5"])
def test_a_nonsense_timeout_is_refused_with_exit_2_before_any_call(sb, value):
    with pytest.raises(SystemExit) as stop:
        cli.main(["run", "--timeout", value], sandbox=sb)
    assert stop.value.code == 2
    assert sb.kvstore.calls == []


def test_a_misspelled_region_is_still_named_when_describe_regions_is_refused(cli_run):
    refused = {**_demo_dict(), "faults": [{"kind": "forbidden", "action": "DescribeRegions"}]}
    with sandbox.start(refused, anchor=ANCHOR) as started:
        code, out, _ = cli_run("check", "--set", "REGIONS=cn-hangzhou,cn-hangzhuo", sandbox=started)
        assert code == 1
        assert "cn-hangzhuo: not checked: RegionNotVerified: no instance found, and DescribeRegions failed " \
               "(Forbidden.RAM" in out
        assert "in 1 region would be checked" in out
        code, out, _ = cli_run("run", "--dry-run", "--json", "--set", "REGIONS=cn-hangzhou,cn-hangzhuo",
                               sandbox=started)
    assert code == 1
    assert [r["region"] for r in json.loads(out)["unchecked_regions"]] == ["cn-hangzhuo"]


def test_invoke_exits_1_when_the_function_returned_a_report_that_is_not_whole(refused, cli_run):
    code, out, _ = cli_run("invoke", "--event", str(REPO / "events" / "timer.json"), sandbox=refused)
    assert code == 1
    assert [r["region"] for r in json.loads(out)["unchecked_regions"]] == ["cn-shanghai"]


def test_the_smallest_timeout_accepted_still_checks_and_posts(sb, cli_run):
    code, out, _ = cli_run("run", "--json", "--timeout", "30")
    result = json.loads(out)
    assert code == 0 and len(result["instances"]) == len(tagged(sb))
    assert "error" not in {i["verdict"] for i in result["instances"]}


@pytest.mark.parametrize("command", ["check", "run", "invoke"])
def test_each_command_help_says_what_it_does_its_exit_statuses_and_an_example(command, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert stop.value.code == 0
    assert "exit status:" in out and "\n  0  done" in out and "\n  1  " in out and "\n  2  " in out
    assert f"example:\n  ./backup-report {command}" in out


def test_run_with_the_demo_sandbox_reports_at_make_demos_trigger_time_whatever_the_hour(capsys):
    trigger = json.loads((REPO / "events" / "timer.json").read_text())["triggerTime"]
    code = cli.main(["run", "--sandbox", "demo", "--dry-run", "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["window"]["end"] == trigger
    assert f"at {trigger[:16]}Z (--at TIME moves the clock)" in err


def test_check_without_credentials_prints_one_line_not_the_chains_tracebacks(sb, tmp_path):
    # A credentials URI on a closed loopback port: the chain's URI provider fails, and the library
    # logs that failure with its traceback (logger "credentials") before the chain gives up.
    with socket.socket() as probe:  # bound, never listening: connections are refused, and no one else takes it
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
        env = subprocess_env(HOME=str(tmp_path), ALIBABA_CLOUD_CREDENTIALS_URI=f"http://127.0.0.1:{closed}/creds",
                             **sandbox_settings(sb))
        done = python_m(["check"], env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], done.stderr
    assert done.stderr.startswith("backup_report: no Alibaba Cloud credentials found")
    assert sb.kvstore.calls == []


# --- ./backup-report and `python -m backup_report` at the clone's root (docs/cli.md) -------------

def test_the_wrapper_runs_the_cli_on_the_clones_venv_from_any_directory(tmp_path):
    done = subprocess.run([str(REPO / "backup-report"), "check", "--sandbox", "demo"], capture_output=True,
                          text=True, cwd=tmp_path, env=subprocess_env(HOME=str(tmp_path)), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "15 instances in 2 regions would be checked" in done.stdout


def test_the_wrapper_without_a_venv_says_what_to_run(tmp_path):
    (tmp_path / "backup-report").write_bytes((REPO / "backup-report").read_bytes())
    (tmp_path / "backup-report").chmod(0o755)
    done = subprocess.run([str(tmp_path / "backup-report"), "check"], capture_output=True, text=True,
                          env=subprocess_env(), timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"backup-report: the clone's .venv is missing or incomplete: run `make venv` (or `make " \
                          f"demo`) in {tmp_path} first\n"


def test_python_m_at_the_clones_root_runs_the_cli_as_typed(tmp_path):
    env = subprocess_env(HOME=str(tmp_path))
    del env["PYTHONPATH"]
    done = python_m(["check", "--sandbox", "demo"], env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "15 instances in 2 regions would be checked" in done.stdout


def test_python_m_at_the_root_with_a_python_lacking_the_dependencies_goes_on_in_the_venv(tmp_path):
    env = subprocess_env(HOME=str(tmp_path))
    del env["PYTHONPATH"]
    # -S: no site-packages, as the system's python3 has none of the SDKs
    done = subprocess.run([sys.executable, "-S", "-m", "backup_report", "check", "--sandbox", "demo"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "15 instances in 2 regions would be checked" in done.stdout


def test_python_m_at_a_root_without_a_venv_says_what_to_run(tmp_path):
    (tmp_path / "backup_report").mkdir()
    (tmp_path / "backup_report" / "__init__.py").write_bytes((REPO / "backup_report" / "__init__.py").read_bytes())
    (tmp_path / "function").symlink_to(REPO / "function")
    env = subprocess_env()
    del env["PYTHONPATH"]
    done = subprocess.run([sys.executable, "-S", "-m", "backup_report", "check"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("backup_report: this Python (") and "lacks the function's dependencies" in done.stderr
    assert done.stderr.strip().endswith(f"run `make venv` in {tmp_path}, then ./backup-report check")


def test_python_m_from_function_with_a_python_lacking_the_dependencies_says_what_to_run(tmp_path):
    env = subprocess_env()
    del env["PYTHONPATH"]
    done = subprocess.run([sys.executable, "-S", "-m", "backup_report", "check"], capture_output=True, text=True,
                          env=env, cwd=REPO / "function", timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"backup_report: this Python ({sys.executable}) lacks the function's dependencies")
    assert done.stderr.strip().endswith(f"run `make venv` in {REPO}, then ./backup-report check")


def test_the_tests_import_the_real_package_never_the_roots_hand_over():
    # pytest.ini puts function/ before the clone's root, whose backup_report/ only hands over (docs/cli.md).
    import backup_report
    assert Path(backup_report.__file__).resolve() == REPO / "function" / "backup_report" / "__init__.py"


# --- the sandbox's clock and settings, the run's log lines on a terminal (docs/cli.md) --------------

def test_invoke_with_the_demo_sandbox_and_no_event_sends_make_demos_at_its_trigger_time(capsys):
    trigger = json.loads((REPO / "events" / "timer.json").read_text())["triggerTime"]
    code = cli.main(["invoke", "--sandbox", "demo"])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["window"]["end"] == trigger
    assert f"at {trigger[:16]}Z (--at TIME moves the clock)" in err
    assert "invoke: the event is timer.json (make demo's; --event FILE sends another)" in err


def test_a_scenario_of_ones_own_without_settings_runs_on_the_environments_and_says_so(tmp_path, capsys, monkeypatch):
    for name in list(os.environ):
        if name in NAMES:
            monkeypatch.delenv(name)
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml_text({"regions": ["cn-hangzhou"], "instances": _demo_dict()["instances"][:2]}))
    code = cli.main(["run", "--sandbox", str(mine), "--dry-run"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "sandbox: the environment's settings (the scenario has no `settings:`), then the sandbox's endpoints, " \
           "webhooks, archive and REGIONS; --payload and --set last" in err
    assert "INSTANCE_TAGS is required" in err  # the demo's tags are not applied behind the user's back


def test_a_scenario_of_ones_own_runs_with_its_settings(tmp_path, capsys):
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml_text({"regions": ["cn-hangzhou"], "settings": {"INSTANCE_TAGS": "team=payments"},
                               "instances": _demo_dict()["instances"]}))
    code = cli.main(["run", "--sandbox", str(mine), "--dry-run", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert {i["name"] for i in json.loads(out)["instances"]} == {"orders-cache", "cart-cache"}
    assert "sandbox: the scenario's settings (INSTANCE_TAGS) over the environment's" in err


def test_a_scenario_setting_that_is_no_setting_is_refused_naming_the_one_meant(tmp_path, capsys):
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml_text({"settings": {"INSTANCE_TAG": "team=payments"}, "instances": []}))
    code = cli.main(["check", "--sandbox", str(mine)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "backup_report: --sandbox mine: settings: INSTANCE_TAG is not a setting (did you mean INSTANCE_TAGS?)" in err


def test_the_shells_archive_and_link_host_never_take_a_sandbox_run_off_the_machine(sb, cli_run, monkeypatch):
    # A deployer's shell, exported for `make preflight`, then `run --sandbox demo`: the webhooks are the
    # sandbox's, and so are the archive's bucket and endpoint (its OSS emulator), never the real ones.
    monkeypatch.setenv("ARCHIVE_OSS_BUCKET", "my-prod-bucket")
    monkeypatch.setenv("ARCHIVE_OSS_ENDPOINT", "oss-cn-hangzhou.aliyuncs.com")
    monkeypatch.setenv("REPORT_LINK_HOST", "reports.my-company.com")
    code, out, err = cli_run("run", "--sandbox", "demo", "--at", ANCHOR)
    assert code == 0, err
    assert "OSS did not answer" not in err
    assert [k for k in sb.oss.objects if k.endswith(".html")], "the page goes to the sandbox's bucket"
    [message] = sb.dingtalk.messages
    assert "my-company" not in message["markdown"]["text"] and "aliyuncs.com/" not in message["markdown"]["text"]


@pytest.mark.parametrize("name", ["DINGTALK_WEBHOOK", "HEARTBEAT_URL", "KVSTORE_ENDPOINT", "ARCHIVE_OSS_ENDPOINT"])
def test_a_scenario_may_not_choose_where_the_run_sends_what_the_sandbox_emulates(tmp_path, capsys, name):
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml_text({"settings": {"INSTANCE_TAGS": "a=b", name: "https://example.com/x"}, "instances": []}))
    code = cli.main(["check", "--sandbox", str(mine)])
    _, err = capsys.readouterr()
    assert code == 2
    assert f"backup_report: --sandbox mine: settings: {name} is the sandbox's to set (it points the run at its " \
           "emulators, on 127.0.0.1); leave it out" in err


def yaml_text(data: dict) -> str:
    import yaml
    return yaml.safe_dump(data, sort_keys=False)


def test_on_a_terminal_the_runs_json_line_per_instance_waits_for_v(sb, cli_run, monkeypatch, caplog):
    monkeypatch.setattr(sys, "stdout", _Terminal())
    code, _, err = cli_run("run", "--dry-run")
    assert code == 0
    assert '"event": "backup_report.instance"' not in caplog.text
    assert "(7 JSON log lines of the run, one per instance that needs attention, not shown on a terminal: -v shows " \
           "them)" in err
    caplog.clear()
    cli_run("run", "--dry-run", "-v")
    assert caplog.text.count('"event": "backup_report.instance"') == 7


def test_piped_the_runs_json_lines_are_logged_as_they_are(sb, cli_run, caplog):
    code, _, err = cli_run("run", "--dry-run")
    assert caplog.text.count('"event": "backup_report.instance"') == 7
    assert "not shown on a terminal" not in err
