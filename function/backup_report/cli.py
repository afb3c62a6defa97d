"""`python -m backup_report`: check the settings, run the report locally, invoke the deployed function.

    python -m backup_report check  [--payload JSON] [--set KEY=VALUE]… [--region R]
    python -m backup_report run    [--at TIME] [--payload JSON] [--set KEY=VALUE]… [--dry-run] [--json]
    python -m backup_report invoke [--function-name N] [--region R] [--qualifier Q] [--event FILE]
    (each with --sandbox demo: the local emulators instead of the cloud)

Settings come from the environment (the same names as the function's), then `--payload` (a JSON
object of lower-case names, as a timer trigger's payload), then `--set NAME=VALUE`. Credentials come
from the standard Alibaba Cloud chain (`alibabacloud_credentials`): ALIBABA_CLOUD_ACCESS_KEY_ID /
_SECRET / _SECURITY_TOKEN, the `aliyun` CLI's ~/.aliyun/config.json profile (ALIBABA_CLOUD_PROFILE
picks one), ~/.alibabacloud/credentials, an ECS RAM role. Exit status: 0 done, 1 the cloud, a
channel or the function failed, 2 bad settings, arguments or no credentials.

`invoke` uses the FC 3.0 SDK (alibabacloud_fc20230330), not fc2. fc2 (aliyun-fc2 2.5.2, the SDK
FC's python3.10 runtime ships) speaks only the 2016-08-15 API, whose invoke path is
`/2016-08-15/services/{service}[.{qualifier}]/functions/{function}/invocations`: a service is
required. s.yaml deploys with the fc3 component, i.e. the 2023-03-30 API, where a function belongs
to no service and is invoked at `/2023-03-30/functions/{function}/invocations`; FC 3.0's
compatibility notes cover 2.0 services seen from 3.0, not a 2.0 path to a function created in 3.0.
fc2 is also only in the runtime, not on the laptop this runs on.

The handler never imports this module (nor the FC SDK, imported only by `invoke`): no cold-start cost.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator, Mapping
from urllib.parse import urlsplit

from . import addresses, app, redact, regions
from .model import RegionFailure
from .invocation import Credentials, parse_event
from .settings import NAMES, Settings, SettingsError, load_settings
from .window import parse_api_time

FUNCTION_NAME = "redis-backup-report"  # s.yaml's functionName
DEFAULT_REGION = "cn-hangzhou"  # s.yaml's REGION default
FUNCTION_TIMEOUT = 300  # s.yaml's timeout
OK, FAILED, USAGE = 0, 1, 2
# Below 30 s the run keeps back more for its last API call and both posts than it has to check
# anything (deadlines.Timing); 86,400 s is FC 3.0's longest execution (24 hours).
MIN_TIMEOUT, MAX_TIMEOUT = 30, 86_400


class UsageError(Exception):
    """Bad arguments, missing credentials or a missing tool: exit status 2, no traceback."""


# --- entry --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None, *, sandbox=None) -> int:
    """`sandbox`: an already started `sandbox.Sandbox` to use instead of starting `--sandbox`'s."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        with _sandbox(args, sandbox) as sb:
            return args.command(args, sb)
    except SettingsError as error:
        print("invalid settings:\n" + "\n".join(f"  - {p}" for p in error.problems), file=sys.stderr)
        return USAGE
    except UsageError as error:
        print(f"backup_report: {error}", file=sys.stderr)
        return USAGE


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m backup_report", description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="name", required=True, metavar="{check,run,invoke}")

    def common(sub: argparse.ArgumentParser, settings: bool = True) -> None:
        sub.add_argument("--sandbox", metavar="SCENARIO",
                         help="run against the local emulators of this scenario (e.g. demo) instead of the cloud")
        sub.add_argument("--region", help=("the function's own region, used when REGIONS is unset" if settings
                                           else f"where the function is deployed (else {DEFAULT_REGION})")
                         + " (default: $REGION, then $ALIBABA_CLOUD_REGION_ID)")
        sub.add_argument("-v", "--verbose", action="store_true", help="log at INFO on stderr")
        if settings:
            sub.add_argument("--payload", metavar="JSON", help='settings for this run, as a trigger payload: '
                             '\'{"instance_tags": "team=b", "regions": "cn-shanghai"}\'')
            sub.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                             help="override one setting (repeatable), e.g. --set NOTIFY_ON=failure")

    check = commands.add_parser(
        "check", help="validate the settings and list the instances the tags select",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Validates the settings (environment, then --payload, then --set), prints them without "
                    "secrets, checks REGIONS against DescribeRegions, and lists per region the instances the "
                    "tags select (DescribeInstances only: no backup is read, nothing is posted).",
        epilog=_epilog("a region could not be listed, or REGIONS names a region DescribeRegions does not list",
                       "python -m backup_report check --payload '{\"instance_tags\": \"team=b\"}'"))
    common(check)
    check.set_defaults(command=cmd_check)

    run = commands.add_parser(
        "run", help="run the report here, against the account the credentials reach",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Runs the function's code here, as one invocation would: reads the backups, decides the "
                    "verdicts and posts the digest to the configured channels (--dry-run: prints the messages "
                    "instead), then prints a summary or, with --json, the result JSON.",
        epilog=_epilog("a region or an instance could not be checked (verdict error), or a channel did not "
                       "take the digest",
                       "python -m backup_report run --dry-run --at 2026-11-28T01:00Z"))
    common(run)
    run.add_argument("--at", metavar="TIME", help="the trigger time, UTC, e.g. 2026-11-28T01:00Z (default: now; "
                     "with --sandbox, events/timer.json's, as make demo)")
    run.add_argument("--dry-run", action="store_true", help="print the messages instead of posting them")
    run.add_argument("--json", action="store_true", help="print the result JSON (with --dry-run: with the messages)")
    run.add_argument("--timeout", type=_timeout, default=FUNCTION_TIMEOUT, metavar="SECONDS",
                     help=f"the time budget the run plans with, as FC's function timeout: {MIN_TIMEOUT}-{MAX_TIMEOUT} "
                          f"(default {FUNCTION_TIMEOUT}, s.yaml's)")
    run.set_defaults(command=cmd_run)

    invoke = commands.add_parser(
        "invoke", help="invoke the deployed function synchronously and print its result",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Invokes the deployed function through the FC 3.0 API (InvokeFunction, synchronously; "
                    "needs fc:InvokeFunction) with the event file, and prints the result JSON it returned.",
        epilog=_epilog("the function raised, FC refused the call, or the report it returned is not whole (as for "
                       "run)",
                       "python -m backup_report invoke --region cn-hangzhou --event events/timer.json"))
    common(invoke, settings=False)
    invoke.add_argument("--function-name", default=FUNCTION_NAME, help=f"default {FUNCTION_NAME}")
    invoke.add_argument("--qualifier", default="LATEST", help="version or alias (default LATEST)")
    invoke.add_argument("--event", metavar="FILE",
                        help="the event JSON, e.g. events/timer.json ('-': stdin; default {})")
    invoke.add_argument("--endpoint", metavar="URL", help="the FC 3.0 API endpoint, host[:port] or "
                        "http(s)://host[:port] (default: the SDK's for the region)")
    invoke.set_defaults(command=cmd_invoke)
    return top


def _epilog(failed: str, example: str) -> str:
    return (f"exit status:\n  0  done\n  1  {failed}\n  2  bad settings or arguments, or no credentials\n\n"
            f"example:\n  {example}\n  (add --sandbox demo to try it on the local emulators)")


# --- check --------------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace, sb) -> int:
    env = environment(args, sb)
    payload = _payload(args.payload)
    settings = load_settings(env, payload, default_region=_region(args, sb))
    print("Settings (environment, then --payload, then --set):")
    for name, shown in describe(settings):
        print(f"  {name:<21} {shown}")
    creds, source = credentials(sb)
    print(f"Credentials: {source}")
    with redact.Redaction([*settings.secrets(), creds.access_key_id, creds.access_key_secret,
                           creds.security_token]):
        redact.quiet_sdk_debug()
        return _list_instances(settings, creds, home=_region(args, sb))


def _list_instances(settings: Settings, creds: Credentials, home: str) -> int:
    from .cloud.kvstore import KVStore
    from .cloud.retry import ApiFailure

    deadline = time.monotonic() + 120
    cloud = KVStore(creds, endpoint=settings.kvstore_endpoint, protocol=settings.kvstore_protocol,
                    pacer=app.pacer_for(settings), remaining=lambda: deadline - time.monotonic())
    tags = _tags(settings)
    offered = app.offered_regions(cloud, home or settings.regions[0])
    listed: dict[str, list] = {}
    failures: list[RegionFailure] = []
    for region in settings.regions:
        try:
            with Progress(f"listing the tagged instances in {region}", unit="listed") as progress:
                listed[region] = cloud.instances(region, settings.instance_tags,
                                                 on_page=lambda page: progress.add(len(page)))
        except ApiFailure as failure:
            failures.append(RegionFailure(region, failure.error))
    failures = regions.reconcile(settings.regions, offered, {r: len(f) for r, f in listed.items()}, failures)
    failed = {f.region: f.error for f in failures}
    for region in settings.regions:
        if region in failed:
            # An API refusal's message is the service's text: it may repeat what the request carried.
            what = ("listed, but the answer is odd" if failed[region].code == "InconsistentAnswer"
                    else "not checked")
            print(redact.scrub(f"\n{region}: {what}: {failed[region]}"))
            continue
        found = listed[region]
        print(f"\n{region}: {len(found)} instance{'s' * (len(found) != 1)} carry {tags}")
        for instance in sorted(found, key=lambda i: (i.name, i.instance_id)):
            shape = instance.kind + (f", {instance.shard_count} shards" if instance.shard_count > 1 else "")
            print(f"  {instance.instance_id:<24} {instance.name:<22} {shape:<20} {instance.status}")
    good = [r for r in settings.regions if r not in failed]
    total = sum(len(listed[r]) for r in good)
    print(f"\n{total} instance{'s' * (total != 1)} in {len(good)} region"
          f"{'s' * (len(good) != 1)} would be checked. Backups were not read: "
          "`run --dry-run` reads them and shows the messages.")
    return FAILED if failed else OK


def describe(settings: Settings) -> list[tuple[str, str]]:
    """Every setting as NAME and a printable value; webhooks show their host, the secret only whether set."""
    rows = []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.name in ("dingtalk_webhook", "slack_webhook", "feishu_webhook", "wecom_webhook"):
            parts = urlsplit(value)
            shown = f"{parts.scheme}://{parts.hostname}/… (token hidden)" if value else "not set"
        elif f.name == "heartbeat_url":  # its path is the check's UUID or key
            parts = urlsplit(value)
            shown = f"{parts.scheme}://{parts.hostname}/… (check hidden)" if value else "not set: no heartbeat"
        elif f.name in ("dingtalk_secret", "feishu_secret"):
            shown = "set (hidden): posts are signed" if value else "not set: posts are not signed"
        elif f.name == "instance_tags":
            shown = _tags(settings)
        elif f.name == "dingtalk_at_mobiles":
            shown = ", ".join(m[:3] + "****" + m[-4:] for m in value) if value else "nobody"
        elif f.name == "kvstore_endpoint":
            shown = value or "the SDK's endpoint for each region"
        elif f.name == "api_quotas":
            shown = ", ".join(f"{a}={c}/{s:g}" for a, c, s in value) or "the published quotas (cloud/pacing.py)"
        elif isinstance(value, tuple):
            shown = ",".join(value)
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
        rows.append((f.name.upper(), shown))
    return rows


def _tags(settings: Settings) -> str:
    return ",".join(k if v is None else f"{k}={v}" for k, v in settings.instance_tags)


# --- run ----------------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace, sb) -> int:
    env = environment(args, sb)
    payload_text = args.payload or "{}"
    _payload(payload_text)  # refuse bad JSON before anything else
    event: dict = {"triggerName": "cli", "payload": payload_text}
    at = _at(args.at) if args.at else (sb.anchor if sb is not None else None)
    if at is not None:
        event["triggerTime"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    load_settings(env, json.loads(payload_text), default_region=_region(args, sb))  # settings before credentials
    creds, _ = credentials(sb)
    context = fc_like_context(creds, _region(args, sb), args.timeout)
    try:
        with Progress("checking backups", unit="instances checked") as progress:
            result = json.loads(app.run(json.dumps(event).encode(), context, environ=env, dry_run=args.dry_run,
                                        progress=progress.add))
    except app.DeliveryError as error:
        print(f"run: {error}", file=sys.stderr)
        return FAILED
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(summary(result))
    return run_status(result)


def run_status(result: Mapping) -> int:
    """0 when every region and instance was checked and every channel took the digest (or was
    skipped on purpose); 1 when a region was not checked, an instance is `error`, or a channel failed."""
    unchecked = bool(result.get("unchecked_regions")) or any(i["verdict"] == "error" for i in result["instances"])
    return FAILED if unchecked or not all(d["ok"] for d in result["deliveries"]) else OK


def summary(result: Mapping) -> str:
    """The result as a person reads it: the messages (dry run), then status, counts and deliveries."""
    show = _message_display()
    lines = []
    for delivery in result["deliveries"]:
        if "message" in delivery:
            lines += [show(delivery["channel"], delivery["message"]), ""]
    window = result["window"]
    counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items() if v) or "no instances"
    lines += [f"status: {result['status']}   window: {window['start']} … {window['end']}",
              f"instances: {len(result['instances'])} ({counts})"]
    for failure in result.get("unchecked_regions", []):
        lines.append(f"region not checked: {failure['region']}: {failure['error']}")
    for d in result["deliveries"]:
        state = d.get("skipped") or ("posted" if d["ok"] else f"FAILED: {d.get('error', '')}")
        lines.append(f"{d['channel']}: {state}")
    for ping in result.get("heartbeat", []):
        lines.append(f"heartbeat {ping['signal']}: " + ("pinged" if ping["ok"] else f"FAILED: {ping.get('error', '')}"))
    return "\n".join(lines)


def _message_display():
    """sandbox.demo's readable renderings when the repository is at hand, else indented JSON."""
    try:
        demo = _import_sandbox(required=False)
    except ImportError:
        demo = None
    if demo is None:
        return lambda channel, message: f"--- {channel} ---\n" + json.dumps(message, indent=2, ensure_ascii=False)
    from sandbox.demo import boxed, dingtalk_notes, show_dingtalk, show_feishu, show_slack, show_wecom, slack_notes

    def show(channel: str, message: dict) -> str:
        if channel == "dingtalk":
            return boxed("DingTalk (markdown, as the group would see it; not posted)",
                         show_dingtalk(message)) + "\n" + dingtalk_notes(message)
        if channel == "slack":
            return boxed("Slack (Block Kit, as the channel would see it; not posted)",
                         show_slack(message)) + "\n" + slack_notes(message)
        if channel == "feishu":
            return boxed("Feishu (card, as the group would see it; not posted)", show_feishu(message))
        if channel == "wecom":
            return boxed("WeCom (markdown, as the group would see it; not posted)", show_wecom(message))
        return boxed(channel, json.dumps(message, indent=2, ensure_ascii=False))
    return show


def fc_like_context(creds: Credentials, region: str, timeout: int) -> SimpleNamespace:
    """What the handler reads of FC's context, with the chain's credentials in the role's place."""
    return SimpleNamespace(
        request_id=f"cli-{uuid.uuid4().hex[:12]}",
        credentials=SimpleNamespace(access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
                                    security_token=creds.security_token),
        region=region,
        function=SimpleNamespace(name=FUNCTION_NAME, handler="index.handler", memory=256, timeout=timeout))


# --- invoke -------------------------------------------------------------------------------------

def cmd_invoke(args: argparse.Namespace, sb) -> int:
    event = _event_bytes(args.event)
    creds, _ = credentials(sb)
    region = _region(args, sb) or DEFAULT_REGION
    with contextlib.ExitStack() as stack:
        stack.enter_context(redact.Redaction([creds.access_key_id, creds.access_key_secret, creds.security_token]))
        endpoint = args.endpoint
        if sb is not None and not endpoint:
            endpoint = stack.enter_context(_emulated_function(args.function_name, sb, region))
        try:
            status, headers, body = _invoke(creds, region, endpoint, args.function_name, args.qualifier, event)
        except _InvokeFailed as error:
            print(redact.scrub(f"invoke: {args.function_name} ({args.qualifier}) in {region}: {error}"),
                  file=sys.stderr)
            return FAILED
    request_id = headers.get("x-fc-request-id", "?")
    if headers.get("x-fc-error-type"):
        try:
            error = json.loads(body)
            text = f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
        except ValueError:
            text = body.decode("utf-8", "replace")[:2000]
        print(redact.scrub(f"invoke: {args.function_name} ({args.qualifier}) failed, {headers['x-fc-error-type']} "
                           f"(request {request_id}):\n{text}"), file=sys.stderr)
        return FAILED
    print(f"invoke: {args.function_name} ({args.qualifier}) in {region}: HTTP {status}, request {request_id}",
          file=sys.stderr)
    try:
        result = json.loads(body)
    except ValueError:
        print(body.decode("utf-8", "replace"))
        return OK
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if isinstance(result, dict) and result.get("status") == "error":  # its settings stopped it; the team was told
        return FAILED
    # The function returned: the same rule as `run` says whether its report was whole.
    is_result = isinstance(result, dict) and isinstance(result.get("instances"), list) and "deliveries" in result
    return run_status(result) if is_result else OK


def _invoke(creds: Credentials, region: str, endpoint: str | None, name: str, qualifier: str,
            event: bytes) -> tuple[int, dict, bytes]:
    try:  # the FC 3.0 SDK: only this command needs it
        from alibabacloud_fc20230330 import models as fc
        from alibabacloud_fc20230330.client import Client
        from alibabacloud_tea_openapi import utils_models as openapi
        from darabonba.runtime import RuntimeOptions
    except ImportError:
        raise UsageError("invoke needs the FC 3.0 SDK: pip install 'alibabacloud-fc20230330>=4.8,<5' "
                         "(requirements-dev.txt has it)") from None
    protocol, host = "https", endpoint
    try:  # the function's address rule: http only to loopback, one reading of the URL, NO_PROXY alike
        if endpoint and "://" in endpoint:
            parts = addresses.parse_url(endpoint, "https://<account-id>.cn-hangzhou.fc.aliyuncs.com")
            protocol, host = parts.scheme, parts.netloc
        elif endpoint:
            addresses.parse_host_port(endpoint)
        config = openapi.Config(access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
                                security_token=creds.security_token or None, region_id=region,
                                endpoint=host or None, protocol=protocol)
        client = Client(config)
        route = addresses.sdk_proxy_options(protocol, str(client._endpoint))
    except ValueError as error:
        raise UsageError(f"--endpoint {endpoint or '(the default)'}: {error}") from None
    request = fc.InvokeFunctionRequest(body=io.BytesIO(event), qualifier=qualifier)
    headers = fc.InvokeFunctionHeaders(x_fc_invocation_type="Sync")
    # A synchronous call lasts as long as the function: its timeout, and some.
    runtime = RuntimeOptions(connect_timeout=5000, read_timeout=(FUNCTION_TIMEOUT + 30) * 1000, **route)
    try:
        with Progress(f"invoking {name}"):
            response = client.invoke_function_with_options(name, request, headers, runtime)
    except Exception as exc:  # the SDK's exceptions carry code/message; never the request's signature
        code = getattr(exc, "code", None) or type(exc).__name__
        message = getattr(exc, "message", None) or str(exc)
        status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
        raise _InvokeFailed(f"{code}: {str(message)[:500]}" + (f" (HTTP {status})" if status else "")) from None
    body = response.body.read() if hasattr(response.body, "read") else (response.body or b"")
    if isinstance(body, str):
        body = body.encode()
    return response.status_code, {k.lower(): v for k, v in (response.headers or {}).items()}, body


class _InvokeFailed(Exception):
    pass


@contextlib.contextmanager
def _emulated_function(name: str, sb, region: str) -> Iterator[str]:
    """The sandbox's stand-in for FC: `name` runs the real handler code with the sandbox's settings."""
    from sandbox.demo import DEMO_SETTINGS
    from sandbox.fc import FunctionCompute, serve

    env = {**os.environ, **DEMO_SETTINGS, **sb.env()}
    fc = FunctionCompute({name: lambda event, context: app.run(event, context, environ=env)}, sb.credentials,
                         region=region)
    server = serve(fc)
    try:
        yield f"http://{server.address}"
    finally:
        server.stop()


def _event_bytes(path: str | None) -> bytes:
    if not path:
        return b"{}"
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"--event {path}: {error.strerror}") from None
    try:
        json.loads(data or b"{}")
    except ValueError:
        raise UsageError(f"--event {path}: not JSON; FC hands the function the event as it is, and this "
                         "function expects a JSON object like events/timer.json") from None
    return data


