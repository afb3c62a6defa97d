"""The digest as a Slack incoming-webhook message: Block Kit with a plain `text` fallback.

Limits (Block Kit): 50 blocks a message, 3,000 characters a section, 150 a header.
"""
from __future__ import annotations

from . import digest as d
from .render_limits import fit, more_line

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150


def render(dg: d.Digest) -> dict:
    items = d.flat(dg.groups)
    blocks_for = lambda shown: _blocks(dg, items, shown)  # noqa: E731
    blocks = fit(len(items), blocks_for, lambda b: len(b) <= MAX_BLOCKS)
    return {"text": dg.headline, "blocks": blocks}


def escape(text: str) -> str:
    # Slack's mrkdwn treats &, < and > as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _blocks(dg: d.Digest, items: list, shown: int) -> list[dict]:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _clip(dg.headline, MAX_HEADER)}}]
    sections: list[list[str]] = []
    current = None
    for group, checked in items[:shown]:
        if group is not current:
            sections.append([f"*{escape(group.heading)}*"])
            current = group
        sections[-1].append("• " + escape(d.item_line(checked)))
    if shown < len(items):
        sections.append([more_line(len(items) - shown)])
    if dg.unchecked_regions:
        sections.append(["*⛔ regions not checked*"] + ["• " + escape(d.region_line(f)) for f in dg.unchecked_regions])
    sections.append([dg.fine_line])
    for lines in sections:
        blocks += [_section(text) for text in _chunks(lines)]
    context = f"{dg.window_line} · {dg.scope_line} · run {dg.request_id}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(escape(context), MAX_SECTION)}]})
    return blocks


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _chunks(lines: list[str]) -> list[str]:
    """Join lines into texts of at most MAX_SECTION characters, splitting between lines."""
    chunks: list[str] = []
    for line in (_clip(line, MAX_SECTION) for line in lines):
        if chunks and len(chunks[-1]) + 1 + len(line) <= MAX_SECTION:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return chunks
