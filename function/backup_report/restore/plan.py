"""A restore test's decisions, pure: whether one is due, which instance it restores, whether its price is refused,
what the clone proves, and the words the digest and the result carry. No I/O (restore/step.py does it)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from .. import humanize
from ..model import Checked, Kind
from ..settings.parsers import MAX_RESTORE_SAMPLE
from .state import Outcome, State

# A clone holding less memory than this share of its backup's size is not shown to hold the backup: an RDB file
# is compressed and smaller than the data it loads into memory, so a restored clone uses at least about as much.
LOADED_SHARE = 0.5
MIN_USED_MEMORY = 1 << 20  # an empty Redis itself uses about a megabyte (INFO used_memory at start)


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def this_week(state: State, today: date) -> State:
    """`state` with its week's record (who was tested) reset when a new ISO week began."""
    week = week_of(today)
    return state if state.week == week else replace(state, week=week, tested=())


def due(schedule: tuple[int, ...], sample: tuple, state: State, today: date) -> bool:
    """Whether a new test starts today (`today` in TIMEZONE): a scheduled weekday, none running, and fewer tests
    this week than the sample asks (rotation:N) or MAX_RESTORE_SAMPLE (tag:…)."""
    limit = sample[1] if sample[0] == "rotation" else MAX_RESTORE_SAMPLE
    return today.weekday() in schedule and state.current is None and len(state.tested) < limit


def restorable(checked: Checked) -> bool:
    """Whether a watched instance can be restore-tested: its backups judged fine, Normal, of this account, with a
    class, and not a classic cluster (its backup is one BackupId a shard, which CreateInstance takes as a list;
    not done here)."""
    i = checked.instance
    return (checked.verdict.kind == Kind.OK and i.status == "Normal" and not i.account_id and bool(i.instance_class)
            and (not i.is_cluster or i.cloud_native))


def pick(checked: list[Checked], sample: tuple, state: State) -> Checked | None:
    """The next instance to test: rotation, the first by InstanceId after `state.cursor` (wrapping) not tested this
    week; tag, the first with the sample's tag not tested this week. None when no instance qualifies."""
    pool = sorted((c for c in checked if restorable(c) and c.instance.instance_id not in state.tested),
                  key=lambda c: c.instance.instance_id)
    if sample[0] == "tag":
        key, value = sample[1]
        return next((c for c in pool if c.instance.tag(key) == value), None)
    after = [c for c in pool if c.instance.instance_id > state.cursor]
    return (after or pool or [None])[0]


def money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def refused_price(amount: float, currency: str, max_cost: float) -> str:
    """Why the price is refused ("" when it is not): above RESTORE_TEST_MAX_COST."""
    if amount <= max_cost:
        return ""
    return (f"refused: a clone costs {money(amount, currency)} an hour (DescribePrice, pay-as-you-go), above "
            f"RESTORE_TEST_MAX_COST {max_cost:,.2f}")


def judged(day: str, source: str, minutes: int, used_memory: int | None, backup_size: int | None) -> Outcome:
    """What a clone that reached Normal proves: its UsedMemory against its backup's size. Unproven (no figure) is a
    failed test: the run cannot say the data came back."""
    if used_memory is None:
        return Outcome(day, source, "failed", minutes, None,
                       f"Normal after {minutes} min, but no UsedMemory figure: the data is not shown restored")
    floor = max(MIN_USED_MEMORY, int((backup_size or 0) * LOADED_SHARE))
    if used_memory < floor:
        return Outcome(day, source, "failed", minutes, used_memory,
                       f"Normal after {minutes} min, but it holds {humanize.size(used_memory)}"
                       + (f" of a {humanize.size(backup_size)} backup" if backup_size else "") + ": looks empty")
    return Outcome(day, source, "passed", minutes, used_memory,
                   f"{minutes} min, {humanize.size(used_memory)} in memory (keys not counted)")


def timed_out(created: datetime, now: datetime, max_hours: int) -> bool:
    return now - created > timedelta(hours=max_hours)


def digest_lines(state: State, began: str = "") -> list[str]:
    """The digest's restore-test notes: the newest outcome, a test under way, each clone not yet released."""
    lines = []
    if began:
        lines.append(began)
    elif state.current is not None:
        c = state.current
        lines.append(f"restore test of {c.source} under way: clone {c.clone} created "
                     f"{c.created:%b %d %H:%M} UTC, not Normal yet")
    if state.history:
        last = state.history[-1]
        when = datetime.strptime(last.day, "%Y-%m-%d").strftime("%b %d").replace(" 0", " ")
        head = {"passed": "restore-tested", "failed": "restore test FAILED",
                "refused": "not restore-tested", "skipped": "not restore-tested"}[last.outcome]
        lines.append(f"{head} {when}: {last.source}: {last.words}")
    for left in state.leftovers:
        lines.append(f"restore clone {left.clone} ({left.region}) NOT released yet, still billed: "
                     f"{left.error or 'release pending'}; the next run tries again")
    return lines


def result_json(state: State, did: str) -> dict:
    """The result's `restore_test`: what this run did, the test under way, the last outcomes, the leftovers."""
    c = state.current
    return {"did": did,
            "current": None if c is None else {"source": c.source, "clone": c.clone, "run": c.run, "backup": c.backup,
                                               "created": c.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                               "price": c.price, "currency": c.currency},
            "history": [o.__dict__ for o in state.history[-5:]],
            "leftovers": [x.__dict__ for x in state.leftovers],
            "readable": "not proven: no Redis read is made (docs/restore-testing.md)"}
