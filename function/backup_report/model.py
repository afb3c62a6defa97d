"""Plain data the report works on. Built at the cloud edge, read by the pure core."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
    INACTIVE = "inactive"
    SHRUNK = "shrunk"
    RECOVERED = "recovered"
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
    Kind.INACTIVE: Severity.WARNING,
    Kind.RECOVERED: Severity.WARNING,
    Kind.SHRUNK: Severity.WARNING,
    Kind.NEW: Severity.FINE,
    Kind.NOT_DUE: Severity.FINE,
    Kind.OK: Severity.FINE,
}


@dataclass(frozen=True)
class Instance:
    instance_id: str
    name: str
    region: str
    status: str = "Normal"
    architecture: str = "standard"
    shard_count: int = 1  # 0 when the API did not say
    created: datetime | None = None

    @property
    def is_cluster(self) -> bool:
        return self.architecture == "cluster" and self.shard_count != 1


@dataclass(frozen=True)
class Backup:
    """One `DescribeBackups` record, reduced to what verdicts need (never the download URLs)."""

    backup_id: str
    node: str
    status: str  # "Success", "Failed", or whatever the API said
    start: datetime | None
    end: datetime | None = None
    size: int | None = None
    backup_type: str = "FullBackup"
    mode: str = "Automated"

    @property
    def succeeded(self) -> bool:
        return self.status == "Success"

    @property
    def failed(self) -> bool:
        return self.status == "Failed"


@dataclass(frozen=True)
class BackupPolicy:
    """`DescribeBackupPolicy`: weekdays (0 = Monday) and the daily slot, in UTC minutes of the day."""

    weekdays: frozenset[int]
    slot_start_minute: int
    slot_end_minute: int


@dataclass(frozen=True)
class ApiError:
    """A refused or failed API call, kept as data: it becomes an `error` verdict, never `ok`."""

    code: str
    message: str
    action: str = ""

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    detail: str

    @property
    def severity(self) -> Severity:
        return self.kind.severity


@dataclass(frozen=True)
class Checked:
    """One instance and what the run decided about it."""

    instance: Instance
    verdict: Verdict


@dataclass(frozen=True)
class RegionFailure:
    """A region whose discovery failed: its instances are unknown, so it is reported, not skipped."""

    region: str
    error: ApiError


@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    error: str = ""
    skipped: str = ""  # why nothing was posted, when nothing was
    message: dict | None = None  # the rendered message, kept only for a dry run


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