def _event_time(path: str | None):
    if not path or path == "-":
        return None
    try:
        event = json.loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return None  # _event_bytes says what is wrong with it
    return parse_api_time(event.get("triggerTime")) if isinstance(event, dict) else None


# --- shared -------------------------------------------------------------------------------------

def environment(args: argparse.Namespace, sb) -> dict[str, str]:
    """os.environ; with a sandbox, its endpoints and the demo's tags on top; then --set."""
    env = dict(os.environ)
    if sb is not None:
        from sandbox.demo import DEMO_SETTINGS
        env.update(DEMO_SETTINGS)
        env.update(sb.env())
    for item in getattr(args, "set", []):
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        if not sep or name not in NAMES:
            raise UsageError(f"--set {item!r}: expected NAME=VALUE with NAME one of {', '.join(NAMES)}")
        env[name] = value
    return env


def credentials(sb) -> tuple[Credentials, str]:
    """The sandbox's keys, or the default Alibaba Cloud credential chain's. Raises UsageError when none."""
    if sb is not None:
        c = sb.credentials
        return Credentials(c.access_key_id, c.access_key_secret, c.security_token or ""), "the sandbox's"
    try:
        from alibabacloud_credentials.client import Client

        # The chain logs each provider's failure with its traceback (logger "credentials",
        # alibabacloud_credentials/provider/refreshable.py): the one-line message below says it all.
        with _quiet("credentials", "alibabacloud_credentials"):
            found = Client().get_credential()
    except Exception as error:  # CredentialException: every provider in the chain failed
        logging.getLogger("backup_report.cli").info("credential chain: %s", error)
        raise UsageError(
            "no Alibaba Cloud credentials found. Set ALIBABA_CLOUD_ACCESS_KEY_ID and "
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET (plus ALIBABA_CLOUD_SECURITY_TOKEN for an STS token), or run "
            "`aliyun configure` (a profile in ~/.aliyun/config.json; ALIBABA_CLOUD_PROFILE picks one). "
            "-v shows what the chain tried.") from None
    if not found.access_key_id or not found.access_key_secret:
        raise UsageError("the credential chain returned an empty AccessKey")
    return (Credentials(found.access_key_id, found.access_key_secret, found.security_token or ""),
            f"from the default chain ({found.provider_name or found.type})")


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Nothing from these loggers while the block runs (their levels are restored after)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _payload(text: str | None) -> Mapping[str, object]:
    return parse_event({"payload": text}).payload if text else {}


