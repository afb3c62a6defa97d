"""spelling: the nearest accepted word to a misspelled one, or nothing."""
from __future__ import annotations

import pytest

from backup_report.settings import NAMES
from backup_report.spelling import did_you_mean, nearest


@pytest.mark.parametrize("typed, meant", [
    ("INSTANCE_TAG", "INSTANCE_TAGS"), ("SLACK_WEBHOOK_URL", "SLACK_WEBHOOK"),
    ("DINGDING_WEBHOOK", "DINGTALK_WEBHOOK"), ("REGOINS", "REGIONS"), ("TIMEZON", "TIMEZONE"),
])
def test_a_misspelled_setting_finds_the_setting_meant(typed, meant):
    assert nearest(typed, NAMES) == meant


def test_a_word_that_is_nothing_like_any_choice_or_is_one_finds_nothing():
    assert nearest("PATH", NAMES) == "" and nearest("HOME", NAMES) == ""
    assert nearest("REGIONS", NAMES) == "" and did_you_mean("regions", NAMES) == ""


def test_did_you_mean_names_the_guess_as_typed_or_quoted():
    assert did_you_mean("cn-hangzou", ["cn-hangzhou", "cn-shanghai"]) == " (did you mean cn-hangzhou?)"
    assert did_you_mean("regoins", ["regions"], quoted=True) == " (did you mean 'regions'?)"
    assert did_you_mean("cn-hangzou", ["ap-southeast-1"]) == ""
