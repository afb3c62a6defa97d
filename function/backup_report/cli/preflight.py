"""`check --deploy`: s.yaml resolved from the shell and checked offline, every problem at once, before `s deploy`.

What `s preview` lets through and FC or the function would refuse later, one variable at a time or at the first
run: an unset variable, a role name where FC wants the role's ARN, a region fc3 does not deploy to, a five-field
cron, a payload key the settings table keeps to the environment, a setting the function would refuse at start,
FC tags with spaces. The settings are checked by `settings.load_settings`, the function's own validation, over
exactly the environment and each trigger's payload s.yaml would deploy. The props are validated against devsapp/fc3's
JSON Schema, which the tests ship (tests/data/fc3-props.schema.json, with jsonschema and PyYAML from
requirements-dev.txt): the check runs from the clone, in the dev venv (`make venv`), and reaches no network.
"""
from __future__ import annotations

import argparse
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo

from .. import redact, spelling
from ..invocation import TRIGGER_NAME, parse_event
from ..settings import BY_NAME, NAMES, SECRET_URL, SECRET_VALUE, SettingsError, TIMEZONE, load_settings
from . import cron, syaml
from .output import describe
from .shared import FAILED, OK, UsageError

SCHEMA = Path(__file__).resolve().parents[3] / "tests" / "data" / "fc3-props.schema.json"
# A RAM role's ARN, as CreateRole and GetRole return it (`Arn`): acs:ram::<account ID>:role/<role name>, the name
# 1-64 letters, digits, '.' and '-' (CreateRole's RoleName; settings.parsers.parse_role_name).
ROLE_ARN = re.compile(r"acs:ram::[0-9]+:role/[A-Za-z0-9.-]{1,64}")
ROLE_FORM = "acs:ram::<account-id>:role/<role name>, e.g. acs:ram::1234567890123456:role/redis-backup-report"
# FC's tags (https://www.alibabacloud.com/help/en/functioncompute/fc/function-tags-management): at most 20 a
# function, keys 1-64 characters and values up to 128, neither with a space (not among the characters allowed),
# http:// or https://; no key starting with aliyun or acs:.
MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE = 20, 64, 128
# FC's environment variables (https://www.alibabacloud.com/help/doc-detail/164217.htm; "Configure environment
# variables"): a key starts with a letter and holds letters, digits and '_'; all of them together at most 4 KB
# (counted here as the UTF-8 bytes of each key and value).
ENV_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MAX_ENV_BYTES = 4096
# The same page: "you cannot use environment variables with the reserved prefix FC_*" (FC sets its own there).
RESERVED_PREFIX = "FC_"


@dataclass
class Report:
    """The check's findings: `problems` (each one line naming the variable or field and the accepted form; any
    makes the exit status 1), `warnings` (worth reading, not wrong), `plan` (what `s deploy` would create, lines
    without a secret)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    usable: object = None  # the environment's settings as far as they read, when refused (settings.SettingsError)


def cmd_preflight(args: argparse.Namespace, sb) -> int:
    """`check --deploy [--template FILE]`: prints what `s deploy` would create from FILE (default ./s.yaml) and
    the shell's environment, then every problem and warning; 0 when there is no problem, 1 otherwise.
    UsageError (exit 2): the file cannot be read, the schema is not there, or an option that would make the
    check read something other than what `s deploy` reads (--sandbox, --payload, --set, --region)."""
    if sb is not None or args.payload or args.set or args.region:
        raise UsageError("check --deploy reads what `s deploy` reads, the template and the shell's environment: "
                         "leave out --sandbox, --payload, --set and --region (put the values in the environment)")
    path = Path(args.template)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--template {args.template}: cannot read it ({error.__class__.__name__}); run from the "
                         "clone's top directory, or name the file") from None
    report = inspect(text, os.environ, load_schema(), base=path.parent)
    print(f"What `s deploy` would create from {args.template} and this shell's environment:")
    print("\n".join(f"  {line}" for line in report.plan) or "  (nothing: see the problems)")
    for title, lines in (("warning", report.warnings), ("problem", report.problems)):
        if lines:
            print(f"\n{len(lines)} {title}{'s' * (len(lines) != 1)}:")
            print("\n".join(f"  - {line}" for line in lines))
    print("\nNo problem found: `make build && s deploy`." if not report.problems else
          "\nFix these, then run `make preflight` again: `s deploy` would fail, or deploy a function that does.")
    return FAILED if report.problems else OK


def load_schema(path: Path = SCHEMA) -> Mapping:
    """devsapp/fc3's props schema, as the tests ship it. UsageError when it is not there (not a clone)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise UsageError(f"{path} not found: check --deploy runs from the clone (`make preflight`)") from None


