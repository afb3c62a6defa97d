"""The scenario as data: a fleet, its backups and the faults to stage, all times absolute UTC."""
from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Policy:
    period: tuple[str, ...]  # weekday names, taken on the UTC date of the slot like the times
    time: str  # "HH:mmZ-HH:mmZ"
    retention: int = 7
    backup_log: int = 0

    @property
    def start(self) -> time:
        return time(int(self.time[0:2]), int(self.time[3:5]))

    def runs_on(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.period

    def next_after(self, moment: datetime) -> datetime:
        for offset in range(8):
            day = moment.date() + timedelta(days=offset)
            slot = datetime.combine(day, self.start, tzinfo=timezone.utc)
            if slot > moment and self.runs_on(day):
                return slot
        raise AssertionError("a policy runs at least once a week")


@dataclass(frozen=True)
class Instance:
    id: str
    name: str
    region: str
    tags: dict
    architecture: str
    shards: int
    status: str
    created: datetime
    engine: str
    type: str
    policy: Policy
    total_count_offset: int = 0
    node_type: str = "double"  # NodeType: double | single (classic), MASTER_SLAVE | STAND_ALONE (cloud-native)
    raw: dict = field(default_factory=dict)  # DescribeInstances answer fields that win, for odd answers
    tasks: tuple["Task", ...] = ()

    @property
    def cloud_native(self) -> bool:
        # NodeType's values per models/_describe_instances_request.py: MASTER_SLAVE / STAND_ALONE are
        # cloud-native instances, double / single classic ones.
        return self.node_type in ("MASTER_SLAVE", "STAND_ALONE")

    @property
    def nodes(self) -> tuple[str, ...]:
        """`NodeInstanceId`s: the instance itself, or `<id>-db-<i>` for each shard of a cluster."""
        if self.architecture == "cluster":
            return tuple(f"{self.id}-db-{i}" for i in range(self.shards))
        return (self.id,)


@dataclass(frozen=True)
class Backup:
    backup_id: int
    instance_id: str
    node_id: str
    start: datetime
    end: datetime
    status: str
    size: int
    type: str = "FullBackup"
    mode: str = "Automated"
    method: str = "Physical"
    raw: dict = field(default_factory=dict)  # answer fields that win over the ones above
    run: str = ""  # the backup run it belongs to: one cluster backup set per run of a cloud-native cluster


@dataclass(frozen=True)
class Task:
    """A DescribeBackupTasks job (models/_describe_backup_tasks_response_body.py)."""
    job_id: int
    start: datetime
    status: str  # BackupProgressStatus: NoStart | Preparing | Waiting | Uploading | Checking | Finished
    mode: str = "Automated"
    node: str = ""
    progress: int = 0


@dataclass(frozen=True)
class InstanceList:
    """How DescribeInstances pages its answer: honestly by default, or oddly (`total_count`: the
    TotalCount answered, None to leave it out; `ignore_page_number`: page 1 whatever is asked;
    `twice`: instance IDs listed twice)."""
    total_count: int | None | str = "honest"
    ignore_page_number: bool = False
    twice: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fault:
    kind: str
    action: str | None = None
    instance: str | None = None
    region: str | None = None
    first: int | None = None
    ms: int = 0  # latency
    qps: float = 0.0  # quota
    seconds: float = 600.0  # hang; drip: seconds between the answer's bytes


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DingTalkConfig:
    token: str = field(repr=False)
    secret: str = field(repr=False)  # "" is an unsigned robot
    keywords: tuple[str, ...] = ()
    faults: tuple[dict, ...] = ()


@dataclass(frozen=True)
class SlackConfig:
    path: str = field(repr=False)  # "T.../B.../secret"
    faults: tuple[dict, ...] = ()


@dataclass(frozen=True)
class FeishuConfig:
    token: str = field(repr=False)  # the last segment of /open-apis/bot/v2/hook/<token>
    secret: str = field(repr=False)  # "" is a bot without signing
    keywords: tuple[str, ...] = ()
    faults: tuple[dict, ...] = ()


@dataclass(frozen=True)
class WeComConfig:
    key: str = field(repr=False)
    faults: tuple[dict, ...] = ()


@dataclass(frozen=True)
class HeartbeatConfig:
    uuid: str = field(repr=False)  # the check's ping UUID: a secret, as healthchecks.io's is
    faults: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    anchor: datetime
    seed: int
    instances: tuple[Instance, ...]
    backups: tuple[Backup, ...]
    faults: tuple[Fault, ...]
    credentials: Credentials
    dingtalk: DingTalkConfig
    slack: SlackConfig
    regions: tuple[str, ...]  # what the function is told to scan (REGIONS)
    instance_list: InstanceList = InstanceList()
    heartbeat: HeartbeatConfig = field(default_factory=lambda: HeartbeatConfig(str(uuid.uuid4())))
    feishu: FeishuConfig = FeishuConfig("", "")
    wecom: WeComConfig = WeComConfig("")

    @property
    def fleet_regions(self) -> tuple[str, ...]:
        return tuple(sorted({i.region for i in self.instances}))

    def instance(self, instance_id: str) -> Instance | None:
        return self._index[0].get(instance_id)

    def backups_of(self, instance_id: str) -> tuple[Backup, ...]:
        return self._index[1].get(instance_id, ())

    @functools.cached_property
    def _index(self) -> tuple[dict, dict]:
        # Built once: a linear scan per call made a 10,000-instance fleet quadratic.
        by_instance: dict[str, list[Backup]] = {}
        for b in self.backups:
            by_instance.setdefault(b.instance_id, []).append(b)
        return {i.id: i for i in self.instances}, {k: tuple(v) for k, v in by_instance.items()}
