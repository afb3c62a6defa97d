"""channels/slack.py called directly: Block Kit (rich_text for the body) within 50 blocks, 150 characters a
header and 12,000 in all, checked with slack_sdk's own models; the mentions; the fallback text; and Slack's
answers (status, body -> accepted / refusal text / retry / wait). No socket."""
from __future__ import annotations

from dataclasses import replace

import pytest
from slack_sdk.models.blocks import Block

from backup_report.channels import slack
from backup_report.channels.http import Refusal
from backup_report.model import Kind

from . import shown
from .channel_digests import answer, digest, hidden, shown_ids

HOOK = "https://hooks.slack.com/services/T0000AAAA/B0000BBBB/abcdefghijklmnopqrstuvwx"
CONSOLE = "https://kvstore.console.aliyun.com/Redis/instance/cn-hangzhou"


def valid(blocks: list[dict]) -> bool:
    """Slack's own models (slack_sdk) build each block and find it valid."""
    for raw in blocks:
        block = Block.parse(raw)
        block.validate_json()
        assert block.to_dict() == raw, raw
    return True


# --- render -------------------------------------------------------------------------------------------

def test_the_message_is_a_header_rich_text_and_a_context_with_the_headline_as_its_fallback_text():
    message = slack.render(digest(2))
    assert set(message) == {"text", "blocks"}
    assert message["text"] == "🔴 Redis backups: 2 need attention · 2 fine"
    blocks = message["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": message["text"], "emoji": False}}
    assert [b["type"] for b in blocks] == ["header", "rich_text", "rich_text", "context"]
    heading, items = blocks[1]["elements"]
    assert heading == {"type": "rich_text_section",
                       "elements": [{"type": "text", "text": "❌ Backup failed (2)", "style": {"bold": True}}]}
    assert items["type"] == "rich_text_list" and items["style"] == "bullet"
    assert items["elements"][0]["elements"] == [
        {"type": "link", "url": f"{CONSOLE}/r-inst00000", "text": "cache-00000"},
        {"type": "text", "text": " (r-inst00000, cn-hangzhou): the last backup failed at 18:10"}]
    assert blocks[2]["elements"] == [{"type": "rich_text_section", "elements": [{"type": "text", "text": "✅ 2 ok"}]}]
    assert blocks[3]["elements"][0]["type"] == "plain_text"
    assert blocks[3]["elements"][0]["text"].endswith(" · run req-0001")
    assert valid(blocks)


def test_mentions_are_raw_before_the_headline_and_in_a_section_on_alerts_only():
    alert = slack.render(digest(1), ("<!here>", "<@U012AB3CD>"))
    assert alert["text"] == "<!here> <@U012AB3CD> 🔴 Redis backups: 1 need attention · 2 fine"
    assert alert["blocks"][1]["text"] == {"type": "mrkdwn", "text": "<!here> <@U012AB3CD>"}
    warning = slack.render(digest(1, status="warning", kind=Kind.RUNNING), ("<!here>",))
    assert shown.slack(warning).mentions == []


@pytest.mark.parametrize("n,detail,cut", [(60, "d", False), (400, "x" * 600, True), (3000, "y" * 40, True)])
def test_a_long_list_stays_within_every_block_kit_limit_with_every_instance_counted(n, detail, cut):
    message = slack.render(digest(n, detail=detail), ("<!channel>",))
    blocks = message["blocks"]
    assert len(blocks) <= slack.MAX_BLOCKS == 50
    assert len(blocks[0]["text"]["text"]) <= slack.MAX_HEADER == 150
    assert slack.total_text(blocks) <= slack.MAX_TOTAL_TEXT == 12_000
    text = shown.slack(message).text
    ids = shown_ids(text)
    assert ids == [f"r-inst{i:05d}" for i in range(len(ids))] and len(ids) + hidden(text) == n
    assert (hidden(text) > 0) is cut
    assert valid(blocks)


def test_the_total_counts_every_text_and_url_at_any_depth():
    blocks = [{"type": "rich_text", "elements": [{"type": "rich_text_list", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "link", "url": "u" * 10, "text": "t" * 3}]}]}]},
        {"type": "context", "elements": [{"type": "plain_text", "text": "c" * 5}]}]
    assert slack.total_text(blocks) == 18


