"""What every channel is, the registry the app iterates, and fitting a list into a channel's limits.

A channel is one module under `channels/` with `from_settings(settings, http) -> Channel | None`
(None when its settings are empty): a webhook channel's class specialises `webhook.WebhookChannel`
and the module says `from_settings = TheClass.from_settings`. Adding a channel is that module plus
one line in `REGISTRY` (and its settings rows, its emulator under sandbox/, its lines in s.yaml).
"""
from __future__ import annotations

import json
import re
import unicodedata
from importlib import import_module
from itertools import groupby
from typing import TYPE_CHECKING, Callable, Iterable, Protocol, TypeVar

from ..model import Delivery

if TYPE_CHECKING:
    from ..digest import Digest
    from ..settings import Settings
    from .http import Transport

# Module names under channels/, in the order the result lists their deliveries.
REGISTRY = (
    "dingtalk",
    "slack",
    "feishu",
    "wecom",
)


class Channel(Protocol):
    """`render` dresses the digest for the channel (a JSON-ready dict); `send` posts it and never raises."""

    name: str

    def render(self, dg: "Digest") -> dict: ...

    def send(self, message: dict) -> Delivery: ...


def configured(settings: "Settings", transport: "Transport") -> list[Channel]:
    """The channels whose settings are given, in REGISTRY order."""
    channels = []
    for name in REGISTRY:
        channel = import_module(f"{__package__}.{name}").from_settings(settings, transport)
        if channel is not None:
            channels.append(channel)
    return channels


