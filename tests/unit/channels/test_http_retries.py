"""channels/http/retries.py as tables: the backoff, and the rule after a refused attempt."""
from __future__ import annotations

import random

import pytest

from backup_report.channels.http import Refusal, Retries

RETRY = Refusal("HTTP 503", retry=True)
FINAL = Refusal("DingTalk errcode 130101: rate limited", retry=False)
ASKED = Refusal("rate limited for 30 s (HTTP 429)", retry=True, wait=30.0)


@pytest.mark.parametrize("attempt,low,high", [(1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (5, 8.0, 16.0),
                                              (6, 10.0, 20.0), (40, 10.0, 20.0)])
def test_the_backoff_doubles_up_to_its_cap_with_jitter_of_up_to_half(monkeypatch, attempt, low, high):
    retries = Retries(attempts=4, base=1.0, cap=20.0)
    monkeypatch.setattr(random, "random", lambda: 0.0)
    assert retries.delay(attempt) == low
    monkeypatch.setattr(random, "random", lambda: 1.0)
    assert retries.delay(attempt) == high


def test_the_defaults_try_at_most_four_times():
    # DingTalk and WeCom: -1 "系统繁忙", retry at most 3 times
    assert Retries().attempts == 4


@pytest.mark.parametrize("refusal,attempt,remaining,wait,error", [
    (FINAL, 1, 1000.0, None, FINAL.error),  # the channel says a retry cannot help
    (RETRY, 4, 1000.0, None, RETRY.error),  # the last attempt
    (RETRY, 9, 1000.0, None, RETRY.error),
    (ASKED, 1, 1000.0, 30.0, ""),  # the service's own wait, in full
    (ASKED, 3, 40.0, 30.0, ""),  # 30 s and one attempt of 10 s: just fits
    (ASKED, 1, 39.9, None, ASKED.error),  # does not fit: the refusal's error already says the wait
    (ASKED, 4, 1000.0, None, ASKED.error),
    (RETRY, 1, 1000.0, 1.0, ""),  # the backoff (jitter pinned to its top)
    (RETRY, 3, 14.0, 4.0, ""),
    (RETRY, 3, 13.9, None, "HTTP 503; out of time to retry"),
    (Refusal("could not connect (refused)", retry=True), 2, 0.0, None, "could not connect (refused); out of time to retry"),
])
def test_after_a_refused_attempt(monkeypatch, refusal, attempt, remaining, wait, error):
    monkeypatch.setattr(random, "random", lambda: 1.0)
    assert Retries().after(refusal, attempt, 10.0, lambda: remaining) == (wait, error)


def test_the_time_left_is_read_only_when_a_retry_is_possible():
    def remaining() -> float:
        raise AssertionError("read the clock for a refusal that is never retried")

    assert Retries().after(FINAL, 1, 10.0, remaining) == (None, FINAL.error)
    assert Retries().after(RETRY, 4, 10.0, remaining) == (None, RETRY.error)
