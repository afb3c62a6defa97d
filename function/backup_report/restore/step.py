"""One step of a restore test a run: release the clones earlier runs left, then either watch the clone under test
(Normal: judge and release it; past RESTORE_TEST_MAX_HOURS: a failed test, released) or, when one is due, start
one (pick, newest good backup, DescribePrice, refuse above RESTORE_TEST_MAX_COST, DryRun, CreateInstance). A
handful of calls, never a wait: the clone becomes Normal between runs. Never raises: what failed is said."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from ..archive.oss import ArchiveError
from ..cloud.restore import TAG_KEY, Restores
from ..cloud.retry import ApiFailure
from ..judge.details import order
from ..model import Checked
from . import plan
from .state import Current, Leftover, Outcome, State, Unreadable
from .store import StateStore

log = logging.getLogger("backup_report")
BACKUPS_DAYS = 7  # the newest good backup is looked for this far back


@dataclass(frozen=True)
class Rules:
    """The deployer's: `schedule` weekdays (0 Monday), `sample`, `max_cost` (DescribePrice's currency, an hour),
    `max_hours` to Normal, the `regions` where clones are looked for."""

    schedule: tuple[int, ...]
    sample: tuple
    max_cost: float
    max_hours: int
    regions: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """What a run did (`did`), the state after it, and the digest's lines."""

    did: str
    state: State
    lines: tuple[str, ...]


def advance(edge: Restores, store: StateStore, rules: Rules, checked: list[Checked], now: datetime,
            today: date, start: bool = True) -> Step:
    """This run's step. `now` UTC, `today` the local day (TIMEZONE). `start=False` (the `collect` timer's
    runs, every 15 minutes): only a test under way is watched and released, and leftovers swept; with none,
    nothing is called and nothing written ("idle")."""
    try:
        state = plan.this_week(store.read(), today)
    except (Unreadable, ArchiveError) as why:
        # Nothing is started on a state that cannot be read; a clone it named is still found by its tag.
        swept, foreign = _sweep(edge, rules.regions, State(), None, "")
        return Step("state unreadable", swept, (f"restore test state unreadable ({why}): no test until {store.key} is "
                                                "removed from the archive bucket",
                                                *plan.digest_lines(swept), *foreign))
    if state.last is not None and now < state.last:
        # A step never goes back: an event dated in an earlier week would otherwise start that week's test again.
        return Step("out of order", state, (f"restore test: this run's time {now:%Y-%m-%d %H:%M} UTC is before the "
                                            f"last step's, {state.last:%Y-%m-%d %H:%M} UTC: no step",
                                            *plan.digest_lines(state)))
    if not start and state.current is None and not state.leftovers:
        return Step("idle", state, ())
    state, foreign = _sweep(edge, rules.regions, state, state.current.clone if state.current else None, _run(now, ""))
    began = ""
    if state.current is not None:
        did, state, began = _watch(edge, rules, state, now)
    elif start and plan.due(rules.schedule, rules.sample, state, today):
        did, state, began = _start(edge, rules, state, checked, now, today)
    else:
        did = "idle"
    state = replace(state, last=now)
    try:
        store.write(state)
    except (ArchiveError, Unreadable) as error:  # a clone this run made is released by the next one (its tag)
        log.warning("restore test: state not written: %s", error)
        return Step(did, state, (*plan.digest_lines(state, began), *foreign,
                                 f"restore test state not written ({error})"))
    return Step(did, state, (*plan.digest_lines(state, began), *foreign))


