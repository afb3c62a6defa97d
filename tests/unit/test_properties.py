"""Properties over arbitrary input: settings parsing, and DescribeBackups records through the pure core.

Settings: whatever the environment and the payload hold, `load_settings` returns Settings or
raises SettingsError whose every problem names a setting; valid input reads back as written.
Records: whatever a DescribeBackups record holds, the SDK model -> `kvstore._backup` ->
`verdicts.decide` never raises, and `ok` only ever stands on a record with BackupStatus exactly
"Success" that started for the due slot.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from alibabacloud_r_kvstore20150101.models import DescribeBackupsResponseBodyBackupsBackup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backup_report import settings as cfg
from backup_report.cloud.answers import backup as _backup
from backup_report.model import BackupPolicy, Instance, Kind, Reading, Window
from backup_report.judge.schedule import last_due_slot
from backup_report.judge.records import LATE_TOLERANCE
from backup_report.judge.verdicts import SLOT_TOLERANCE, Rules, decide
from backup_report.window import parse_api_time

EXAMPLES = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- Settings -------------------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=40)
# Text near the accepted forms finds more edges than uniform noise: URLs, numbers, lists, tags.
NEAR_TEXT = st.one_of(
    ANY_TEXT,
    st.from_regex(r"\A(https?|ftp)://[\[\]a-z0-9.:@-]{0,20}(/[A-Za-z0-9/._-]{0,20})?(\?[a-z_]{1,12}=[^&\s]{0,12})?\Z"),
    st.from_regex(r"\A[0-9 .eE+-]{0,8}\Z"),
    st.from_regex(r"\A([a-z0-9 =_-]{0,10},?){0,7}\Z"),
    st.from_regex(r"\A(SEC)?[A-Za-z0-9 ]{0,12}\Z"),
    st.sampled_from(["UTC", "Asia/Shanghai", "America", "Etc/../UTC", "/etc/passwd", "nan", "inf", "1e3",
                     "0" * 5000, "https://[::1", "http://[::1]:8080/x", "http://localhost/robot/send?access_token=abcdef"]),
)
ENV_NAMES = st.sampled_from(cfg.NAMES + ("PATH", "FC_REGION", "instance_tags"))
PAYLOAD_KEYS = st.one_of(st.sampled_from([n.lower() for n in cfg.NAMES] + list(cfg.NAMES)),
                         st.text(max_size=15), st.sampled_from(["ınstance_tags", "regoins", ""]))
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | NEAR_TEXT,
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                     max_size=3), max_leaves=5)


def names_a_setting(problem: str) -> bool:
    return any(name in problem for name in cfg.NAMES) or "payload key" in problem


@EXAMPLES
@given(environ=st.dictionaries(ENV_NAMES, NEAR_TEXT, max_size=10),
       payload=st.none() | st.dictionaries(PAYLOAD_KEYS, JSONISH, max_size=6),
       region=st.sampled_from(["", "cn-hangzhou", "not a region"]))
def test_settings_are_read_or_refused_naming_each_setting_never_another_exception(environ, payload, region):
    try:
        result = cfg.load_settings(environ, payload, default_region=region)
    except cfg.SettingsError as error:
        assert error.problems, "a refusal says why"
        for problem in error.problems:
            assert names_a_setting(problem), f"this problem names no setting: {problem!r}"
    else:
        assert isinstance(result, cfg.Settings)
        assert result.instance_tags and result.regions and (result.dingtalk_webhook or result.slack_webhook)
        assert 1 <= result.lookback_hours <= 168 and len(result.instance_tags) <= cfg.MAX_TAGS


TAG_KEY = st.from_regex(r"\A[A-Za-z0-9_.:/@+-]{1,20}\Z")
TAG_VALUE = st.none() | st.from_regex(r"\A[A-Za-z0-9_.:/@+=-]{1,20}\Z")
TAGS = st.lists(st.tuples(TAG_KEY, TAG_VALUE), min_size=1, max_size=cfg.MAX_TAGS, unique_by=lambda kv: kv[0])
REGION = st.from_regex(r"\A[a-z]{2,4}(-[a-z0-9]{1,9}){1,3}\Z")
WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"


def tag_text(pairs, spaced: bool) -> str:
    gap = " " if spaced else ""
    return ",".join(f"{gap}{k}{gap}" if v is None else f"{gap}{k}{gap}={gap}{v}{gap}" for k, v in pairs)


@EXAMPLES
@given(pairs=TAGS, spaced=st.booleans(), regions=st.lists(REGION, min_size=1, max_size=4, unique=True),
       hours=st.integers(1, 168), notify=st.sampled_from(["always", "failure"]),
       mobiles=st.lists(st.from_regex(r"\A\+?[0-9][0-9-]{4,19}\Z"), max_size=3),
       via_payload=st.booleans())
def test_valid_settings_read_back_as_written(pairs, spaced, regions, hours, notify, mobiles, via_payload):
    given_ = {cfg.INSTANCE_TAGS: tag_text(pairs, spaced), cfg.REGIONS: ",".join(regions),
              cfg.LOOKBACK_HOURS: str(hours), cfg.NOTIFY_ON: notify}
    # The robot's @ list goes with its webhook: both from the environment (a payload may set neither).
    environ = {cfg.DINGTALK_WEBHOOK: WEBHOOK, cfg.DINGTALK_AT_MOBILES: ",".join(mobiles)}
    if via_payload:
        environ[cfg.INSTANCE_TAGS] = "overridden=by-the-payload"
        read = cfg.load_settings(environ, {k.lower(): v for k, v in given_.items()})
    else:
        read = cfg.load_settings({**environ, **given_})
    assert read.instance_tags == tuple(pairs)
    assert read.regions == tuple(regions)
    assert (read.lookback_hours, read.notify_on, read.dingtalk_at_mobiles) == (hours, notify, tuple(mobiles))
    assert read.dingtalk_webhook == WEBHOOK


@EXAMPLES
@given(pairs=st.lists(st.tuples(TAG_KEY, TAG_VALUE), min_size=cfg.MAX_TAGS + 1, max_size=12,
                      unique_by=lambda kv: kv[0]))
def test_more_than_five_tags_are_refused_naming_the_setting(pairs):
    try:
        cfg.load_settings({cfg.INSTANCE_TAGS: tag_text(pairs, False), cfg.SLACK_WEBHOOK: "https://hooks.slack.com/x"},
                          default_region="cn-hangzhou")
    except cfg.SettingsError as error:
        assert any(p.startswith(cfg.INSTANCE_TAGS) and "at most 5" in p for p in error.problems)
    else:
        raise AssertionError("six tags were accepted")


TOKEN = st.from_regex(r"\Atok[a-f0-9]{10,20}\Z")


@EXAMPLES
@given(token=TOKEN, secret=TOKEN, broken=st.sampled_from(["http://example.com", "https://[oapi.dingtalk.com",
                                                           "ftp://oapi.dingtalk.com", "https://"]))
def test_a_refused_webhook_or_secret_is_never_quoted_in_the_error(token, secret, broken):
    environ = {cfg.INSTANCE_TAGS: "a=b", cfg.DINGTALK_WEBHOOK: f"{broken}/robot/send?access_token={token}",
               cfg.SLACK_WEBHOOK: f"{broken}/services/T0/B0/{token}", cfg.DINGTALK_SECRET: secret}
    try:
        cfg.load_settings(environ, default_region="cn-hangzhou")
    except cfg.SettingsError as error:
        assert token not in str(error) and secret not in str(error)
        assert cfg.DINGTALK_WEBHOOK in str(error) and cfg.SLACK_WEBHOOK in str(error)
    else:
        raise AssertionError("a broken webhook was accepted")


# --- DescribeBackups records through the pure core -----------------------------------------------

END = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)
WINDOW = Window(END - timedelta(hours=24), END)
RULES = Rules(tz=timezone.utc)
POLICIES = st.builds(
    BackupPolicy,
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    slot_start_minute=st.integers(0, 1439),
    slot_end_minute=st.integers(0, 1439))
INSTANCES = st.one_of(
    st.builds(Instance, instance_id=st.just("r-prop"), name=st.just("prop"), region=st.just("cn-hangzhou"),
              architecture=st.just("standard")),
    st.builds(Instance, instance_id=st.just("r-prop"), name=st.just("prop"), region=st.just("cn-hangzhou"),
              architecture=st.just("cluster"), shard_count=st.integers(2, 4)),
)
MOMENTS = st.integers(-10 * 24 * 60, 60).map(lambda minutes: END + timedelta(minutes=minutes))
TIMES = st.one_of(
    MOMENTS.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
    MOMENTS.map(lambda t: t.strftime("%Y-%m-%dT%H:%MZ")),
    MOMENTS.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"),
    MOMENTS.map(lambda t: (t + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S+08:00")),
    MOMENTS.map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),  # no zone: UTC
    MOMENTS.map(lambda t: int(t.timestamp())),
    st.sampled_from(["", "yesterday", "2026-02-30T01:00:00Z", "2026-11-27T25:00:00Z", "0000-00-00T00:00:00Z",
                     "9999-12-31T23:59:59Z"]),
    st.none(), st.text(max_size=25),
)
STATUSES = st.one_of(st.sampled_from(["Success", "Failed", "Running", "success", "SUCCESS", " Success", "",
                                      "Unknown", "Success "]),
                     st.none(), st.integers(), st.text(max_size=10))
SIZES = st.one_of(st.integers(-10, 10 ** 13), st.none(), st.floats(allow_nan=True), st.text(max_size=6),
                  st.booleans())
NODES = st.one_of(st.sampled_from(["r-prop", "r-prop-db-0", "r-prop-db-1", "r-prop-db-2", "r-prop-db-3",
                                   "r-other", ""]), st.none(), st.integers())
FIELDS = {
    "BackupId": st.one_of(st.integers(0, 10 ** 12), st.none(), st.text(max_size=8)),
    "BackupStatus": STATUSES,
    "BackupStartTime": TIMES,
    "BackupEndTime": TIMES,
    "BackupSize": SIZES,
    "NodeInstanceId": NODES,
    "BackupType": st.one_of(st.sampled_from(["FullBackup", "IncrementalBackup"]), st.none(), st.text(max_size=6)),
    "BackupMode": st.one_of(st.sampled_from(["Automated", "Manual"]), st.none(), st.integers()),
    "BackupDownloadURL": st.one_of(st.none(), st.just("http://oss.example.com/x.rdb?Signature=SIGNATURE-SECRET")),
}
# A plausible record (every field present, status mostly Success/Failed), or any subset of odd fields.
PLAUSIBLE = st.fixed_dictionaries({
    "BackupId": st.integers(1, 10 ** 9),
    "BackupStatus": st.sampled_from(["Success", "Success", "Failed", "Running"]),
    "BackupStartTime": MOMENTS.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
    "BackupSize": st.integers(0, 10 ** 11),
    "NodeInstanceId": st.sampled_from(["r-prop", "r-prop-db-0", "r-prop-db-1", "r-prop-db-2", "r-prop-db-3"]),
}, optional={k: v for k, v in FIELDS.items()
             if k not in ("BackupId", "BackupStatus", "BackupStartTime", "BackupSize", "NodeInstanceId")})
ODD = st.fixed_dictionaries({}, optional=FIELDS)
RECORDS = st.lists(st.one_of(PLAUSIBLE, PLAUSIBLE, ODD), max_size=12)


def through_the_core(instance, policy, records, anomalies=()):
    backups = [_backup(DescribeBackupsResponseBodyBackupsBackup().from_map(r)) for r in records]
    reading = Reading(policy, tuple(backups), per_shard=instance.is_cluster, shard_count=instance.shard_count,
                      anomalies=tuple(anomalies))
    return backups, decide(instance, reading, WINDOW, RULES)


def node_of(record: dict, instance: Instance) -> str | None:
    node = record.get("NodeInstanceId")
    if not instance.is_cluster:
        return instance.instance_id
    return str(node) if node not in (None, "") else None


@EXAMPLES
@given(instance=INSTANCES, policy=POLICIES, records=RECORDS)
def test_any_records_give_a_verdict_and_ok_stands_on_a_success_for_the_due_slot(instance, policy, records):
    backups, verdict = through_the_core(instance, policy, records)
    assert isinstance(verdict.kind, Kind) and isinstance(verdict.detail, str) and verdict.detail
    assert "SIGNATURE-SECRET" not in verdict.detail
    if any(parse_api_time(r.get("BackupStartTime")) is None for r in records):
        assert verdict.kind is not Kind.OK, "a record without a readable start leaves the data in doubt"
    if verdict.kind is Kind.OK:
        slot = last_due_slot(policy, WINDOW.end, RULES.grace)
        assert slot is not None
        good = [r for r in records if r.get("BackupStatus") == "Success"
                and slot.start - SLOT_TOLERANCE <= (parse_api_time(r.get("BackupStartTime")) or END + timedelta(days=1))
                <= END + LATE_TOLERANCE]
        assert good, "ok with no Success record started for the due slot (and not after the run)"
        if instance.is_cluster:
            shards = {node_of(r, instance) for r in good} - {None}
            assert len(shards) >= instance.shard_count, "a cluster is ok only when every shard has its success"


@EXAMPLES
@given(instance=INSTANCES, policy=POLICIES, records=st.lists(PLAUSIBLE, min_size=1, max_size=10),
       newest_status=STATUSES, node_index=st.integers(0, 3))
def test_an_unknown_status_as_the_newest_attempt_is_never_ok(instance, policy, records, newest_status, node_index):
    node = instance.instance_id if not instance.is_cluster else f"{instance.instance_id}-db-{node_index % instance.shard_count}"
    latest = max((parse_api_time(r["BackupStartTime"]) for r in records), default=END - timedelta(days=1))
    newest = {"BackupId": 10 ** 10, "BackupStatus": newest_status, "NodeInstanceId": node,
              "BackupStartTime": (latest + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    _, verdict = through_the_core(instance, policy, records + [newest])
    # A running backup after a covering success is fine (it neither covers nor fails); any other
    # status the API does not document is never ok.
    if newest_status not in ("Success", "Failed") and str(newest_status).upper() != "RUNNING":
        assert verdict.kind is not Kind.OK


@EXAMPLES
@given(instance=INSTANCES, policy=POLICIES, records=RECORDS, listed=st.integers(0, 20), total=st.integers(-5, 25))
def test_a_total_count_that_disagrees_is_never_ok(instance, policy, records, listed, total):
    anomalies = [f"DescribeBackups listed {listed} records but its TotalCount says {total}"] if listed != total else []
    _, verdict = through_the_core(instance, policy, records, anomalies)
    if anomalies:
        assert verdict.kind is not Kind.OK and verdict.severity.value == "alert"


# --- DescribeClusterBackupList sets through the pure core ------------------------------------------

SHARD_ANSWERS = st.fixed_dictionaries({
    "BackupId": st.one_of(st.integers(1, 10 ** 9).map(str), st.none()),
    # The Go SDK's only example of InstanceName is a backup file's name; other answers carry the node ID.
    "InstanceName": st.one_of(st.sampled_from(["r-cn-db-0", "r-cn-db-1", "r-cn-db-2", "r-other-db-0", "r-cn", "",
                                               "hins100322105_data_20240108012127.rdb"]), st.none()),
    "BackupStatus": st.one_of(st.sampled_from(["OK", "ERROR", "RUNNING", "ok", ""]), st.none()),
    "IsAvail": st.one_of(st.sampled_from(["1", "0", 1, 0]), st.none()),
    "BackupSize": st.one_of(st.integers(0, 10 ** 11).map(str), st.none(), st.text(max_size=4)),
})
SET_ANSWERS = st.fixed_dictionaries({
    "ClusterBackupId": st.one_of(st.sampled_from(["cb-1", "cb-2", "cb-3"]), st.none()),
    "ClusterBackupStatus": st.one_of(st.sampled_from(["OK", "RUNNING", "ERROR", "FAILED", "ok"]), st.none()),
    "IsAvail": st.one_of(st.sampled_from([1, 0]), st.none()),
    "ClusterBackupStartTime": TIMES,
    "ClusterBackupEndTime": TIMES,
    "Backups": st.lists(SHARD_ANSWERS, max_size=4),
})


@EXAMPLES
@given(policy=POLICIES, sets=st.lists(SET_ANSWERS, max_size=6))
def test_a_cloud_native_cluster_is_ok_only_on_a_complete_available_set_for_the_due_slot(policy, sets):
    from alibabacloud_r_kvstore20150101.models import DescribeClusterBackupListResponseBodyClusterBackups
    from backup_report.cloud.answers import cluster_set as _cluster_set
    from backup_report.judge.cluster_sets import as_records
    cluster = Instance("r-cn", "cn", "cn-hangzhou", architecture="cluster", shard_count=3, node_type="MASTER_SLAVE")
    read = [_cluster_set(DescribeClusterBackupListResponseBodyClusterBackups().from_map(s)) for s in sets]
    records, odd = as_records(cluster, read, 3)
    verdict = decide(cluster, Reading(policy, tuple(records), anomalies=tuple(odd), source="DescribeClusterBackupList"),
                     WINDOW, RULES)
    assert isinstance(verdict.kind, Kind) and verdict.detail
    if verdict.kind is Kind.OK:
        slot = last_due_slot(policy, WINDOW.end, RULES.grace)
        good = [s for s in read if s.status == "OK" and s.available and s.end is not None and s.start is not None
                and slot.start - SLOT_TOLERANCE <= s.start <= END + LATE_TOLERANCE
                and all(b.status == "OK" and b.available for b in s.shards) and len(shards_of(s)) >= 3]
        assert good, "ok without a complete, available set for the due slot"


def shards_of(s) -> set[str]:
    """The shards a set's backups stand for: the node when InstanceName is one of r-cn's shard nodes, else
    the BackupId (InstanceName's form is not documented: a file name in the SDK's only example)."""
    return {b.node if b.node in ("r-cn-db-0", "r-cn-db-1", "r-cn-db-2") else f"id {b.backup_id}"
            for b in s.shards if b.backup_id not in ("", "?") or b.node.startswith("r-cn-db-")}
