"""Times at the edges of datetime's range read as unknown, never an OverflowError: parse_api_time,
humanize, a DescribeInstances entry's CreateTime (whole runs with such times: tests/e2e/test_odd_times.py).

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
