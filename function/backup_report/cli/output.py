"""What the commands print: the settings without their secrets, a run's summary and its exit status."""
from __future__ import annotations

import dataclasses
from typing import Mapping
from urllib.parse import urlsplit

from ..settings import Settings
from .display import dry_run
from .shared import FAILED, OK, tag_list


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
            shown = tag_list(settings)
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


def run_status(result: Mapping) -> int:
    """0 when every region and instance was checked and every channel took the digest (or was
    skipped on purpose); 1 when a region was not checked, an instance is `error`, or a channel failed."""
    unchecked = bool(result.get("unchecked_regions")) or any(i["verdict"] == "error" for i in result["instances"])
    return FAILED if unchecked or not all(d["ok"] for d in result["deliveries"]) else OK


def summary(result: Mapping) -> str:
    """The result as a person reads it: the messages (dry run), then status, counts and deliveries."""
    lines = []
    for delivery in result["deliveries"]:
        if "message" in delivery:
            lines += [dry_run(delivery["channel"], delivery["message"]), ""]
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
