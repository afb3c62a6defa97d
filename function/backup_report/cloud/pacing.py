"""Pacing R-KVStore calls by the published API quotas: per API, per region, for the whole account, under the
run's own overall rate.

Alibaba Cloud rate-limits each R-KVStore operation per region, per API and per main account
(dimension "regionId,API,ParentUid": the account's RAM users, roles, consoles and tools share it), in
calls per window ("Request Rate: 200/60 s — the API can be called up to 200 times per minute",
https://help.aliyun.com/en/openapi/throttling-and-quota-management). The figures are R-KVStore's page
"流控信息" (throttling information, https://help.aliyun.com/zh/redis/developer-reference/
api-r-kvstore-2015-01-01-quota-redis; also document_detail/473754), whose header sends readers to Quota
Center for each account's own figure. Published there: DescribeBackupPolicy 200/60 s. No figure for the
other operations this function calls could be read on any copy of that page; they get 200/60 s, the
figure most of the page's published Describe* reads carry (DescribeSecurityIps, DescribeActiveOperationTask,
ModifyBackupPolicy, …), and each can be set (`API_QUOTAS`: `Action=calls/seconds,…`, as Quota Center
shows it) for an account whose quota is known.

`QuotaWindow` keeps each (region, API) within its quota as a sliding window: at most `calls` starts in
any `seconds` (kept 5% longer), which keeps within a fixed window or a token bucket of the same figures
too. A small
fleet runs at full speed; a large one at the quota's rate. When throttled anyway (others share the
account's quota), the window's allowance halves from what the run was really sending, then grows back by
one call every few successes. `Pacer` holds the windows and the run's overall pacer (`API_QPS`,
ratelimit.RateLimiter), and every call passes both.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Mapping

from .ratelimit import RateLimiter

PUBLISHED = {"DescribeBackupPolicy": (200, 60.0),  # "流控信息": 200/60(s), regionId,API,ParentUid
             # STS AssumeRole: "100 requests per second … per Alibaba Cloud account", RAM and roles counted
             # (https://www.alibabacloud.com/notice/ram20220829; STS FAQ, doc-detail/139021.htm: 100 QPS)
             "AssumeRole": (100, 1.0)}
ASSUMED = (200, 60.0)  # the operations with no published figure (see above)
ACTIONS = ("DescribeInstances", "DescribeBackupPolicy", "DescribeBackups", "DescribeClusterBackupList",
           "DescribeBackupTasks", "DescribeLogicInstanceTopology", "DescribeRegions",
           # ACCOUNTS: STS and ResourceManager (ListAccounts and GetCallerIdentity have no published figure)
           "AssumeRole", "GetCallerIdentity", "ListAccounts", "GetResourceDirectory",
           # RESTORE_TEST (cloud/restore.py): no published figure either
           "DescribeInstanceAttribute", "DescribePrice", "CreateInstance", "CreateTairInstance",
           "DescribeHistoryMonitorValues", "DeleteInstance")
REGAIN = 4  # successes for each call of allowance won back after a throttle
# The window is kept 5% longer than the quota's: the server counts arrivals, a little after the starts
# counted here, and a start at the window's very edge would otherwise meet the quota's.
MARGIN = 1.05


@dataclass(frozen=True)
class Quota:
    """`calls` in any `seconds`: an API's quota in one region, as Quota Center writes it ("200/60")."""

    calls: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds

    def __str__(self) -> str:
        return f"{self.calls}/{self.seconds:g} s"


def default_quota(action: str) -> Quota:
    """The published quota of `action`, else the assumed one."""
    return Quota(*PUBLISHED.get(action, ASSUMED))


class QuotaWindow:
    """At most `quota.calls` call starts in any `quota.seconds` (one API in one region); thread-safe."""

    def __init__(self, quota: Quota, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.quota, self.allowed = quota, quota.calls
        self._clock, self._sleep = clock, sleep
        self._starts: deque[float] = deque()
        self._successes = 0
        self._lock = threading.Lock()

    def acquire(self, within: float = float("inf")) -> bool:
        """Wait until a call may start (False, without waiting, when that is more than `within` seconds
        away: the run's budget), and count its start."""
        while True:
            with self._lock:
                now = self._clock()
                span = self.quota.seconds * MARGIN
                while self._starts and self._starts[0] <= now - span:
                    self._starts.popleft()
                if len(self._starts) < self.allowed:
                    self._starts.append(now)
                    return True
                delay = self._starts[len(self._starts) - self.allowed] + span - now
            if delay > within:
                return False
            self._sleep(max(delay, 0.001))

    def throttled(self) -> None:
        """A call was throttled: the allowance halves from what was really sent in the window."""
        with self._lock:
            self.allowed = max(1, min(self.allowed, len(self._starts)) // 2)
            self._successes = 0

    def succeeded(self) -> None:
        if self.allowed < self.quota.calls:
            with self._lock:
                self._successes += 1
                if self._successes >= REGAIN:
                    self.allowed, self._successes = min(self.quota.calls, self.allowed + 1), 0


class Pacer:
    """Every R-KVStore call of a run: its API's window in its region (`quotas`: action -> Quota, else
    default_quota) and the run's overall pacer (`overall`, API_QPS)."""

    def __init__(self, overall: RateLimiter, quotas: Mapping[str, Quota] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.overall, self._quotas = overall, dict(quotas or {})
        self._clock, self._sleep = clock, sleep
        self._windows: dict[tuple[str, str], QuotaWindow] = {}
        self._lock = threading.Lock()

    def for_another_account(self) -> "Pacer":
        """The pacer of another account's calls: windows of its own (the quotas are per account, ParentUid),
        under the same overall pacer (API_QPS is the run's)."""
        return Pacer(self.overall, self._quotas, self._clock, self._sleep)

    def quota(self, action: str) -> Quota:
        return self._quotas.get(action) or default_quota(action)

    def window(self, region: str, action: str) -> QuotaWindow:
        with self._lock:
            key = (region, action)
            if key not in self._windows:
                self._windows[key] = QuotaWindow(self.quota(action), self._clock, self._sleep)
            return self._windows[key]

    def acquire(self, region: str, action: str, within: Callable[[], float]) -> bool:
        """The call's turn at its API's window, then at the overall pacer; False when either comes after
        `within()` seconds (the budget left)."""
        return self.window(region, action).acquire(within()) and self.overall.acquire(within=within()) is not None

    def throttled(self, region: str, action: str) -> None:
        self.window(region, action).throttled()
        self.overall.throttled()

    def succeeded(self, region: str, action: str) -> None:
        self.window(region, action).succeeded()
        self.overall.succeeded()
