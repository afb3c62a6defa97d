"""`make demo` (python -m sandbox demo) as a person reads it: the messages, then a short summary; the log lines
and the result JSON in build/ (or printed with -v)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def demo(*argv: str, out: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-m", "sandbox", "demo", "--out", str(out), *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_make_demo_ends_with_a_summary_and_puts_the_json_and_the_logs_in_files(tmp_path):
    done = demo(out=tmp_path)
    assert done.returncode == 0, done.stderr
    tail = done.stdout.split("Summary (what the run did; the messages above are what the team reads):\n")[1]
    assert tail.splitlines() == [
        "  status: alert   window: 2026-11-27T01:00:00Z … 2026-11-28T01:00:00Z",
        "  instances: 15 (failed 1, missing 1, incomplete 2, shrunk 1, recovered 1, policy 1, new 1, not_due 1, ok 6)",
        "  dingtalk: posted", "  slack: posted", "  feishu: posted", "  wecom: posted",
        "  heartbeat start: pinged", "  heartbeat success: pinged",
        f"The report page (archived in the sandbox's OSS bucket; open it in a browser): {tmp_path / 'demo-report.html'}",
        f"The result JSON (what FC records for the invocation): {tmp_path / 'demo-result.json'}",
        f"The function's log lines (what `s logs` shows): {tmp_path / 'demo-log.txt'}",
        "(both printed here too with -v: make demo V=1)"]
    assert done.stdout.startswith(
        "\nRan index.handler on the sandbox's 'demo' fleet with timer.json\n(trigger time 2026-11-28T01:00:00Z); "
        "REGIONS=cn-hangzhou,cn-shanghai, INSTANCE_TAGS=backup-report=daily.\n\n┌"), done.stdout[:300]
    # The messages come first; no JSON line or result on the terminal.
    assert done.stdout.index("DingTalk (markdown, as the group sees it)") < done.stdout.index("Summary")
    assert '"event"' not in done.stdout and "Result JSON" not in done.stdout and done.stderr == ""
    result = json.loads((tmp_path / "demo-result.json").read_text())
    assert result["status"] == "alert" and len(result["instances"]) == 15
    log = (tmp_path / "demo-log.txt").read_text()
    assert log.count('"event": "backup_report.instance"') == 7
    assert (tmp_path / "demo-report.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_make_demo_v_prints_the_log_lines_and_the_result_json_before_the_summary(tmp_path):
    done = demo("-v", out=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.split("Result JSON (what FC records for the invocation):\n")[1].split("\n\nSummary")[0]
    assert json.loads(printed) == json.loads((tmp_path / "demo-result.json").read_text())
    assert done.stdout.count('"event": "backup_report.instance"') == 7
    assert "make demo V=1" not in done.stdout
