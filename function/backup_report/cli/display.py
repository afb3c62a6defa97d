"""A channel's message as a person reads it: the text DingTalk, Slack, Feishu or WeCom shows of the
JSON the function posts, and what the message carries besides (title, @-mentions, fallback text).

Each `show_*(message) -> str` takes the message dict as posted (the channel's JSON body) and returns
plain text; `*_notes(message) -> str` the parts not shown in the message itself; `boxed(title, text)`
frames text for a terminal. Used by the CLI's `run --dry-run` and by `make demo` (sandbox/demo.py);
the golden files of tests/golden/ are their output.
"""
from __future__ import annotations

import json


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
    """The Block Kit blocks as the channel shows them: the header underlined, sections, rich text (list
    items as •, a link as its text), context."""
    lines = []
    for block in message.get("blocks", []):
        if block["type"] == "header":
            lines += [block["text"]["text"], "═" * len(block["text"]["text"]), ""]
        elif block["type"] == "section":
            lines += [block["text"]["text"], ""]
        elif block["type"] == "rich_text":
            lines += [line for element in block["elements"] for line in _rich_text_lines(element)] + [""]
        elif block["type"] == "context":
            lines += ["  ".join(e.get("text", "") for e in block["elements"])]
    return "\n".join(lines)


def _rich_text_lines(element: dict) -> list[str]:
    if element["type"] == "rich_text_list":
        return [f"• {line}" for section in element["elements"] for line in _rich_text_lines(section)]
    return "".join(e.get("text", "") for e in element.get("elements", [])).split("\n")


def slack_notes(message: dict) -> str:
    """The plain `text` fallback (notifications, clients without Block Kit), shown outside the message."""
    return f"fallback text (notifications): {message.get('text', '')}"


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



def dry_run(channel: str, message: dict) -> str:
    """`run --dry-run`'s view of one channel's message: boxed as its readers would see it, then (DingTalk,
    Slack) what it carries besides; a channel without a renderer shows its JSON, indented."""
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
