"""Scenarios: a fleet, its backups and the faults to stage, read into plain dataclasses.

`load(source, anchor)` takes a shipped scenario's name (`scenarios/<name>.yaml`), a path to a YAML
or JSON file, or a dict, and resolves every relative time against the anchor, so the emulators only
ever see absolute UTC datetimes. The format is described in `README.md`. A scenario's `settings:` are
the function's settings it is meant to run with (`settings_of` reads them alone, without the fleet).
"""
from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Mapping

import yaml

from .fleet import (HOME_ACCOUNT, ROLE_NAME, WEEKDAYS, Account, Credentials, DingTalkConfig, Fault, FeishuConfig,
                    HeartbeatConfig, Instance, InstanceList, Policy, Scenario, SlackConfig, Task, WeComConfig)
from .history import expand
from .spec import ScenarioError, Section, parse_anchor

SCENARIOS = Path(__file__).parent / "scenarios"
ARCHITECTURES = ("standard", "cluster", "rwsplit")
FAULT_KINDS = ("latency", "throttle", "quota", "unavailable", "forbidden", "not_found", "reset", "hang", "drip")
_FAULT = ("kind", "action", "instance", "region", "first", "ms", "qps", "seconds")
# ListAccounts' faults: the generic ones that make sense without an instance, and a TotalCount that disagrees
# with the pages (`offset` added to it).
DIRECTORY_FAULT_KINDS = ("latency", "throttle", "quota", "unavailable", "forbidden", "reset", "hang", "drip",
                         "total_count")
_DIRECTORY_FAULT = ("kind", "action", "first", "ms", "qps", "seconds", "offset")
# ListAccounts' documented member statuses and types (https://help.aliyun.com/document_detail/160016.html,
# ResourceManager 2020-03-31).
ACCOUNT_STATUSES = ("CreateSuccess", "PromoteVerifying", "PromoteFailed", "PromoteExpired", "PromoteCancelled",
                    "PromoteSuccess", "InviteSuccess")
ACCOUNT_TYPES = ("CloudAccount", "ResourceAccount")
ROLE_STATES = ("ok", "missing", "untrusted")
# An Alibaba Cloud account ID is digits (16 of them in every documented example); the sandbox takes 1 to 32.
ACCOUNT_ID = re.compile(r"[0-9]{1,32}")
# A RAM role name: letters, digits, periods and hyphens, 1 to 64 characters (RAM CreateRole's RoleName); the
# underscore is taken too, since nothing here depends on refusing it.
ROLE_NAME_FORM = re.compile(r"[A-Za-z0-9._-]{1,64}")
# NodeType's values: models/_describe_instances_request.py (classic double/single, cloud-native
# MASTER_SLAVE/STAND_ALONE).
NODE_TYPES = ("double", "single", "MASTER_SLAVE", "STAND_ALONE")
# BackupProgressStatus' values: models/_describe_backup_tasks_response_body.py.
TASK_STATUSES = ("NoStart", "Preparing", "Waiting", "Uploading", "Checking", "Finished")
_TOP = ("description", "seed", "regions", "credentials", "dingtalk", "slack", "feishu", "wecom", "instances",
        "faults", "instance_list", "heartbeat", "account", "resource_directory", "accounts", "directory_faults",
        "sts_faults", "management_account", "settings")
_INSTANCE = ("id", "name", "region", "tags", "architecture", "shards", "status", "created", "engine",
             "type", "policy", "history", "latest", "backups", "total_count_offset", "node_type", "raw", "tasks",
             "cloud_native", "node_form", "shard_instance_name", "storage")
# How an instance's answers name its nodes (fleet.Instance, each with its source).
NODE_FORMS = ("instance", "data_node", "topology")
SHARD_INSTANCE_NAMES = ("node", "file")
_ACCOUNT = ("id", "name", "status", "type", "role", "role_name", "listed", "regions", "instances", "faults")


