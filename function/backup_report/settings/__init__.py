"""Settings: read once from the environment and the trigger payload, checked together, then frozen.

Every setting is one row of `table.TABLE`; `load_settings` reads them all in that order. Every problem
is collected, so one failed run names all of them; each message names the setting and shows the
accepted form. A key in the payload that is not a setting is an error too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .. import addresses
from .parsers import MAX_TAGS, RESOURCE_DIRECTORY
from .table import *  # noqa: F401,F403 - the setting names (table.__all__), as `settings.INSTANCE_TAGS`
from .table import (BY_NAME, DINGTALK_AT_MOBILES, ENVIRONMENT, OPT_IN, PAYLOAD, PAYLOAD_SETTINGS, TIGHTEN,
                    Setting, DINGTALK_SECRET, DINGTALK_WEBHOOK, FEISHU_MENTION, FEISHU_SECRET,
                    FEISHU_WEBHOOK, INSTANCE_TAGS, KVSTORE_ENDPOINT, KVSTORE_PROTOCOL, NAMES, REGIONS, RESOURCEMANAGER_ENDPOINT,
                    STS_ENDPOINT, FC_ENDPOINT,
                    SECRET_URL, SECRET_VALUE, SLACK_WEBHOOK, TABLE, WECOM_MENTION_USERIDS, WECOM_WEBHOOK)


class SettingsError(ValueError):
    """Invalid configuration: the run stops before any API call.

    `problems`: one line each, naming the setting and the accepted form (never a secret).
    `bad`: the names of the settings whose own value was refused. `usable`: the settings as far as
    they could be read (a refused one at its default), so the run can still tell the team through
    a channel whose own settings are fine; None when nothing was read.
    """

    def __init__(self, problems: list[str], bad: frozenset[str] = frozenset(),
                 usable: "Settings | None" = None):
        self.problems, self.bad, self.usable = problems, bad, usable
        super().__init__("invalid settings:\n- " + "\n- ".join(problems))


@dataclass(frozen=True)
class Settings:
    """The run's settings, one attribute per `table.TABLE` row (its name in lower case), typed by its
    parser: durations in hours, minutes or days as their names say, `api_qps` calls a second."""

    instance_tags: tuple[tuple[str, str | None], ...]
    regions: tuple[str, ...]
    lookback_hours: int = 24
    notify_on: str = "always"
    # Secrets are kept out of repr so that a logged or printed Settings never shows them.
    dingtalk_webhook: str = field(default="", repr=False)
    dingtalk_secret: str = field(default="", repr=False)
    dingtalk_at_mobiles: tuple[str, ...] = ()
    slack_webhook: str = field(default="", repr=False)
    feishu_webhook: str = field(default="", repr=False)
    feishu_secret: str = field(default="", repr=False)
    feishu_mention: tuple[str, ...] = ()  # open_ids, or ("all",)
    wecom_webhook: str = field(default="", repr=False)
    wecom_mention_userids: tuple[str, ...] = ()
    timezone: str = "UTC"
    size_drop_percent: int = 50
    history_days: int = 7
    backup_grace_minutes: int = 60
    max_concurrency: int = 16
    max_instances: int = 50_000  # the rest are named as not checked
    api_qps: float = 50.0
    api_quotas: tuple[tuple[str, int, float], ...] = ()  # (action, calls, seconds): cloud/pacing.py's defaults else
    kvstore_endpoint: str = ""
    kvstore_protocol: str = "https"
    accounts: tuple[str, ...] = ()  # account IDs and/or "resource-directory"; (): the function's own account
    account_role_name: str = "redis-backup-reader"
    sts_endpoint: str = ""  # "": the SDK's endpoint for the function's region
    resourcemanager_endpoint: str = ""  # "": the SDK's (resourcemanager.aliyuncs.com)
    accounts_per_invocation: int = 20  # past it (and with the archive), one FC async task an account
    fc_endpoint: str = ""  # "": the SDK's for the function's region (fcv3.<region>.aliyuncs.com)
    min_retention_days: int = 0  # 0: the control is off
    min_backups_per_week: int = 0
    require_backup_log: bool = False
    coverage: bool = True
    console: str = "cn"
    owner_tag: str = ""
    slack_mention: tuple[str, ...] = ()
    heartbeat_url: str = field(default="", repr=False)
    archive_oss_bucket: str = ""  # "": no archive, the run is stateless
    archive_oss_prefix: str = "redis-backup-report/"
    archive_oss_endpoint: str = ""  # "": the region's internal endpoint (archive.oss.default_endpoint)
    report_link_days: int = 7
    policy_refresh_days: int = 7  # 0: every run reads every policy
    payload_settings: frozenset[str] = frozenset()  # the OPT_IN settings a payload may set
    # Not a setting: the names of the settings this run's event payload set (the rest came from the environment).
    from_payload: frozenset[str] = frozenset()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def secrets(self) -> list[str]:
        """The values of the environment's secret settings (webhooks, signing secrets, the heartbeat URL)."""
        return [getattr(self, s.field) for s in TABLE if s.secret and s.name not in self.from_payload]

    def payload_secrets(self) -> list[str]:
        """The URLs of the destinations this run's payload set (opted in): hidden whole, never in parts, so
        an invoker's value never turns a word of the report into ***. A payload's signing secret is not
        among them: it never leaves the run but as a signature."""
        return [getattr(self, s.field) for s in TABLE if s.secret == SECRET_URL and s.name in self.from_payload]


