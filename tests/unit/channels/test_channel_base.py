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
    assert literal("see http://evil.example") == "`see http://evil.example`" and literal("www.x.cn") == "`www.x.cn`"


def test_clean_drops_noncharacters_so_outside_text_cannot_forge_a_channels_own_marks():
    assert base.clean("a\ufdd0b\ufdefc\ufdd5", 100) == "abc"


def test_an_outside_text_is_shown_on_one_clean_capped_escaped_line():
    show = base.shown_by(lambda text: text.upper())
    assert show("a\nb\u202ec   d", 100) == "A BC D"
    assert show("x" * 50, 10) == "X" * 9 + "…"


def test_the_footer_is_the_window_the_scope_and_the_run():
    assert base.footer(digest(1)) == ("Backups from Fri 27 Nov 09:00 to Sat 28 Nov 09:00 (Asia/Shanghai) · tags "
                                      "backup-report=daily in cn-hangzhou · run req-0001")