def _sweep(edge: Restores, regions: tuple[str, ...], state: State, current: str | None,
           this_run: str) -> tuple[State, list[str]]:
    """Every clone tagged by a test released, but the one under test and those of a run named `this_run…` (this
    event's: FC's retry of a run whose state was lost takes its clone up again by the creation's Token; a later run
    releases it otherwise); those not released kept as leftovers. Also the lines naming each instance that carries
    the tag without being a clone (`Tagged.ours`): never released."""
    left: dict[str, Leftover] = {x.clone: x for x in state.leftovers}
    foreign = []
    # A leftover's region too: one dropped from REGIONS since still has the clone billed there.
    for region in dict.fromkeys((*regions, *(x.region for x in state.leftovers))):
        try:
            found = edge.clones(region)
        except ApiFailure as failure:
            log.warning("restore test: clones in %s not listed: %s", region, failure.error)
            continue
        listed = {t.instance_id for t in found if t.ours}
        for known in [c for c, x in left.items() if x.region == region and c not in listed]:
            del left[known]  # released (by us or by hand) since
        foreign += _sweep_listed(edge, region, found, left, current, this_run)
    return state.left(list(left.values())), foreign


def _sweep_listed(edge: Restores, region: str, found: list, left: dict[str, Leftover], current: str | None,
                  this_run: str) -> list[str]:
    """`found`'s clones released (`left` updated); the lines naming the tagged instances that are not clones."""
    foreign = []
    for tagged in found:
        if not tagged.ours:
            foreign.append(f"instance {tagged.instance_id} ({region}) carries the tag {TAG_KEY} but is not a "
                           "restore clone (not pay-as-you-go, or not named restore-test-<its tag>): not released")
        elif tagged.instance_id != current and not (this_run and tagged.run.startswith(this_run)):
            error = _release(edge, region, tagged.instance_id)
            if error:
                left[tagged.instance_id] = Leftover(tagged.instance_id, region, error)
            else:
                left.pop(tagged.instance_id, None)
    return foreign


def _release(edge: Restores, region: str, clone: str) -> str:
    """DeleteInstance of `clone`: "" when released (or already gone), else why not."""
    try:
        edge.release(region, clone)
        return ""
    except ApiFailure as failure:
        return "" if gone(failure) else f"DeleteInstance failed: {failure.error.code}"


# An instance no longer there: R-KVStore's not-found codes differ by operation, and the Terraform provider expects
# each of these (alicloud/service_alicloud_r_kvstore.go: InvalidInstanceId.NotFound, InvalidDBInstance.NotFound,
# InvalidDbInstanceId.NotFound; resource_alicloud_kvstore_instance.go's delete: InvalidInstanceId.NotFound). The
# provider also takes any HTTP 404 for not found (alicloud/errors.go NotFoundError); here a bare 404 is not enough
# (a gateway's InvalidApi.NotFound is one too): a clone taken for released when it is not would be billed unseen.
GONE = ("InvalidInstanceId.NotFound", "InvalidDBInstance.NotFound", "InvalidDbInstanceId.NotFound")


def gone(failure: ApiFailure) -> bool:
    """Whether `failure` says the instance does not exist (one of GONE)."""
    return failure.error.code in GONE


