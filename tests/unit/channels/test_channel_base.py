"""channels/base.py's shared text pieces: the one look-alike table each channel takes its markup's
characters from, how a channel shows an outside text, and the footer line."""
from __future__ import annotations

import pytest

from backup_report.channels import base, dingtalk, feishu, slack, wecom

from .channel_digests import digest


def test_every_look_alike_is_not_ascii_and_looks_like_its_character():
    assert all(len(k) == 1 and k.isascii() and not v.isascii() for k, v in base.LOOK_ALIKES.items())
    assert len(set(base.LOOK_ALIKES.values())) == len(base.LOOK_ALIKES)


@pytest.mark.parametrize("module,markup", [
    (dingtalk, "*_~`#[]<>|@!\\"),  # Markdown and its HTML subset
    (slack, "*_~`@"),  # mrkdwn (& < > are entity-escaped first)
    (feishu, "*_~`#[]<>|@!\\&"),  # lark_md, <at>/<font> tags, HTML entities
    (wecom, "*_~`#[]<>|@!\\&"),  # markdown, <font>/<@userid> tags
])
def test_each_channel_replaces_the_characters_of_its_own_markup(module, markup):
    assert module._MARKUP == base.look_alikes(markup)
    for ch in base.LOOK_ALIKES:  # and only those (Slack's & < > become entities)
        assert (module.escape(ch) != ch) is (ch in markup or (module is slack and ch in "&<>")), ch


def test_an_outside_text_is_shown_on_one_clean_capped_escaped_line():
    show = base.shown_by(lambda text: text.upper())
    assert show("a\nb\u202ec   d", 100) == "A BC D"
    assert show("x" * 50, 10) == "X" * 9 + "…"


def test_the_footer_is_the_window_the_scope_and_the_run():
    assert base.footer(digest(1)) == ("Backups from Fri 27 Nov 09:00 to Sat 28 Nov 09:00 (Asia/Shanghai) · tags "
                                      "backup-report=daily in cn-hangzhou · run req-0001")
