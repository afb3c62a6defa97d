"""A webhook setting the HTTP client would read differently stops the whole run before any API call or post
to it (each such setting refused by `load_settings`: tests/unit/settings/test_settings_transport.py).
"""
from __future__ import annotations

import pytest

from conftest import fleet, instance


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_a_webhook_the_client_would_read_differently_stops_the_run_before_any_call_or_post(report):
    run = report(fleet(instance("r-fine01")),
                 settings={"SLACK_WEBHOOK": "http://127.0.0.2:8080\\@127.0.0.1/services/T000/B000/slacktoken0123",
                           "KVSTORE_ENDPOINT": "-"})
    # DingTalk's own settings are fine, so DingTalk is told (issue 15); the bad Slack webhook is never posted to.
    assert run.error is None and run.result["status"] == "error"
    problems = "\n".join(run.result["settings"])
    assert "SLACK_WEBHOOK" in problems and "KVSTORE_ENDPOINT" in problems
    assert run.calls() == [] and len(run.dingtalk) == 1 and run.slack == []