def names() -> list[str]:
    """The shipped scenarios."""
    return sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def read(source: str | Path | Mapping) -> tuple[str, Mapping]:
    """(name, raw data) of a scenario given by name, path or dict."""
    if isinstance(source, Mapping):
        return "<dict>", source
    path = Path(source)
    if not path.suffix and (SCENARIOS / f"{source}.yaml").exists():
        path = SCENARIOS / f"{source}.yaml"
    if not path.is_file():
        raise ScenarioError(f"no scenario {str(source)!r} (shipped: {', '.join(names())})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML too
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path.stem}: not valid YAML/JSON: {error}") from None
    return path.stem, data or {}


def load(source: str | Path | Mapping = "demo", anchor: datetime | str | None = None) -> Scenario:
    name, data = read(source)
    try:
        when = parse_anchor(anchor)
    except ValueError as error:
        raise ScenarioError(f"{name}: anchor: {error}") from None
    top = Section(data, name, _TOP)
    seed = top.whole("seed", 0)
    specs = [Section(raw, f"{name}.instances[{n}]", _INSTANCE) for n, raw in enumerate(top.items("instances"))]
    instances = tuple(_instance(spec, when) for spec in specs)
    home = _account_id(top, "account", HOME_ACCOUNT)
    accounts = tuple(_account(Section(raw, f"{name}.accounts[{n}]", _ACCOUNT), when, seed)
                     for n, raw in enumerate(top.items("accounts")))
    _check_accounts(top, home, instances, accounts)
    every = instances + tuple(i for a in accounts for i in a.instances)
    regions = tuple(str(r) for r in top.items("regions")) or tuple(sorted({i.region for i in every}))
    return Scenario(
        name=name,
        description=top.text("description", ""),
        anchor=when,
        seed=seed,
        instances=instances,
        backups=expand(list(zip(instances, specs)), when, seed),
        faults=tuple(_fault(Section(raw, f"{name}.faults[{n}]", _FAULT)) for n, raw in enumerate(top.items("faults"))),
        credentials=_credentials(top.section("credentials", tuple(Credentials.__dataclass_fields__))),
        dingtalk=_dingtalk(top.section("dingtalk", tuple(DingTalkConfig.__dataclass_fields__))),
        slack=_slack(top.section("slack", tuple(SlackConfig.__dataclass_fields__))),
        regions=regions,
        instance_list=_instance_list(top.section("instance_list", ("total_count", "ignore_page_number", "twice"))),
        feishu=_feishu(top.section("feishu", tuple(FeishuConfig.__dataclass_fields__))),
        wecom=_wecom(top.section("wecom", tuple(WeComConfig.__dataclass_fields__))),
        heartbeat=_heartbeat(top.section("heartbeat", tuple(HeartbeatConfig.__dataclass_fields__))),
        account=home,
        resource_directory=top.choice("resource_directory", (True, False), False),
        accounts=accounts,
        directory_faults=tuple(_fault(Section(raw, f"{name}.directory_faults[{n}]", _DIRECTORY_FAULT),
                                      DIRECTORY_FAULT_KINDS) for n, raw in enumerate(top.items("directory_faults"))),
        # STS's: the kinds a directory's take but its TotalCount offset (STS answers no listing)
        management_account=_account_id(top, "management_account", home),
        sts_faults=tuple(_fault(Section(raw, f"{name}.sts_faults[{n}]", _DIRECTORY_FAULT[:-1]),
                                DIRECTORY_FAULT_KINDS[:-1]) for n, raw in enumerate(top.items("sts_faults"))),
        settings=_settings(top),
    )


SETTING_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def settings_of(source: str | Path | Mapping) -> dict[str, str]:
    """A scenario's `settings:` ({NAME: text}), read without its fleet. ScenarioError when they are malformed."""
    name, data = read(source)
    return dict(_settings(Section(data, name, _TOP)))


