"""The README is a user's guide that runs as written: its message block is the golden file (and docs/messages.md
holds the other channels'), its "Try it" commands are the Makefile's targets and the CLI's commands, and its
"Deploy it" path sets what s.yaml reads and checks it (`make preflight`) before `s deploy`.

Each check returns the problems it finds; each runs on the real text and on a broken copy.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from backup_report import cli
from backup_report.settings import NAMES

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MESSAGES = (ROOT / "docs" / "messages.md").read_text(encoding="utf-8")
SYAML = (ROOT / "s.yaml").read_text(encoding="utf-8")
BLOCK = re.compile(r"<!-- golden:(?P<name>[\w.-]+) -->\n```text\n(?P<body>.*?)```\n<!-- /golden -->", re.S)
ENV = re.compile(r"""\$\{env\('([A-Z_]+)'(?:,\s*'[^']*')?\)\}""")
REQUIRED = re.compile(r"""\$\{env\('([A-Z_]+)'\)\}""")
MAKE_TARGET = re.compile(r"^([A-Za-z][\w-]*):", re.M)


def golden_blocks(text: str) -> dict[str, str]:
    return {m["name"]: m["body"] for m in BLOCK.finditer(text)}


def golden_problems(text: str) -> list[str]:
    return [f"the {name} block differs from tests/golden/{name}: copy it over"
            for name, body in golden_blocks(text).items()
            if body != (ROOT / "tests" / "golden" / name).read_text(encoding="utf-8")]


def shell_block(text: str, heading: str) -> str:
    """The first ```sh block of the section `## heading`."""
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def commands(block: str) -> list[list[str]]:
    """Each command line of a shell block as words, comments dropped and `&&` chains split."""
    out = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            out.append(words[:cut])
            words = words[cut + 1:]
    return out


def makefile_targets() -> set[str]:
    return set(MAKE_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


def cli_problems(words: list[str]) -> list[str]:
    """`./backup-report COMMAND --option …`: a command the CLI has, with options that command takes."""
    choices = cli.parser()._subparsers._group_actions[0].choices
    if len(words) < 2 or words[1] not in choices:
        return [f"{' '.join(words)}: not a command of ./backup-report ({', '.join(choices)})"]
    known = {opt for action in choices[words[1]]._actions for opt in action.option_strings}
    return [f"{' '.join(words)}: {w} is not an option of {words[1]}" for w in words[2:]
            if w.startswith("--") and w.split("=")[0] not in known]


def try_it_problems(block: str) -> list[str]:
    problems, targets = [], makefile_targets()
    for words in commands(block):
        if words[0] == "make":
            problems += [f"make {t}: the Makefile has no such target" for t in words[1:] if t not in targets]
        elif words[0] == "./backup-report":
            problems += cli_problems(words)
        else:
            problems.append(f"{' '.join(words)}: neither make nor ./backup-report")
    return problems


def deploy_it_problems(block: str, syaml: str) -> list[str]:
    """The env file sets only variables s.yaml reads, and each it requires; `make preflight` runs before `s deploy`."""
    written = re.findall(r"^([A-Z][A-Z0-9_]*)=", block, re.M)
    read = set(ENV.findall(syaml))
    problems = [f"the env file sets {n}, which s.yaml does not read" for n in written if n not in read]
    problems += [f"s.yaml requires {n} (no default), which the env file does not set"
                 for n in sorted(set(REQUIRED.findall(syaml)) - set(written))]
    if "DINGTALK_WEBHOOK" not in written or "SLACK_WEBHOOK" not in written:
        problems.append("the env file holds no DingTalk or no Slack webhook")
    lines = [" ".join(w) for w in commands(block)]
    if "make preflight" not in lines or "s deploy" not in lines or lines.index("make preflight") > lines.index("s deploy"):
        problems.append("the path runs `make preflight` before `s deploy`")
    problems += [f"make {t}: the Makefile has no such target" for w in commands(block) if w[0] == "make"
                 for t in w[1:] if t not in makefile_targets()]
    return problems


def settings_table_problems(text: str) -> list[str]:
    """The README's "Configure" table names only real settings (the full table is docs/settings.md)."""
    section = text.split("\n## Configure\n", 1)[1].split("\n## ", 1)[0]
    named = {n for row in section.splitlines() if row.startswith("| `")
             for n in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}
    return [f"{n} is not a setting" for n in sorted(named - set(NAMES))]


def test_the_readme_shows_the_dingtalk_golden_message_and_docs_messages_the_others():
    assert set(golden_blocks(README)) == {"demo-dingtalk.md"}
    assert set(golden_blocks(MESSAGES)) == {"demo-slack.txt", "demo-feishu.txt", "demo-wecom.md"}
    texts = {p.name for p in (ROOT / "tests" / "golden").iterdir() if p.suffix != ".json"}
    assert set(golden_blocks(README)) | set(golden_blocks(MESSAGES)) == texts
    assert golden_problems(README) == [] and golden_problems(MESSAGES) == []


def test_the_readme_starts_with_the_two_commands():
    head = README[:1200]
    assert "make demo" in head and "make test" in head


def test_try_it_runs_makefile_targets_and_cli_commands():
    block = shell_block(README, "Try it")
    assert try_it_problems(block) == []
    assert [w[:2] for w in commands(block)][:2] == [["make", "demo"], ["make", "test"]]


def test_deploy_it_sets_what_s_yaml_reads_and_checks_before_deploying():
    assert deploy_it_problems(shell_block(README, "Deploy it"), SYAML) == []


def test_the_common_settings_are_settings():
    assert settings_table_problems(README) == []


def test_checks_find_a_readme_that_drifted():
    assert golden_problems(README.replace("4 need attention", "5 need attention", 1)) == [
        "the demo-dingtalk.md block differs from tests/golden/demo-dingtalk.md: copy it over"]
    assert try_it_problems("make demoo\n./backup-report runn\n./backup-report run --fast\npython -m x\n") == [
        "make demoo: the Makefile has no such target",
        "./backup-report runn: not a command of ./backup-report (check, run, invoke)",
        "./backup-report run --fast: --fast is not an option of run",
        "python -m x: neither make nor ./backup-report"]
    deploy = shell_block(README, "Deploy it")
    assert deploy_it_problems(deploy.replace("FC_ROLE_ARN=", "FC_ROLE=").replace("make preflight", "make preflite"),
                              SYAML) == [
        "the env file sets FC_ROLE, which s.yaml does not read",
        "s.yaml requires FC_ROLE_ARN (no default), which the env file does not set",
        "the path runs `make preflight` before `s deploy`",
        "make preflite: the Makefile has no such target"]
    assert settings_table_problems(README.replace("| `OWNER_TAG` |", "| `OWNER_TAGS` |")) == ["OWNER_TAGS is not a setting"]


LINK = re.compile(r"\]\((?!https?://|mailto:)([^)#\s]*)(?:#([^)\s]*))?\)")


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def link_problems(page: Path, text: str) -> list[str]:
    """Relative links of `page` whose file, or whose #anchor in a Markdown file, does not exist."""
    problems = []
    for target, fragment in LINK.findall(text):
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            problems.append(f"{page.relative_to(ROOT)}: {target} does not exist")
        elif fragment and path.suffix == ".md":
            fenced = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
            if fragment not in {anchor(h) for h in re.findall(r"^#+ (.+)$", fenced, re.M)}:
                problems.append(f"{page.relative_to(ROOT)}: {target}#{fragment} has no such heading")
    return problems


def test_the_readme_and_docs_link_only_to_what_exists():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert [p for page in pages for p in link_problems(page, page.read_text(encoding="utf-8"))] == []
    assert link_problems(ROOT / "README.md", "[a](docs/nothing.md) [b](docs/deploy.md#no-such-step)") == [
        "README.md: docs/nothing.md does not exist", "README.md: docs/deploy.md#no-such-step has no such heading"]
