"""The settings table is the one list of settings: Settings, the names, s.yaml, the secrets and docs/settings.md follow it."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from backup_report import settings as cfg
from backup_report.settings.table import TABLE

REPO = Path(__file__).resolve().parents[3]


def test_settings_has_one_attribute_per_row_in_the_tables_order_with_its_default():
    fields = dataclasses.fields(cfg.Settings)[:-1]
    assert [f.name for f in fields] == [s.field for s in TABLE]
    assert dataclasses.fields(cfg.Settings)[-1].name == "from_payload"  # not a setting: where each came from
    for f, row in zip(fields, TABLE):
        if row.default is not None and f.default is not dataclasses.MISSING:
            assert f.default == row.default, row.name


def test_secret_rows_are_kept_out_of_repr_and_out_of_error_texts():
    secret = {s.field for s in TABLE if s.secret}
    assert secret == {f.name for f in dataclasses.fields(cfg.Settings) if not f.repr}
    for row in TABLE:
        if row.secret:
            shown = cfg._shown(row.name, "https://example.com/path/tokentokentoken0123?access_token=abcdef0123")
            assert "tokentoken" not in shown and "abcdef0123" not in shown


def test_s_yaml_passes_every_setting_from_the_deploying_shell():
    s = yaml.safe_load((REPO / "s.yaml").read_text())
    env = next(iter(s["resources"].values()))["props"]["environmentVariables"]
    assert [n for n in cfg.NAMES if n not in env] == []


def test_the_docs_settings_table_says_who_may_set_each_setting_as_the_table_does():
    from backup_report.settings.table import BY_NAME, ENVIRONMENT, OPT_IN, PAYLOAD

    def words(row) -> str:
        if row.origin == PAYLOAD:
            return "environment, payload"
        if row.origin == OPT_IN:
            return "environment; a payload if opted in"
        if row.origin == ENVIRONMENT:
            return "environment only"
        return f"environment; a payload may only tighten it ({row.tighten.word})"

    page = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    section = page.split("\n## All settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {line.split(" | ")[0][3:-1]: line.rstrip(" |").split(" | ")[-1]
            for line in section.splitlines() if line.startswith("| `")}
    assert rows == {name: words(row) for name, row in BY_NAME.items()}


def test_no_setting_takes_fcs_reserved_prefix():
    # FC: "you cannot use environment variables with the reserved prefix FC_*"
    # (https://www.alibabacloud.com/help/en/functioncompute/fc/environment-variables).
    from backup_report.settings import NAMES
    assert [name for name in NAMES if name.startswith("FC_")] == []
