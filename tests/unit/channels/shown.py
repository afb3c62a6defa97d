"""What a reader of each channel sees of a posted message, read back from its JSON the way the client
shows it: the text (to copy names out of), the links (their URLs) and the mentions that notify. Each
reader also says what markup formed outside the run's own (bold headings, links, mentions): a test
asserts there is none. The rules are the services' documented ones, as channels/*.py cite them."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

BOLD_LINE = re.compile(r"^\*\*[^*]+\*\*$")  # the run's headings: a whole line in bold
URL_PART = re.compile(r"\((https?://[^)\s]+)\)")
BACKTICKS = re.compile(r"`+")
# A list item's marker where a line's content starts (CommonMark 5.2, https://spec.commonmark.org/0.31.2/#list-items:
# `-`, `+`, `*`, or 1-9 digits and `.` or `)`, then a space or the line's end): after the run's own bullet it
# would nest a list, and the reader would see a bullet or a number, not the name's first characters.
LIST_START = re.compile(r"^(?:[-+*]|[0-9]{1,9}[.)])(?: |$)")


@dataclass
class Shown:
    text: str = ""
    links: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    markup: list[str] = field(default_factory=list)  # markup characters outside the run's own constructs


def _past_span(line: str, i: int) -> int:
    """Where the code span opening at `i` (a run of backticks) ends; past the run when nothing closes it."""
    run = BACKTICKS.match(line, i)
    closing = next((m for m in BACKTICKS.finditer(line, run.end()) if len(m.group()) == len(run.group())), None)
    return closing.end() if closing else run.end()


def links(line: str) -> tuple[str, list[str]]:
    """(the line with each `[label](url)` as its label; the URLs), code spans binding tighter than the
    brackets (CommonMark 6.3): no link starts inside a code span, and a `]` inside one does not close a label."""
    out, urls, at, i = [], [], 0, 0
    while i < len(line):
        if line[i] == "`":
            i = _past_span(line, i)
            continue
        if line[i] != "[":
            i += 1
            continue
        end = i + 1
        while end < len(line) and line[end] != "]":
            end = _past_span(line, end) if line[end] == "`" else end + 1
        url = URL_PART.match(line, end + 1) if end < len(line) else None
        if not url:
            i += 1
            continue
        out += [line[at:i], line[i + 1:end]]
        urls.append(url.group(1))
        at = i = url.end()
    out.append(line[at:])
    return "".join(out), urls


def code_spans(line: str) -> tuple[str, str]:
    """(the line as shown, with code spans' content literal; the line outside its code spans), by
    CommonMark 6.1: a run of n backticks opens, the next run of exactly n closes; one space is stripped
    from each end when both are spaces (and the content is not all spaces)."""
    shown, outside, at = [], [], 0
    while True:
        opening = BACKTICKS.search(line, at)
        if not opening:
            break
        closing = next((m for m in BACKTICKS.finditer(line, opening.end()) if len(m.group()) == len(opening.group())),
                       None)
        if closing is None:
            break
        plain = line[at:opening.start()]
        content = line[opening.end():closing.start()]
        if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
            content = content[1:-1]
        shown += [plain, content]
        outside.append(plain)
        at = closing.end()
    shown.append(line[at:])
    outside.append(line[at:])
    return "".join(shown), " ".join(outside)


def markdown(text: str, mention: re.Pattern, markup: str) -> Shown:
    """DingTalk's and WeCom's markdown: code spans literal, `[label](url)` links, the run's bold headings;
    `mention` finds the mentions that notify in the text outside code spans; `markup` the characters
    that would format outside code spans."""
    seen = Shown()
    lines = []
    for line in text.split("\n"):
        if BOLD_LINE.match(line):
            line = line[2:-2]
        line = line.removeprefix("#### ").removeprefix("###### ").removeprefix("## ").removeprefix("- ")
        seen.markup += [f"list {m.group()!r}" for m in [LIST_START.match(line)] if m]
        line, urls = links(line)
        seen.links += urls
        shown, outside = code_spans(line)
        seen.mentions += mention.findall(outside)
        outside = mention.sub("", outside)
        seen.markup += [ch for ch in outside if ch in markup]
        lines.append(shown)
    seen.text = "\n".join(lines)
    return seen


def dingtalk(message: dict) -> Shown:
    """DingTalk notifies only `at.atMobiles` (each also as @mobile in the text)."""
    seen = markdown(message["markdown"]["text"], re.compile(r"(?<![\w`])@\+?[0-9][0-9-]{4,19}\b"), "*_~`[]<>|\\&")
    seen.mentions = [m for m in seen.mentions if m[1:] in message["at"]["atMobiles"]]
    return seen


FOOTER = re.compile(r'^<font color="comment">(.*)</font>$', re.M)  # the run's own footer tag


def wecom(message: dict) -> Shown:
    """WeCom's `<@userid>` notifies wherever it is in the content, code spans included."""
    content = message["markdown"]["content"]
    seen = markdown(FOOTER.sub(r"\1", content), re.compile(r"<@[^>]+>"), "*_~`[]<>|\\&")
    seen.mentions = re.findall(r"<@[^>]+>", content)
    return seen


LARK_TAG = re.compile(r"<at id=([^>]+)></at>")


def feishu(message: dict) -> Shown:
    """Feishu's card: plain_text as given; lark_md with `<at id=…></at>` mentions, `[label](url)` links,
    the run's bold headings, and `&#N;` entities decoded (html.unescape)."""
    seen = Shown()
    card = message["card"]
    lines = [card["header"]["title"]["content"]]
    for element in card["elements"]:
        if element["tag"] == "note":
            lines += [e["content"] for e in element["elements"]]
        if element["tag"] != "div":
            continue
        if element["text"]["tag"] == "plain_text":
            lines.append(element["text"]["content"])
            continue
        for line in element["text"]["content"].split("\n"):
            seen.mentions += LARK_TAG.findall(line)
            line = LARK_TAG.sub("", line)
            if BOLD_LINE.match(line):
                line = line[2:-2]
            line = line.removeprefix("- ")
            seen.markup += [f"list {m.group()!r}" for m in [LIST_START.match(line)] if m]
            line, urls = links(line)
            seen.links += urls
            seen.markup += [ch for ch in line if ch in "*_~`[]<>\\"]
            seen.markup += re.findall(r"://|:[A-Za-z0-9_+-]+:", line)
            lines.append(html.unescape(line))
    seen.text = "\n".join(lines)
    return seen


SLACK_SPECIAL = re.compile(r"<([@#!][^>|]*)(?:\|[^>]*)?>")
SLACK_LINK = re.compile(r"<(https?://[^>|]+)(?:\|([^>]*))?>")
SLACK_EMOJI = re.compile(r":[a-z0-9_+'-]+:", re.I)  # an emoji's short name between colons


def slack(message: dict) -> Shown:
    """Slack's blocks: plain_text and rich_text `text` as given, rich_text `link`s and mention elements;
    mrkdwn with `<@…>` / `<!…>` mentions, `<url|text>` links and &amp; &lt; &gt; decoded; and the
    fallback `text`, read as mrkdwn."""
    seen = Shown()
    lines: list[str] = []

    def mrkdwn(text: str) -> str:
        seen.mentions.extend(SLACK_SPECIAL.findall(text))
        seen.links.extend(m.group(1) for m in SLACK_LINK.finditer(text))
        rest = SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), SLACK_SPECIAL.sub("", text))
        seen.markup.extend(ch for ch in rest if ch in "*_~`<>")
        seen.markup.extend(re.findall(r"https?://", rest))
        seen.markup.extend(SLACK_EMOJI.findall(rest))  # mrkdwn shows :smile: as the emoji
        return html.unescape(rest)

    def plain(text: dict) -> str:
        # plain_text turns :smile: into the emoji unless `emoji` is false (the text object's `emoji` field,
        # https://docs.slack.dev/reference/block-kit/composition-objects/text-object)
        if text.get("emoji") is not False:
            seen.markup.extend(SLACK_EMOJI.findall(text["text"]))
        return text["text"]

    def rich(element: dict) -> str:
        kind = element["type"]
        if kind in ("rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted"):
            joined = "".join(rich(e) for e in element["elements"])
            return joined + "\n" if kind == "rich_text_section" else joined
        if kind == "link":
            seen.links.append(element["url"])
            return element.get("text", element["url"])
        if kind in ("user", "usergroup", "broadcast", "channel"):
            seen.mentions.append(element.get("user_id") or element.get("usergroup_id") or element.get("range")
                                 or element.get("channel_id"))
            return ""
        return element["text"]

    for block in message["blocks"]:
        if block["type"] == "rich_text":
            lines += "".join(rich(e) for e in block["elements"]).split("\n")
        elif block["type"] in ("header", "section"):
            text = block["text"]
            lines.append(plain(text) if text["type"] == "plain_text" else mrkdwn(text["text"]))
        elif block["type"] == "context":
            lines += [plain(e) if e["type"] == "plain_text" else mrkdwn(e["text"]) for e in block["elements"]]
    lines.append(mrkdwn(message.get("text", "")))
    seen.text = "\n".join(lines)
    return seen
