"""`make help` lists every target with the `## ` line above it."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_help_lists_every_target_with_its_line():
    makefile = (REPO / "Makefile").read_text()
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, re.M)
    assert {"venv", "demo", "test", "build", "help"} <= set(targets)
    for target in targets:
        assert re.search(rf"^## .+\n{re.escape(target)}:", makefile, re.M), f"{target} has no ## line above it"
    done = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    listed = [line.split()[1] for line in done.stdout.splitlines()]
    assert listed == targets
    assert "  make demo " in done.stdout and "summary" in done.stdout
    for line in done.stdout.splitlines():  # the line says what the target does, not its name again
        target, doc = line.split()[1], line.split(None, 2)[2]
        assert not doc.lower().startswith(target), line