def _settings(top: Section) -> tuple[tuple[str, str], ...]:
    """`settings:` as (NAME, text) pairs: environment variable names, each a text, number or on/off. Which names
    the function takes is the function's to say (the CLI and `make demo` refuse any other, with a guess)."""
    spec = top.data.get("settings") or {}
    if not isinstance(spec, Mapping):
        raise top.fail("settings", "expected a mapping of NAME: value, like INSTANCE_TAGS: backup-report=daily")
    pairs = []
    for key, value in spec.items():
        if not isinstance(key, str) or not SETTING_NAME.fullmatch(key):
            raise top.fail("settings", f"{key!r} is not a setting's name (upper case, like INSTANCE_TAGS)")
        if isinstance(value, bool):  # YAML 1.1 reads an unquoted on/off as a boolean: the settings' on/off
            value = "on" if value else "off"
        if not isinstance(value, (str, int, float)):
            raise top.fail(f"settings.{key}", f"expected text, a number or on/off, got {type(value).__name__}")
        pairs.append((key, str(value)))
    return tuple(pairs)


def _account_id(spec: Section, name: str, default: str | None = None) -> str:
    value = spec.text(name, default) if default is not None else spec.required(name)
    if not ACCOUNT_ID.fullmatch(value):
        raise spec.fail(name, f"{value!r} is not an account ID (digits, like {HOME_ACCOUNT}; quote it in YAML)")
    return value


def _account(spec: Section, anchor: datetime, seed: int) -> Account:
    account_id = _account_id(spec, "id")
    status = spec.text("status", "CreateSuccess")
    if status not in ACCOUNT_STATUSES:
        raise spec.fail("status", f"{status!r} is not one of {', '.join(ACCOUNT_STATUSES)}")
    kind = spec.text("type", "ResourceAccount")
    if kind not in ACCOUNT_TYPES:
        raise spec.fail("type", f"{kind!r} is not one of {', '.join(ACCOUNT_TYPES)}")
    role_name = spec.text("role_name", ROLE_NAME)
    if not ROLE_NAME_FORM.fullmatch(role_name):
        raise spec.fail("role_name", f"{role_name!r} is not a RAM role name (1 to 64 letters, digits, '.', '-')")
    specs = [Section(raw, f"{spec.key('instances')}[{n}]", _INSTANCE) for n, raw in enumerate(spec.items("instances"))]
    instances = tuple(_instance(s, anchor) for s in specs)
    regions = tuple(str(r) for r in spec.items("regions"))
    outside = sorted({i.region for i in instances} - set(regions)) if regions else []
    if outside:
        raise spec.fail("regions", f"lists the regions its DescribeRegions answers, but its fleet is also in "
                                   f"{', '.join(outside)}")
    return Account(
        id=account_id,
        name=spec.text("name", f"account-{account_id[-4:]}"),
        status=status,
        type=kind,
        role=spec.choice("role", ROLE_STATES, "ok"),
        role_name=role_name,
        listed=spec.choice("listed", (True, False), True),
        regions=regions,
        instances=instances,
        # Each account's records are drawn from its own stream, so adding a member leaves the others' alone.
        backups=expand(list(zip(instances, specs)), anchor, f"{seed}:{account_id}"),
        faults=tuple(_fault(Section(raw, f"{spec.key('faults')}[{n}]", _FAULT))
                     for n, raw in enumerate(spec.items("faults"))),
    )


def _check_accounts(top: Section, home: str, instances: tuple[Instance, ...], accounts: tuple[Account, ...]) -> None:
    """Account IDs once each (the home account is not a member too); instance IDs once across every account."""
    seen = {home: "account"}
    for n, a in enumerate(accounts):
        if a.id in seen:
            raise top.fail(f"accounts[{n}].id", f"account {a.id!r} appears twice (also {seen[a.id]})")
        seen[a.id] = f"accounts[{n}]"
    owner: dict[str, str] = {}
    for account, fleet in ((home, instances), *((a.id, a.instances) for a in accounts)):
        for i in fleet:
            if i.id in owner:
                where = "" if owner[i.id] == account else f" (in accounts {owner[i.id]} and {account})"
                raise top.fail("instances" if account == home and owner[i.id] == home else "accounts",
                               f"instance id {i.id!r} appears twice{where}")
            owner[i.id] = account


