"""`make demo`: the real handler, end to end, against the sandbox's demo fleet.

Starts the emulators, runs `index.handler` with `events/timer.json` and a context shaped like
FC's, then shows what the team would read in DingTalk, Slack, Feishu and WeCom and the pings the
heartbeat check received, and ends with a summary: the counts per verdict, each channel's delivery, and
where the rest went. The archive is on (the sandbox's OSS bucket): the report page it wrote is copied to
build/demo-report.html; the function's log lines and the result JSON go to build/demo-log.txt and
build/demo-result.json (another scenario's to build/demo-<scenario>-…), and `-v` prints them too.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import sandbox
from sandbox.fleet import HOME_ACCOUNT
from sandbox.scenario import settings_of

ROOT = Path(__file__).resolve().parents[1]
FUNCTION = ROOT / "function"
TIMER_EVENT = ROOT / "events" / "timer.json"  # make demo's event, and `invoke --sandbox`'s without --event
DEMO_SETTINGS = settings_of("demo")  # scenarios/demo.yaml's `settings:`: its tags, time zone and mentions
MAKE_TARGETS = {"demo": ": make demo V=1", "accounts": ": make demo-accounts V=1"}  # the Makefile's, by scenario


def demo_trigger_time() -> str:
    """The triggerTime of events/timer.json: the moment `make demo` (and `run --sandbox`) report at."""
    return json.loads(TIMER_EVENT.read_text())["triggerTime"]


def fc_context(credentials, region: str, request_id: str = "demo-request-0001", timeout: int = 300, *,
               function_name: str = "redis-backup-report", qualifier: str = "LATEST",
               account_id: str = HOME_ACCOUNT):
    """An object shaped like FC's Python context (https://www.alibabacloud.com/help/en/functioncompute/context-1):
    `request_id`, `credentials` (the role's STS token), `region`, `account_id` (the account the function
    belongs to), `function` (`name`, `handler`, `memory`, `timeout`, `qualifier`: s.yaml's values by default)."""
    return SimpleNamespace(
        request_id=request_id,
        credentials=SimpleNamespace(access_key_id=credentials.access_key_id,
                                    access_key_secret=credentials.access_key_secret,
                                    security_token=credentials.security_token),
        region=region,
        account_id=account_id,
        function=SimpleNamespace(name=function_name, handler="index.handler", memory=256, timeout=timeout,
                                 qualifier=qualifier),
    )


def deployed_handler(event: bytes, context):
    """`index.handler` of function/, the deployed code unchanged, imported on first call (as `main` imports
    it): the function the sandbox's FC emulator serves as redis-backup-report. It reads the process's
    environment, as on FC it reads the function's."""
    if str(FUNCTION) not in sys.path:
        sys.path.insert(0, str(FUNCTION))
    import index
    return index.handler(event, context)


# A channel's message as a person reads it lives with the function (backup_report/cli/display.py,
# which the CLI's `run --dry-run` shows too): the names here are that module's, imported on first
# use, so `python -m sandbox serve` (which reads DEMO_SETTINGS from here) loads none of the function.
DISPLAY = ("boxed", "dingtalk_notes", "show_dingtalk", "show_feishu", "show_slack", "show_wecom", "slack_notes")


def __getattr__(name: str):
    if name not in DISPLAY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if str(FUNCTION) not in sys.path:  # the function's package, beside sandbox/ (as main imports index)
        sys.path.insert(0, str(FUNCTION))
    from backup_report.cli import display
    return getattr(display, name)


def show_pings(pings) -> str:
    """Each ping the check received, in order: the signal and the body sent with it."""
    return "\n".join(f"{p.signal:<8} {p.body or '(no body)'}" for p in pings) or "(no ping)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox demo", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="demo")
    parser.add_argument("--event", default=str(TIMER_EVENT))
    parser.add_argument("--out", default=str(ROOT / "build"), help="where the page, the log and the JSON go")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the log lines and the result JSON too")
    args = parser.parse_args(argv)

    event = Path(args.event).read_bytes()
    trigger = json.loads(event).get("triggerTime")
    sys.path.insert(0, str(FUNCTION))
    import index  # the deployed code, unchanged
    from backup_report.cli.output import summary
    from backup_report.cli.shared import UsageError, sandbox_destinations, scenario_settings

    out = Path(args.out)
    prefix = "demo" if args.scenario == "demo" else f"demo-{Path(args.scenario).stem}"
    with sandbox.start(args.scenario, anchor=trigger) as sb:
        try:
            settings = scenario_settings(sb)
        except UsageError as error:
            print(f"sandbox demo: {error}", file=sys.stderr)
            return 2
        # A scenario of member accounts is read as a Resource Directory (docs/accounts.md).
        accounts = {"ACCOUNTS": "resource-directory"} if sb.accounts else {}
        os.environ.update({**settings, **sandbox_destinations(sb, archive=True), **accounts})
        # Credentials come from the context, as on FC: the role's STS token.
        for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        # The function's log, kept for the end as FC keeps it for `s logs` (FC's runtime has a root handler too).
        log = io.StringIO()
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
        result = index.handler(event, fc_context(sb.credentials, region=sb.env()["REGIONS"].split(",")[0],
                                                 account_id=sb.account))
        members = f",\nACCOUNTS=resource-directory: {len(sb.accounts)} member accounts" if accounts else ""
        print(f"\nRan index.handler on the sandbox's '{args.scenario}' fleet with {Path(args.event).name}\n"
              f"(trigger time {trigger}); REGIONS={os.environ['REGIONS']}, "
              f"INSTANCE_TAGS={os.environ.get('INSTANCE_TAGS')}{members}.\n")
        _show_messages(sb)
        out.mkdir(parents=True, exist_ok=True)
        pages = [obj.body for key, obj in sorted(sb.oss.objects.items()) if key.endswith(".html")]
        page = out / f"{prefix}-report.html"
        if pages:
            page.write_bytes(pages[-1])
    logging.getLogger().removeHandler(handler)
    text = json.dumps(json.loads(result), indent=2, ensure_ascii=False)
    (out / f"{prefix}-log.txt").write_text(log.getvalue(), encoding="utf-8")
    (out / f"{prefix}-result.json").write_text(text + "\n", encoding="utf-8")
    if args.verbose:
        print("The function's log lines (what `s logs` shows; one per instance that needs attention, then the run's):")
        print(log.getvalue())
        print("Result JSON (what FC records for the invocation):")
        print(text + "\n")
    print("Summary (what the run did; the messages above are what the team reads):")
    print("\n".join(f"  {line}" for line in summary(json.loads(result)).splitlines()))
    if pages:
        print(f"The report page (archived in the sandbox's OSS bucket; open it in a browser): {_shown_path(page)}")
    print(f"The result JSON (what FC records for the invocation): {_shown_path(out / f'{prefix}-result.json')}")
    print(f"The function's log lines (what `s logs` shows): {_shown_path(out / f'{prefix}-log.txt')}"
          + ("" if args.verbose else f"\n(both printed here too with -v{MAKE_TARGETS.get(args.scenario, '')})"))
    return 0


def _show_messages(sb) -> None:
    """Each channel's messages as its readers see them, then the heartbeat's pings."""
    from backup_report.cli.display import boxed, dingtalk_notes, show_dingtalk, show_feishu, show_slack, \
        show_wecom, slack_notes

    for message in sb.dingtalk.messages:
        print(boxed("DingTalk (markdown, as the group sees it)", show_dingtalk(message)))
        print(dingtalk_notes(message) + "\n")
    for message in sb.slack.messages:
        print(boxed("Slack (Block Kit, as the channel sees it)", show_slack(message)))
        print(slack_notes(message) + "\n")
    for message in sb.feishu.messages:
        print(boxed("Feishu (interactive card, as the group sees it)", show_feishu(message)) + "\n")
    for message in sb.wecom.messages:
        print(boxed("WeCom (markdown, as the group sees it)", show_wecom(message)) + "\n")
    print(boxed("Heartbeat check (HEARTBEAT_URL, healthchecks.io-style): the pings it received",
                show_pings(sb.heartbeat.pings)) + "\n")


def _shown_path(path: Path) -> str:
    """`path` relative to the current directory when it is under it (build/demo-report.html), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())
