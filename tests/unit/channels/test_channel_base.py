"""channels/base.py's shared text pieces: a code span and the Markdown channels' literal form of an
outside text, how a channel shows an outside text, and the footer line."""
from __future__ import annotations

import re

import pytest

from backup_report.channels import base

from .channel_digests import digest
from .shown import code_spans


@pytest.mark.parametrize("text,span", [
    ("cart_cache", "`cart_cache`"), ("`tick`", "`` `tick` ``"), ("a``b", "```a``b```"), ("x`", "`` x` ``"),
    ("[l](http://evil) <@U1>", "`[l](http://evil) <@U1>`"),
])
def test_a_code_span_holds_any_text_exactly(text, span):
    assert base.code_span(text) == span
    assert code_spans(span)[0] == text  # CommonMark's reading of it gives the text back


def test_the_literal_form_is_the_text_itself_unless_it_has_markup_or_a_url():
    literal = base.literal_by(re.compile(r"[*_]"))
    assert literal("orders-cache") == "orders-cache"
    assert literal("a*b") == "`a*b`" and literal("cart_cache") == "`cart_cache`"
    assert literal("www.x.cn") == "`www.x.cn`"


def test_only_the_words_that_hold_markup_or_a_url_are_code_spans():
    literal = base.literal_by(re.compile(r"[*_]"))
    assert literal("see http://evil.example now") == "see `http://evil.example` now"
    assert literal("the heartbeat check does not exist: check HEARTBEAT_URL") == \
        "the heartbeat check does not exist: check `HEARTBEAT_URL`"
    assert literal("*a b* c d_e f_g") == "`*a b*` c `d_e f_g`"  # a run of such words is one span
    assert code_spans(base.literal_by(re.compile(r"[*`]"))("`x` *y* z"))[0] == "`x` *y* z"


@pytest.mark.parametrize("text", ["- dash", "+ plus", "1. one", "2) two", "-", "3."])
def test_a_first_word_that_would_start_a_list_is_a_code_span(text):
    # after the run's own bullet, "- - dash" would be a list in a list (CommonMark 5.2)
    literal = base.literal_by(re.compile(r"[*_]"))
    first, _, rest = text.partition(" ")
    assert literal(text) == " ".join(filter(None, [f"`{first}`", rest]))
    assert literal("a - b 1. c") == "a - b 1. c"  # not at the start: no list


def test_clean_drops_noncharacters_so_outside_text_cannot_forge_a_channels_own_marks():
    assert base.clean("a\ufdd0b\ufdefc\ufdd5", 100) == "abc"


def test_clean_drops_every_bidi_control():
    # Unicode's Bidi_Control property (UAX #9, 2.1-2.6; PropList.txt): ALM, LRM, RLM, the embeddings, overrides
    # and isolates
    controls = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    assert base.clean(f"a{controls}b", 100) == "ab"


def test_an_outside_text_is_shown_on_one_clean_capped_escaped_line():
    show = base.shown_by(lambda text: text.upper())
    assert show("a\nb\u202ec   d", 100) == "A BC D"
    assert show("x" * 50, 10) == "X" * 9 + "…"


def test_the_footer_is_the_window_the_scope_and_the_run():
    assert base.footer(digest(1)) == ("Backups from Fri 27 Nov 09:00 to Sat 28 Nov 09:00 (Asia/Shanghai) · tags "
                                      "backup-report=daily in cn-hangzhou · run req-0001")


@pytest.mark.parametrize("read", ["dingtalk", "wecom", "feishu"])
def test_no_outside_text_starts_a_list_after_the_runs_own_bullet(read):
    from backup_report.channels import dingtalk, feishu, wecom
    from . import shown

    notes = ("- dash", "+ plus", "1. one", "2) two")
    module = {"dingtalk": dingtalk, "wecom": wecom, "feishu": feishu}[read]
    seen = getattr(shown, read)(module.render(digest(1, notes=notes)))
    assert seen.markup == [], seen.markup
    assert all(note in seen.text.split("\n") for note in notes), seen.text
