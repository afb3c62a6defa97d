"""judge.history.sizes: the bytes backed up each day, in TIMEZONE's days, for the report page's size history."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from backup_report.judge.history import sizes
from backup_report.judge.verdicts import Rules, decide
from .build import AT, GB, RULES, SHARDS, STANDARD, WINDOW, backup, classic, nightly, standard

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_day_is_the_newest_full_backup_of_that_day_in_the_time_zone():
    records = [backup(start=AT - timedelta(days=1), size=GB), backup(start=AT, size=2 * GB),
               backup(start=AT + timedelta(hours=1), size=3 * GB),  # the same day's newer one counts
               backup(start=AT - timedelta(days=2), size=5 * GB, status="Failed"),  # a failure backed up nothing
               backup(start=AT - timedelta(days=3), size=5 * GB, backup_type="IncrementalBackup"),
               backup(start=AT - timedelta(days=4), size=None)]  # no size read: no point
    assert sizes(standard(*records), records, None) == ((date(2026, 11, 26), GB), (date(2026, 11, 27), 3 * GB))
    # 18:10Z on Nov 27 is 02:10 on Nov 28 in Shanghai: the day the team calls it.
    assert sizes(standard(*records), records, SHANGHAI) == ((date(2026, 11, 27), GB), (date(2026, 11, 28), 3 * GB))


def test_a_classic_clusters_day_sums_its_shards_and_needs_every_one():
    records = [*(backup(node, AT, size=GB) for node in SHARDS),
               *(backup(node, AT - timedelta(days=1), size=GB) for node in SHARDS[:2])]
    assert sizes(classic(*records), records, None) == ((date(2026, 11, 27), 3 * GB),)


def test_decide_keeps_the_sizes_of_what_it_read_and_none_of_records_in_doubt():
    records = nightly(days=3)
    verdict = decide(STANDARD, standard(*records), WINDOW, Rules(tz=SHANGHAI))
    assert verdict.sizes == ((date(2026, 11, 26), GB), (date(2026, 11, 27), GB), (date(2026, 11, 28), GB))
    doubtful = [*records, backup(start=AT + timedelta(days=3))]  # a record from the future: in doubt
    assert decide(STANDARD, standard(*doubtful), WINDOW, RULES).sizes == ()