def inspect(text: str, environ: Mapping[str, str], schema: Mapping, base: Path | None = None) -> Report:
    """s.yaml's `text` resolved from `environ` and checked against `schema` (fc3's props schema): a Report. `base`:
    the directory `code:` is relative to (None: not looked at)."""
    import yaml  # the dev venv's (requirements-dev.txt): the function itself never reads YAML

    report = Report()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as error:
        report.problems.append(f"s.yaml is not YAML: {str(error).splitlines()[0]}")
        return report
    resolved = syaml.resolve(doc, environ)
    report.problems += [_missing(name, where) for name, where in resolved.missing.items()] + resolved.problems
    resources = (resolved.doc or {}).get("resources") if isinstance(resolved.doc, dict) else None
    functions = {k: r for k, r in (resources or {}).items() if isinstance(r, dict) and r.get("component") == "fc3"}
    if not functions:
        report.problems.append("s.yaml has no resource with `component: fc3`: nothing for the check to read")
    for name, resource in functions.items():
        props = resource.get("props") if isinstance(resource.get("props"), dict) else {}
        shell = {n for n in resolved.used if n in environ}
        _function(report, f"resources.{name}.props", props, resolved, schema, base, shell)
    return report


def _missing(name: str, where: list[str]) -> str:
    hint = {"FC_ROLE_ARN": f"the function's RAM role, as its ARN: {ROLE_FORM}",
            "REGION": "where the function is deployed, e.g. cn-hangzhou",
            "INSTANCE_TAGS": "the tags of the instances to report on: key=value[,key=value…]"}.get(name)
    if hint is None:
        hint = "a setting of the function (docs/settings.md)" if name in BY_NAME else "set it in the shell"
    return f"{name} is not set, and s.yaml gives it no default ({', '.join(where[:3])}): {hint}"


def _function(report: Report, at: str, props: dict, resolved: syaml.Resolved, schema: Mapping,
              base: Path | None, shell: set[str]) -> None:
    """Every check of one function's props, then its plan lines (the settings `shell`, the variables the shell
    set, gives)."""
    sources = resolved.sources
    region = str(props.get("region", ""))
    known = tuple(schema.get("definitions", {}).get("IRegion", {}).get("enum", ()))
    report.problems += _region_problems(region, known, sources.get(f"{at}.region", ""))
    report.problems += _role_problems(props.get("role"), sources.get(f"{at}.role", ""))
    report.problems += [p for p in schema_problems(props, schema, at) if not p.startswith(f"{at}.region:")]
    report.problems += _tag_problems(props.get("tags"), at)
    env = _environment(report, props.get("environmentVariables"), at)
    settings = _settings(report, env, region, set(resolved.missing))
    if settings is not None:
        report.warnings += [f"environment: {w}" for w in _meant(settings, known, "REGIONS" in _set(env))]
    triggers = [t for t in props.get("triggers") or [] if isinstance(t, dict)]
    for trigger in triggers:
        _trigger(report, trigger, env, region, settings, known)
    report.warnings += _notes(at, props, triggers, base)
    given = {k for k in props.get("environmentVariables") or {}
             if resolved.sources.get(f"{at}.environmentVariables.{k}") in shell}
    report.plan += _plan(props, settings or report.usable, triggers, given)


def _set(env: Mapping[str, str]) -> set[str]:
    return {k for k, v in env.items() if v.strip()}


def _meant(settings, known: tuple[str, ...], regions_given: bool, tags_given: bool = True) -> list[str]:
    """What `check` would warn of that the deploy check can tell offline: a tag written as the console shows it
    (check.tag_warnings), and a region in REGIONS that fc3 does not know (its schema's list, which `check`'s
    DescribeRegions answer may extend: a warning, with the region it looks like)."""
    from .check import tag_warnings

    found = tag_warnings(settings.instance_tags) if tags_given else []
    for region in settings.regions if regions_given else ():
        near = spelling.nearest(region, known) if region not in known else ""
        if region not in known:
            found.append(f"REGIONS has {region}, which is not a region fc3 knows"
                         + (f": did you mean {near}?" if near else "") + " (`check` asks DescribeRegions)")
    return found


