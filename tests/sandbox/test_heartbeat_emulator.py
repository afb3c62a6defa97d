"""The sandbox's healthchecks.io check answers as the hosted service does (sandbox/heartbeat.py's sources)."""
from __future__ import annotations

import requests

import sandbox
from conftest import fleet


def test_the_check_answers_ok_its_uuid_and_200_ok_not_found_any_other():
    with sandbox.start(fleet()) as sb:
        assert (requests.post(sb.heartbeat_url + "/start", timeout=5).text, sb.heartbeat.signals) == ("OK", ["start"])
        other = sb.heartbeat_url.rsplit("/", 1)[0] + "/0f3c9b7e-5c1d-4c55-9a55-1d2b3c4d5e6f"
        answer = requests.get(other, timeout=5)
        assert (answer.status_code, answer.text) == (200, "OK (not found)") and sb.heartbeat.signals == ["start"]
        assert requests.get(sb.heartbeat_url + "/start/extra", timeout=5).status_code == 404
