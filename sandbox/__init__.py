"""The sandbox: R-KVStore, STS, ResourceManager, DingTalk, Slack, Feishu, WeCom, heartbeat, OSS and Function
Compute emulators on loopback, driven by a scenario.

    with sandbox.start("demo", anchor="2026-11-28T01:00Z") as sb:
        os.environ.update(sb.env())   # point the function at the emulators
        ...
        sb.kvstore.calls, sb.sts.calls, sb.sts.issued, sb.resourcemanager.calls, sb.dingtalk.messages,
        sb.slack.messages, sb.feishu.messages, sb.wecom.messages, sb.heartbeat.pings, sb.oss.objects,
        sb.fc.tasks (the FC emulator's asynchronous tasks; sb.fc.wait() before reading them)

See README.md for the scenario format.
"""
from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Mapping

from .demo import deployed_handler
from .dingtalk import DingTalkRobot
from .fc import FunctionCompute
from .feishu import FeishuBot
from .fleet import Credentials, Scenario
from .heartbeat import HeartbeatCheck
from .httpserver import LoopbackServer
from .keyring import Keyring
from .kvstore import KVStore
from .oss import OSSBucket
from .resourcemanager import ResourceManager
from .scenario import load
from .slack import SlackWebhook
from .sts import STS
from .wecom import WeComRobot

__all__ = ["Sandbox", "start", "load"]

# The R-KVStore operations the emulator answers (kvstore_actions.py), as API_QUOTAS names them.
EMULATED_ACTIONS = ("DescribeInstances", "DescribeBackupPolicy", "DescribeBackups", "DescribeClusterBackupList",
                    "DescribeBackupTasks", "DescribeLogicInstanceTopology", "DescribeRegions",
                    "DescribeInstanceAttribute", "DescribePrice", "CreateInstance", "CreateTairInstance",
                    "DescribeHistoryMonitorValues", "DeleteInstance")


