"""Times at the edges of datetime's range: odd data or a settings error, never an OverflowError.

`0001-01-01T00:00:00+01:00` is before datetime's year 1 once the offset is taken off, and
`9999-12-31T23:00:00Z` is after year 9999 once shown in Asia/Shanghai (UTC+8): both used to raise
OverflowError and take the whole run down, so nothing was posted.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from alibabacloud_r_kvstore20150101.models import DescribeInstancesResponseBodyInstancesKVStoreInstance

from backup_report import humanize
from backup_report.cloud.answers import instance as _instance
from backup_report.window import parse_api_time
from conftest import fleet, instance

EDGES = ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:00:00Z", "9999-12-31T23:59:59-01:00",
         "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z"]


@pytest.mark.parametrize("text", EDGES)
def test_a_time_outside_1970_to_2199_is_unreadable(text):
    assert parse_api_time(text) is None


def test_times_inside_the_range_are_read_with_their_offset():
    assert parse_api_time("1970-01-01T08:00:00+08:00") == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert parse_api_time("2199-12-31T23:59Z") == datetime(2199, 12, 31, 23, 59, tzinfo=timezone.utc)


def test_humanize_never_raises_at_the_edges_of_datetime():
    shanghai = ZoneInfo("Asia/Shanghai")
    assert humanize.at(datetime(9999, 12, 31, 23, tzinfo=timezone.utc), shanghai) == "an unknown time"
    assert humanize.ago(datetime(1, 1, 1, tzinfo=timezone.utc), datetime(9999, 12, 31, tzinfo=timezone.utc)) \
        == "3652058 days ago"
    assert humanize.ago(datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=timezone.utc)) == "at an unknown time"


@pytest.mark.parametrize("create_time", EDGES[:3])
def test_an_odd_create_time_reads_as_unknown(create_time):
    item = DescribeInstancesResponseBodyInstancesKVStoreInstance().from_map(
        {"InstanceId": "r-x", "InstanceName": "x", "RegionId": "cn-hangzhou", "CreateTime": create_time})
    found, _ = _instance(item, "cn-hangzhou")
    assert found.created is None


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