def test_a_long_headline_is_clipped_in_the_header_and_whole_in_the_fallback():
    headline = "🔴 " + "h" * 400
    message = slack.render(digest(1, headline=headline))
    header = message["blocks"][0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…") and message["text"] == headline


def test_outside_text_is_rich_text_shown_exactly_and_forms_nothing():
    hostile = "a & b <https://evil.example|click> *bold* _it_ ~s~ `c` @here <!channel> <@U1> :smile:"
    message = slack.render(digest(1, detail=hostile))
    item = message["blocks"][1]["elements"][1]["elements"][0]["elements"]
    assert item[-1] == {"type": "text", "text": f" (r-inst00000, cn-hangzhou): {hostile}"}
    seen = shown.slack(message)
    assert seen.mentions == [] and seen.links == [f"{CONSOLE}/r-inst00000"] and seen.markup == []


def test_emoji_short_names_in_outside_text_stay_words_in_the_header_the_footer_and_the_fallback():
    headline = "🟠 Redis backups: no instance found (tags team=:fire: in cn-hangzhou)"
    dg = replace(digest(0, status="warning", headline=headline), scope_line="tags team=:fire: in cn-hangzhou")
    seen = shown.slack(slack.render(dg))
    assert seen.markup == [] and headline in seen.text and "tags team=:fire: in cn-hangzhou" in seen.text
    assert slack.render(dg)["text"] == "🟠 Redis backups: see the message"


def test_outside_text_cannot_forge_a_link_or_bold_with_the_renderers_own_marks():
    forged = f"{slack.LINK}https://evil.example{slack.LINK_TEXT}x{slack.LINK_END} {slack.BOLD}b{slack.BOLD_END}"
    seen = shown.slack(slack.render(digest(1, detail=forged)))
    assert seen.links == [f"{CONSOLE}/r-inst00000"] and "https://evil.examplex b" in seen.text


@pytest.mark.parametrize("headline,fallback", [
    ("🟠 Redis backups: no instance found (tags a<b>&c in cn-hangzhou)",
     "🟠 Redis backups: no instance found (tags a&lt;b&gt;&amp;c in cn-hangzhou)"),
    ("🟠 Redis backups: no instance found (tags a_b *c* in cn-hangzhou)", "🟠 Redis backups: see the message"),
    ("🟠 Redis backups: no instance found (tags u=http://x in cn-hangzhou)", "🟠 Redis backups: see the message"),
])
def test_the_fallback_text_is_the_headline_escaped_or_cut_where_mrkdwn_has_no_escape(headline, fallback):
    assert slack.render(digest(0, status="warning", headline=headline))["text"] == fallback


# --- answers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status,body,headers,refusal", [
    (200, b"ok", {}, None),
    (200, b"ok\n", {}, None),
    (200, b"", {}, Refusal("HTTP 200 but not Slack's `ok`: an empty answer")),
    (200, b"fine", {}, Refusal("HTTP 200 but not Slack's `ok`: fine")),
    (200, b"<!DOCTYPE html><html>Sign in</html>", {},
     Refusal("HTTP 200 but not Slack's `ok`: an HTML page (a proxy or a login page?)")),
    (200, b"Sign in", {"content-type": "text/html; charset=utf-8"},
     Refusal("HTTP 200 but not Slack's `ok`: an HTML page (a proxy or a login page?)")),
    (302, b"", {"location": "https://login.example"},
     Refusal("HTTP 302: a redirect, not followed (a login page or a proxy, not Slack's answer)")),
    (429, b"", {"retry-after": "30"}, Refusal("rate limited for 30 s (HTTP 429)", retry=True, wait=30.0)),
    (429, b"", {"retry-after": "1.5"}, Refusal("rate limited for 1.5 s (HTTP 429)", retry=True, wait=1.5)),
    (429, b"", {"retry-after": "0"}, Refusal("rate limited for 0 s (HTTP 429)", retry=True, wait=0.0)),
    (429, b"", {}, Refusal("rate limited (HTTP 429)", retry=True)),
    (429, b"", {"retry-after": "soon"}, Refusal("rate limited (HTTP 429)", retry=True)),
    (429, b"", {"retry-after": "-1"}, Refusal("rate limited (HTTP 429)", retry=True)),
    (429, b"", {"retry-after": "86400"}, Refusal("rate limited (HTTP 429)", retry=True)),
    (404, b"no_service", {}, Refusal("HTTP 404 no_service: the webhook was removed or disabled")),
    (404, b"no_team", {}, Refusal("HTTP 404 no_team: the workspace of the webhook is gone")),
    (403, b"invalid_token", {}, Refusal("HTTP 403 invalid_token: the webhook's token is not valid")),
    (410, b"channel_is_archived", {}, Refusal("HTTP 410 channel_is_archived: the channel is archived")),
    (403, b"action_prohibited", {}, Refusal("HTTP 403 action_prohibited: an admin restricted posting to the channel")),
    (403, b"posting_to_general_channel_denied", {},
     Refusal("HTTP 403 posting_to_general_channel_denied: only admins may post to the channel")),
    (400, b"invalid_payload", {}, Refusal("HTTP 400 invalid_payload: Slack could not read the message")),
    (400, b"invalid_blocks", {}, Refusal("HTTP 400 invalid_blocks: Slack refused the message's blocks")),
    (400, b"invalid_blocks_format", {}, Refusal("HTTP 400 invalid_blocks_format: Slack refused the message's blocks")),
    (400, b"msg_blocks_too_long", {}, Refusal("HTTP 400 msg_blocks_too_long: the message's blocks are too long in total")),
    (400, b"msg_too_long", {}, Refusal("HTTP 400 msg_too_long: the message is too long")),
    (400, b"no_text", {}, Refusal("HTTP 400 no_text: the message has no text")),
    (400, b"too_many_attachments", {}, Refusal("HTTP 400 too_many_attachments: the message has too many attachments")),
    (500, b"rollup_error", {}, Refusal("HTTP 500 rollup_error: Slack failed", retry=True)),
    (503, b"service_unavailable", {}, Refusal("HTTP 503 service_unavailable: Slack is unavailable", retry=True)),
    (502, b"", {}, Refusal("HTTP 502", retry=True)),
    (400, b"something_new", {}, Refusal("HTTP 400: something_new")),
])
def test_read_answer(status, body, headers, refusal):
    assert slack.read_answer(answer(status, body, headers)) == refusal


def test_an_answer_is_scrubbed_of_the_webhook():
    refusal = slack.read_answer(answer(404, f"no route POST {HOOK[len('https://hooks.slack.com'):]}"), (HOOK,))
    assert refusal == Refusal("HTTP 404: no route POST /services/***")
    refusal = slack.read_answer(answer(200, f"see {HOOK}"), (HOOK,))
    assert refusal == Refusal("HTTP 200 but not Slack's `ok`: see ***")