def _region(args: argparse.Namespace, sb) -> str:
    if args.region:
        return args.region
    if sb is not None:
        return sb.regions[0]
    return os.environ.get("REGION") or os.environ.get("ALIBABA_CLOUD_REGION_ID", "")


def _timeout(text: str) -> int:
    """argparse type of --timeout: whole seconds within MIN_TIMEOUT..MAX_TIMEOUT (exit 2 otherwise)."""
    if not re.fullmatch(r"[0-9]{1,6}", text.strip()) or not MIN_TIMEOUT <= int(text) <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{text!r}: whole seconds from {MIN_TIMEOUT} to {MAX_TIMEOUT} "
                                         f"(FC's limit), like s.yaml's {FUNCTION_TIMEOUT}")
    return int(text)


def _at(text: str):
    at = parse_api_time(text)
    if at is None:
        raise UsageError(f"--at {text!r}: expected a UTC time like 2026-11-28T01:00Z")
    return at


def _import_sandbox(required: bool = True):
    """`sandbox` from the repository: importable from its root; found beside function/ otherwise.

    Only a checkout has it (the deployed package has no sandbox/ beside it, so nothing is added there).
    """
    try:
        import sandbox
        return sandbox
    except ImportError:
        pass
    root = Path(__file__).resolve().parents[2]
    if (root / "sandbox" / "__init__.py").is_file() and (root / "function" / "index.py").is_file():
        sys.path.append(str(root))
        import sandbox
        return sandbox
    if required:
        raise UsageError("--sandbox needs the repository checkout (sandbox/ beside function/)")
    return None


