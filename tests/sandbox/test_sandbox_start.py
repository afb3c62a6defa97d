"""The two ways in: `sandbox.start()` (and the `sandbox` fixture) and `python -m sandbox serve`."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote_plus

import pytest
import requests

import sandbox as sandboxes
from backup_report.settings import NAMES
from kvstore_sdk import Api
from sandbox.demo import DEMO_SETTINGS
from sandbox.fleet import Credentials
from sandbox.pytest_plugin import sandbox, serve  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = "2026-11-28T01:00Z"


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def post_dingtalk(sb, text="backup report") -> dict:
    now = int(time.time() * 1000)
    url = f"{sb.dingtalk_webhook}&timestamp={now}&sign={sign(sb.dingtalk_secret, now)}"
    message = {"msgtype": "markdown", "markdown": {"title": "Backups", "text": text}}
    return requests.post(url, json=message, timeout=3).json()


def test_start_serves_the_three_emulators_and_tells_how_to_reach_them():
    with sandboxes.start("demo", anchor=ANCHOR) as sb:
        host, port = sb.kvstore_endpoint.split(":")
        assert host == "127.0.0.1" and int(port) > 0
        assert sb.dingtalk_webhook.startswith("http://127.0.0.1:")
        assert sb.dingtalk_webhook.endswith(f"/robot/send?access_token={sb.scenario.dingtalk.token}")
        assert sb.slack_webhook.endswith(f"/services/{sb.scenario.slack.path}")
        assert sb.dingtalk_secret.startswith("SEC") and sb.anchor.isoformat() == "2026-11-28T01:00:00+00:00"
        assert post_dingtalk(sb) == {"errcode": 0, "errmsg": "ok"}
        assert requests.post(sb.slack_webhook, json={"text": "backup report"}, timeout=3).text == "ok"
        assert sb.dingtalk.messages[0]["markdown"]["text"] == "backup report"
        assert sb.slack.messages == [{"text": "backup report"}]
        endpoint = sb.kvstore_endpoint
    with pytest.raises(requests.ConnectionError):
        requests.post(f"http://{endpoint}/", timeout=1)


def test_env_points_the_function_at_the_sandbox():
    with sandboxes.start("demo", anchor=ANCHOR) as sb:
        assert sb.env() == {
            "KVSTORE_ENDPOINT": sb.kvstore_endpoint,
            "KVSTORE_PROTOCOL": "http",
            "STS_ENDPOINT": sb.sts_endpoint,
            "RESOURCEMANAGER_ENDPOINT": sb.resourcemanager_endpoint,
            "DINGTALK_WEBHOOK": sb.dingtalk_webhook,
            "DINGTALK_SECRET": sb.dingtalk_secret,
            "SLACK_WEBHOOK": sb.slack_webhook,
            "FEISHU_WEBHOOK": sb.feishu_webhook,
            "FEISHU_SECRET": sb.feishu_secret,
            "WECOM_WEBHOOK": sb.wecom_webhook,
            "HEARTBEAT_URL": sb.heartbeat_url,
            "FUNCTION_COMPUTE_ENDPOINT": sb.function_compute_endpoint,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": sb.credentials.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": sb.credentials.access_key_secret,
            "ALIBABA_CLOUD_SECURITY_TOKEN": sb.credentials.security_token,
            "REGIONS": "cn-hangzhou,cn-shanghai",  # the demo does not scan its cn-beijing instance
            "API_QUOTAS": ",".join(f"{action}=100000/1" for action in sandboxes.EMULATED_ACTIONS),
        }


def test_start_takes_a_dict_or_a_loaded_scenario_and_passes_webhook_settings_through():
    fleet = {"credentials": {"access_key_id": "sandbox-ak-1", "access_key_secret": "sk"},
             "dingtalk": {"token": "tok", "secret": "", "faults": [{"errcode": 130101, "first": 1}]},
             "instances": [{"id": "r-1", "region": "cn-shanghai"}]}
    with sandboxes.start(sandboxes.load(fleet, ANCHOR)) as sb:
        env = sb.env()
        assert (env["REGIONS"], env["ALIBABA_CLOUD_SECURITY_TOKEN"], env["DINGTALK_SECRET"]) == ("cn-shanghai", "", "")
        message = {"msgtype": "text", "text": {"content": "backup"}}
        answers = [requests.post(sb.dingtalk_webhook, json=message, timeout=3).json()["errcode"] for _ in range(2)]
        assert answers == [130101, 0]


def test_the_fixture_serves_the_demo_by_default(sandbox):
    assert sandbox.scenario.name == "demo" and len(sandbox.scenario.instances) >= 12


def test_serve_starts_any_scenario_for_the_test(serve):
    empty, demo = serve("empty", ANCHOR), serve("demo")
    assert empty.scenario.instances == () and empty.env()["REGIONS"] == "cn-hangzhou"
    assert empty.kvstore_endpoint != demo.kvstore_endpoint


def test_serve_prints_json_then_exports_and_stops_on_sigint():
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--scenario", "demo", "--at", ANCHOR],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first, second = process.stdout.readline(), process.stdout.readline()
        shown = json.loads(first)
        assert set(shown) == {"kvstore_endpoint", "sts_endpoint", "resourcemanager_endpoint", "function_compute_endpoint",
                              "account", "accounts",
                              "dingtalk_webhook", "dingtalk_secret", "slack_webhook",
                              "feishu_webhook", "feishu_secret", "wecom_webhook", "heartbeat_url",
                              "access_key_id", "access_key_secret", "security_token"}
        exports = dict(item.split("=", 1) for item in shlex.split(second.removeprefix("export ")))
        assert exports["KVSTORE_ENDPOINT"] == shown["kvstore_endpoint"] and exports["KVSTORE_PROTOCOL"] == "http"
        assert exports["STS_ENDPOINT"] == shown["sts_endpoint"]
        assert exports["RESOURCEMANAGER_ENDPOINT"] == shown["resourcemanager_endpoint"]
        assert exports["FUNCTION_COMPUTE_ENDPOINT"] == shown["function_compute_endpoint"]
        assert (shown["account"], shown["accounts"]) == ("1000000000000001", [])
        assert exports["DINGTALK_WEBHOOK"] == shown["dingtalk_webhook"]
        assert exports["ALIBABA_CLOUD_SECURITY_TOKEN"] == shown["security_token"]
        keys = Credentials(shown["access_key_id"], shown["access_key_secret"], shown["security_token"])
        reached = SimpleNamespace(kvstore_endpoint=shown["kvstore_endpoint"], credentials=keys)
        regions = Api(reached).describe_regions().region_ids.kvstore_region
        assert {"cn-beijing", "cn-hangzhou", "cn-shanghai"} <= {r.region_id for r in regions}
        # The export line is every setting the handler needs: a run with just it reports the demo fleet.
        assert {k: exports[k] for k in DEMO_SETTINGS} == DEMO_SETTINGS
        env = {k: v for k, v in os.environ.items() if k not in NAMES and not k.startswith("ALIBABA_CLOUD_")}
        env.update(exports, PYTHONPATH=str(ROOT / "function"), ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
        done = subprocess.run([sys.executable, "-m", "backup_report", "run", "--dry-run", "--json", "--at", ANCHOR],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert len(result["instances"]) == 15 and result["window"]["end"] == "2026-11-28T01:00:00Z"
        dingtalk = result["deliveries"][0]["message"]
        assert "2026-11-28 09:00 (Asia/Shanghai)" in dingtalk["markdown"]["text"]
        assert dingtalk["at"]["atMobiles"] == DEMO_SETTINGS["DINGTALK_AT_MOBILES"].split(",")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
        process.wait()


def test_serve_refuses_an_unknown_scenario():
    done = subprocess.run([sys.executable, "-m", "sandbox", "serve", "--scenario", "nope"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "no scenario 'nope'" in done.stderr and done.stdout == ""