MAX_SERVICE_WORDS = 200
# Unicode's Bidi_Control characters (PropList.txt; UAX #9): they would reorder what a reader sees of a name.
_BIDI = dict.fromkeys(map(ord, "\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
# Unicode's noncharacters U+FDD0-U+FDEF are "permanently reserved for internal use" and never interchanged
# (The Unicode Standard, 23.7 Noncharacters): no name or API text carries one, so clean() drops them and a
# channel may mark its own structure in a line with them (slack.py: a link, bold, a list item), which
# outside text can then never forge.
_INTERNAL = dict.fromkeys(range(0xFDD0, 0xFDF0))
# A URL in outside text: where a channel has no literal form, it would become a link (the chat clients
# link bare URLs).
URL = re.compile(r"(?i)\b[a-z][a-z0-9+.-]{1,15}:/+|\bwww\.")
_TOKENS = (re.compile(r"(?i)(access_token=)[^&\s\"'<>]+"), re.compile(r"(?i)(/services/)[^\s\"'<>?]+"),
           re.compile(r"(?i)(/bot/v2/hook/)[^\s\"'<>?]+"), re.compile(r"(?i)(\bkey=)[^&\s\"'<>]+"))


def clean(text: object, limit: int) -> str:
    """One line of at most `limit` characters from any text: lone surrogates become U+FFFD, control
    characters, line separators and newlines become spaces, bidi overrides and noncharacters go, runs of
    spaces shrink. Every other character stays as it was: what a channel shows is what the API said."""
    text = str(text).encode("utf-16", "surrogatepass").decode("utf-16", "replace").translate(_BIDI)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text.translate(_INTERNAL))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code_span(text: str) -> str:
    """`text` as a CommonMark code span, whose content is shown literally (no emphasis, link, autolink or
    HTML forms in it): fenced by one more backtick than its longest run of backticks, and padded with a
    space where it starts or ends with a backtick (CommonMark 0.31.2, 6.1 Code spans,
    https://spec.commonmark.org/0.31.2/#code-spans). A reader copies the text between the fences."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# A list item's marker (CommonMark 0.31.2, 5.2 List items, https://spec.commonmark.org/0.31.2/#list-items: `-`, `+`,
# `*`, or 1-9 digits and `.` or `)`, then a space or the end): as the first word of an outside text that starts a line's
# content after the run's own bullet ("- - dash"), it would nest a list and show a bullet instead of the name's start.
LIST_MARKER = re.compile(r"(?:[-+*]|[0-9]{1,9}[.)])(?= |$)")


def literal_by(markup: re.Pattern) -> Callable[[str], str]:
    """A Markdown channel's literal form of an outside text (one clean line: words split by single spaces):
    each run of words that hold a character of the channel's markup (`markup`) or a URL is a code_span, exact
    between its fences, as is a first word that is a list marker; every other word is as it is, so most names
    and sentences read unchanged and a setting name in a sentence is spanned, not the sentence. A word with
    none of those characters forms nothing with its neighbours: emphasis, links, tags and entities all need one."""
    def literal(text: str) -> str:
        words = text.split(" ")
        marked = [bool(markup.search(w) or URL.search(w)) for w in words]
        marked[0] = marked[0] or bool(LIST_MARKER.fullmatch(words[0]))
        runs = groupby(zip(marked, words), key=lambda pair: pair[0])
        return " ".join(code_span(" ".join(w for _, w in run)) if spanned else " ".join(w for _, w in run)
                        for spanned, run in runs)
    return literal


def shown_by(escape: Callable[[str], str]) -> Callable[[str, int], str]:
    """How a channel shows an outside text, `show(text, max_chars)`: one clean line, capped, in its literal form."""
    return lambda text, max_chars: escape(clean(text, max_chars))


def footer(dg: "Digest") -> str:
    """The window, the scope and the run, then any warning on the run itself (`footer_notes`), as one
    clean line: every channel's last line."""
    warnings = "".join(f" · ⚠️ {clean(note, 300)}" for note in dg.footer_notes)  # never cut by a long scope
    return clean(f"{dg.window_line} · {dg.scope_line} · run {dg.request_id}", 1000 - len(warnings)) + warnings


def service_words(raw: object, secrets: Iterable[str]) -> str:
    """A service's own words (an error body, an errmsg) fit for an error text: one clean line, no
    secret (the channel's webhook, token and signing secret, and any token-shaped URL part)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else str(raw)
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern in _TOKENS:
        text = pattern.sub(r"\1***", text)
    return clean(text, MAX_SERVICE_WORDS)


def body_bytes(message: dict) -> bytes:
    """A message as the JSON body a webhook is posted (UTF-8, not ASCII-escaped: the byte limits count this)."""
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


T = TypeVar("T")


def fit(total: int, render: Callable[[int], T], fits: Callable[[T], bool]) -> T:
    """The rendering with the most items shown (of `total`) that still fits; 0 items always renders."""
    best = render(total)
    if fits(best):
        return best
    low, high = 0, total - 1  # invariant: render(low) is the fallback, answers above high do not fit
    while low < high:
        middle = (low + high + 1) // 2
        if fits(render(middle)):
            low = middle
        else:
            high = middle - 1
    return render(low)


def notes_that_fit(dg: "Digest", size: Callable[["Digest"], int], budget: int) -> "Digest":
    """`dg` with as many of its notes (a settings alert's problems, what changed since the last run, what
    of the archive could not be read), first ones first, as keep `size(dg)` (the channel's measure of its
    message with these notes and no instance listed) within `budget`, or half of it when there are
    instances to list, so notes never crowd out an instance that needs attention; the rest counted."""
    from dataclasses import replace

    from .. import digest as d  # digest is channel-neutral and never imports a channel

    allowed = budget // 2 if d.flat(dg.groups) else budget

    def kept(k: int) -> "Digest":
        more = (f"…and {len(dg.notes) - k} more notes (all are in the run's result and log)",) \
            if k < len(dg.notes) else ()
        return replace(dg, notes=dg.notes[:k] + more)

    return kept(fit(len(dg.notes), lambda k: k, lambda k: size(kept(k)) <= allowed))


def markdown_link(url: str, shown: str) -> str:
    """`[shown](url)`, the link of DingTalk's, Feishu's lark_md and WeCom's markdown. `shown` is
    already in its literal form (a code span, whose brackets bind tighter than the link's, CommonMark
    6.3; or Feishu's entities), so nothing closes the link early; the URL is built by the run
    (digest.console_url, a pre-signed OSS URL: percent-encoded), never outside text."""
    return f"[{shown}]({url})"


def more_line(hidden: int) -> str:
    return f"…and {hidden} more (all are in the run's result and log)"


def body_blocks(dg: "Digest", items: list, shown: int, show: Callable[[str, int], str],
                link: Callable[[str, str], str], bold: Callable[[str], str] = lambda text: f"**{text}**",
                bullet: str = "- ") -> list[list[str]]:
    """The digest's body as blocks of lines, in the order every channel shows it: the settings
    alert's problems; the regions not checked, first among the alerts (a region not checked hides all
    its instances); each verdict group's heading and its first `shown` items (`digest.flat` order);
    "…and N more"; the fine line; the report page's link (the archive). `show(text, max_chars)` and
    `link(url, shown)` are the channel's way with outside text and links, `bold` its emphasis, `bullet` its
    list mark."""
    from .. import digest as d  # digest is channel-neutral and never imports a channel

    blocks = []
    if dg.unchecked_accounts:  # an account not read hides all its instances: first of all
        failed = dg.unchecked_accounts
        blocks.append([bold(f"⛔ Accounts not checked ({len(failed)})")]
                      + [f"{bullet}{d.account_line(f, show)}" for f in failed[:d.MAX_ACCOUNT_LINES]]
                      + ([more_line(len(failed) - d.MAX_ACCOUNT_LINES)] if len(failed) > d.MAX_ACCOUNT_LINES else []))
    if dg.notes:
        blocks.append([f"{bullet}{show(note, d.DETAIL_CHARS)}" for note in dg.notes])
    if dg.unchecked_regions:
        blocks.append([bold(f"⛔ Regions not checked ({len(dg.unchecked_regions)})")]
                      + [f"{bullet}{line}" for line in d.region_lines(dg.unchecked_regions, show)])
    current = None
    for group, checked in items[:shown]:
        if group is not current:
            blocks.append([bold(group.heading)])
            current = group
        blocks[-1].append(f"{bullet}{d.item_line(checked, show, link)}")
    if shown < len(items):
        blocks.append([more_line(len(items) - shown)])
    blocks.append([dg.fine_line])
    if dg.link:  # the report page: a pre-signed OSS URL, percent-encoded, so no ), > or | ends the link early
        blocks.append([link(dg.link, dg.link_text)])
    return blocks