def _notes(at: str, props: Mapping, triggers: list[Mapping], base: Path | None) -> list[str]:
    """Warnings about the function as a whole: no timer trigger, no built code yet."""
    notes = []
    if not any(t.get("triggerType") == "timer" for t in triggers):
        notes.append(f"{at}.triggers: no timer trigger, so nothing runs the report on a schedule")
    code = props.get("code")
    if base is not None and isinstance(code, str) and not (base / code).is_dir():
        notes.append(f"{at}.code: {code} is not there yet: `make build` writes it before `s deploy`")
    return notes


def _region_problems(region: str, known: tuple[str, ...], source: str) -> list[str]:
    """`region` among fc3's regions (the schema's IRegion enum: where the component deploys a function)."""
    if region in known:
        return []
    near = spelling.nearest(region, known, cutoff=0.75)
    named = f"{source}={region!r}" if source else f"region {region!r}"
    return [f"{named} is not a region fc3 deploys to" + (f": did you mean {near}?" if near else "")
            + f" Region IDs look like cn-hangzhou, ap-southeast-1 (fc3's list: {', '.join(known[:6])}, …)"]


def _role_problems(role: object, source: str) -> list[str]:
    """The function's role: a RAM role's ARN, never its bare name (FC's CreateFunction takes the ARN)."""
    text = "" if role is None else str(role)
    if not text or ROLE_ARN.fullmatch(text):
        return [] if text else ([] if source else ["role is not set: the function reads backups with its role's "
                                                   f"STS token; set it to {ROLE_FORM}"])
    named = f"{source}={text[:80]!r}" if source else f"role {text[:80]!r}"
    if re.fullmatch(r"[A-Za-z0-9.-]{1,64}", text):
        return [f"{named} is a role's name; FC takes the role's ARN: acs:ram::<account-id>:role/{text} "
                f"(CreateRole prints it as Arn; `aliyun ram GetRole --RoleName {text}` shows it)"]
    return [f"{named} is not a RAM role's ARN: {ROLE_FORM}"]


def schema_problems(props: Mapping, schema: Mapping, at: str = "props") -> list[str]:
    """`props` against fc3's props schema, and each timer trigger's triggerConfig against ITimerTriggerConfig
    (the schema's triggerConfig is an anyOf of every trigger type, loose enough to take a broken timer config).
    Each problem names where and what the schema wants, never the value (it may be a secret)."""
    import jsonschema  # the dev venv's (requirements-dev.txt)

    out = [_schema_problem(e, at) for e in jsonschema.Draft7Validator(schema).iter_errors(props)]
    timer = jsonschema.Draft7Validator({**schema["definitions"]["ITimerTriggerConfig"],
                                        "definitions": schema["definitions"]})
    for i, trigger in enumerate(props.get("triggers") or []):
        if isinstance(trigger, dict) and trigger.get("triggerType") == "timer":
            out += [_schema_problem(e, f"{at}.triggers[{i}].triggerConfig")
                    for e in timer.iter_errors(trigger.get("triggerConfig"))]
    return out


def _schema_problem(error, at: str) -> str:
    where = at + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    if error.validator in ("required", "additionalProperties"):  # names a key, never a value
        return f"{where}: {error.message[:160]} (fc3's schema)"
    wanted = error.validator_value
    if error.validator == "enum":
        wanted = ", ".join(map(str, wanted))[:160]
    return f"{where}: fc3's schema wants {error.validator} {wanted}"


