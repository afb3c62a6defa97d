"""heartbeat.read_answer and problem_of: which answers of healthchecks.io and Cronitor are a ping that landed."""
from __future__ import annotations

import pytest

from backup_report.channels.http import Answer
from backup_report.heartbeat import NOT_FOUND, RATE_LIMITED, Ping, problem_of, read_answer


def answer(status: int, body: bytes) -> Answer:
    return Answer(status=status, body=body, headers={})


# 201 Created: a slug URL with ?create=1 made the check and pinged it (https://healthchecks.io/docs/autoprovisioning/;
# hc/api/views.py ping_by_slug answers b"Created")
@pytest.mark.parametrize("status,body", [(200, b"OK"), (200, b"OK\n"), (201, b"Created")])
def test_healthchecks_ok_is_a_ping_that_landed(status, body):
    assert read_answer(answer(status, body)) is None


@pytest.mark.parametrize("status,body,problem,retry", [
    (200, b"OK (not found)", NOT_FOUND, False),      # hosted, UUID URL
    (404, b"not found", NOT_FOUND, False),           # documented, open-source server and slug URLs
    (200, b"OK (rate limited)", RATE_LIMITED, False),
    (429, b"rate limited", RATE_LIMITED, True),      # slug URLs
    (200, b"", "", False),                           # fail closed: no success body
    (200, b"ok", "", False),                         # another service's word (Slack's), not healthchecks'
    (200, b"Created", "", False),                    # only a 201 says a check was created
    (409, b"ambiguous slug", "", False),
    (200, b"<html>captive portal</html>", "", False),
    (503, b"down", "", True),
])
def test_healthchecks_answers_that_are_not_ok_fail_and_say_why(status, body, problem, retry):
    refusal = read_answer(answer(status, body))
    assert refusal is not None and refusal.retry is retry
    assert problem_of(answer(status, body)) == problem
    assert refusal.error.startswith(f"HTTP {status}")


def test_cronitor_has_no_success_body_so_any_2xx_lands_and_nothing_is_a_missing_check():
    assert read_answer(answer(200, b""), cronitor=True) is None
    assert read_answer(answer(202, b"whatever"), cronitor=True) is None
    assert problem_of(answer(404, b"not found"), cronitor=True) == ""


def test_only_a_missing_or_rate_limited_check_warns_the_digest():
    assert Ping("start", False, "x", NOT_FOUND).warning == "the heartbeat check does not exist: check HEARTBEAT_URL"
    assert Ping("start", False, "x", RATE_LIMITED).warning.startswith("the heartbeat service dropped a ping")
    assert Ping("start", False, "HTTP 503").warning == "" and Ping("start", True).warning == ""
