"""`invoke`'s exit status from what the deployed function returned, and FC's error body as printed."""
from __future__ import annotations

import json

import pytest

from backup_report.cli import FAILED, OK, invoke

WHOLE = {"status": "alert", "instances": [{"verdict": "failed"}], "deliveries": [{"channel": "slack", "ok": True}]}


def returned(body: bytes, capsys) -> tuple[int, str]:
    code = invoke._returned(body)
    return code, capsys.readouterr().out


def test_a_whole_report_is_0_and_printed_indented(capsys):
    code, out = returned(json.dumps(WHOLE).encode(), capsys)
    assert code == OK
    assert json.loads(out) == WHOLE and out.startswith("{\n  ")


@pytest.mark.parametrize("change", [{"unchecked_regions": [{"region": "cn-shanghai", "error": "x"}]},
                                    {"instances": [{"verdict": "error"}]},
                                    {"deliveries": [{"channel": "slack", "ok": False}]}])
def test_a_report_run_would_exit_1_for_is_1(change, capsys):
    assert returned(json.dumps({**WHOLE, **change}).encode(), capsys)[0] == FAILED


def test_a_run_its_settings_stopped_is_1(capsys):
    body = {"status": "error", "settings": ["event payload: not a JSON object"]}
    assert returned(json.dumps(body).encode(), capsys)[0] == FAILED


@pytest.mark.parametrize("body, printed", [(b"not json", "not json"), (b'"a string"', '"a string"'),
                                           (b"[1, 2]", "[\n  1,\n  2\n]"), (b'{"status": "ok"}', '{\n  "status": "ok"\n}'),
                                           (b"null", "null")])
def test_what_is_not_a_report_is_printed_and_0(body, printed, capsys):
    assert returned(body, capsys) == (OK, printed + "\n")


def test_fc_s_error_body_reads_as_type_and_message():
    body = json.dumps({"errorType": "RuntimeError", "errorMessage": "boom", "stackTrace": ["…"]}).encode()
    assert invoke._function_error(body) == "RuntimeError: boom"
    assert invoke._function_error(b"{}") == "Error: "
    assert invoke._function_error(b"x" * 3000) == "x" * 2000  # not JSON: its text, cut


def test_an_sdk_error_reads_as_code_message_and_status():
    class TeaException(Exception):
        code, message, status_code = "FunctionNotFound", "function 'nope' does not exist", 404

    assert invoke._sdk_error(TeaException()) == "FunctionNotFound: function 'nope' does not exist (HTTP 404)"
    assert invoke._sdk_error(ConnectionResetError("reset by peer")) == "ConnectionResetError: reset by peer"
    assert len(invoke._sdk_error(ValueError("m" * 900))) == len("ValueError: ") + 500
