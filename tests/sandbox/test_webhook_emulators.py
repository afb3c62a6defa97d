"""The DingTalk robot and Slack webhook emulators, posted to over loopback with `requests`.

Signs are computed here the way a client computes them, not with the emulator's own code, so a
mistake in the emulator's check cannot hide behind the same mistake in the test.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote_plus

import pytest
import requests

from sandbox.dingtalk import DingTalkRobot
from sandbox.httpserver import LoopbackServer
from sandbox.slack import SlackWebhook
from fakes import Clock

TOKEN, SECRET = "robot-token-0001", "SECf00dfeed0123456789abcdef"
NOW = 1_790_000_000.0  # the robot's clock, in seconds
TEXT = {
    "msgtype": "text",
    "text": {"content": "backup report: 2 instances failed"},
    "at": {"atMobiles": ["13800000000"], "isAtAll": False},
}
MARKDOWN = {"msgtype": "markdown", "markdown": {"title": "Backups", "text": "### backup report\n- all good"}}
SLACK_PATH = "T0001TEAM/B0001HOOK/s3cr3tT0k3n"


@pytest.fixture(scope="module")
def server():
    # One server for the module, each test swapping in its own app: stopping a server waits out
    # serve_forever's 0.5 s poll, which per test would make this file slow.
    server = LoopbackServer(app=None).start()
    yield server
    server.stop()


@pytest.fixture
def serve(server):
    def start(app) -> str:
        server.app = app
        return f"http://{server.address}"

    return start


def client_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_url(base, token=TOKEN, secret=SECRET, timestamp_ms=None, encode=True) -> str:
    timestamp_ms = int(NOW * 1000) if timestamp_ms is None else timestamp_ms
    sign = client_sign(secret, timestamp_ms)
    sign = quote_plus(sign) if encode else sign
    return f"{base}/robot/send?access_token={token}&timestamp={timestamp_ms}&sign={sign}"


def post(url, body) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(url, data=data, headers={"Content-Type": "application/json"}, timeout=5, allow_redirects=False)


@pytest.fixture
def robot(serve):
    """A signed robot with a keyword, and its base URL."""
    robot = DingTalkRobot(TOKEN, SECRET, keywords=("backup",), clock=Clock(NOW))
    return robot, serve(robot)


def test_signed_robot_accepts_text_and_markdown_and_records_them_with_their_at(robot):
    robot, base = robot
    for message in (TEXT, MARKDOWN):
        answer = post(robot_url(base), message)
        assert (answer.status_code, answer.json()) == (200, {"errcode": 0, "errmsg": "ok"})
    assert robot.messages == [TEXT, MARKDOWN]
    assert robot.messages[0]["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}


def test_unsigned_robot_accepts_a_post_without_timestamp_or_sign(serve):
    robot = DingTalkRobot(TOKEN, "")
    answer = post(f"{serve(robot)}/robot/send?access_token={TOKEN}", TEXT)
    assert answer.json()["errcode"] == 0
    assert robot.messages == [TEXT]


@pytest.mark.parametrize("message", [
    {"msgtype": "link", "link": {"title": "backup", "text": "report", "messageUrl": "https://example.com"}},
    {"msgtype": "actionCard", "actionCard": {"title": "backup", "text": "report", "singleTitle": "Open",
                                             "singleURL": "https://example.com"}},
    {"msgtype": "feedCard", "feedCard": {"links": [{"title": "backup", "messageURL": "https://example.com"}]}},
], ids=["link", "actionCard", "feedCard"])
def test_robot_accepts_the_other_real_msgtypes(robot, message):
    robot, base = robot
    assert post(robot_url(base), message).json()["errcode"] == 0
    assert robot.messages == [message]


def _timestamp_whose_sign_has_a_plus() -> int:
    timestamp = int(NOW * 1000)
    while "+" not in client_sign(SECRET, timestamp):
        timestamp -= 1
    return timestamp


HOUR_MS = 3_600_000
TOO_LONG = {"msgtype": "text", "text": {"content": "backup " + "x" * 20_000}}
ROBOT_REFUSALS = [
    # id, url from the base URL, body, errcode, errmsg
    ("wrong token", lambda b: robot_url(b, token="other"), TEXT, 300001, "token is not exist"),
    ("missing token", lambda b: f"{b}/robot/send", TEXT, 40035, "缺少参数 access_token"),
    ("bad sign", lambda b: robot_url(b, secret="SECwrong"), TEXT, 310000, "sign not match"),
    ("sign not url-encoded",  # its "+" arrives as a space
     lambda b: robot_url(b, timestamp_ms=_timestamp_whose_sign_has_a_plus(), encode=False), TEXT,
     310000, "sign not match"),
    ("missing sign", lambda b: f"{b}/robot/send?access_token={TOKEN}&timestamp={int(NOW * 1000)}", TEXT,
     310000, "sign not match"),
    ("missing timestamp", lambda b: f"{b}/robot/send?access_token={TOKEN}", TEXT, 310000, "invalid timestamp"),
    ("stale timestamp", lambda b: robot_url(b, timestamp_ms=int(NOW * 1000) - HOUR_MS - 1000), TEXT,
     310000, "invalid timestamp"),
    ("future timestamp", lambda b: robot_url(b, timestamp_ms=int(NOW * 1000) + HOUR_MS + 1000), TEXT,
     310000, "invalid timestamp"),
    ("missing keyword", robot_url, {"msgtype": "text", "text": {"content": "all good"}}, 310000,
     "keywords not in content"),
    ("body over 20,000 bytes", robot_url, TOO_LONG, 460101, "message too long, exceed 20000 bytes"),
    ("invalid JSON", robot_url, b"{not json", 40035, "缺少参数 json"),
    ("unknown msgtype", robot_url, {"msgtype": "image", "image": {"url": "backup.png"}}, 400105, "不支持的消息类型"),
    ("missing msgtype", robot_url, {"text": {"content": "backup"}}, 400105, "不支持的消息类型"),
    ("markdown without title", robot_url, {"msgtype": "markdown", "markdown": {"text": "backup"}}, 40035,
     "缺少参数 markdown.title"),
    ("markdown without text", robot_url, {"msgtype": "markdown", "markdown": {"title": "backup"}}, 40035,
     "缺少参数 markdown.text"),
    ("text without content", robot_url, {"msgtype": "text", "text": {}}, 40035, "缺少参数 text.content"),
]


@pytest.mark.parametrize("url, body, errcode, errmsg", [case[1:] for case in ROBOT_REFUSALS],
                         ids=[case[0] for case in ROBOT_REFUSALS])
def test_robot_refuses_a_bad_post_with_its_errcode_and_records_nothing(robot, url, body, errcode, errmsg):
    robot, base = robot
    answer = post(url(base), body)
    assert (answer.status_code, answer.json()) == (200, {"errcode": errcode, "errmsg": errmsg})
    assert robot.messages == []
    assert robot.attempts == 1


def test_robot_refuses_the_21st_message_within_a_minute_with_130101_then_blocks_it_for_10_minutes(robot):
    robot, base = robot
    assert [post(robot_url(base), TEXT).json()["errcode"] for _ in range(20)] == [0] * 20
    robot.clock.now += 59
    assert post(robot_url(base), TEXT).json() == {"errcode": 130101,
                                                  "errmsg": "send too fast, exceed 20 times per minute"}
    robot.clock.now += 1  # the window slid, but the robot is blocked for 10 minutes: 302
    blocked = post(robot_url(base), TEXT)
    assert blocked.status_code == 302 and blocked.headers["Location"].startswith("https://")
    robot.clock.now += 600
    assert post(robot_url(base), TEXT).json()["errcode"] == 0
    assert len(robot.messages) == 21


def test_robot_stages_odd_errcodes_as_given_an_echoed_url_and_a_late_answer(serve):
    robot = DingTalkRobot(TOKEN, None, faults=[{"errcode": 0.9, "first": 1}, {"errcode": -1, "first": 1},
                                               {"kind": "echo_url", "first": 1}, {"kind": "late", "seconds": 0.2}])
    url = f"{serve(robot)}/robot/send?access_token={TOKEN}"
    assert post(url, TEXT).json()["errcode"] == 0.9
    assert post(url, TEXT).json() == {"errcode": -1, "errmsg": "系统繁忙"}
    assert TOKEN in post(url, TEXT).json()["errmsg"], "the errmsg repeats the request's URL"
    assert robot.messages == []
    assert post(url, TEXT).json()["errcode"] == 0 and len(robot.messages) == 1, "late: accepted, then answered"


def test_webhooks_stage_answers_that_are_not_the_services(serve):
    hook = SlackWebhook(SLACK_PATH, faults=[{"kind": "redirect", "first": 1}, {"kind": "html", "first": 1},
                                            {"status": 200, "error": "not ok", "first": 1},
                                            {"kind": "echo_url", "first": 1}, {"kind": "huge", "bytes": 1 << 20}])
    base = serve(hook)
    moved = slack_post(base, {"text": "x"})
    assert moved.status_code == 302 and ".invalid/" in moved.headers["Location"]
    page = slack_post(base, {"text": "x"})
    assert page.status_code == 200 and page.text.startswith("<!DOCTYPE html>")
    assert slack_post(base, {"text": "x"}).text == "not ok"
    echoed = slack_post(base, {"text": "x"})
    assert echoed.status_code == 404 and SLACK_PATH in echoed.text
    assert len(slack_post(base, {"text": "x"}).content) == 1 << 20
    assert hook.messages == []


def test_robot_answers_staged_faults_instead_of_success_in_order(serve):
    robot = DingTalkRobot(TOKEN, None, faults=[{"errcode": 130101, "first": 1}, {"errcode": 310000}])
    url = f"{serve(robot)}/robot/send?access_token={TOKEN}"
    assert [post(url, TEXT).json()["errcode"] for _ in range(3)] == [130101, 310000, 310000]
    assert robot.messages == []
    assert robot.attempts == 3


def test_robot_reset_fault_drops_the_connection_then_accepts(serve):
    robot = DingTalkRobot(TOKEN, None, faults=[{"kind": "reset", "first": 1}])
    url = f"{serve(robot)}/robot/send?access_token={TOKEN}"
    with pytest.raises(requests.ConnectionError):
        post(url, TEXT)
    assert post(url, TEXT).json()["errcode"] == 0
    assert (robot.attempts, robot.messages) == (2, [TEXT])


def test_robot_records_concurrent_posts_without_losing_any(serve):
    robot = DingTalkRobot(TOKEN, None)
    url = f"{serve(robot)}/robot/send?access_token={TOKEN}"
    messages = [{"msgtype": "text", "text": {"content": f"#{i}"}} for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        codes = [answer.json()["errcode"] for answer in pool.map(lambda m: post(url, m), messages)]
    assert codes == [0] * 16
    assert sorted(robot.messages, key=str) == sorted(messages, key=str)
    assert robot.attempts == 16


def test_robot_answers_404_on_another_path(robot):
    robot, base = robot
    assert post(f"{base}/robot/other?access_token={TOKEN}", TEXT).status_code == 404


# --- Slack ---------------------------------------------------------------------------------------

def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str, kind: str = "plain_text") -> dict:
    return {"type": "header", "text": {"type": kind, "text": text}}


BLOCKS = [
    header("Backup report"),
    section("*2 failed* in cn-hangzhou"),
    {"type": "section",
     "fields": [{"type": "mrkdwn", "text": "*orders-cache*"}, {"type": "plain_text", "text": "Failed"}]},
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "run at 02:30Z"}]},
]


@pytest.fixture
def hook(serve):
    hook = SlackWebhook(SLACK_PATH)
    return hook, serve(hook)


def slack_post(base, body, path=SLACK_PATH) -> requests.Response:
    return post(f"{base}/services/{path}", body)


def test_slack_refuses_blocks_whose_text_is_over_12000_characters_in_total(hook):
    hook, base = hook
    section = lambda n: {"type": "section", "text": {"type": "mrkdwn", "text": "x" * n}}  # noqa: E731
    assert slack_post(base, {"text": "t", "blocks": [section(3000)] * 4}).text == "ok"
    refused = slack_post(base, {"text": "t", "blocks": [section(3000)] * 4 + [section(1)]})
    assert (refused.status_code, refused.text) == (400, "msg_blocks_too_long")
    assert len(hook.messages) == 1


@pytest.mark.parametrize("message", [
    {"text": "backup report"},
    {"text": "fallback", "blocks": BLOCKS},
    {"attachments": [{"color": "#d00000", "text": "2 failed"}]},
    {"text": "fallback", "blocks": [section("x")] * 50},
    {"text": "fallback", "blocks": [section("x" * 3000), header("h" * 150)]},
], ids=["text", "blocks", "attachments", "50 blocks", "longest section and header"])
def test_webhook_accepts_good_posts_with_200_ok_and_records_them(hook, message):
    hook, base = hook
    answer = slack_post(base, message)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert hook.messages == [message]


@pytest.mark.parametrize("path, status, error", [
    ("T0001TEAM/B9999HOOK/s3cr3tT0k3n", 404, "no_service"),
    ("T9999TEAM/B0001HOOK/s3cr3tT0k3n", 404, "no_team"),
    ("T0001TEAM/B0001HOOK/wrongToken", 403, "invalid_token"),
    ("T0001TEAM/B0001HOOK", 404, "no_service"),
])
def test_webhook_refuses_another_url(hook, path, status, error):
    hook, base = hook
    answer = slack_post(base, {"text": "backup report"}, path=path)
    assert (answer.status_code, answer.text) == (status, error)
    assert hook.messages == []


SLACK_REFUSALS = [
    ("not JSON", b"text=backup", "invalid_payload"),
    ("a JSON list", [{"text": "backup"}], "invalid_payload"),
    ("no text, blocks or attachments", {"username": "backup-bot"}, "invalid_payload"),
    ("blocks not a list", {"text": "f", "blocks": {"type": "divider"}}, "invalid_blocks_format"),
    ("51 blocks", {"text": "f", "blocks": [section("x")] * 51}, "invalid_blocks"),
    ("3,001-character section", {"text": "f", "blocks": [section("x" * 3001)]}, "invalid_blocks"),
    ("151-character header", {"text": "f", "blocks": [header("h" * 151)]}, "invalid_blocks"),
    ("mrkdwn header", {"text": "f", "blocks": [header("*Backups*", kind="mrkdwn")]}, "invalid_blocks"),
    ("unknown block type", {"text": "f", "blocks": [{"type": "table", "rows": []}]}, "invalid_blocks"),
    ("section without text", {"text": "f", "blocks": [{"type": "section"}]}, "invalid_blocks"),
    ("image without alt_text", {"text": "f", "blocks": [{"type": "image", "image_url": "https://x/y.png"}]},
     "invalid_blocks"),
]


@pytest.mark.parametrize("body, error", [case[1:] for case in SLACK_REFUSALS],
                         ids=[case[0] for case in SLACK_REFUSALS])
def test_webhook_refuses_a_bad_payload_with_400_and_records_nothing(hook, body, error):
    hook, base = hook
    answer = slack_post(base, body)
    assert (answer.status_code, answer.text) == (400, error)
    assert hook.messages == []


def test_webhook_answers_429_rate_limited_with_retry_after_then_accepts(serve):
    hook = SlackWebhook(SLACK_PATH, faults=[{"status": 429, "retry_after": 1, "first": 1}])
    base = serve(hook)
    limited = slack_post(base, {"text": "backup"})
    assert (limited.status_code, limited.text, limited.headers["Retry-After"]) == (429, "rate_limited", "1")
    assert slack_post(base, {"text": "backup"}).status_code == 200
    assert (hook.attempts, hook.messages) == (2, [{"text": "backup"}])


def test_webhook_answers_500_for_the_first_two_posts_then_accepts(serve):
    hook = SlackWebhook(SLACK_PATH, faults=[{"status": 500, "first": 2}])
    base = serve(hook)
    answers = [slack_post(base, {"text": "backup"}) for _ in range(3)]
    assert [(a.status_code, a.text) for a in answers] == [(500, "rollup_error")] * 2 + [(200, "ok")]
    assert len(hook.messages) == 1


def test_webhook_answers_a_staged_no_service_to_every_post(serve):
    hook = SlackWebhook(SLACK_PATH, faults=[{"status": 404, "error": "no_service"}])
    base = serve(hook)
    answers = [slack_post(base, {"text": "backup"}) for _ in range(2)]
    assert [(a.status_code, a.text) for a in answers] == [(404, "no_service")] * 2
    assert hook.messages == []


def test_webhook_reset_fault_drops_the_connection(serve):
    hook = SlackWebhook(SLACK_PATH, faults=[{"kind": "reset"}])
    with pytest.raises(requests.ConnectionError):
        slack_post(serve(hook), {"text": "backup"})
    assert (hook.attempts, hook.messages) == (1, [])
