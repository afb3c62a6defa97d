"""cli/cron.py: a timer trigger's cronExpression as FC reads it, refused with the accepted form."""
from __future__ import annotations

import pytest

from backup_report.cli import cron


@pytest.mark.parametrize("expression, zone", [
    ("CRON_TZ=Asia/Shanghai 0 7 9 * * *", "Asia/Shanghai"),
    ("CRON_TZ=Asia/Shanghai 0 */15 * * * *", "Asia/Shanghai"),
    ("0 30 8 * * TUE-FRI", ""),
    ("0 0 4 1 * *", ""),                       # FC's own example, read in UTC
    ("0 0 9 ? * MON-SUN", ""),
    ("0 0,30 8-18/2 1-15 JAN-MAR mon,wed", ""),
])
def test_fc_cron_expressions_are_read_with_their_zone(expression, zone):
    schedule = cron.parse(expression)
    assert schedule.zone == zone and len(schedule.fields) == 6


@pytest.mark.parametrize("expression", ["@every 4m", "@every 1h30m"])
def test_an_interval_is_whole_minutes_or_hours(expression):
    assert cron.parse(expression) == cron.Schedule("", ())


def test_a_crontab_line_is_refused_with_the_six_field_form_and_its_own_fix():
    with pytest.raises(ValueError) as refused:
        cron.parse("CRON_TZ=Asia/Shanghai 7 9 * * *")
    said = str(refused.value)
    assert said.startswith("5 fields, a crontab line; FC's cron has 6, seconds first: "
                           "`second minute hour day month weekday`")
    assert "(this one with seconds: `CRON_TZ=Asia/Shanghai 0 7 9 * * *`)" in said


@pytest.mark.parametrize("expression, says", [
    ("0 0 9 * * * 2026", "7 fields (FC's cron has no year field)"),
    ("CRON_TZ=Mars/Base 0 0 9 * * *", "CRON_TZ='Mars/Base' is not an IANA time zone"),
    ("TZ=UTC 0 0 9 * * *", "the time zone prefix is `CRON_TZ=<zone> `"),
    ("0 60 9 * * *", "minute field '60': 0-59, with * , - /"),
    ("0 0 24 * * *", "hour field '24': 0-23"),
    ("0 0 9 L * *", "day field 'L': 1-31, with * , - /, ?"),
    ("0 0 9 * ? *", "month field '?': 1-12 or JAN-DEC"),
    ("0 0 9 15-1 * *", "day field '15-1'"),
    ("@every 30s", "an interval is `@every` and whole minutes or hours"),
    ("", "0 fields"),
])
def test_what_fc_would_refuse_is_named_with_the_accepted_form(expression, says):
    with pytest.raises(ValueError) as refused:
        cron.parse(expression)
    assert says in str(refused.value)


def test_a_numbered_weekday_is_told_apart_because_fc_and_go_number_days_differently():
    assert cron.numbered_weekdays(cron.parse("0 0 9 * * 1-5"))
    assert not cron.numbered_weekdays(cron.parse("0 0 9 * * MON-FRI"))
    assert not cron.numbered_weekdays(cron.parse("0 0 9 * * */2"))


@pytest.mark.parametrize("expression", ["@daily", "@hourly", "@midnight"])
def test_a_crontab_shorthand_is_named_as_one_fc_does_not_take(expression):
    with pytest.raises(ValueError) as refused:
        cron.parse(expression)
    assert str(refused.value).startswith(f"{expression} is a crontab shorthand; FC's time trigger takes `@every` or "
                                         "six fields: ")


def test_a_long_field_is_quoted_short():
    with pytest.raises(ValueError) as refused:
        cron.parse("0 0 9 * * " + "MON," * 500 + "X")
    assert str(refused.value).startswith("weekday field 'MON,MON,") and len(str(refused.value)) < 400
