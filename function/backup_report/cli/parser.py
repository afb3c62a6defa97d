"""The argument parser: the three commands, their options, help texts and epilogs."""
from __future__ import annotations

import argparse
import re
import sys

from .check import cmd_check
from .invoke import cmd_invoke
from .run import cmd_run
from .shared import DEFAULT_REGION, FUNCTION_NAME, FUNCTION_TIMEOUT, MAX_TIMEOUT, MIN_TIMEOUT


def parser() -> argparse.ArgumentParser:
    """`python -m backup_report {check,run,invoke}`: each subcommand's Namespace carries `name` and
    `command` (its cmd_* function, called as command(args, sandbox) -> exit status), --sandbox,
    --region, -v; check and run --payload and --set (a list); run --at, --dry-run, --json, --timeout
    (int seconds); invoke --function-name, --qualifier, --event, --endpoint."""
    description = sys.modules[__package__].__doc__.split("\n\n")[0]
    top = argparse.ArgumentParser(prog="python -m backup_report", description=description)
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
                       "./backup-report check --payload '{\"instance_tags\": \"team=b\"}'"))
    common(check)
    check.add_argument("--deploy", action="store_true",
                       help="instead: check s.yaml with this shell's environment offline, every problem at once, and "
                            "print what `s deploy` would create (make preflight)")
    check.add_argument("-t", "--template", default="s.yaml", metavar="FILE",
                       help="with --deploy: the Serverless Devs file, as `s -t` (default s.yaml)")
    check.set_defaults(command=cmd_check)

    run = commands.add_parser(
        "run", help="run the report here, against the account the credentials reach",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Runs the function's code here, as one invocation would: reads the backups, decides the "
                    "verdicts and posts the digest to the configured channels (--dry-run: prints the messages "
                    "instead), then prints a summary or, with --json, the result JSON.",
        epilog=_epilog("a region or an instance could not be checked (verdict error), or a channel did not "
                       "take the digest",
                       "./backup-report run --dry-run --at 2026-11-28T01:00Z"))
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
                       "./backup-report invoke --region cn-hangzhou --event events/timer.json"))
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
            f"example:\n  {example}\n  (add --sandbox demo to try it on the local emulators; from the clone's root,\n"
            "  ./backup-report is `PYTHONPATH=function .venv/bin/python -m backup_report`)")


def _timeout(text: str) -> int:
    """argparse type of --timeout: whole seconds within MIN_TIMEOUT..MAX_TIMEOUT (exit 2 otherwise)."""
    if not re.fullmatch(r"[0-9]{1,6}", text.strip()) or not MIN_TIMEOUT <= int(text) <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{text!r}: whole seconds from {MIN_TIMEOUT} to {MAX_TIMEOUT} "
                                         f"(FC's limit), like s.yaml's {FUNCTION_TIMEOUT}")
    return int(text)
