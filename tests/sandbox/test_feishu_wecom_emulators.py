"""The Feishu custom-bot and WeCom group-robot emulators, posted to over loopback with `requests`.

Signs are computed here the way Feishu's guide computes them (HmacSHA256 keyed by
`timestamp + "\\n" + secret` over an empty message), not with the emulator's own code.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
import requests

from sandbox.feishu import FeishuBot
from sandbox.httpserver import LoopbackServer
from sandbox.wecom import WeComRobot
from fakes import Clock

TOKEN, SECRET, KEY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "feishuSecret0123", "5a6b7c8d-0000-4000-8000-wecomkey0001"
NOW = 1_790_000_000.0
TEXT = {"msg_type": "text", "content": {"text": "backup report: 2 instances failed"}}
CARD = {"msg_type": "interactive", "card": {"header": {"title": {"tag": "plain_text", "content": "Backups"}},
                                            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": "ok"}}]}}
MARKDOWN = {"msgtype": "markdown", "markdown": {"content": "## backup report\n<@zhangsan>"}}


@pytest.fixture(scope="module")
def server():
    server = LoopbackServer(app=None).start()
    yield server
    server.stop()


@pytest.fixture
def serve(server):
    def start(app) -> str:
        server.app = app
        return f"http://{server.address}"

    return start


def client_sign(secret: str, timestamp: int) -> str:
    return base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def signed(message: dict, secret: str = SECRET, timestamp: int = int(NOW)) -> dict:
    return {"timestamp": str(timestamp), "sign": client_sign(secret, timestamp), **message}


def post(url: str, body) -> requests.Response:
    if isinstance(body, bytes):
        return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=5, allow_redirects=False)
    return requests.post(url, json=body, timeout=5, allow_redirects=False)


# --- Feishu --------------------------------------------------------------------------------------

@pytest.fixture
def bot(serve):
    bot = FeishuBot(TOKEN, SECRET, keywords=("backup", "Backups"), clock=Clock(NOW))
    return bot, f"{serve(bot)}/open-apis/bot/v2/hook/{TOKEN}"


@pytest.mark.parametrize("message", [TEXT, CARD], ids=["text", "interactive"])
def test_bot_accepts_a_signed_message_with_code_0_and_records_it(bot, message):
    bot, url = bot
    answer = post(url, signed(message))
    assert answer.status_code == 200
    assert answer.json() == {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}
    assert bot.messages == [signed(message)]


HOUR = 3600
FEISHU_REFUSALS = [
    # id, path suffix (None: the bot's), body, HTTP status, code
    ("wrong token", "other-token", signed(TEXT), 200, 19001),
    ("bad sign", None, signed(TEXT, secret="wrong"), 200, 19021),
    ("sign keyed by the secret (a common mistake)", None,
     {"timestamp": str(int(NOW)), "sign": base64.b64encode(hmac.new(SECRET.encode(), f"{int(NOW)}\n{SECRET}".encode(),
                                                                     hashlib.sha256).digest()).decode(), **TEXT},
     200, 19021),
    ("timestamp in ms", None, signed(TEXT, timestamp=int(NOW * 1000)), 200, 19021),
    ("stale timestamp", None, signed(TEXT, timestamp=int(NOW) - HOUR - 10), 200, 19021),
    ("missing sign", None, {"timestamp": str(int(NOW)), **TEXT}, 200, 19021),
    ("missing keyword", None, signed({"msg_type": "text", "content": {"text": "all good"}}), 200, 19024),
    ("body over 20 KB", None, signed({"msg_type": "text", "content": {"text": "backup " + "x" * 20_480}}), 400, 9499),
    ("invalid JSON", None, b"{not json", 400, 9499),
    ("unknown msg_type", None, signed({"msg_type": "markdown", "content": {"text": "backup"}}), 400, 9499),
    ("card without elements", None, signed({"msg_type": "interactive", "card": {"header": {}}}), 400, 9499),
    ("text without text", None, signed({"msg_type": "text", "content": {}}), 400, 9499),
]


@pytest.mark.parametrize("suffix, body, status, code", [case[1:] for case in FEISHU_REFUSALS],
                         ids=[case[0] for case in FEISHU_REFUSALS])
def test_bot_refuses_a_bad_post_with_its_code_and_records_nothing(bot, suffix, body, status, code):
    bot, url = bot
    answer = post(url.rsplit("/", 1)[0] + f"/{suffix}" if suffix else url, body)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert bot.messages == [] and bot.attempts == 1


def test_bot_refuses_the_6th_message_within_a_second_and_the_101st_within_a_minute_with_11232(bot):
    bot, url = bot
    assert [post(url, signed(TEXT)).json()["code"] for _ in range(6)] == [0] * 5 + [11232]
    for _ in range(19):  # 5 a second over 19 more seconds: 100 in the minute
        bot.clock.now += 1
        assert [post(url, signed(TEXT, timestamp=int(bot.clock.now))).json()["code"] for _ in range(5)] == [0] * 5
    bot.clock.now += 1
    limited = post(url, signed(TEXT, timestamp=int(bot.clock.now))).json()
    assert limited["code"] == 11232 and limited["msg"].startswith("frequency limited")
    assert len(bot.messages) == 100


def test_bot_stages_odd_codes_the_old_answer_form_an_echoed_url_and_a_late_answer(serve):
    bot = FeishuBot(TOKEN, None, faults=[{"code": 0.9, "first": 1}, {"StatusCode": 19024, "first": 1},
                                         {"kind": "echo_url", "first": 1}, {"kind": "legacy", "first": 1},
                                         {"kind": "late", "seconds": 0.2}])
    url = f"{serve(bot)}/open-apis/bot/v2/hook/{TOKEN}"
    assert post(url, TEXT).json()["code"] == 0.9
    assert post(url, TEXT).json() == {"Extra": None, "StatusCode": 19024, "StatusMessage": "error"}
    assert TOKEN in post(url, TEXT).json()["msg"], "the msg repeats the request's path"
    assert bot.messages == []
    assert post(url, TEXT).json() == {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}
    assert post(url, TEXT).json()["code"] == 0 and len(bot.messages) == 2, "late: accepted, then answered"


def test_bot_reset_fault_drops_the_connection_then_accepts(serve):
    bot = FeishuBot(TOKEN, None, faults=[{"kind": "reset", "first": 1}])
    url = f"{serve(bot)}/open-apis/bot/v2/hook/{TOKEN}"
    with pytest.raises(requests.ConnectionError):
        post(url, TEXT)
    assert post(url, TEXT).json()["code"] == 0 and bot.attempts == 2


def test_bot_answers_404_on_another_path(bot):
    bot, url = bot
    assert post(url.replace("/bot/v2/", "/bot/v1/"), signed(TEXT)).status_code == 404


# --- WeCom ---------------------------------------------------------------------------------------

@pytest.fixture
def robot(serve):
    robot = WeComRobot(KEY, clock=Clock(NOW))
    return robot, f"{serve(robot)}/cgi-bin/webhook/send?key={KEY}"


@pytest.mark.parametrize("message", [MARKDOWN, {"msgtype": "text", "text": {"content": "backup",
                                                                            "mentioned_mobile_list": ["13800001111"]}},
                                     {"msgtype": "markdown", "markdown": {"content": "é" * 2048}}],
                         ids=["markdown", "text", "4096 bytes"])
def test_robot_accepts_a_message_with_errcode_0_and_records_it(robot, message):
    robot, url = robot
    assert post(url, message).json() == {"errcode": 0, "errmsg": "ok"}
    assert robot.messages == [message]


WECOM_REFUSALS = [
    ("wrong key", "?key=other", MARKDOWN, 93000, "invalid webhook url"),
    ("missing key", "", MARKDOWN, 93000, "invalid webhook url"),
    ("invalid JSON", None, b"{not json", 40058, "Warning: wrong json format. invalid Request Parameter"),
    ("unknown msgtype", None, {"msgtype": "card", "card": {}}, 40008, "Warning: wrong json format. invalid message type"),
    ("empty markdown", None, {"msgtype": "markdown", "markdown": {"content": ""}}, 44004, "empty content"),
    ("markdown over 4096 bytes", None, {"msgtype": "markdown", "markdown": {"content": "é" * 2048 + "x"}}, 40058,
     "markdown.content exceed max length 4096. invalid Request Parameter"),
    ("text over 2048 bytes", None, {"msgtype": "text", "text": {"content": "x" * 2049}}, 40058,
     "text.content exceed max length 2048. invalid Request Parameter"),
]


@pytest.mark.parametrize("query, body, errcode, errmsg", [case[1:] for case in WECOM_REFUSALS],
                         ids=[case[0] for case in WECOM_REFUSALS])
def test_robot_refuses_a_bad_post_with_its_errcode_and_records_nothing(robot, query, body, errcode, errmsg):
    robot, url = robot
    answer = post(url.split("?")[0] + query if query is not None else url, body)
    assert (answer.status_code, answer.json()) == (200, {"errcode": errcode, "errmsg": errmsg})
    assert robot.messages == [] and robot.attempts == 1


def test_robot_refuses_the_21st_message_within_a_minute_with_45009(robot):
    robot, url = robot
    assert [post(url, MARKDOWN).json()["errcode"] for _ in range(21)] == [0] * 20 + [45009]
    robot.clock.now += 60
    assert post(url, MARKDOWN).json()["errcode"] == 0 and len(robot.messages) == 21


def test_robot_stages_odd_errcodes_an_echoed_url_and_a_late_answer(serve):
    robot = WeComRobot(KEY, faults=[{"errcode": "0", "first": 1}, {"errcode": -1, "first": 1},
                                    {"kind": "echo_url", "first": 1}, {"kind": "late", "seconds": 0.2}])
    url = f"{serve(robot)}/cgi-bin/webhook/send?key={KEY}"
    assert post(url, MARKDOWN).json()["errcode"] == "0"
    assert post(url, MARKDOWN).json() == {"errcode": -1, "errmsg": "系统繁忙"}
    assert KEY in post(url, MARKDOWN).json()["errmsg"]
    assert robot.messages == []
    assert post(url, MARKDOWN).json()["errcode"] == 0 and len(robot.messages) == 1


def test_robot_answers_404_on_another_path(robot):
    robot, url = robot
    assert post(url.replace("/send", "/upload_media"), MARKDOWN).status_code == 404
