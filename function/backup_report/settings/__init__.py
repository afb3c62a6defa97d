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
from ..redact import hosts_only
from ..spelling import did_you_mean, nearest
from .parsers import MAX_TAGS, RESOURCE_DIRECTORY
from .table import *  # noqa: F401,F403 - the setting names (table.__all__), as `settings.INSTANCE_TAGS`
from .table import (BY_NAME, DINGTALK_AT_MOBILES, ENVIRONMENT, OPT_IN, PAYLOAD, PAYLOAD_SETTINGS, TIGHTEN,
                    Setting, DINGTALK_SECRET, DINGTALK_WEBHOOK, FEISHU_MENTION, FEISHU_SECRET,
                    FEISHU_WEBHOOK, INSTANCE_TAGS, KVSTORE_ENDPOINT, KVSTORE_PROTOCOL, NAMES, REGIONS, RESOURCEMANAGER_ENDPOINT,
                    STS_ENDPOINT, FUNCTION_COMPUTE_ENDPOINT,
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
    function_compute_endpoint: str = ""  # "": the SDK's for the function's region (fcv3.<region>.aliyuncs.com)
    min_retention_days: int = 0  # 0: the control is off
    min_backups_per_week: int = 0
    require_backup_log: bool = False
    min_restore_window_hours: int = 0  # 0: the control is off
    coverage: bool = True
    console: str = "cn"
    owner_tag: str = ""
    slack_mention: tuple[str, ...] = ()
    heartbeat_url: str = field(default="", repr=False)
    archive_oss_bucket: str = ""  # "": no archive, the run is stateless
    archive_oss_prefix: str = "redis-backup-report/"
    archive_oss_endpoint: str = ""  # "": the region's internal endpoint (archive.oss.default_endpoint)
    report_link_days: int = 7
    report_link_host: str = ""  # a custom domain bound to the bucket: the page link's host (archive/oss.py)
    policy_refresh_days: int = 7  # 0: every run reads every policy
    restore_test: tuple[int, ...] = ()  # weekdays (0 Monday) a restore test may start, in TIMEZONE; (): off
    restore_test_sample: tuple = ("rotation", 1)  # ("rotation", N) or ("tag", (key, value))
    restore_test_max_cost: float = 0.0  # DescribePrice's TradeAmount for the clone, in its Currency
    restore_test_max_hours: int = 12  # a clone not Normal after this long is a failed test
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
    problems += _required(values, given, environ) + _together(values, given, environ)
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
            problem = _unknown_key(str(key)[:64], opted)
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


def _unknown_key(key: str, opted: frozenset[str]) -> str:
    """The problem of a payload key that is not a setting: the key it looks like, and the keys a payload may set."""
    guess = did_you_mean(key.lower(), [s.field for s in TABLE], quoted=True)
    accepted = [s.field for s in TABLE if s.origin in (PAYLOAD, TIGHTEN) or s.name in opted]
    return f"payload key {key!r} is not a setting{guess}; accepted keys: " + ", ".join(accepted)


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
                problems.append(f"{setting.name}={_shown(setting.name, text)!r} is invalid: "
                                f"{_detail(setting.name, text, exc)}" + _flaws(setting.name, text))
    return values


def _required(values: Mapping[str, object], given: set[str], environ: Mapping[str, str]) -> list[str]:
    problems = []
    if INSTANCE_TAGS not in given:
        problems.append(f"{INSTANCE_TAGS} is required: key=value[,key=value…] (at most {MAX_TAGS} pairs)"
                        + _misspelt(environ, (INSTANCE_TAGS,)))
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
            problems.append(f"{name}={_shown(name, text)!r} (payload key {row.field!r}) is invalid: "
                            f"{_detail(name, text, exc)}" + _flaws(name, text))
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


def misspellings(environ: Mapping[str, str], names: tuple[str, ...] = NAMES,
                 cutoff: float = 0.7) -> list[tuple[str, str]]:
    """(variable, setting) for each set variable, by name, that is not a setting but is at least `cutoff` like
    one of `names` (spelling.nearest): ("INSTANCE_TAG", "INSTANCE_TAGS"), ("SLACK_WEBHOOK_URL", "SLACK_WEBHOOK")."""
    near = ((k, nearest(k, names, cutoff)) for k, v in sorted(environ.items()) if str(v).strip()
            and k not in BY_NAME and k not in NOT_MISSPELT and not k.startswith(NOT_MISSPELT_PREFIXES))
    return [(k, n) for k, n in near if n]


def _misspelt(environ: Mapping[str, str], names: tuple[str, ...]) -> str:
    """"; the environment has X, which is not a setting: did you mean Y?" for at most 3 misspellings, or ""."""
    return "".join(f"; the environment has {k}, which is not a setting: did you mean {n}?"
                   for k, n in misspellings(environ, names)[:3])


# Variables that are near a setting's name but are not misspellings of it: s.yaml's and the CLI's REGION (the
# function's own region), and FC's own, under the prefix FC reserves ("you cannot use environment variables with
# the reserved prefix FC_*": FC_REGION, FC_ACCOUNT_ID, FC_FUNCTION_NAME, …;
# https://www.alibabacloud.com/help/en/functioncompute/fc/environment-variables), and the credentials' ALIBABA_CLOUD_*.
NOT_MISSPELT = frozenset({"REGION"})
NOT_MISSPELT_PREFIXES = ("FC_", "ALIBABA_CLOUD_")


def _together(values: Mapping[str, object], given: set[str], environ: Mapping[str, str]) -> list[str]:
    """What is wrong with settings taken together: the endpoint's route, a channel's parts, no channel."""
    problems = _routes(values, given)
    if values["restore_test"] and not values["archive_oss_bucket"]:
        problems.append("RESTORE_TEST needs the archive (ARCHIVE_OSS_BUCKET): a restore test spans runs, and its "
                        "state and the clones to release are kept there")
    if values["restore_test"] and "RESTORE_TEST_MAX_COST" not in given:
        problems.append("RESTORE_TEST needs RESTORE_TEST_MAX_COST: the most a clone may cost, in the currency "
                        "DescribePrice answers (CNY on the China site, USD on the international one), e.g. 5")
    webhooks = (DINGTALK_WEBHOOK, SLACK_WEBHOOK, FEISHU_WEBHOOK, WECOM_WEBHOOK)
    if not given & set(webhooks):
        problems.append(f"no channel: set one or more of {DINGTALK_WEBHOOK}, {SLACK_WEBHOOK}, {FEISHU_WEBHOOK}, "
                        f"{WECOM_WEBHOOK}" + _misspelt(environ, webhooks))
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
        ([FUNCTION_COMPUTE_ENDPOINT] if accounts and values["archive_oss_bucket"] else [])
    problems = []
    for name in (KVSTORE_ENDPOINT, STS_ENDPOINT, RESOURCEMANAGER_ENDPOINT, FUNCTION_COMPUTE_ENDPOINT):
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


QUOTES = "'\"`“”‘’"  # the quotes a value pasted from a shell, YAML or a chat window may keep
WRAPPERS = QUOTES + "<>"  # and the angle brackets a chat window puts around a link


def _shown(name: str, text: str) -> str:
    """What an error may quote of a value: never a webhook's token or a secret. Of a secret, the quotes or
    angle brackets around it stay, so that what is wrong with it shows (see _flaws)."""
    secret = BY_NAME[name].secret
    if not secret:
        return _plain_shown(text)
    inner = text.strip(WRAPPERS)
    if not inner:
        return "…"
    lead, trail = text[:len(text) - len(text.lstrip(WRAPPERS))], text[len(text.rstrip(WRAPPERS)):]
    if secret == SECRET_VALUE:
        return f"{lead}***{trail}"
    try:
        parts = urlsplit(inner)
    except ValueError:  # e.g. an unclosed [ in the host: show nothing of it
        return f"{lead}…{trail}"
    if parts.scheme:
        return f"{lead}{parts.scheme}://{parts.hostname or ''}/…{trail}"
    host = inner.split("/")[0]  # no scheme: a host name before the path still shows which service it is for
    return f"{lead}{host}/…{trail}" if re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", host) else f"{lead}…{trail}"


def _flaws(name: str, text: str) -> str:
    """What is wrong with a secret's form, since its value is not shown (a surrounding quote, a space, no
    scheme), as "; it …" clauses; "" for a setting that is no secret (its value is quoted in full)."""
    secret = BY_NAME[name].secret
    if not secret:
        return ""
    flaws = []
    if text[:1] in QUOTES or text[-1:] in QUOTES:
        flaws.append("it is in quotes, which became part of the value: leave them out (in s.yaml the quotes "
                     "around ${env(…)} are YAML's, in a shell `export NAME='…'` keeps none)")
    if text[:1] == "<" or text[-1:] == ">":
        flaws.append("it is in <…>, as a chat window shows a link: leave them out")
    if secret == SECRET_VALUE and any(c.isspace() for c in text):  # a URL's own check names the character
        flaws.append("it has a space, tab or line break inside")
    if secret == SECRET_URL and "://" not in text:
        flaws.append("it does not start with https://")
    return "".join(f"; {flaw}" for flaw in flaws)


def _detail(name: str, text: str, exc: ValueError) -> str:
    """A parser's message about `text`: as it is, unless `text` is no secret's but holds a URL with a path (a
    webhook pasted into the wrong setting), which the message may repeat: then its URLs are cut to their host."""
    if BY_NAME[name].secret or hosts_only(text) == text:
        return str(exc)
    return hosts_only(str(exc))


def _plain_shown(text: str) -> str:
    """A value that is not a secret, as an error quotes it: any user:password@ hidden, any URL cut to its host
    (a webhook pasted into the wrong setting keeps its token in its path or query), cut at 80 characters."""
    # user:password@ in any URL-like value (an endpoint) may be a credential: never quoted.
    text = hosts_only(text)
    text = re.sub(r"(?<=://)[^/@\s]*@", "…@", text)
    text = re.sub(r"^[^/@\s:]*:[^/@\s]*@", "…@", text)
    return text if len(text) <= 80 else text[:60] + "…"  # a problem is one line, not the whole value