@contextlib.contextmanager
def _sandbox(args: argparse.Namespace, given) -> Iterator[object]:
    if given is not None:
        yield given
        return
    if not args.sandbox:
        yield None
        return
    sandbox = _import_sandbox()
    # The sandbox's "now" is the run's trigger time: --at, or the --event file's triggerTime. A `run`
    # without --at uses make demo's trigger time, so the same command prints the same report at any
    # hour; `check` and `invoke` without an event run at the present.
    anchor = _at(args.at) if getattr(args, "at", None) else _event_time(getattr(args, "event", None))
    if anchor is None and args.command is cmd_run:
        from sandbox.demo import demo_trigger_time
        anchor = _at(demo_trigger_time())
    try:
        sb = sandbox.start(args.sandbox, anchor=anchor)
    except (ValueError, OSError) as error:  # an unknown scenario, a bad file
        raise UsageError(f"--sandbox {args.sandbox}: {error}") from None
    print(f"sandbox: scenario {args.sandbox!r} at {sb.anchor:%Y-%m-%dT%H:%MZ} (--at TIME moves the clock): "
          "R-KVStore, DingTalk, Slack, Feishu and WeCom emulated on 127.0.0.1; nothing leaves this machine", file=sys.stderr)
    with sb:
        yield sb


class Progress:
    """A spinner with the elapsed seconds on stderr while a long call runs, only when stderr is a terminal.

    `add(n)` counts things done, shown with `unit`: `check` counts instances as DescribeInstances
    pages arrive, `run` instances as they are checked (from the pool's threads, hence the lock).
    """

    FRAMES = "|/-\\"

    def __init__(self, label: str, stream=None, interval: float = 0.2, unit: str = ""):
        self.label, self.interval, self.unit = label, interval, unit
        self.count = 0
        self.stream = stream if stream is not None else sys.stderr
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._width = 0

    def __enter__(self) -> "Progress":
        isatty = getattr(self.stream, "isatty", None)
        if isatty is not None and isatty():
            self._thread = threading.Thread(target=self._spin, name="progress", daemon=True)
            self._thread.start()
        return self

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.count += n

    def _spin(self) -> None:
        started, frame = time.monotonic(), 0
        while not self._stop.wait(self.interval):
            done = f"{self.count} {self.unit}, " if self.unit else ""
            text = f"{self.FRAMES[frame % len(self.FRAMES)]} {self.label} … {done}{time.monotonic() - started:.0f}s"
            self._width = max(self._width, len(text))
            self.stream.write("\r" + text)
            self.stream.flush()
            frame += 1

    def __exit__(self, *exc) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