def _tag_problems(tags: object, at: str) -> list[str]:
    """FC's own tags (props.tags: [{key, value}]), by FC's tag rules."""
    if not isinstance(tags, list):
        return []
    out = [f"{at}.tags: {len(tags)} tags; FC allows at most {MAX_TAGS} a function"] if len(tags) > MAX_TAGS else []
    for i, tag in enumerate(tags):
        key, value = (str(tag.get("key", "")), str(tag.get("value", ""))) if isinstance(tag, dict) else ("", "")
        wrong = [what for what, bad in (
            (f"a key of 1-{MAX_TAG_KEY} characters", not 0 < len(key) <= MAX_TAG_KEY),
            (f"a value of at most {MAX_TAG_VALUE} characters", len(value) > MAX_TAG_VALUE),
            ("no space (FC's tags allow none)", bool(re.search(r"\s", key + value))),
            ("no http:// or https://", "http://" in key + value or "https://" in key + value),
            ("a key not starting with aliyun or acs:", key.lower().startswith(("aliyun", "acs:"))))
            if bad]
        if wrong:
            out.append(f"{at}.tags[{i}] {key[:64]!r}: FC's tags need " + ", ".join(wrong))
    return out


def _environment(report: Report, variables: object, at: str) -> dict[str, str]:
    """The function's environment as FC would hold it (strings); its keys and size by FC's rules, and every
    key one the function reads."""
    if not isinstance(variables, dict):
        return {}
    env = {str(k): "" if v is None else str(v) for k, v in variables.items()}
    for key in env:
        if not ENV_KEY.fullmatch(key):
            report.problems.append(f"{at}.environmentVariables.{key[:64]}: FC's keys start with a letter and "
                                   "hold letters, digits and _")
        elif key.upper().startswith(RESERVED_PREFIX):
            report.problems.append(f"{at}.environmentVariables.{key}: FC reserves the prefix {RESERVED_PREFIX}* for "
                                   "its own variables; a function's may not start with it")
        elif key not in NAMES:
            near = spelling.nearest(key, NAMES, cutoff=0.7)
            report.problems.append(f"{at}.environmentVariables.{key}: not a setting the function reads"
                                   + (f"; did you mean {near}?" if near else " (docs/settings.md)"))
    size = sum(len(k.encode()) + len(v.encode()) for k, v in env.items())
    if size > MAX_ENV_BYTES:
        report.problems.append(f"{at}.environmentVariables: {size:,} bytes of keys and values; FC takes at most "
                               f"{MAX_ENV_BYTES:,} (4 KB) in all")
    return env


def _settings(report: Report, env: Mapping[str, str], region: str, missing: set[str]):
    """The settings the function would read at start from `env`: load_settings, the function's own check, with
    the function's region as its own (REGIONS unset). None when they are refused (each problem listed, but a
    required one already named as not set)."""
    try:
        return load_settings(env, None, default_region=region)
    except SettingsError as error:
        report.problems += [f"environment: {p}" for p in error.problems
                            if not any(p.startswith(f"{name} is required") for name in missing)]
        report.usable = error.usable
        return None


def _trigger(report: Report, trigger: Mapping, env: Mapping[str, str], region: str, settings,
             known: tuple[str, ...]) -> None:
    """One trigger: its name (FC's rule), and for a timer its cron and its payload, read by the function's own
    event and settings checks over the environment it would run with (and warned of as `_meant` says, for the
    settings it sets; `known`: fc3's regions)."""
    name = str(trigger.get("triggerName", ""))
    at = f"trigger {name[:64]!r}"
    if not TRIGGER_NAME.fullmatch(name):
        report.problems.append(f"{at}: FC's trigger names are 1-128 letters, digits, '_' and '-', not starting "
                               "with a digit or '-'")
    if trigger.get("triggerType") != "timer":
        return
    config = trigger.get("triggerConfig") if isinstance(trigger.get("triggerConfig"), dict) else {}
    schedule = None
    try:
        schedule = cron.parse(str(config.get("cronExpression", "")))
    except ValueError as error:
        report.problems.append(f"{at} cronExpression {str(config.get('cronExpression', ''))[:80]!r}: {error}")
    if schedule is not None and cron.numbered_weekdays(schedule):
        report.warnings.append(f"{at} cronExpression: the weekday is a number, which FC's page (1-7, MON-SUN) and "
                               "Go's cron (0-6, SUN-SAT) read differently: write names, like MON-FRI")
    payload = _payload(report, at, config.get("payload"), env, region, settings)
    if payload is not None:
        report.warnings += [f"{at} payload: {w}" for w in _meant(payload, known, "REGIONS" in payload.from_payload,
                                                                  "INSTANCE_TAGS" in payload.from_payload)]
    if schedule is not None and schedule.fields and payload is not None:
        _same_zone(report, at, schedule.zone or "UTC", payload.timezone)