def _watch(edge: Restores, rules: Rules, state: State, now: datetime) -> tuple[str, State, str]:
    """The clone under test looked at: (what was done, the state after, a digest line in place of "under way")."""
    c = state.current
    day = c.created.date().isoformat()
    try:
        status = edge.placement(c.region, c.clone).status
    except ApiFailure as failure:
        if gone(failure):
            return "failed", state.finished(Outcome(day, c.source, "failed", None, None,
                                                    f"the clone {c.clone} vanished before it was Normal")), ""
        if not plan.timed_out(c.created, now, rules.max_hours):  # asked again next run; billed meanwhile
            return "not checked", state, (f"restore test of {c.source}: the status of clone {c.clone} was not read "
                                          f"({failure.error.code}); still billed until released, asked again next run")
        # Never watched for ever: a clone whose status stays unread is released like one never Normal.
        return _released(edge, state, Outcome(day, c.source, "failed", None, None, (
            f"the status of the clone was not read ({failure.error.code}) for {rules.max_hours} h "
            "(RESTORE_TEST_MAX_HOURS)")))
    minutes = int((now - c.created).total_seconds() // 60)
    if status == "Normal":
        try:
            used = edge.used_memory(c.region, c.clone, _iso(c.created), _iso(now))
        except ApiFailure as failure:
            log.warning("restore test: UsedMemory not read: %s", failure.error)
            used = None
        outcome = plan.judged(day, c.source, minutes, used, c.size or None)
    elif plan.timed_out(c.created, now, rules.max_hours):
        outcome = Outcome(day, c.source, "failed", None, None,
                          f"the clone was still {status} after {rules.max_hours} h (RESTORE_TEST_MAX_HOURS)")
    else:
        return "waiting", state, ""
    return _released(edge, state, outcome)


def _released(edge: Restores, state: State, outcome: Outcome) -> tuple[str, State, str]:
    """The clone under test released and `outcome` recorded; a clone not released kept as a leftover."""
    c = state.current
    error = _release(edge, c.region, c.clone)
    after = state.finished(outcome)
    if error:
        after = after.left(list(after.leftovers) + [Leftover(c.clone, c.region, error)])
    return outcome.outcome, after, ""


def _start(edge: Restores, rules: Rules, state: State, checked: list[Checked], now: datetime,
           today: date) -> tuple[str, State, str]:
    chosen = plan.pick(checked, rules.sample, state)
    if chosen is None:
        return "nothing to test", state, "not restore-tested today: no watched instance qualifies (Normal, backups " \
                                         "fine, of this account, not a classic cluster)"
    instance = chosen.instance
    state = replace(state, tested=state.tested + (instance.instance_id,), cursor=instance.instance_id)
    day, source = today.isoformat(), instance.instance_id
    run = _run(now, source)
    step = ""
    try:
        backup, cluster_set, size = _newest_good(edge, instance, now)
        if not backup:
            return "refused", state.finished(Outcome(day, source, "refused", words=(
                f"no successful backup in the last {BACKUPS_DAYS} days to restore"))), ""
        source_at = edge.placement(instance.region, source)
        price = edge.price(source_at)
        refused = plan.refused_price(price.amount, price.currency, rules.max_cost)
        if refused:
            return "refused", state.finished(Outcome(day, source, "refused", words=refused)), ""
        step = "the dry run"
        edge.create(source_at, backup, cluster_set, run, dry_run=True)
        step = "the creation"
        clone = edge.create(source_at, backup, cluster_set, run, dry_run=False)
    except ApiFailure as failure:
        words = (f"{step} was refused: {failure.error.code}" if step
                 else f"{failure.error.action or 'a call'} failed: {failure.error.code}")
        return "failed", state.finished(Outcome(day, source, "failed", words=words)), ""
    current = Current(run, source, instance.region, backup, cluster_set, clone, now, price.amount, price.currency,
                      size)
    began = (f"restore test begun: backup {backup} of {source} into clone {clone}, "
             f"{plan.money(price.amount, price.currency)} an hour until released")
    return "created", replace(state, current=current), began


def _newest_good(edge: Restores, instance, now: datetime) -> tuple[str, bool, int]:
    """(backup ID, whether it is a cluster backup set, its size in bytes) of the newest good backup in the last
    BACKUPS_DAYS; ("", …) when there is none. Raises ApiFailure."""
    start = now - timedelta(days=BACKUPS_DAYS)
    if instance.is_cluster and instance.cloud_native:
        return _newest_set(edge.cluster_backups(instance, start, now)[0])
    good = [b for b in edge.backups(instance, start, now)[0] if b.covers and b.start]  # as the judge counts one
    if not good:
        return "", False, 0
    newest = max(good, key=order)
    return newest.backup_id, False, newest.size or 0


def _newest_set(sets) -> tuple[str, bool, int]:
    """A cloud-native cluster's newest set that is OK and available (DescribeClusterBackupList: IsAvail)."""
    good = [s for s in sets if s.status == "OK" and s.available and s.start]
    if not good:
        return "", True, 0
    newest = max(good, key=lambda s: s.start)
    return newest.set_id, True, sum(b.size or 0 for b in newest.shards)


def _run(now: datetime, source: str) -> str:
    """A test's run (its clone's tag value and Token): "<UTC yyyymmddTHHMM>-<source>" (cloud/restore.RUN)."""
    return f"{now:%Y%m%dT%H%M}-{source}"[:64]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
