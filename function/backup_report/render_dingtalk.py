"""The digest as a DingTalk custom-robot `markdown` message, within its 20,000-byte limit."""
from __future__ import annotations

import json

from . import digest as d
from .render_limits import fit, more_line

# DingTalk refuses bodies over 20,000 bytes (errcode 460101); keep room for the @ list and JSON.
MAX_BODY_BYTES = 19_000


def render(dg: d.Digest, at_mobiles: tuple[str, ...] = ()) -> dict:
    mention = at_mobiles if dg.status == "alert" else ()  # never @ people for a green or a warning
    items = d.flat(dg.groups)
    return fit(len(items), lambda shown: _message(dg, items, shown, mention), _fits)


def body_bytes(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


def _fits(message: dict) -> bool:
    return len(body_bytes(message)) <= MAX_BODY_BYTES


def _message(dg: d.Digest, items: list, shown: int, mention: tuple[str, ...]) -> dict:
    lines = [f"#### {dg.headline}"]
    current = None
    for group, checked in items[:shown]:
        if group is not current:
            lines.append(f"**{group.heading}**")
            current = group
        lines.append(f"- {d.item_line(checked)}")
    if shown < len(items):
        lines.append(more_line(len(items) - shown))
    lines += [f"- ⛔ {d.region_line(f)}" for f in dg.unchecked_regions]
    lines.append(dg.fine_line)
    lines.append(f"###### {dg.window_line} · {dg.scope_line} · run {dg.request_id}")
    if mention:
        # DingTalk only notifies the mobiles that also appear in the text.
        lines.append(" ".join(f"@{m}" for m in mention))
    return {
        "msgtype": "markdown",
        "markdown": {"title": dg.headline, "text": "\n\n".join(lines)},
        "at": {"atMobiles": list(mention), "isAtAll": False},
    }