MAX_PAYLOAD_PROBLEMS = 64  # unknown or refused payload keys named one by one; the rest are counted


def load_settings(environ: Mapping[str, str], payload: Mapping[str, object] | None = None,
                  default_region: str = "") -> Settings:
    """The environment's settings, then the payload's lower-case keys where the table lets a payload set
    them (`table.Setting.origin`); a blank payload value sets nothing. Raises SettingsError naming every
    problem, a refused payload key too; its `usable` settings are the environment's alone, so an alert
    about them goes where the deployer decided, never to a channel the payload named."""
    problems: list[str] = []
    bad: set[str] = set()
    env = {name: environ[name] for name in NAMES if str(environ.get(name, "")).strip()}
    values = _parse(env, default_region, problems, bad)
    usable = Settings(**values)
    texts = _payload_texts(payload or {}, values["payload_settings"], problems)
    from_payload = _apply_payload(texts, values, problems)
    given = set(env) | from_payload
    problems += _required(values, given) + _together(values, given)
    if problems:
        raise SettingsError(problems, frozenset(bad), usable)
    return Settings(**values, from_payload=frozenset(from_payload))


def _payload_texts(payload: Mapping[str, object], opted: frozenset[str], problems: list[str]) -> dict[str, str]:
    """The payload's values a payload may set, by setting name; every other key is a problem."""
    texts: dict[str, str] = {}
    refused = 0
    for key, value in payload.items():
        name = str(key).upper()
        row = BY_NAME.get(name)
        if row is None or key != row.field:
            problem = (f"payload key {str(key)[:64]!r} is not a setting; accepted keys: "
                       + ", ".join(s.field for s in TABLE if s.origin in (PAYLOAD, TIGHTEN) or s.name in opted))
        elif row.origin == ENVIRONMENT:
            problem = (f"payload key {key!r}: {name} can only be set in the function's environment (s.yaml), "
                       "never by an event's payload: it decides where the function's signed requests go")
        elif row.origin == OPT_IN and name not in opted:
            problem = (f"payload key {key!r}: {name} is a destination or a secret, which an event's payload may "
                       f"set only when the function's environment names it in {PAYLOAD_SETTINGS}")
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            problem = f"{name} (payload key {key!r}) must be a string or a number, not {type(value).__name__}"
        else:
            if str(value).strip():  # blank: the payload sets nothing, as an empty variable in s.yaml
                texts[name] = str(value).strip()
            continue
        refused += 1
        if refused <= MAX_PAYLOAD_PROBLEMS:
            problems.append(problem)
    if refused > MAX_PAYLOAD_PROBLEMS:
        problems.append(f"…and {refused - MAX_PAYLOAD_PROBLEMS} more payload keys refused")
    return texts


