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
from .parsers import MAX_TAGS
from .table import *  # noqa: F401,F403 - the setting names (table.__all__), as `settings.INSTANCE_TAGS`
from .table import (BY_NAME, DINGTALK_AT_MOBILES, ENVIRONMENT, LOWER, OPT_IN, PAYLOAD_SETTINGS, Setting,
                    parse_payload_settings, DINGTALK_SECRET, DINGTALK_WEBHOOK, FEISHU_SECRET,
                    FEISHU_WEBHOOK, INSTANCE_TAGS, KVSTORE_ENDPOINT, KVSTORE_PROTOCOL, NAMES, REGIONS,
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
    wecom_webhook: str = field(default="", repr=False)
    wecom_mention_userids: tuple[str, ...] = ()
    timezone: str = "UTC"
    size_drop_percent: int = 50
    history_days: int = 7
    backup_grace_minutes: int = 60
    max_concurrency: int = 16
    max_instances: int = 50_000  # the rest are named as not checked
    api_qps: float = 50.0
    kvstore_endpoint: str = ""
    kvstore_protocol: str = "https"
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
    payload_settings: frozenset[str] = frozenset()  # the OPT_IN settings a payload may set
    # Not a setting: the names of the settings this run's event payload set (the rest came from the environment).
    from_payload: frozenset[str] = frozenset()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def secrets(self) -> list[str]:
        """The values of every secret setting (webhooks, signing secrets, the heartbeat URL)."""
        return [getattr(self, s.field) for s in TABLE if s.secret]


MAX_PAYLOAD_PROBLEMS = 64  # unknown or refused payload keys named one by one; the rest are counted


def load_settings(environ: Mapping[str, str], payload: Mapping[str, object] | None = None,
                  default_region: str = "") -> Settings:
    """The environment's settings, then the payload's lower-case keys where the table lets a payload set
    them (`table.Setting.origin`). Raises SettingsError naming every problem, a refused payload key too."""
    problems: list[str] = []
    bad: set[str] = set()
    env = {name: environ[name] for name in NAMES if environ.get(name, "") != ""}
    opted = _opted_in(env.get(PAYLOAD_SETTINGS, ""))
    from_payload = _payload_texts(payload or {}, opted, problems, bad)
    raw = {**env, **from_payload}
    given = {name for name, text in raw.items() if text.strip()}  # empty means unset, as s.yaml leaves it
    values = _parse(raw, given, default_region, problems, bad)
    problems += _payload_limits(values, env, set(from_payload), default_region)
    problems += _together(values, given)
    settings = Settings(**values, from_payload=frozenset(from_payload))
    if problems:
        raise SettingsError(problems, frozenset(bad), settings)
    return settings


def _opted_in(text: str) -> frozenset[str]:
    """The PAYLOAD_SETTINGS names (an invalid list opts nothing in; its problem is reported by _parse)."""
    try:
        return parse_payload_settings(text) if text.strip() else frozenset()
    except ValueError:
        return frozenset()


def _payload_texts(payload: Mapping[str, object], opted: frozenset[str], problems: list[str],
                   bad: set[str]) -> dict[str, str]:
    """The payload's values a payload may set, by setting name; every other key is a problem."""
    texts: dict[str, str] = {}
    refused = 0
    for key, value in payload.items():
        name = str(key).upper()
        row = BY_NAME.get(name)
        if row is None or key != row.field:
            problem = (f"payload key {str(key)[:64]!r} is not a setting; accepted keys: "
                       + ", ".join(s.field for s in TABLE if s.origin != ENVIRONMENT))
        elif row.origin == ENVIRONMENT:
            problem = (f"payload key {key!r}: {name} can only be set in the function's environment (s.yaml), "
                       "never by an event's payload: it decides where the function's signed requests go")
        elif row.origin == OPT_IN and name not in opted:
            problem = (f"payload key {key!r}: {name} is a destination or a secret, which an event's payload may "
                       f"set only when the function's environment names it in {PAYLOAD_SETTINGS}")
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            bad.add(name)
            problem = f"{name} (payload key {key!r}) must be a string or a number, not {type(value).__name__}"
        else:
            texts[name] = str(value)
            continue
        refused += 1
        if refused <= MAX_PAYLOAD_PROBLEMS:
            problems.append(problem)
    if refused > MAX_PAYLOAD_PROBLEMS:
        problems.append(f"…and {refused - MAX_PAYLOAD_PROBLEMS} more payload keys refused")
    return texts


def _parse(raw: Mapping[str, str], given: set[str], default_region: str, problems: list[str],
           bad: set[str]) -> dict[str, object]:
    """Every row's value (its default when unset or refused), in the table's order."""
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
        if setting.name == INSTANCE_TAGS and INSTANCE_TAGS not in given:
            problems.append(f"{INSTANCE_TAGS} is required: key=value[,key=value…] (at most {MAX_TAGS} pairs)")
        if setting.name == REGIONS and not values[setting.field]:
            problems.append(f"{REGIONS} is required here (the function's own region is unknown): "
                            "comma-separated region IDs like cn-hangzhou,cn-shanghai")
    return values


def _default(setting: Setting, default_region: str) -> object:
    if setting.name == REGIONS:
        return (default_region,) if default_region else ()
    return setting.default


def _payload_limits(values: dict[str, object], env: Mapping[str, str], from_payload: set[str],
                    default_region: str) -> list[str]:
    """A payload may only lower what the environment allows (LOWER rows), and a channel's secret or
    mentions from a payload go only with that channel's webhook from the same payload. A value refused
    here falls back to the environment's."""
    problems = []
    for setting in TABLE:
        if setting.name not in from_payload:
            continue
        if setting.origin == LOWER:
            allowed = _environment_value(setting, env, default_region)
            if values[setting.field] > allowed:
                problems.append(f"payload key {setting.field!r}: an event's payload may only lower {setting.name}, "
                                f"the environment's {allowed:g}, never raise it (to {values[setting.field]:g})")
                values[setting.field] = allowed
        elif setting.part_of and setting.part_of not in from_payload:
            problems.append(f"payload key {setting.field!r}: {setting.name} from a payload goes only with a "
                            f"{setting.part_of} from the same payload, never with the environment's")
            values[setting.field] = _environment_value(setting, env, default_region)
    # A webhook from the payload is never signed with, nor mentions, what the environment set for its own.
    for setting in TABLE:
        if setting.part_of in from_payload and setting.name not in from_payload:
            values[setting.field] = _default(setting, default_region)
    return problems


def _environment_value(setting: Setting, env: Mapping[str, str], default_region: str) -> object:
    """The value the environment alone gives a setting (its default when unset or unreadable)."""
    text = env.get(setting.name, "").strip()
    try:
        return setting.parse(text) if text else _default(setting, default_region)
    except ValueError:
        return _default(setting, default_region)


def _together(values: Mapping[str, object], given: set[str]) -> list[str]:
    """What is wrong with settings taken together: the endpoint's route, a channel's parts, no channel."""
    problems = []
    if values["kvstore_endpoint"]:
        # The SDK's route to the endpoint: https, or http to a loopback host that no proxy carries.
        try:
            addresses.sdk_proxy_options(values["kvstore_protocol"], values["kvstore_endpoint"])
        except ValueError as exc:
            problems.append(f"{KVSTORE_ENDPOINT}={values['kvstore_endpoint']!r} with "
                            f"{KVSTORE_PROTOCOL}={values['kvstore_protocol']}: {exc}")
    elif values["kvstore_protocol"] == "http" and KVSTORE_ENDPOINT not in given:
        problems.append(f"{KVSTORE_PROTOCOL}=http is only for a loopback {KVSTORE_ENDPOINT} (a test server): "
                        "the SDK's endpoints are public, and http would send the STS token in clear; use https")
    if not given & {DINGTALK_WEBHOOK, SLACK_WEBHOOK, FEISHU_WEBHOOK, WECOM_WEBHOOK}:
        problems.append(f"no channel: set one or more of {DINGTALK_WEBHOOK}, {SLACK_WEBHOOK}, {FEISHU_WEBHOOK}, "
                        f"{WECOM_WEBHOOK}")
    if (values["dingtalk_secret"] or values["dingtalk_at_mobiles"]) and DINGTALK_WEBHOOK not in given:
        problems.append(f"{DINGTALK_SECRET} / {DINGTALK_AT_MOBILES} are set but {DINGTALK_WEBHOOK} is not")
    if values["feishu_secret"] and FEISHU_WEBHOOK not in given:
        problems.append(f"{FEISHU_SECRET} is set but {FEISHU_WEBHOOK} is not")
    if values["wecom_mention_userids"] and WECOM_WEBHOOK not in given:
        problems.append(f"{WECOM_MENTION_USERIDS} is set but {WECOM_WEBHOOK} is not")
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
