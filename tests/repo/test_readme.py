"""The README shows exactly what lands in the channels: its message blocks are the golden files."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- golden:(?P<name>[\w.-]+) -->\n```text\n(?P<body>.*?)```\n<!-- /golden -->", re.S)


def test_the_readme_shows_the_current_golden_messages():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = {m["name"]: m["body"] for m in BLOCK.finditer(readme)}
    assert set(blocks) == {"demo-dingtalk.md", "demo-slack.txt", "demo-feishu.txt", "demo-wecom.md"}
    for name, body in blocks.items():
        assert body == (ROOT / "tests" / "golden" / name).read_text(encoding="utf-8"), \
            f"README's {name} block differs from tests/golden/{name}: copy it over"


def test_the_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:1200]
    assert "make demo" in head and "make test" in head