def _parse(raw: Mapping[str, str], default_region: str, problems: list[str], bad: set[str]) -> dict[str, object]:
    """Every row's value from `raw` (its default when unset or unreadable), in the table's order."""
    values: dict[str, object] = {}
    for setting in TABLE:
        text = raw.get(setting.name, "").strip()
        values[setting.field] = _default(setting, default_region)
        if text:
            try:
                values[setting.field] = setting.parse(text)
            except ValueError as exc:
                bad.add(setting.name)
                problems.append(f"{setting.name}={_shown(setting.name, text)!r} is invalid: {exc}")
    return values


def _required(values: Mapping[str, object], given: set[str]) -> list[str]:
    problems = []
    if INSTANCE_TAGS not in given:
        problems.append(f"{INSTANCE_TAGS} is required: key=value[,key=value…] (at most {MAX_TAGS} pairs)")
    if not values["regions"]:
        problems.append(f"{REGIONS} is required here (the function's own region is unknown): "
                        "comma-separated region IDs like cn-hangzhou,cn-shanghai")
    return problems


def _default(setting: Setting, default_region: str) -> object:
    if setting.name == REGIONS:
        return (default_region,) if default_region else ()
    return setting.default


def _apply_payload(texts: Mapping[str, str], values: dict[str, object], problems: list[str]) -> set[str]:
    """Each payload value into `values`, where it reads, tightens what the table says it may only tighten,
    and (a destination) goes to its service's own host or the environment's; a channel's secret or
    mentions go only with that channel's webhook from the same payload, and a webhook from the payload
    takes none of the environment's. Returns the names the payload set; a refused value leaves the
    environment's."""
    environment = dict(values)
    taken: set[str] = set()
    for name, text in texts.items():
        row = BY_NAME[name]
        try:
            value = row.parse(text)
        except ValueError as exc:
            problems.append(f"{name}={_shown(name, text)!r} (payload key {row.field!r}) is invalid: {exc}")
            continue
        problem = _refusal(row, value, environment[row.field])
        if problem:
            problems.append(f"payload key {row.field!r}: {problem}")
            continue
        values[row.field] = value
        taken.add(name)
    for row in TABLE:
        if row.name in taken and row.part_of and row.part_of not in taken:
            problems.append(f"payload key {row.field!r}: {row.name} from a payload goes only with a "
                            f"{row.part_of} from the same payload, never with the environment's")
            values[row.field] = environment[row.field]
            taken.discard(row.name)
    for row in TABLE:  # the environment's secret and mentions stay with the environment's webhook
        if row.part_of in taken and row.name not in taken:
            values[row.field] = row.default
    return taken


def _refusal(row: Setting, value: object, environment: object) -> str:
    """Why a payload may not set `row` to `value` ('' when it may), the environment's being `environment`."""
    if row.origin == TIGHTEN and not row.tighten.allows(value, environment):
        return (f"an event's payload may only tighten {row.name} ({row.tighten.word}): the environment's is "
                f"{_value(environment)}, not {_value(value)}")
    if row.secret == SECRET_URL and not _own_host(row, str(value), str(environment)):
        return (f"{row.name} from a payload goes only to {' or '.join(row.hosts)} (its service's own "
                "hosts) or to the environment's host, over https")
    return ""