class Sandbox:
    """The ten emulators of one scenario, each on its own loopback port; a context manager.
    `oss_objects`: the archive bucket's objects (a dict kept by the caller, so a bucket outlives a run).
    STS, ResourceManager, the R-KVStore and FC share one key table: what STS issues for an account is good at
    the R-KVStore for that account's fleet. FC (`fc`) serves one function, FUNCTION_NAME (the deployed
    handler, `demo.deployed_handler`) in the home account and ARCHIVE_REGION; `fc_options` go to its
    constructor (`async_retries`, `retry_delay`, `lose`, `duplicate`, `fail_always`, `delay`, `concurrency`:
    fc.py), and are its attributes too."""

    ARCHIVE_BUCKET = "backup-report-archive"
    ARCHIVE_REGION = "cn-hangzhou"  # the region the function runs in, in tests and the demo
    LINK_HOST = "reports.example.com"  # a custom domain bound to the archive bucket (REPORT_LINK_HOST)
    FUNCTION_NAME = "redis-backup-report"  # s.yaml's functionName

    def __init__(self, scenario: Scenario, host: str = "127.0.0.1",
                 kvstore_port: int = 0, dingtalk_port: int = 0, slack_port: int = 0, feishu_port: int = 0,
                 wecom_port: int = 0, heartbeat_port: int = 0, oss_port: int = 0, oss_objects: dict | None = None,
                 sts_port: int = 0, resourcemanager_port: int = 0, fc_port: int = 0,
                 fc_options: Mapping | None = None, clones=None):
        self.scenario = scenario
        robot, hook = scenario.dingtalk, scenario.slack
        self.keyring = Keyring(scenario.account, scenario.credentials)
        # `clones`: a restore test's (kvstore_restore.Clones), kept by the caller so they outlive a run.
        self.kvstore = KVStore(scenario, self.keyring, clones=clones)
        self.sts = STS(scenario, self.keyring)
        self.resourcemanager = ResourceManager(scenario, self.keyring)
        self.dingtalk = DingTalkRobot(robot.token, robot.secret, keywords=robot.keywords, faults=robot.faults)
        self.slack = SlackWebhook(hook.path, faults=hook.faults)
        bot, key = scenario.feishu, scenario.wecom
        self.feishu = FeishuBot(bot.token, bot.secret, keywords=bot.keywords, faults=bot.faults)
        self.wecom = WeComRobot(key.key, faults=key.faults)
        self.heartbeat = HeartbeatCheck(scenario.heartbeat.uuid, faults=scenario.heartbeat.faults,
                                        deleted=scenario.heartbeat.deleted)
        self.oss = OSSBucket(self.ARCHIVE_BUCKET, scenario.credentials, self.ARCHIVE_REGION, oss_objects,
                             domains=(self.LINK_HOST,))
        # The function runs with the role's credentials (the home ones here) and this process's environment.
        self.fc = FunctionCompute({self.FUNCTION_NAME: deployed_handler}, scenario.credentials,
                                  region=self.ARCHIVE_REGION, account_id=scenario.account, keyring=self.keyring,
                                  **dict(fc_options or {}))
        self._servers: list[LoopbackServer] = []
        try:
            for app, port in ((self.kvstore, kvstore_port), (self.dingtalk, dingtalk_port), (self.slack, slack_port),
                              (self.feishu, feishu_port), (self.wecom, wecom_port), (self.heartbeat, heartbeat_port),
                              (self.oss, oss_port), (self.sts, sts_port), (self.resourcemanager, resourcemanager_port),
                              (self.fc, fc_port)):
                self._servers.append(LoopbackServer(app, host, port))
        except OSError:  # a port in use: free the ones already bound
            for server in self._servers:
                server.server_close()
            raise

    def start(self) -> "Sandbox":
        for server in self._servers:
            server.start()
        return self

    def stop(self, task_timeout: float = 10.0) -> None:
        """Stop every emulator. FC first starts no asynchronous attempt more and waits up to `task_timeout`
        seconds for the running ones, with the other emulators still up; one still running then (a handler
        stuck on a hung call) is abandoned to the servers' stop, which releases hung answers, and waited for
        as long again."""
        finished = self.fc.stop(task_timeout)
        # In parallel: each stop waits out its server's poll interval.
        threads = [threading.Thread(target=server.stop) for server in self._servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not finished:
            self.fc.wait(task_timeout)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def anchor(self) -> datetime:
        return self.scenario.anchor

    @property
    def credentials(self) -> Credentials:
        return self.scenario.credentials

    @property
    def kvstore_endpoint(self) -> str:
        return self._servers[0].address

    @property
    def dingtalk_webhook(self) -> str:
        return f"http://{self._servers[1].address}/robot/send?access_token={self.scenario.dingtalk.token}"

    @property
    def dingtalk_secret(self) -> str:
        return self.scenario.dingtalk.secret

    @property
    def slack_webhook(self) -> str:
        return f"http://{self._servers[2].address}/services/{self.scenario.slack.path}"

    @property
    def feishu_webhook(self) -> str:
        return f"http://{self._servers[3].address}/open-apis/bot/v2/hook/{self.scenario.feishu.token}"

    @property
    def feishu_secret(self) -> str:
        return self.scenario.feishu.secret

    @property
    def wecom_webhook(self) -> str:
        return f"http://{self._servers[4].address}/cgi-bin/webhook/send?key={self.scenario.wecom.key}"

    @property
    def heartbeat_url(self) -> str:
        return f"http://{self._servers[5].address}/{self.scenario.heartbeat.uuid}"

    @property
    def oss_endpoint(self) -> str:
        return f"http://{self._servers[6].address}"

    @property
    def sts_endpoint(self) -> str:
        return self._servers[7].address

    @property
    def resourcemanager_endpoint(self) -> str:
        return self._servers[8].address

    @property
    def function_compute_endpoint(self) -> str:
        """FC 3.0's endpoint, host:port (plain http): the SDK's Config(endpoint=..., protocol="http")."""
        return self._servers[9].address

    @property
    def account(self) -> str:
        """The home account: the one `credentials` belong to."""
        return self.scenario.account

    @property
    def accounts(self) -> tuple[str, ...]:
        """The member accounts' IDs, in scenario order (listed in the directory or not)."""
        return tuple(a.id for a in self.scenario.accounts)

    @property
    def settings(self) -> dict[str, str]:
        """The scenario's own settings (`settings:`; the demo's tags, time zone, mentions), {NAME: text}: what a
        run against it starts from, under `env()`'s."""
        return dict(self.scenario.settings)

    def archive_env(self) -> dict[str, str]:
        """The settings that turn the archive on, into this sandbox's bucket."""
        return {"ARCHIVE_OSS_BUCKET": self.ARCHIVE_BUCKET, "ARCHIVE_OSS_ENDPOINT": self.oss_endpoint}

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted(self.scenario.regions))

    def env(self) -> dict[str, str]:
        """The function's settings that point it at this sandbox (ACCOUNTS is the test's to set)."""
        return {
            "KVSTORE_ENDPOINT": self.kvstore_endpoint,
            "KVSTORE_PROTOCOL": "http",  # STS and ResourceManager follow it (plain http to loopback)
            "STS_ENDPOINT": self.sts_endpoint,
            "RESOURCEMANAGER_ENDPOINT": self.resourcemanager_endpoint,
            "DINGTALK_WEBHOOK": self.dingtalk_webhook,
            "DINGTALK_SECRET": self.dingtalk_secret,
            "SLACK_WEBHOOK": self.slack_webhook,
            "FEISHU_WEBHOOK": self.feishu_webhook,
            "FEISHU_SECRET": self.feishu_secret,
            "WECOM_WEBHOOK": self.wecom_webhook,
            "HEARTBEAT_URL": self.heartbeat_url,
            "FUNCTION_COMPUTE_ENDPOINT": self.function_compute_endpoint,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": self.credentials.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": self.credentials.access_key_secret,
            "ALIBABA_CLOUD_SECURITY_TOKEN": self.credentials.security_token or "",
            "REGIONS": ",".join(self.regions),
            # The emulator keeps no quota of its own: the published ones would only slow the tests down.
            # (R-KVStore operations only: API_QUOTAS refuses any other name, settings/parsers.py.)
            "API_QUOTAS": ",".join(f"{action}=100000/1" for action in EMULATED_ACTIONS),
        }


def start(scenario: str | Path | Mapping | Scenario = "demo", anchor: datetime | str | None = None,
          **options) -> Sandbox:
    """Load `scenario` (name, path, dict, or an already loaded one) and start its emulators.

    `options`: `host`, `kvstore_port`, `dingtalk_port`, `slack_port`, `feishu_port`, `wecom_port`,
    `heartbeat_port`, `oss_port`, `sts_port`, `resourcemanager_port`, `fc_port` (0 = an ephemeral port),
    `oss_objects`, `fc_options`, `clones` (kvstore_restore.Clones).
    """
    loaded = scenario if isinstance(scenario, Scenario) else load(scenario, anchor)
    return Sandbox(loaded, **options).start()
