"""The scenario as data: a fleet, its backups and the faults to stage, all times absolute UTC."""
from __future__ import annotations

import dataclasses
import functools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOME_ACCOUNT = "1000000000000001"  # the account of the scenario's own credentials, unless `account:` says
ROLE_NAME = "redis-backup-reader"  # a member's role (ACCOUNT_ROLE_NAME's default), unless `role_name:` says


@dataclass(frozen=True)
class Policy:
    period: tuple[str, ...]  # weekday names, taken on the UTC date of the slot like the times
    time: str  # "HH:mmZ-HH:mmZ"
    retention: int = 7
    backup_log: int = 0
    # PreferredNextBackupTime as answered; None: the next slot after the anchor, as the schedule names it.
    next_backup: datetime | None = None
    # BackupLogStartTime (data flashback's earliest restore point), answered with EnableBackupLog 1 only;
    # None: `retention` days before the anchor (flashback on for longer than its logs are kept).
    backup_log_start: datetime | None = None

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
    node_type: str = "double"  # NodeType as answered: double | single | MASTER_SLAVE | STAND_ALONE
    raw: dict = field(default_factory=dict)  # DescribeInstances answer fields that win, for odd answers
    tasks: tuple["Task", ...] = ()
    # Deployed on cloud disks (cloud-native) rather than local disks (classic). Its answered NodeType need not
    # say so: DescribeInstances' answer documents only double / single (models/_describe_instances_response_body.py),
    # and the Terraform provider reads a cloud-native Tair instance's double as MASTER_SLAVE
    # (alicloud/resource_alicloud_redis_tair_instance.go). Default: NodeType MASTER_SLAVE / STAND_ALONE.
    cloud_native: bool = False
    # How a read/write splitting instance's DescribeBackups records name their node: "instance" (its own ID),
    # "data_node" (`<id>-db-0`) or "topology" (`<id>-db-0#<number>`). DescribeBackups' NodeInstanceId is the
    # instance ID only "if the instance uses the standard architecture" (models/_describe_backups_response_body.py),
    # DescribeInstanceAttribute's ReplicationMode counts read/write splitting as "cluster", and
    # DescribeLogicInstanceTopology names data nodes `<id>-db-0#<number>` (https://help.aliyun.com/document_detail/473786.html).
    node_form: str = "instance"
    # InstanceName of each shard's backup in DescribeClusterBackupList: "node" (the shard's node ID) or "file"
    # (the backup file's name, the only public example of the field: `hins100322105_data_20240108012127.rdb`
    # in github.com/alibabacloud-go/r-kvstore-20150101, client/describe_cluster_backup_list_response_body_model.go).
    shard_instance_name: str = "node"
    # FreeSize (the free backup quota, bytes) and LogStorageSize of its backup listings; None: not answered.
    free_size: int | None = None
    log_size: int | None = None

    @property
    def nodes(self) -> tuple[str, ...]:
        """`NodeInstanceId`s: the instance itself, `<id>-db-<i>` for each shard of a cluster, or a read/write
        splitting instance's data node in its `node_form`."""
        if self.architecture == "cluster":
            return tuple(f"{self.id}-db-{i}" for i in range(self.shards))
        if self.architecture == "rwsplit" and self.node_form != "instance":
            return (f"{self.id}-db-0" + ("#" + self.data_node_number if self.node_form == "topology" else ""),)
        return (self.id,)

    @property
    def data_node_number(self) -> str:
        """The `#<number>` DescribeLogicInstanceTopology appends to a node ID, fixed per instance."""
        return str(1_000_000 + int.from_bytes(self.id.encode()[-3:], "big") % 9_000_000)


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
    offset: int = 0  # total_count (directory faults): added to ListAccounts' TotalCount


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
    deleted: bool = False  # the check was deleted: its UUID names no check any more


@dataclass(frozen=True)
class Account:
    """A member account (`accounts:`): its Resource Directory entry, its role and its own fleet."""
    id: str
    name: str
    status: str = "CreateSuccess"  # ListAccounts' Status
    type: str = "ResourceAccount"  # ListAccounts' Type: CloudAccount | ResourceAccount
    role: str = "ok"  # AssumeRole of its role: ok | missing (no such role) | untrusted (trusts another caller)
    role_name: str = ROLE_NAME
    listed: bool = True  # whether ListAccounts lists it (False: named in ACCOUNTS, not in the directory)
    regions: tuple[str, ...] = ()  # what its DescribeRegions answers; () = the public regions and its fleet's
    instances: tuple[Instance, ...] = ()
    backups: tuple[Backup, ...] = ()
    faults: tuple[Fault, ...] = ()  # on its R-KVStore calls only


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
    account: str = HOME_ACCOUNT  # the home account: the scenario's credentials are its; `instances` are its fleet
    resource_directory: bool = False  # whether the home account manages a Resource Directory (ListAccounts)
    accounts: tuple[Account, ...] = ()  # the member accounts
    directory_faults: tuple[Fault, ...] = ()  # on ListAccounts
    sts_faults: tuple[Fault, ...] = ()  # on AssumeRole and GetCallerIdentity (`action` picks one)
    # The directory's management account (GetResourceDirectory): the home one, unless the home account is a
    # delegated administrator's.
    management_account: str = HOME_ACCOUNT
    listed_regions: tuple[str, ...] = ()  # a member's view (`fleet`): what its DescribeRegions answers
    # The function's settings the scenario is meant to run with ((NAME, text) pairs, `settings:`): the demo's tags,
    # time zone and mentions; the sandbox's own (its endpoints, webhooks, credentials, REGIONS) come from Sandbox.env.
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def fleet_regions(self) -> tuple[str, ...]:
        return tuple(sorted({i.region for i in self.instances}))

    @property
    def account_ids(self) -> tuple[str, ...]:
        """The home account, then the members in scenario order."""
        return (self.account, *(a.id for a in self.accounts))

    def member(self, account_id: str) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def fleet(self, account_id: str) -> "Scenario | None":
        """What the R-KVStore answers to `account_id`'s credentials: this scenario for the home account, a
        view of the member's own instances, backups and faults for a member, None for any other account."""
        return self._fleets.get(account_id)

    @functools.cached_property
    def _fleets(self) -> dict[str, "Scenario"]:
        views = {self.account: self}
        for a in self.accounts:
            views[a.id] = dataclasses.replace(
                self, instances=a.instances, backups=a.backups, faults=a.faults, instance_list=InstanceList(),
                account=a.id, resource_directory=False, accounts=(), directory_faults=(), sts_faults=(), management_account=a.id,
                listed_regions=a.regions)
        return views

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
