"""What every command reads the same way: the exit statuses, s.yaml's defaults, the settings' sources
(the environment, --payload, --set), the home region and --at."""
from __future__ import annotations

import argparse
import os
from typing import Mapping

from ..invocation import parse_event
from ..settings import NAMES
from ..spelling import did_you_mean
from ..window import parse_api_time

FUNCTION_NAME = "redis-backup-report"  # s.yaml's functionName
DEFAULT_REGION = "cn-hangzhou"  # s.yaml's REGION default
FUNCTION_TIMEOUT = 300  # s.yaml's timeout
OK, FAILED, USAGE = 0, 1, 2
# Below 30 s the run keeps back more for its last API call and both posts than it has to check
# anything (deadlines.Timing); 86,400 s is FC 3.0's longest execution (24 hours).
MIN_TIMEOUT, MAX_TIMEOUT = 30, 86_400


class UsageError(Exception):
    """Bad arguments, missing credentials or a missing tool: exit status 2, no traceback."""


def environment(args: argparse.Namespace, sb) -> dict[str, str]:
    """The settings' environment: os.environ; with a sandbox, its scenario's `settings:` (scenario_settings)
    and its endpoints on top; then each --set NAME=VALUE (NAME any case, one of settings.NAMES; an empty VALUE
    reads as unset). UsageError (exit 2) for an item without `=` or an unknown NAME (naming the setting it is
    most like)."""
    env = dict(os.environ)
    if sb is not None:
        env.update(scenario_settings(sb))
        env.update(sandbox_destinations(sb, archive=bool(env.get("ARCHIVE_OSS_BUCKET", "").strip())))
    for item in getattr(args, "set", []):
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        # The value is never repeated: a misspelled name's value may be a webhook with its token.
        if not sep or not name:
            raise UsageError(f"--set with no {'NAME before the ' if sep else ''}'=': expected NAME=VALUE with NAME one "
                             f"of {', '.join(NAMES)}")
        if name not in NAMES:
            raise UsageError(f"--set {name[:64]}=…: {name[:64]} is not a setting{did_you_mean(name, NAMES)}; NAME is "
                             f"one of {', '.join(NAMES)}")
        env[name] = value
    return env


def sandbox_destinations(sb, archive: bool) -> dict[str, str]:
    """The settings a run against the sandbox `sb` takes from it whatever the environment says: every endpoint,
    webhook and credential (sb.env()), the archive in its OSS emulator when `archive` (else none), and no
    REPORT_LINK_HOST. A deployer's shell, exported for `make preflight`, then never takes a sandbox run to the
    real OSS or a custom domain: nothing leaves the machine."""
    bucket = sb.archive_env() if archive else {"ARCHIVE_OSS_BUCKET": "", "ARCHIVE_OSS_ENDPOINT": ""}
    return {**bucket, "REPORT_LINK_HOST": "", **sb.env()}


def scenario_settings(sb) -> dict[str, str]:
    """The sandbox scenario's `settings:` ({NAME: text}; the demo's tags, time zone and mentions). UsageError
    (exit 2) for a name that is no setting, naming the one it is most like: the function would ignore it; and
    for a destination the sandbox sets (sandbox_destinations: a webhook, an endpoint), which it would override.
    ARCHIVE_OSS_BUCKET may be set: it turns the archive on, in the sandbox's bucket."""
    held = (set(sandbox_destinations(sb, archive=True)) - {"ARCHIVE_OSS_BUCKET", "REGIONS", "API_QUOTAS"}) & set(NAMES)
    for name in sb.settings:
        if name not in NAMES:
            raise UsageError(f"--sandbox {sb.scenario.name}: settings: {name} is not a setting"
                             f"{did_you_mean(name, NAMES)}; the settings are {', '.join(NAMES)}")
        if name in held:
            raise UsageError(f"--sandbox {sb.scenario.name}: settings: {name} is the sandbox's to set (it points the "
                             "run at its emulators, on 127.0.0.1); leave it out")
        if name == "REGIONS":
            raise UsageError(f"--sandbox {sb.scenario.name}: settings: REGIONS is the scenario's `regions:`; "
                             "leave it out of settings:")
    return sb.settings


def parse_payload(text: str | None) -> Mapping[str, object]:
    """--payload's JSON object ({} without one), read as a trigger's payload. SettingsError (exit 2) otherwise."""
    return parse_event({"payload": text}).payload if text else {}


def home_region(args: argparse.Namespace, sb) -> str:
    """The function's own region: --region, else the sandbox's first, else $REGION, else
    $ALIBABA_CLOUD_REGION_ID, else "" (unknown)."""
    if args.region:
        return args.region
    if sb is not None:
        return sb.regions[0]
    return os.environ.get("REGION") or os.environ.get("ALIBABA_CLOUD_REGION_ID", "")


def parse_at(text: str):
    """--at as a UTC datetime (e.g. 2026-11-28T01:00Z). UsageError (exit 2) when it is not one."""
    at = parse_api_time(text)
    if at is None:
        raise UsageError(f"--at {text!r}: expected a UTC time like 2026-11-28T01:00Z")
    return at


def tags_text(tags) -> str:
    """INSTANCE_TAGS as set: `((key, value or None), …)` as `key=value,key`."""
    return ",".join(k if v is None else f"{k}={v}" for k, v in tags)
