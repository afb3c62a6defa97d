"""Times at the edges of datetime's range in whole runs: odd data or a settings error, never an OverflowError
(the readers themselves: tests/unit/test_odd_times.py).

`0001-01-01T00:00:00+01:00` is before datetime's year 1 once the offset is taken off, and
`9999-12-31T23:00:00Z` is after year 9999 once shown in Asia/Shanghai (UTC+8): both used to raise
OverflowError and take the whole run down, so nothing was posted.
"""
from __future__ import annotations

import pytest

from conftest import fleet, instance


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00Z"])
def test_an_odd_backup_start_time_makes_that_instance_error_and_the_digest_goes_out(report, start):
    odd = instance("r-odd", history=None, backups=[{"start": "-5h", "raw": {"BackupStartTime": start}}])
    run = report(fleet(instance("r-fine01"), odd), settings={"TIMEZONE": "Asia/Shanghai"})
    assert run.error is None
    # Its only record cannot be dated: the instance is an alert (today `missing`, with the reason), never fine.
    assert run.verdict("r-odd") in ("error", "missing") and run.verdict("r-fine01") == "ok"
    assert run.result["status"] == "alert"
    assert "without a readable start time" in run.detail("r-odd")
    assert len(run.dingtalk) == 1 and len(run.slack) == 1
    assert "r-odd" in run.dingtalk_text and "r-odd" in run.slack_text


def test_an_odd_backup_end_time_in_shanghai_does_not_stop_the_digest(report):
    odd = instance("r-odd", backups=[{"start": "-2h", "mode": "Manual", "raw": {"BackupEndTime": "9999-12-31T23:00:00Z"}}])
    run = report(fleet(odd), settings={"TIMEZONE": "Asia/Shanghai"})
    assert run.error is None and run.verdict("r-odd") == "ok"
    assert len(run.dingtalk) == 1 and len(run.slack) == 1


@pytest.mark.parametrize("trigger", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z"])
def test_a_trigger_time_out_of_range_is_a_settings_error_naming_trigger_time(report, trigger):
    run = report(fleet(instance("r-fine01")), event={"triggerTime": trigger, "payload": "{}"})
    assert run.error is None and run.result["status"] == "error", "the team is told; FC does not retry"
    assert "triggerTime" in run.result["settings"][0] and "1970" in run.result["settings"][0]
    assert run.calls() == [] and len(run.dingtalk) == 1 and len(run.slack) == 1