def _own_host(row: Setting, url: str, environment: str) -> bool:
    """A payload's webhook goes to its service (https, one of `row.hosts`) or to the host the environment's
    own setting already names (a self-hosted Healthchecks, a test server): never into the function's VPC
    or to its localhost on an invoker's word."""
    parts, theirs = urlsplit(url), urlsplit(environment)
    host = (parts.hostname or "").lower()
    if environment and (parts.scheme, host) == (theirs.scheme, (theirs.hostname or "").lower()):
        return True
    return parts.scheme == "https" and parts.port in (None, 443) and host in row.hosts


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple) and all(isinstance(v, tuple) and len(v) == 3 for v in value):  # API_QUOTAS
        return ", ".join(f"{a}={c}/{s:g}" for a, c, s in value) or "the published quotas"
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def _together(values: Mapping[str, object], given: set[str]) -> list[str]:
    """What is wrong with settings taken together: the endpoint's route, a channel's parts, no channel."""
    problems = _routes(values, given)
    if not given & {DINGTALK_WEBHOOK, SLACK_WEBHOOK, FEISHU_WEBHOOK, WECOM_WEBHOOK}:
        problems.append(f"no channel: set one or more of {DINGTALK_WEBHOOK}, {SLACK_WEBHOOK}, {FEISHU_WEBHOOK}, "
                        f"{WECOM_WEBHOOK}")
    if (values["dingtalk_secret"] or values["dingtalk_at_mobiles"]) and DINGTALK_WEBHOOK not in given:
        problems.append(f"{DINGTALK_SECRET} / {DINGTALK_AT_MOBILES} are set but {DINGTALK_WEBHOOK} is not")
    if (values["feishu_secret"] or values["feishu_mention"]) and FEISHU_WEBHOOK not in given:
        problems.append(f"{FEISHU_SECRET} / {FEISHU_MENTION} are set but {FEISHU_WEBHOOK} is not")
    if values["wecom_mention_userids"] and WECOM_WEBHOOK not in given:
        problems.append(f"{WECOM_MENTION_USERIDS} is set but {WECOM_WEBHOOK} is not")
    return problems


def _routes(values: Mapping[str, object], given: set[str]) -> list[str]:
    """The SDK's route to each endpoint the run needs: https, or http to a loopback host no proxy carries. An
    endpoint left to the SDK is public, so KVSTORE_PROTOCOL=http needs every endpoint the run calls set."""
    protocol = values["kvstore_protocol"]
    accounts = values["accounts"]
    needed = [KVSTORE_ENDPOINT] + ([STS_ENDPOINT] if accounts else []) + \
        ([RESOURCEMANAGER_ENDPOINT] if RESOURCE_DIRECTORY in accounts else []) + \
        ([FC_ENDPOINT] if accounts and values["archive_oss_bucket"] else [])
    problems = []
    for name in (KVSTORE_ENDPOINT, STS_ENDPOINT, RESOURCEMANAGER_ENDPOINT, FC_ENDPOINT):
        endpoint = values[name.lower()]
        if endpoint:
            try:
                addresses.sdk_proxy_options(protocol, endpoint)
            except ValueError as exc:
                problems.append(f"{name}={endpoint!r} with {KVSTORE_PROTOCOL}={protocol}: {exc}")
        elif protocol == "http" and name in needed and name not in given:
            problems.append(f"{KVSTORE_PROTOCOL}=http is only for a loopback {name} (a test server): the SDK's "
                            "endpoints are public, and http would send the STS token in clear; use https")
    return problems


def _shown(name: str, text: str) -> str:
    """What an error may quote of a value: never a webhook's token or a secret."""
    secret = BY_NAME[name].secret
    if secret == SECRET_VALUE:
        return "***"
    if secret == SECRET_URL:
        try:
            parts = urlsplit(text)
        except ValueError:  # e.g. an unclosed [ in the host: show nothing of it
            return "…"
        return f"{parts.scheme}://{parts.hostname or ''}/…" if parts.scheme else "…"
    # user:password@ in any URL-like value (an endpoint) may be a credential: never quoted.
    text = re.sub(r"(?<=://)[^/@\s]*@", "…@", text)
    text = re.sub(r"^[^/@\s:]*:[^/@\s]*@", "…@", text)
    return text if len(text) <= 80 else text[:60] + "…"  # a problem is one line, not the whole value
