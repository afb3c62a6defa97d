"""Every setting once: its name, how its text is read, its default, whether it is a secret, and who may set it.

`Settings` (the typed values), the secrets each run hides, the CLI's display and docs/settings.md's
table are read from `TABLE` or tested against it: a setting is added here, in `Settings`, in s.yaml and
in docs/settings.md, and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import parsers as p

INSTANCE_TAGS = "INSTANCE_TAGS"
REGIONS = "REGIONS"
LOOKBACK_HOURS = "LOOKBACK_HOURS"
NOTIFY_ON = "NOTIFY_ON"
DINGTALK_WEBHOOK = "DINGTALK_WEBHOOK"
DINGTALK_SECRET = "DINGTALK_SECRET"
DINGTALK_AT_MOBILES = "DINGTALK_AT_MOBILES"
SLACK_WEBHOOK = "SLACK_WEBHOOK"
FEISHU_WEBHOOK = "FEISHU_WEBHOOK"
FEISHU_SECRET = "FEISHU_SECRET"
FEISHU_MENTION = "FEISHU_MENTION"
WECOM_WEBHOOK = "WECOM_WEBHOOK"
WECOM_MENTION_USERIDS = "WECOM_MENTION_USERIDS"
TIMEZONE = "TIMEZONE"
SIZE_DROP_PERCENT = "SIZE_DROP_PERCENT"
HISTORY_DAYS = "HISTORY_DAYS"
BACKUP_GRACE_MINUTES = "BACKUP_GRACE_MINUTES"
MAX_CONCURRENCY = "MAX_CONCURRENCY"
MAX_INSTANCES = "MAX_INSTANCES"
API_QPS = "API_QPS"
API_QUOTAS = "API_QUOTAS"
KVSTORE_ENDPOINT = "KVSTORE_ENDPOINT"
KVSTORE_PROTOCOL = "KVSTORE_PROTOCOL"
MIN_RETENTION_DAYS = "MIN_RETENTION_DAYS"
MIN_BACKUPS_PER_WEEK = "MIN_BACKUPS_PER_WEEK"
REQUIRE_BACKUP_LOG = "REQUIRE_BACKUP_LOG"
MIN_RESTORE_WINDOW_HOURS = "MIN_RESTORE_WINDOW_HOURS"
COVERAGE = "COVERAGE"
CONSOLE = "CONSOLE"
OWNER_TAG = "OWNER_TAG"
SLACK_MENTION = "SLACK_MENTION"
HEARTBEAT_URL = "HEARTBEAT_URL"
ARCHIVE_OSS_BUCKET = "ARCHIVE_OSS_BUCKET"
ARCHIVE_OSS_PREFIX = "ARCHIVE_OSS_PREFIX"
ARCHIVE_OSS_ENDPOINT = "ARCHIVE_OSS_ENDPOINT"
REPORT_LINK_DAYS = "REPORT_LINK_DAYS"
REPORT_LINK_HOST = "REPORT_LINK_HOST"
POLICY_REFRESH_DAYS = "POLICY_REFRESH_DAYS"
ACCOUNTS = "ACCOUNTS"
ACCOUNT_ROLE_NAME = "ACCOUNT_ROLE_NAME"
STS_ENDPOINT = "STS_ENDPOINT"
RESOURCEMANAGER_ENDPOINT = "RESOURCEMANAGER_ENDPOINT"
ACCOUNTS_PER_INVOCATION = "ACCOUNTS_PER_INVOCATION"
FUNCTION_COMPUTE_ENDPOINT = "FUNCTION_COMPUTE_ENDPOINT"
RESTORE_TEST = "RESTORE_TEST"
RESTORE_TEST_SAMPLE = "RESTORE_TEST_SAMPLE"
RESTORE_TEST_MAX_COST = "RESTORE_TEST_MAX_COST"
RESTORE_TEST_MAX_HOURS = "RESTORE_TEST_MAX_HOURS"

PAYLOAD_SETTINGS = "PAYLOAD_SETTINGS"

# Who may set a setting (docs/security.md's trust model: the deployer decides where signed requests, reports and
# secrets go; an invoker's event may narrow or tune a run):
PAYLOAD = "payload"  # an event's payload may set it (it narrows or tunes the run)
TIGHTEN = "tighten"  # a payload may only make it stricter than the environment's (Setting.tighten says how)
OPT_IN = "opt-in"  # a destination or secret: from a payload only when PAYLOAD_SETTINGS names it
ENVIRONMENT = "environment"  # the function's environment (s.yaml) only: endpoints, buckets, prefixes


def _rate(quotas, action: str) -> float:
    """Calls a second `quotas` (API_QUOTAS' triples) allow `action`: its entry, else the default quota."""
    from ..cloud.pacing import default_quota

    found = [c / s for a, c, s in quotas if a == action]
    return found[0] if found else default_quota(action).per_second


@dataclass(frozen=True)
class Tighten:
    """How a payload may only tighten a setting: `word` says it ("lower it"), `allows(new, environment)`."""

    word: str
    allows: Callable[[object, object], bool]


# A lower rate, concurrency, limit, link life or grace is stricter; a higher retention or backup count is;
# a control turned on is; a size drop threshold is stricter when the check is on (0 turns it off).
LOWER = Tighten("lower it", lambda new, env: new <= env)
RAISE = Tighten("raise it", lambda new, env: new >= env)
TURN_ON = Tighten("turn it on", lambda new, env: new or not env)
QUOTAS = Tighten("lower them", lambda new, env: all(c / s <= _rate(env, a) for a, c, s in new))
SIZE_DROP = Tighten("lower it, to 1 or more, while it is on", lambda new, env: env == 0 or 0 < new <= env)

# How a secret is kept out of what the run shows: a value is never shown, a URL shows its scheme and host.
SECRET_VALUE, SECRET_URL = "value", "url"


@dataclass(frozen=True)
class Setting:
    """One setting: `name` (the environment variable; its payload key is the lower-case name), `parse`
    (text -> value, ValueError naming the accepted form), `default` (the value when unset; None: the
    run decides, see load_settings), `secret` ("" not a secret, SECRET_VALUE, SECRET_URL), `origin`
    (who may set it: PAYLOAD)."""

    name: str
    parse: Callable[[str], object]
    default: object
    secret: str = ""
    origin: str = PAYLOAD
    part_of: str = ""
    tighten: Tighten | None = None
    hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.tighten is not None:
            object.__setattr__(self, "origin", TIGHTEN)

    @property
    def field(self) -> str:
        """The `Settings` attribute and the payload key: the name in lower case."""
        return self.name.lower()


def parse_payload_settings(text: str) -> frozenset[str]:
    """PAYLOAD_SETTINGS: the destination and secret settings (OPT_IN rows) an event's payload may set."""
    opt_ins = [s.name for s in TABLE if s.origin == OPT_IN]
    names = {n.strip().upper() for n in text.split(",") if n.strip()}
    refused = sorted(n for n in names if n not in opt_ins)
    if refused or not names:
        raise ValueError(f"{', '.join(refused[:5]) or 'nothing'}: comma-separated names of the settings a "
                         f"payload may set only when named here: {', '.join(opt_ins)}")
    return frozenset(names)


TABLE: tuple[Setting, ...] = (
    Setting(INSTANCE_TAGS, p.parse_tags, ()),  # required: load_settings says so when unset
    Setting(REGIONS, p.parse_regions, None),  # None: the function's own region
    Setting(LOOKBACK_HOURS, p.int_in(1, 168), 24),
    Setting(NOTIFY_ON, p.one_of("always", "failure"), "always"),
    # The services' webhook hosts: DingTalk's custom robot (https://open.dingtalk.com/document/robots/custom-robot-access),
    # Slack's incoming webhooks (https://api.slack.com/messaging/webhooks), Feishu's and Lark's custom bots
    # (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot), WeCom's group robot
    # (https://developer.work.weixin.qq.com/document/path/91770), healthchecks.io and Cronitor (heartbeat.py).
    Setting(DINGTALK_WEBHOOK, p.parse_dingtalk_webhook, "", secret=SECRET_URL, origin=OPT_IN,
            hosts=("oapi.dingtalk.com",)),
    Setting(DINGTALK_SECRET, p.parse_dingtalk_secret, "", secret=SECRET_VALUE, origin=OPT_IN,
            part_of=DINGTALK_WEBHOOK),
    Setting(DINGTALK_AT_MOBILES, p.parse_mobiles, (), origin=OPT_IN, part_of=DINGTALK_WEBHOOK),
    Setting(SLACK_WEBHOOK, p.parse_slack_webhook, "", secret=SECRET_URL, origin=OPT_IN, hosts=("hooks.slack.com",)),
    Setting(FEISHU_WEBHOOK, p.parse_feishu_webhook, "", secret=SECRET_URL, origin=OPT_IN,
            hosts=("open.feishu.cn", "open.larksuite.com")),
    Setting(FEISHU_SECRET, p.parse_feishu_secret, "", secret=SECRET_VALUE, origin=OPT_IN, part_of=FEISHU_WEBHOOK),
    Setting(FEISHU_MENTION, p.parse_feishu_mention, (), origin=OPT_IN, part_of=FEISHU_WEBHOOK),
    Setting(WECOM_WEBHOOK, p.parse_wecom_webhook, "", secret=SECRET_URL, origin=OPT_IN,
            hosts=("qyapi.weixin.qq.com",)),
    Setting(WECOM_MENTION_USERIDS, p.parse_userids, (), origin=OPT_IN, part_of=WECOM_WEBHOOK),
    Setting(TIMEZONE, p.parse_timezone, "UTC"),
    Setting(SIZE_DROP_PERCENT, p.int_in(0, 99), 50, tighten=SIZE_DROP),
    Setting(HISTORY_DAYS, p.int_in(1, 30), 7),
    # A longer grace turns last night's missed backup into "not due": a payload may only shorten it.
    Setting(BACKUP_GRACE_MINUTES, p.int_in(0, 1440), 60, tighten=LOWER),
    Setting(MAX_CONCURRENCY, p.int_in(1, 64), 16, tighten=LOWER),
    # A run's result and memory grow with its instances (~300 bytes of result, a few KB of memory each).
    Setting(MAX_INSTANCES, p.int_in(1, 50_000), 50_000, tighten=LOWER),
    Setting(API_QPS, p.number_in(0.1, 1000), 50.0, tighten=LOWER),
    # Per API and region, the account's quotas where they differ from the published or assumed ones
    # (cloud/pacing.py, with the sources).
    Setting(API_QUOTAS, p.parse_api_quotas, (), tighten=QUOTAS),
    Setting(KVSTORE_ENDPOINT, p.parse_endpoint, "", origin=ENVIRONMENT),
    Setting(KVSTORE_PROTOCOL, p.one_of("https", "http"), "https", origin=ENVIRONMENT),
    # Which accounts the run reads, and as which role in each: whose credentials sign what is the deployer's.
    Setting(ACCOUNTS, p.parse_accounts, (), origin=ENVIRONMENT),  # (): the function's own account only
    Setting(ACCOUNT_ROLE_NAME, p.parse_role_name, "redis-backup-reader", origin=ENVIRONMENT),
    Setting(STS_ENDPOINT, p.endpoint_like("sts-vpc.cn-hangzhou.aliyuncs.com"), "", origin=ENVIRONMENT),
    Setting(RESOURCEMANAGER_ENDPOINT, p.endpoint_like("resourcemanager.aliyuncs.com"), "", origin=ENVIRONMENT),
    # Past this many accounts (with the archive on) each account is read by an async invocation of its own.
    Setting(ACCOUNTS_PER_INVOCATION, p.int_in(1, 1000), 20, origin=ENVIRONMENT),
    Setting(FUNCTION_COMPUTE_ENDPOINT, p.endpoint_like("fcv3.cn-hangzhou.aliyuncs.com"), "", origin=ENVIRONMENT),
    Setting(MIN_RETENTION_DAYS, p.int_in(0, 730), 0, tighten=RAISE),  # 0: the control is off
    Setting(MIN_BACKUPS_PER_WEEK, p.int_in(0, 7), 0, tighten=RAISE),
    Setting(REQUIRE_BACKUP_LOG, p.on_off, False, tighten=TURN_ON),
    # 0: off. 17,520 h is 730 days, BackupRetentionPeriod's longest (models/_modify_backup_policy_request.py).
    Setting(MIN_RESTORE_WINDOW_HOURS, p.int_in(0, 17520), 0, tighten=RAISE),
    Setting(COVERAGE, p.on_off, True, tighten=TURN_ON),
    Setting(CONSOLE, p.one_of("cn", "intl"), "cn"),
    Setting(OWNER_TAG, p.parse_tag_key, ""),
    Setting(SLACK_MENTION, p.parse_slack_mention, (), origin=OPT_IN, part_of=SLACK_WEBHOOK),
    Setting(HEARTBEAT_URL, p.parse_heartbeat_url, "", secret=SECRET_URL, origin=OPT_IN,
            hosts=("hc-ping.com", "cronitor.link")),
    Setting(ARCHIVE_OSS_BUCKET, p.parse_bucket, "", origin=ENVIRONMENT),  # "": no archive, the run is stateless
    Setting(ARCHIVE_OSS_PREFIX, p.parse_prefix, "redis-backup-report/", origin=ENVIRONMENT),
    # "": the region's internal endpoint
    Setting(ARCHIVE_OSS_ENDPOINT, p.parse_oss_endpoint, "", origin=ENVIRONMENT),
    # A V4 pre-signed URL is valid at most 7 days (alibabacloud_oss_v2/presigner.py); the link carries the
    # role's STS token, so a payload may shorten its life, never lengthen it.
    Setting(REPORT_LINK_DAYS, p.int_in(1, 7), 7, tighten=LOWER),
    # "": links through the region's public endpoint, which serves the page as a download (archive/oss.py).
    # Environment only: the link's host is where the role's token goes.
    Setting(REPORT_LINK_HOST, p.parse_link_host, "", origin=ENVIRONMENT),
    # With the archive, an instance whose backups are fine is judged by the policy an earlier run read, up to
    # this many days old (DescribeBackupPolicy's quota is 200 a minute a region); 0: read every run.
    Setting(POLICY_REFRESH_DAYS, p.int_in(0, 30), 7, tighten=LOWER),
    # Restore testing (docs/restore-testing.md) creates and releases pay-as-you-go instances: what it costs and
    # when is the deployer's alone. MAX_COST is in the currency DescribePrice answers (CNY or USD, an hour).
    Setting(RESTORE_TEST, p.parse_restore_test, (), origin=ENVIRONMENT),
    Setting(RESTORE_TEST_SAMPLE, p.parse_restore_sample, ("rotation", 1), origin=ENVIRONMENT),
    Setting(RESTORE_TEST_MAX_COST, p.number_in(0, 10_000), 0.0, origin=ENVIRONMENT),
    Setting(RESTORE_TEST_MAX_HOURS, p.int_in(1, 72), 12, origin=ENVIRONMENT),
    Setting(PAYLOAD_SETTINGS, parse_payload_settings, frozenset(), origin=ENVIRONMENT),
)
OPT_INS = tuple(s.name for s in TABLE if s.origin == OPT_IN)
BY_NAME = {s.name: s for s in TABLE}
NAMES = tuple(BY_NAME)
__all__ = [*NAMES, "NAMES", "TABLE", "BY_NAME", "Setting", "PAYLOAD", "TIGHTEN", "OPT_IN", "ENVIRONMENT",
           "OPT_INS", "SECRET_VALUE", "SECRET_URL"]
