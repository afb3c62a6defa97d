"""Plain data the report works on. Built at the cloud edge, read by the pure core."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum


class Severity(str, Enum):
    FINE = "fine"
    WARNING = "warning"
    ALERT = "alert"


class Kind(str, Enum):
    """The verdicts of the contract. Declaration order is the order of urgency in messages."""

    ERROR = "error"
    FAILED = "failed"
    MISSING = "missing"
    INCOMPLETE = "incomplete"
    RUNNING = "running"
    INACTIVE = "inactive"
    SHRUNK = "shrunk"
    RECOVERED = "recovered"
    POLICY = "policy"
    AT_RISK = "at_risk"
    NEW = "new"
    NOT_DUE = "not_due"
    OK = "ok"

    @property
    def severity(self) -> Severity:
        return SEVERITY[self]

    @property
    def rank(self) -> int:
        return list(Kind).index(self)


SEVERITY = {
    Kind.ERROR: Severity.ALERT,
    Kind.FAILED: Severity.ALERT,
    Kind.MISSING: Severity.ALERT,
    Kind.INCOMPLETE: Severity.ALERT,
    Kind.RUNNING: Severity.WARNING,
    Kind.INACTIVE: Severity.WARNING,
    Kind.RECOVERED: Severity.WARNING,
    Kind.SHRUNK: Severity.WARNING,
    Kind.POLICY: Severity.WARNING,
    Kind.AT_RISK: Severity.WARNING,
    Kind.NEW: Severity.FINE,
    Kind.NOT_DUE: Severity.FINE,
    Kind.OK: Severity.FINE,
}


# NodeType's two vocabularies. DescribeInstances' request (models/_describe_instances_request.py,
# NodeType) has MASTER_SLAVE / STAND_ALONE for cloud-native instances and double / single for classic ones;
# but its answer (models/_describe_instances_response_body.py) and DescribeInstanceAttribute's document only
# double and single, for every instance, and the Terraform provider reads a Tair instance's double as
# MASTER_SLAVE (aliyun/terraform-provider-alicloud, alicloud/resource_alicloud_redis_tair_instance.go,
# convertRedisTairInstanceInstancesDBInstanceAttributeNodeTypeResponse). So in an answer double / single
# say nothing of the deployment, and only MASTER_SLAVE / STAND_ALONE settle it.
CLOUD_NATIVE_NODE_TYPES = ("MASTER_SLAVE", "STAND_ALONE")


@dataclass(frozen=True)
class Instance:
    """One DescribeInstances entry. `architecture` is ArchitectureType (cluster / standard / rwsplit),
    `node_type` NodeType, `shard_count` ShardCount and `replica_count` ReplicaCount (each 0 when the API did
    not give a positive integer), `instance_type` InstanceType (Redis / Tair / Memcache), `edition_type`
    EditionType (Community / Enterprise), `instance_class` InstanceClass; `created` is CreateTime in UTC; `tags` its Tags (key, value) pairs."""

    instance_id: str
    name: str
    region: str
    status: str = "Normal"
    architecture: str = "standard"
    shard_count: int = 1  # 0 when the API did not say
    created: datetime | None = None
    node_type: str = ""
    instance_type: str = ""
    edition_type: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    replica_count: int = 0  # 0 when the API did not say
    account_id: str = ""  # the account it was listed in, when the run reads several (ACCOUNTS); else ""
    instance_class: str = ""  # InstanceClass, e.g. redis.master.small.default ("" when not answered)

    def tag(self, key: str) -> str:
        """The value of tag `key`, or "" when the instance does not carry it."""
        return next((v for k, v in self.tags if k == key), "")

    @property
    def is_cluster(self) -> bool:
        # Either field is enough: a cluster whose ArchitectureType is absent still has its shards.
        return self.architecture == "cluster" or self.shard_count > 1

    @property
    def cloud_native(self) -> bool:
        """Whether the fields point to a cloud-native cluster: NodeType MASTER_SLAVE / STAND_ALONE, or a
        ShardCount or ReplicaCount at all. DescribeInstances' answer returns ShardCount "only for cloud-native
        cluster instances or read/write splitting instances", and ReplicaCount "applicable only to
        cloud-native instances" (models/_describe_instances_response_body.py). A cluster without any of them
        points to a classic (local-disk) one. Only NodeType settles it (`kind_settled`)."""
        return self.node_type in CLOUD_NATIVE_NODE_TYPES or self.shard_count > 0 or self.replica_count > 0

    @property
    def kind_settled(self) -> bool:
        """Whether the fields settle the kind: always for a standard or read/write splitting instance; for a
        cluster only a cloud-native NodeType does (see CLOUD_NATIVE_NODE_TYPES). Else the API that lists its
        backups settles it (scan.kinds)."""
        return not self.is_cluster or self.node_type in CLOUD_NATIVE_NODE_TYPES

    @property
    def kind(self) -> str:
        """What the fields point to, named as in messages: "standard", "read/write splitting",
        "classic cluster" or "cloud-native cluster"."""
        if self.is_cluster:
            return "cloud-native cluster" if self.cloud_native else "classic cluster"
        return "read/write splitting" if self.architecture == "rwsplit" else "standard"


# DescribeClusterBackupList documents RUNNING for a cluster backup set in progress
# (models/_describe_cluster_backup_list_response_body.py, ClusterBackupStatus). DescribeBackups documents
# only Success and Failed; no other word is taken to mean "running" (an unknown status stays an error).
RUNNING_STATUSES = ("RUNNING",)


@dataclass(frozen=True)
class Backup:
    """One `DescribeBackups` record (or one cluster backup set, read as a record of the whole
    instance), reduced to what verdicts need (never the download URLs). Times UTC, size in bytes.
    `partial`: for a failed cluster backup set whose other shards were backed up, what it lacks;
    `note`: why a cluster backup set failed (its shards' statuses); `expires`: ExpectExpireTime (UTC), when
    the backup set is deleted, None when the answer gave no readable time."""

    backup_id: str
    node: str
    status: str  # "Success", "Failed", or whatever the API said
    start: datetime | None
    end: datetime | None = None
    size: int | None = None
    backup_type: str = "FullBackup"
    mode: str = "Automated"
    partial: str = ""
    note: str = ""
    expires: datetime | None = None

    @property
    def running(self) -> bool:
        return self.status.upper() in RUNNING_STATUSES

    @property
    def finished(self) -> bool:
        """A record without an end time or an ID, or one still running, has not finished yet."""
        return not self.running and self.end is not None and self.backup_id not in ("", "?")

    @property
    def succeeded(self) -> bool:
        return self.status == "Success" and self.finished

    @property
    def covers(self) -> bool:
        """Only a finished, successful full backup serves a slot: an incremental one needs its full
        backup (DescribeBackups' BackupType: FullBackup | IncrementalBackup)."""
        return self.succeeded and self.backup_type == "FullBackup"

    @property
    def failed(self) -> bool:
        return self.status == "Failed"

    @property
    def unknown(self) -> bool:
        """A status that is neither Success, Failed nor running: not to be judged."""
        return not (self.status == "Success" or self.failed or self.running)


@dataclass(frozen=True)
class BackupTask:
    """One DescribeBackupTasks job (models/_describe_backup_tasks_response_body.py): its
    BackupJobID, BackupProgressStatus (NoStart, Preparing, Waiting, Uploading, Checking, Finished),
    JobMode, NodeId, StartTime (UTC) and Progress (0-100, as text)."""

    job_id: str
    status: str
    start: datetime | None
    mode: str = ""
    node: str = ""
    progress: str = ""

    @property
    def in_progress(self) -> bool:
        return self.status != "Finished"


@dataclass(frozen=True)
class BackupPolicy:
    """`DescribeBackupPolicy`: weekdays (0 = Monday) and the daily slot, in UTC minutes of the day;
    `retention_days` BackupRetentionPeriod and `backup_log` EnableBackupLog (1 on, 0 off), `next_backup`
    PreferredNextBackupTime and `backup_log_start` BackupLogStartTime (UTC), each None when the answer did not
    give a readable value (models/_describe_backup_policy_response_body.py). A policy an earlier run kept
    (archive/record.py) has neither time: they are of the day they were read."""

    weekdays: frozenset[int]
    slot_start_minute: int
    slot_end_minute: int
    retention_days: int | None = None
    backup_log: int | None = None
    next_backup: datetime | None = None
    backup_log_start: datetime | None = None


@dataclass(frozen=True)
class BackupStorage:
    """The instance's backup storage as DescribeBackups and DescribeClusterBackupList answer it, in bytes:
    `free` FreeSize (the free quota), `full` FullStorageSize (every valid full backup) and `log` LogStorageSize
    (data flashback's log backups), each None when not given as a whole number
    (models/_describe_backups_response_body.py, _describe_cluster_backup_list_response_body.py)."""

    free: int | None = None
    full: int | None = None
    log: int | None = None


@dataclass(frozen=True)
class KnownPolicy:
    """A backup policy the archive kept from an earlier run, and the UTC day it was read from the API."""

    policy: BackupPolicy
    read_on: date


@dataclass(frozen=True)
class ApiError:
    """A refused or failed API call, kept as data: it becomes an `error` verdict, never `ok`."""

    code: str
    message: str
    action: str = ""

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


@dataclass(frozen=True)
class History:
    """An instance's last scheduled days, oldest first, as `judge.history` read them from the records:
    each day one of DONE, FAILED, MISSING, UNSCHEDULED, UNCREATED (`first_day` is the oldest, a UTC
    date, as the schedule's weekdays are), and the streak of the newest outcome in words."""

    DONE, FAILED, MISSING, UNSCHEDULED, UNCREATED = "done", "failed", "missing", "unscheduled", "uncreated"
    SYMBOLS = {DONE: "✓", FAILED: "✗", MISSING: "○", UNSCHEDULED: "·", UNCREATED: "–"}

    days: tuple[str, ...]
    first_day: date
    streak: str = ""

    @property
    def strip(self) -> str:
        """One symbol a day, oldest first: ✓ done, ✗ failed, ○ missing, · not scheduled, – not yet created."""
        return "".join(self.SYMBOLS[day] for day in self.days)


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    detail: str
    history: History | None = None  # the last scheduled days, for an instance that needs attention
    policy: BackupPolicy | None = None  # the policy it was judged by (None when it could not be read)
    policy_read: date | None = None  # the UTC day that policy was read from the API (None: this run)
    # Bytes backed up per day (TIMEZONE's days, oldest first), for the report page (judge.history.sizes)
    sizes: tuple[tuple[date, int], ...] = ()

    @property
    def severity(self) -> Severity:
        return self.kind.severity


@dataclass(frozen=True)
class Checked:
    """One instance and what the run decided about it. `digest.build` adds, for a line a person can act
    on: `owner`, the OWNER_TAG tag's key and value ("team: payments"), and `console_url`, the instance's
    page in the console ("" when its ID or region is not of the documented form), and with ACCOUNTS `account`,
    the label of the account it is in."""

    instance: Instance
    verdict: Verdict
    owner: str = ""
    console_url: str = ""
    account: str = ""  # with ACCOUNTS: its account's label, "1234567890123456 (payments-prod)"


@dataclass(frozen=True)
class Coverage:
    """A scanned region's instances that the report does not watch (DescribeInstances without the tag
    filter, minus those carrying INSTANCE_TAGS), or the error its listing failed with."""

    region: str
    unwatched: tuple[Instance, ...] = ()
    error: ApiError | None = None
    account_id: str = ""  # with ACCOUNTS: the account whose region it is


@dataclass(frozen=True)
class RegionFailure:
    """A region whose discovery failed: its instances are unknown, so it is reported, not skipped."""

    region: str
    error: ApiError
    account_id: str = ""  # with ACCOUNTS: the account whose region it is


@dataclass(frozen=True)
class Account:
    """An Alibaba Cloud account a run reads (ACCOUNTS): `account_id` (digits), `name` its DisplayName and
    `status` its Status in the Resource Directory ("" when ListAccounts did not list it)."""

    account_id: str
    name: str = ""
    status: str = ""

    @property
    def label(self) -> str:
        """"1234567890123456 (payments-prod)", or the ID alone when it has no name."""
        return f"{self.account_id} ({self.name})" if self.name else self.account_id


@dataclass(frozen=True)
class AccountFailure:
    """An account whose instances are unknown (its role could not be assumed, or the directory not listed):
    reported as not checked, never left out, never counted fine."""

    account: Account
    error: ApiError


@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    error: str = ""
    skipped: str = ""  # why nothing was posted, when nothing was
    message: dict | None = None  # the rendered message, kept only for a dry run
    maybe_delivered: bool = False  # sent, with no complete answer: the service may have taken it


@dataclass
class Window:
    start: datetime
    end: datetime


@dataclass
class Findings:
    """Everything a run found, before it is rendered."""

    window: Window
    checked: list[Checked] = field(default_factory=list)
    region_failures: list[RegionFailure] = field(default_factory=list)
    # COVERAGE: each region's instances not carrying the tags (or the error its listing met)
    unwatched: dict[str, "list[Instance] | ApiError"] = field(default_factory=dict)
    # ACCOUNTS: the accounts read, and those that could not be (each named in the digest)
    accounts: list[Account] = field(default_factory=list)
    account_failures: list[AccountFailure] = field(default_factory=list)


@dataclass(frozen=True)
class Reading:
    """What the cloud edge read for one instance, ready to judge: the policy, the records, how many
    shards are expected and their node IDs when the topology named them, the calls' anomalies, and the
    action the records came from. `per_shard`: the records are a classic cluster's, one per shard node
    (else one data set: a standard or read/write splitting instance, or a cloud-native cluster's
    backup sets). `unsettled`: for a cluster whose fields leave its kind open and whose backups neither
    DescribeBackups nor DescribeClusterBackupList listed, why its kind is not known ("" otherwise)."""

    policy: BackupPolicy
    records: tuple[Backup, ...]
    per_shard: bool = False
    shard_count: int = 1
    shards: tuple[str, ...] = ()
    anomalies: tuple[str, ...] = ()
    source: str = "DescribeBackups"
    unsettled: str = ""  # why a cluster's kind is not known, when neither API listed a backup of it
    storage: BackupStorage | None = None  # the listing's storage figures, None when it gave none

    def kind(self, instance: Instance) -> str:
        """The kind these records were read as: a cluster's is settled by the API that listed them."""
        if self.source == "DescribeClusterBackupList":
            return "cloud-native cluster"
        return "classic cluster" if self.per_shard else instance.kind


@dataclass(frozen=True)
class ShardBackup:
    """One shard's backup in a cluster backup set (DescribeClusterBackupList's Backups): its
    BackupId, InstanceName as answered (the shard's node ID, or a backup file's name: its form is not
    documented, judge.cluster_sets), BackupStatus (OK / ERROR), IsAvail, BackupSize (bytes)."""

    backup_id: str
    node: str
    status: str
    available: bool
    size: int | None


@dataclass(frozen=True)
class ClusterBackupSet:
    """One DescribeClusterBackupList cluster backup set: ClusterBackupId, ClusterBackupStatus (OK,
    RUNNING, other values failed), IsAvail, start and end (UTC) and the shards' backups."""

    set_id: str
    status: str
    available: bool
    start: datetime | None
    end: datetime | None
    shards: tuple[ShardBackup, ...]
    progress: str = ""
    expires: datetime | None = None  # ExpectExpireTime
