"""The deploy guide (docs/deploy.md) says what the files do: s.yaml's variables, the files it names, the CLI's options.

Each check returns the problems it finds; each runs on the real guide and on a broken copy.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from backup_report import cli

REPO = Path(__file__).resolve().parents[2]
GUIDE = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")
SYAML = (REPO / "s.yaml").read_text()
ENV = re.compile(r"""\$\{env\('([A-Z_]+)'(?:,\s*'[^']*')?\)\}""")
REQUIRED = re.compile(r"""\$\{env\('([A-Z_]+)'\)\}""")


def table_variables(guide: str) -> set[str]:
    """The variables in the first column of the guide's settings table."""
    section = guide.split("### 3.")[1].split("### 4.")[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}


def variable_problems(guide: str, syaml: str) -> list[str]:
    read = set(ENV.findall(syaml))
    listed = table_variables(guide)
    problems = [f"s.yaml reads {n} but the guide's table omits it" for n in sorted(read - listed)]
    problems += [f"the guide's table lists {n}, which s.yaml does not read" for n in sorted(listed - read)]
    for name in sorted(set(REQUIRED.findall(syaml))):
        if not re.search(rf"`{name}` \| – \(required\)", guide):
            problems.append(f"{name} has no default in s.yaml: the guide must mark it required")
    return problems


def missing_files(guide: str) -> list[str]:
    named = set(re.findall(r"(?<![\w/.-])((?:deploy|events|scripts|docs|function|sandbox)/[\w./-]+\.(?:json|py|md|txt))", guide))
    return sorted(n for n in named if not (REPO / n).is_file())


def unknown_cli_options(guide: str) -> list[str]:
    section = guide.split("### 10.")[1]
    known = {opt for sub in cli.parser()._subparsers._group_actions[0].choices.values()
             for action in sub._actions for opt in action.option_strings}
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", section))
    return sorted(used - known)


def test_guide_lists_exactly_the_variables_s_yaml_reads():
    assert variable_problems(GUIDE, SYAML) == []


def test_guide_names_only_files_that_exist():
    assert missing_files(GUIDE) == []


def test_guide_uses_only_options_the_cli_has():
    assert unknown_cli_options(GUIDE) == []


def test_guide_matches_s_yaml_alias_and_memory():
    raw = yaml.safe_load(SYAML)
    props = raw["resources"]["backup-report"]["props"]
    assert f"-a {raw['access']}" in GUIDE
    assert f"{props['memorySize']} MB" in GUIDE


def schedule_problems(guide: str, syaml: str) -> list[str]:
    """The contract of the schedule, never its values (a deployer edits their own): every timer trigger of s.yaml
    and every cronExpression the guide shows is a cron FC reads (cli/cron.py) with a CRON_TZ, and the guide
    names the triggers s.yaml ships."""
    from backup_report.cli import cron

    props = yaml.safe_load(syaml)["resources"]["backup-report"]["props"]
    timers = [t for t in props["triggers"] if t["triggerType"] == "timer"]
    shown = re.findall(r"cronExpression: (.+)", guide)
    problems = [f"the guide does not name s.yaml's trigger {t['triggerName']!r}" for t in timers
                if f"`{t['triggerName']}`" not in guide and f"triggerName: {t['triggerName']}" not in guide]
    for where, expression in [(f"s.yaml {t['triggerName']}", t["triggerConfig"]["cronExpression"]) for t in timers] \
            + [("the guide", e.strip()) for e in shown]:
        try:
            if not cron.parse(expression).zone:
                problems.append(f"{where}: {expression!r} has no CRON_TZ")
        except ValueError as error:
            problems.append(f"{where}: {expression!r}: {error}")
    return problems + ([] if shown else ["the guide shows no cronExpression"])


def test_guide_and_s_yaml_agree_on_the_schedules_contract_not_its_values():
    assert schedule_problems(GUIDE, SYAML) == []
    # A deployer's own schedule in s.yaml keeps the tests green.
    assert schedule_problems(GUIDE, re.sub(r"(cronExpression: CRON_TZ=Asia/Shanghai) 0 \d+ \d+ \* \* \*",
                                           r"\1 0 45 6 * * MON-FRI", SYAML)) == []


def test_schedule_check_can_fail():
    broken = SYAML.replace("triggerName: collect", "triggerName: gather").replace(
        "cronExpression: CRON_TZ=Asia/Shanghai 0 */15 * * * *", "cronExpression: '*/15 * * * *'")
    problems = schedule_problems(GUIDE.replace("CRON_TZ=Asia/Shanghai 0 37 8 * * MON", "0 37 8 * * MON"), broken)
    assert [p.split(":")[0] for p in problems] == ["the guide does not name s.yaml's trigger 'gather'",
                                                   "s.yaml gather", "the guide"]


def readme_env() -> dict[str, str]:
    """The README's example env file: the block of NAME=value lines that sets FC_ROLE_ARN."""
    block = next(b for b in re.findall(r"((?:^[A-Z_]+=.*\n)+)", README, re.M) if "FC_ROLE_ARN=" in b)
    return dict(line.split("=", 1) for line in block.splitlines())


def test_the_shipped_s_yaml_deploys_with_the_readmes_example_env():
    """What the README's env file leaves as `...` is the deployer's to fill; nothing else is wrong."""
    from backup_report.cli import preflight

    env = readme_env()
    placeholders = [name for name, value in env.items() if "..." in value]
    report = preflight.inspect(SYAML, env, preflight.load_schema())
    assert {"FC_ROLE_ARN", "INSTANCE_TAGS", "REGION"} <= set(env)
    assert [p for p in report.problems if not any(p.startswith(f"environment: {n}=") for n in placeholders)] == []
    assert report.warnings == []
    assert "make build && s deploy" in GUIDE and "\nbuild:" in (REPO / "Makefile").read_text()


def test_guide_states_the_timer_events_trigger_time():
    trigger = json.loads((REPO / "events" / "timer.json").read_text())["triggerTime"]
    assert trigger.replace(":00Z", "Z") in GUIDE


def test_trust_policy_lets_only_function_compute_assume_the_role():
    policy = json.loads((REPO / "deploy" / "fc-trust-policy.json").read_text())
    [statement] = policy["Statement"]
    assert statement == {"Action": "sts:AssumeRole", "Effect": "Allow",
                         "Principal": {"Service": ["fc.aliyuncs.com"]}}


def test_checks_find_a_guide_that_drifted():
    broken = (GUIDE.replace("`HISTORY_DAYS`, `KVSTORE", "`HISTORY_WEEKS`, `KVSTORE")
              .replace("`FC_ROLE_ARN` | – (required)", "`FC_ROLE_ARN` | x")
              .replace("deploy/ram-policy.json", "deploy/policy.json") + "\n`run --fast`\n")
    assert variable_problems(broken, SYAML) == [
        "s.yaml reads HISTORY_DAYS but the guide's table omits it",
        "the guide's table lists HISTORY_WEEKS, which s.yaml does not read",
        "FC_ROLE_ARN has no default in s.yaml: the guide must mark it required"]
    assert missing_files(broken) == ["deploy/policy.json"]
    assert unknown_cli_options(broken) == ["--fast"]