def _instance_list(spec: Section) -> InstanceList:
    total = spec.data.get("total_count", "honest")
    if total not in ("honest", None) and (not isinstance(total, int) or isinstance(total, bool)):
        raise spec.fail("total_count", f"{total!r} is not a whole number or null")
    return InstanceList(total, bool(spec.data.get("ignore_page_number", False)),
                        tuple(str(i) for i in spec.items("twice")))


def _instance(spec: Section, anchor: datetime) -> Instance:
    architecture = spec.text("architecture", "standard")
    if architecture not in ARCHITECTURES:
        raise spec.fail("architecture", f"{architecture!r} is not one of {', '.join(ARCHITECTURES)}")
    shards = spec.whole("shards", 1, minimum=1)
    if architecture != "cluster" and shards != 1:
        raise spec.fail("shards", "only a cluster has more than one shard")
    node_type = spec.text("node_type", "double")
    if node_type not in NODE_TYPES:
        raise spec.fail("node_type", f"{node_type!r} is not one of {', '.join(NODE_TYPES)}")
    raw = spec.data.get("raw") or {}
    if not isinstance(raw, Mapping):
        raise spec.fail("raw", "expected a mapping of DescribeInstances answer fields")
    tags = spec.data.get("tags") or {}
    if not isinstance(tags, Mapping) or len(tags) > 20:
        raise spec.fail("tags", "expected a mapping of at most 20 key: value pairs")
    return Instance(
        id=spec.required("id"),
        name=spec.text("name", ""),
        region=spec.required("region"),
        tags={str(k): "" if v is None else str(v) for k, v in tags.items()},
        architecture=architecture,
        shards=shards,
        status=spec.text("status", "Normal"),
        created=spec.time("created", anchor, anchor - timedelta(days=365)),
        engine=spec.text("engine", "7.0"),
        type=spec.text("type", "Redis"),
        policy=_policy(spec.section("policy", ("period", "time", "retention", "backup_log", "next_backup",
                                               "backup_log_start")), anchor),
        total_count_offset=spec.whole("total_count_offset", 0, minimum=-10**6),
        node_type=node_type,
        cloud_native=spec.choice("cloud_native", (True, False), node_type in ("MASTER_SLAVE", "STAND_ALONE")),
        node_form=_node_form(spec, architecture),
        shard_instance_name=spec.choice("shard_instance_name", SHARD_INSTANCE_NAMES, "node"),
        free_size=spec.section("storage", ("free", "log")).size("free", None),
        log_size=spec.section("storage", ("free", "log")).size("log", None),
        raw=dict(raw),
        tasks=tuple(_task(Section(t, f"{spec.key('tasks')}[{n}]", ("start", "status", "mode", "node", "progress")),
                          anchor, n) for n, t in enumerate(spec.items("tasks"))),
    )


def _node_form(spec: Section, architecture: str) -> str:
    form = spec.choice("node_form", NODE_FORMS, "instance")
    if form != "instance" and architecture != "rwsplit":
        raise spec.fail("node_form", "names a read/write splitting instance's data node: architecture rwsplit only")
    return form


def _task(spec: Section, anchor: datetime, n: int) -> Task:
    status = spec.text("status", "Uploading")
    if status not in TASK_STATUSES:
        raise spec.fail("status", f"{status!r} is not one of {', '.join(TASK_STATUSES)}")
    return Task(900_000 + n, spec.time("start", anchor, anchor - timedelta(hours=1)), status,
                spec.text("mode", "Automated"), spec.text("node", ""), spec.whole("progress", 40))


