"""restore/state.py reads the kept state back as untrusted data; restore/plan.py's decisions."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from backup_report.restore import plan
from backup_report.restore.state import Current, Leftover, Outcome, State, Unreadable, dumps, loads

CURRENT = Current("20261128T0100-r-a", "r-a", "cn-hangzhou", "123", False, "r-clone1",
                  datetime(2026, 11, 28, 1, tzinfo=timezone.utc), 0.35, "CNY", 2 << 30)


def test_a_state_round_trips():
    state = State(CURRENT, "2026-W48", ("r-a",), "r-a", (Outcome("2026-11-21", "r-b", "passed", 31, 5, "ok"),),
                  (Leftover("r-clone0", "cn-hangzhou", "DeleteInstance failed: X"),),
                  datetime(2026, 11, 28, 1, 31, tzinfo=timezone.utc))
    assert loads(dumps(state)) == state


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(version=2), lambda d: d.update(tested="r-a"), lambda d: d.update(tested=["x"] * 51),
    lambda d: d["current"].update(clone="r-1\n"), lambda d: d["current"].update(price=-1),
    lambda d: d["current"].update(created="yesterday"), lambda d: d["current"].update(cluster_set="no"),
    lambda d: d.update(history=[{"day": "2026-11-28", "source": "r-a", "outcome": "great"}]),
    lambda d: d.update(leftovers=[{"clone": "../x", "region": "cn-hangzhou"}]), lambda d: d.update(last="yesterday"),
])
def test_a_state_not_as_written_is_unreadable(mutate):
    document = json.loads(dumps(State(CURRENT)))
    mutate(document)
    with pytest.raises(Unreadable):
        loads(json.dumps(document).encode())


def test_unreadable_bytes_are_refused_before_parsing():
    with pytest.raises(Unreadable, match="over"):
        loads(b"{" * (300 * 1024))
    with pytest.raises(Unreadable, match="not JSON"):
        loads(b"\xff")


def test_a_test_is_due_on_a_scheduled_day_until_the_sample_is_done():
    sat = date(2026, 11, 28)
    assert plan.due((5,), ("rotation", 1), State(week="2026-W48"), sat)
    assert not plan.due((5,), ("rotation", 1), State(week="2026-W48", tested=("r-a",)), sat)
    assert not plan.due((6,), ("rotation", 1), State(), sat)
    assert not plan.due((5,), ("rotation", 2), State(current=CURRENT), sat)
    assert plan.this_week(State(week="2026-W47", tested=("r-a",)), sat).tested == ()


def test_a_clone_is_judged_by_its_used_memory_against_its_backup():
    assert plan.judged("2026-11-28", "r-a", 31, 3 << 30, 2 << 30).outcome == "passed"
    assert plan.judged("2026-11-28", "r-a", 31, 1 << 20, 2 << 30).words.endswith("looks empty")
    assert plan.judged("2026-11-28", "r-a", 31, None, 2 << 30).outcome == "failed"  # unproven is not passed


def test_a_price_above_the_maximum_is_refused_in_words():
    assert plan.refused_price(0.35, "CNY", 1) == ""
    assert "costs 2.00 USD an hour" in plan.refused_price(2, "USD", 1)


def test_what_the_state_keeps_reads_back_and_a_state_it_cannot_keep_is_refused():
    odd = State(history=(Outcome("2026-11-28", "r-a", "failed", words="refused: X\nY" + "z" * 400),),
                leftovers=(Leftover("r-clone1", "cn-hangzhou", "DeleteInstance failed: A\r\nB"),))
    back = loads(dumps(odd))
    assert back.history[0].words.startswith("refused: X Yzz") and len(back.history[0].words) == 300
    assert back.leftovers[0].error == "DeleteInstance failed: A  B"
    with pytest.raises(Unreadable):  # a clone ID the state could not read back is never written
        dumps(State(leftovers=(Leftover("r-1/../x", "cn-hangzhou"),)))
def test_words_with_a_lone_surrogate_are_kept_as_utf8_that_reads_back():
    # An API's error code may carry one (a JSON "\ud800" escape); the state's UTF-8 must still be written.
    from backup_report.restore import state as st
    kept = st.loads(st.dumps(st.State(history=(st.Outcome("2026-11-28", "r-a", "failed", words="code \ud800"),))))
    assert kept.history[0].words == "code \ufffd"
