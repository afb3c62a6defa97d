"""What the commands print: the settings without their secrets, a run's summary and its exit status."""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
from typing import Callable, Iterator, Mapping
from urllib.parse import urlsplit

from ..runlog import PER_ITEM
from ..settings import Settings
from ..settings.parsers import WEEKDAYS
from .display import dry_run
from .shared import FAILED, OK, tags_text


def describe(settings: Settings) -> list[tuple[str, str]]:
    """Every setting as (NAME, printable value), in the settings' order; webhooks show their host, the
    secret only whether set."""
    return [(f.name.upper(), _SHOWN.get(f.name, _plain)(getattr(settings, f.name)))
            for f in dataclasses.fields(settings) if f.name != "from_payload"]  # where each came from: not a setting


def _host_only(hidden: str, unset: str) -> Callable[[str], str]:
    """A URL shown as its scheme and host: the rest (a robot's token, a check's UUID) is the secret."""
    def shown(value: str) -> str:
        parts = urlsplit(value)
        return f"{parts.scheme}://{parts.hostname}/… ({hidden} hidden)" if value else unset
    return shown


def _signing(value: str) -> str:
    return "set (hidden): posts are signed" if value else "not set: posts are not signed"


def _mobiles(value: tuple[str, ...]) -> str:
    return ", ".join(m[:3] + "****" + m[-4:] for m in value) if value else "nobody"


def _quotas(value: tuple) -> str:
    return ", ".join(f"{a}={c}/{s:g}" for a, c, s in value) or "the published quotas (cloud/pacing.py)"


def _plain(value: object) -> str:
    if value in ("", ()):  # an empty text or list: the setting is unset (its meaning then is the README's)
        return "not set"
    if isinstance(value, frozenset):
        return ",".join(sorted(value)) or "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _restore_days(days: tuple[int, ...]) -> str:
    return "daily" if len(days) == len(WEEKDAYS) else ",".join(WEEKDAYS[d] for d in days) or "off"


def _restore_sample(sample: tuple) -> str:
    kind, what = sample
    return f"tag:{what[0]}={what[1]}" if kind == "tag" else f"{kind}:{what}"


_SHOWN: dict[str, Callable] = {
    **dict.fromkeys(("dingtalk_webhook", "slack_webhook", "feishu_webhook", "wecom_webhook"),
                    _host_only("token", "not set")),
    "heartbeat_url": _host_only("check", "not set: no heartbeat"),  # its path is the check's UUID or key
    **dict.fromkeys(("dingtalk_secret", "feishu_secret"), _signing),
    "instance_tags": tags_text,
    "dingtalk_at_mobiles": _mobiles,
    "kvstore_endpoint": lambda value: value or "the SDK's endpoint for each region",
    "api_quotas": _quotas,
    "restore_test": _restore_days,  # as RESTORE_TEST is written, not its weekday numbers
    "restore_test_sample": _restore_sample,
}


def run_status(result: Mapping) -> int:
    """0 when every region and instance was checked and every channel took the digest (or was
    skipped on purpose); 1 when an account or a region was not checked, an instance is `error`, or a channel failed.
    `result`: as for summary; alert verdicts (failed, missing, …) are the report's news, not a failure."""
    unchecked = bool(result.get("unchecked_regions")) or bool(result.get("unchecked_accounts")) or \
        any(i["verdict"] == "error" for i in result["instances"])
    return FAILED if unchecked or not all(d["ok"] for d in result["deliveries"]) else OK


def summary(result: Mapping) -> str:
    """The result as a person reads it: the messages (dry run), then status, counts and deliveries.

    `result` is app.run's JSON, parsed: "status", "window" {"start", "end"}, "counts" {verdict: n},
    "instances" [{…, "verdict"}], "deliveries" [{"channel", "ok", "skipped"?, "error"?, "message"?}],
    and when present "unchecked_regions" [{"region", "error"}] and "heartbeat" [{"signal", "ok", "error"?}]."""
    lines = []
    for delivery in result["deliveries"]:
        if "message" in delivery:
            lines += [dry_run(delivery["channel"], delivery["message"]), ""]
    window = result["window"]
    counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items() if v) or "no instances"
    lines += [f"status: {result['status']}   window: {window['start']} … {window['end']}",
              f"instances: {len(result['instances'])} ({counts})"]
    for failure in result.get("unchecked_accounts", []):
        lines.append(f"account not checked: {failure['account_id']}: {failure['error']}")
    for failure in result.get("unchecked_regions", []):
        of = f" (account {failure['account_id']})" if failure.get("account_id") else ""
        lines.append(f"region not checked: {failure['region']}{of}: {failure['error']}")
    for d in result["deliveries"]:
        state = d.get("skipped") or ("posted" if d["ok"] else f"FAILED: {d.get('error', '')}")
        lines.append(f"{d['channel']}: {state}")
    for ping in result.get("heartbeat", []):
        lines.append(f"heartbeat {ping['signal']}: " + ("pinged" if ping["ok"] else f"FAILED: {ping.get('error', '')}"))
    return "\n".join(lines)


class _PerItemLines(logging.Filter):
    """Drops the run's per-instance, region and account JSON lines (runlog.PER_ITEM), counting them."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "run_event", None) in PER_ITEM:
            self.count += 1
            return False
        return True


@contextlib.contextmanager
def run_log_on_terminal(verbose: bool, stdout=None) -> Iterator[None]:
    """While the block runs, and only when `stdout` (default sys.stdout) is a terminal and not `verbose`, the
    run's JSON line per instance, region and account is kept off stderr (the summary or the messages say the
    same to a person); at the end one line says how many were kept back and that -v shows them. Piped or
    redirected, and on FC, every line is logged as it is."""
    stdout = stdout if stdout is not None else sys.stdout
    isatty = getattr(stdout, "isatty", None)
    if verbose or isatty is None or not isatty():
        yield
        return
    hidden = _PerItemLines()
    logger = logging.getLogger("backup_report")  # runlog's logger: a logger's filter sees its own records
    logger.addFilter(hidden)
    try:
        yield
    finally:
        logger.removeFilter(hidden)
        if hidden.count:
            print(f"({hidden.count} JSON log line{'s' * (hidden.count != 1)} of the run, one per instance that needs "
                  "attention, not shown on a terminal: -v shows them)", file=sys.stderr)