def _policy(spec: Section, anchor: datetime) -> Policy:
    raw = spec.data.get("period", ",".join(WEEKDAYS))
    period = tuple(d.strip() for d in (raw.split(",") if isinstance(raw, str) else raw or ()))
    if not period or any(d not in WEEKDAYS for d in period):
        raise spec.fail("period", f"{raw!r} is not a comma-separated list of {', '.join(WEEKDAYS)}")
    slot = spec.text("time", "18:00Z-19:00Z")
    parts = slot.replace("Z", "").split("-")
    try:
        # 24:00 ends the day: the Terraform provider's backup times end with "23:00Z-24:00Z"
        # (aliyun/terraform-provider-alicloud, alicloud/common.go BACKUP_TIME).
        [time.fromisoformat(p) for p in parts[:1] + [e for e in parts[1:] if e != "24:00"]]
    except ValueError:
        parts = []
    if len(parts) != 2 or any(len(p) != 5 for p in parts) or not slot.endswith("Z"):
        raise spec.fail("time", f"{slot!r} is not HH:mmZ-HH:mmZ (UTC), e.g. 18:00Z-19:00Z")
    return Policy(period, slot, spec.whole("retention", 7, minimum=1), spec.whole("backup_log", 0),
                  spec.time("next_backup", anchor), spec.time("backup_log_start", anchor))


def _fault(spec: Section, kinds: tuple[str, ...] = FAULT_KINDS) -> Fault:
    kind = spec.required("kind")
    if kind not in kinds:
        raise spec.fail("kind", f"{kind!r} is not one of {', '.join(kinds)}")
    if kind == "quota" and not spec.number("qps", 0):
        raise spec.fail("qps", "a quota needs qps > 0")
    offset = spec.whole("offset", 0, minimum=-10**6)
    if kind == "total_count" and not offset:
        raise spec.fail("offset", "a total_count fault needs an offset (added to TotalCount), e.g. 1 or -1")
    first = spec.whole("first", 0, minimum=1) if spec.has("first") else None
    return Fault(kind, spec.text("action"), spec.text("instance"), spec.text("region"), first,
                 spec.whole("ms", 0), spec.number("qps", 0), spec.number("seconds", 1 if kind == "drip" else 600),
                 offset)


def _credentials(spec: Section) -> Credentials:
    # Random unless given, and never shaped like a real `LTAI…` AccessKey ID.
    if not spec.data:
        return Credentials(f"sandbox-ak-{secrets.token_hex(8)}", secrets.token_hex(16),
                           f"sandbox-sts-{secrets.token_hex(24)}")
    return Credentials(spec.required("access_key_id"), spec.required("access_key_secret"),
                       spec.text("security_token"))


def _faults(spec: Section) -> tuple[dict, ...]:
    items = spec.items("faults")
    if not all(isinstance(f, Mapping) for f in items):
        raise spec.fail("faults", "expected a list of mappings")
    return tuple(dict(f) for f in items)


def _dingtalk(spec: Section) -> DingTalkConfig:
    keywords = spec.items("keywords")
    return DingTalkConfig(spec.text("token", secrets.token_hex(32)),
                          spec.text("secret", f"SEC{secrets.token_hex(32)}"),
                          tuple(str(k) for k in keywords), _faults(spec))


def _heartbeat(spec: Section) -> HeartbeatConfig:
    return HeartbeatConfig(spec.text("uuid", str(uuid.uuid4())), _faults(spec),
                           deleted=spec.choice("deleted", (True, False), False))


def _feishu(spec: Section) -> FeishuConfig:
    return FeishuConfig(spec.text("token", str(uuid.uuid4())), spec.text("secret", secrets.token_urlsafe(16)),
                        tuple(str(k) for k in spec.items("keywords")), _faults(spec))


def _wecom(spec: Section) -> WeComConfig:
    return WeComConfig(spec.text("key", str(uuid.uuid4())), _faults(spec))


def _slack(spec: Section) -> SlackConfig:
    default = f"T{secrets.token_hex(4).upper()}/B{secrets.token_hex(4).upper()}/{secrets.token_hex(12)}"
    return SlackConfig(spec.text("path", default).strip("/"), _faults(spec))
