"""`make demo`: the real handler, end to end, against the sandbox's demo fleet.

Starts the emulators, runs `index.handler` with `events/timer.json` and a context shaped like
FC's, then shows what the team would read in DingTalk, Slack, Feishu and WeCom, the pings the
heartbeat check received, the function's log lines and the result JSON; the archive is on (the
sandbox's OSS bucket), and the report page it wrote is copied to build/demo-report.html.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import sandbox

ROOT = Path(__file__).resolve().parents[1]
DEMO_SETTINGS = {
    "INSTANCE_TAGS": "backup-report=daily",
    "TIMEZONE": "Asia/Shanghai",
    "DINGTALK_AT_MOBILES": "13800000000",
    "SLACK_MENTION": "<!here>",
    "OWNER_TAG": "team",
    "REQUIRE_BACKUP_LOG": "on",
    "WECOM_MENTION_USERIDS": "zhangsan",
}


def demo_trigger_time() -> str:
    """The triggerTime of events/timer.json: the moment `make demo` (and `run --sandbox`) report at."""
    return json.loads((ROOT / "events" / "timer.json").read_text())["triggerTime"]


def fc_context(credentials, region: str, request_id: str = "demo-request-0001", timeout: int = 300):
    """An object shaped like FC's python context: what the handler reads of it, and no more."""
    return SimpleNamespace(
        request_id=request_id,
        credentials=SimpleNamespace(access_key_id=credentials.access_key_id,
                                    access_key_secret=credentials.access_key_secret,
                                    security_token=credentials.security_token),
        region=region,
        function=SimpleNamespace(name="redis-backup-report", handler="index.handler", memory=256, timeout=timeout),
    )


def show_dingtalk(message: dict) -> str:
    """The markdown text exactly as posted (what the group reads; DingTalk renders the markdown)."""
    return message["markdown"]["text"] if message.get("msgtype") == "markdown" else json.dumps(message)


def dingtalk_notes(message: dict) -> str:
    """What a DingTalk message carries besides its text: the title (the notification preview) and
    who is @-notified. Shown outside the message, since it is not part of what the group reads."""
    mentions = message.get("at", {}).get("atMobiles") or []
    return (f"title (notification preview): {message.get('markdown', {}).get('title', '')}\n"
            f"@ notifies: {', '.join(mentions) or 'nobody'}")


def show_slack(message: dict) -> str:
    """The Block Kit blocks as the channel shows them: the header underlined, sections, context."""
    lines = []
    for block in message.get("blocks", []):
        if block["type"] == "header":
            lines += [block["text"]["text"], "═" * len(block["text"]["text"]), ""]
        elif block["type"] == "section":
            lines += [block["text"]["text"], ""]
        elif block["type"] == "context":
            lines += ["  ".join(e.get("text", "") for e in block["elements"])]
    return "\n".join(lines)


def slack_notes(message: dict) -> str:
    """The plain `text` fallback (notifications, clients without Block Kit), shown outside the message."""
    return f"fallback text (notifications): {message.get('text', '')}"


def show_pings(pings) -> str:
    """Each ping the check received, in order: the signal and the body sent with it."""
    return "\n".join(f"{p.signal:<8} {p.body or '(no body)'}" for p in pings) or "(no ping)"


def show_feishu(message: dict) -> str:
    """The card as the group sees it: the header (with its colour) underlined, each lark_md block, the note."""
    card = message.get("card") or {}
    title = card.get("header", {}).get("title", {}).get("content", "")
    lines = [f"{title}   [{card.get('header', {}).get('template', '')} header]", "═" * len(title), ""]
    for element in card.get("elements", []):
        if element.get("tag") == "div":
            lines += [element["text"]["content"], ""]
        elif element.get("tag") == "hr":
            lines += ["─" * 40]
        elif element.get("tag") == "note":
            lines += ["  ".join(e.get("content", "") for e in element.get("elements", []))]
    return "\n".join(lines)


def show_wecom(message: dict) -> str:
    """The markdown content exactly as posted (what the group reads; WeCom renders the markdown)."""
    return message["markdown"]["content"] if message.get("msgtype") == "markdown" else json.dumps(message)


def boxed(title: str, text: str) -> str:
    rule = "─" * 78
    return f"┌{rule}\n│ {title}\n├{rule}\n" + "\n".join(f"│ {line}" for line in text.splitlines()) + f"\n└{rule}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox demo", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="demo")
    parser.add_argument("--event", default=str(ROOT / "events" / "timer.json"))
    args = parser.parse_args(argv)

    event = Path(args.event).read_bytes()
    trigger = json.loads(event).get("triggerTime")
    sys.path.insert(0, str(ROOT / "function"))
    import index  # the deployed code, unchanged

    with sandbox.start(args.scenario, anchor=trigger) as sb:
        os.environ.update({**sb.env(), **sb.archive_env(), **DEMO_SETTINGS})
        # Credentials come from the context, as on FC: the role's STS token.
        for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        # The function's log, kept for the end as FC keeps it for `s logs` (FC's runtime has a root handler too).
        log = io.StringIO()
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
        result = index.handler(event, fc_context(sb.credentials, region=sb.env()["REGIONS"].split(",")[0]))
        print(textwrap.dedent(f"""
            Ran index.handler on the sandbox's '{args.scenario}' fleet with {Path(args.event).name}
            (trigger time {trigger}); REGIONS={os.environ['REGIONS']}, INSTANCE_TAGS={DEMO_SETTINGS['INSTANCE_TAGS']}.
            """))
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
        pages = [obj.body for key, obj in sorted(sb.oss.objects.items()) if key.endswith(".html")]
        if pages:
            page = ROOT / "build" / "demo-report.html"
            page.parent.mkdir(exist_ok=True)
            page.write_bytes(pages[-1])
            print(f"The report page (ARCHIVE_OSS_BUCKET, the sandbox's OSS bucket): {page}\n")
    print("The function's log lines (what `s logs` shows; one per instance that needs attention, then the run's):")
    print(log.getvalue())
    print("Result JSON (what FC records for the invocation):")
    print(json.dumps(json.loads(result), indent=2, ensure_ascii=False))
    return 0