def _payload(report: Report, at: str, text: object, env: Mapping[str, str], region: str, settings):
    """The trigger's settings (payload over environment) as a run of it reads them; each problem the payload
    adds to the environment's own is listed. None when refused."""
    try:
        payload = parse_event({"payload": text}).payload
        return load_settings(env, payload, default_region=region)
    except SettingsError as error:
        own = set() if settings is not None else set(_problems(env, region))
        report.problems += [f"{at} payload: {p}" for p in error.problems if p not in own]
        return None


def _problems(env: Mapping[str, str], region: str) -> list[str]:
    try:
        load_settings(env, None, default_region=region)
        return []
    except SettingsError as error:
        return error.problems


def _same_zone(report: Report, at: str, zone: str, shown: str) -> None:
    """A warning when the trigger's times are read in one zone (CRON_TZ, else UTC) and its messages show another
    (TIMEZONE): judged by their UTC offsets in January and July, so that aliases (PRC, Asia/Shanghai) agree."""
    year = datetime.now(timezone.utc).year
    moments = [datetime(year, month, 1, tzinfo=timezone.utc) for month in (1, 7)]
    if [m.astimezone(ZoneInfo(zone)).utcoffset() for m in moments] != \
            [m.astimezone(ZoneInfo(shown)).utcoffset() for m in moments]:
        report.warnings.append(f"{at}: fires by {zone} time (cronExpression's CRON_TZ) but its messages show "
                               f"{TIMEZONE}={shown}: set {TIMEZONE} to {zone}, or the CRON_TZ to {shown}")


def _plan(props: Mapping, settings, triggers: list[Mapping], given: set[str]) -> list[str]:
    """What `s deploy` would create, without a secret: the function, its role, triggers, async config, and the
    settings named in `given` (the others are s.yaml's defaults)."""
    lines = [f"function  {props.get('functionName')} in {props.get('region')}: {props.get('runtime')}, "
             f"{props.get('memorySize')} MB, timeout {props.get('timeout')} s, handler {props.get('handler')}, "
             f"code {props.get('code')}",
             f"role      {props.get('role') or '(none)'}"]
    for trigger in triggers:
        config = trigger.get("triggerConfig") if isinstance(trigger.get("triggerConfig"), dict) else {}
        lines.append(f"trigger   {trigger.get('triggerName')} ({trigger.get('triggerType')}): "
                     f"{config.get('cronExpression', '')}, payload {_payload_summary(config.get('payload'))}"
                     + ("" if config.get("enable", True) is not False else ", disabled"))
    aic = props.get("asyncInvokeConfig")
    if isinstance(aic, dict):
        failure = (aic.get("destinationConfig") or {}).get("onFailure") or {}
        lines.append(f"async     {aic.get('maxAsyncRetryAttempts')} retries, events kept "
                     f"{aic.get('maxAsyncEventAgeInSeconds')} s, async tasks {'on' if aic.get('asyncTask') else 'off'}"
                     f", on failure: {failure.get('destination') or 'no destination'}")
    if settings is not None:
        lines += [f"setting   {name:<24} {shown}" for name, shown in describe(settings) if name in given]
    lines.append("(the other settings: s.yaml's defaults)")
    return lines


def _payload_summary(text: object) -> str:
    """A payload's keys and values, a destination as its host and a secret as `set`, never in clear; the value
    of a key that is no setting is not shown (a misspelt `dingtalk_webhok` may hold a token), and any URL in
    another is cut to its host."""
    try:
        payload = parse_event({"payload": text}).payload
    except SettingsError:
        return "(not a JSON object: see the problems)"
    shown = []
    for key, value in payload.items():
        row = BY_NAME.get(str(key).upper())
        if row is None or str(key) != row.field:
            value = "… (not a setting)"
        elif row.secret == SECRET_URL:
            value = re.sub(r"^(\w+://[^/?#]*).*", r"\1/… (hidden)", str(value))
        elif row.secret == SECRET_VALUE:
            value = "set (hidden)"
        else:
            value = redact.hosts_only(str(value))
        shown.append(f"{str(key)[:40]}={str(value)[:60]}")
    return "{" + ", ".join(shown) + "}" if shown else "{} (the environment's settings)"
