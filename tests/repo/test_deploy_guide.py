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
    named = set(re.findall(r"\b((?:deploy|events|scripts|docs|function|sandbox)/[\w./-]+\.(?:json|py|md|txt))", guide))
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


def test_guide_matches_s_yaml_alias_schedule_and_memory():
    raw = yaml.safe_load(SYAML)
    props = raw["resources"]["backup-report"]["props"]
    assert f"-a {raw['access']}" in GUIDE
    assert props["triggers"][0]["triggerConfig"]["cronExpression"] in GUIDE
    assert f"{props['memorySize']} MB" in GUIDE
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
