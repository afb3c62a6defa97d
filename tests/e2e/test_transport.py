"""The SDK's proxy handling against the webhooks': NO_PROXY honoured alike, or the run refuses; an https
webhook through HTTPS_PROXY is a tunnel the proxy never sees the token of.

The Tea SDK (darabonba-core 1.0.9) ignores NO_PROXY, so calls to an endpoint NO_PROXY excludes would
go through HTTP(S)_PROXY, STS token and all, while the webhooks (requests) go direct. A recording
proxy on loopback shows that nothing reaches it.
"""
from __future__ import annotations

import http.server
import threading

import pytest

from backup_report.settings import SettingsError
from conftest import fleet, instance

HEALTHY = (instance("r-fine01"), instance("r-fine02"))


@pytest.fixture
def proxy():
    """A proxy on loopback that records every request it gets and answers 502."""
    seen: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(f"{self.command} {self.path}")
            self.send_response(502)
            self.end_headers()

        do_POST = do_CONNECT = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def clean_proxy_environment(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_a_loopback_endpoint_excluded_by_no_proxy_is_refused_before_the_sdk_sends_it_to_the_proxy(
        report, monkeypatch, proxy):
    address, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", address)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    run = report(fleet(*HEALTHY))
    # The webhooks are on loopback, excluded by NO_PROXY too: the team is told directly (issue 15).
    assert run.error is None and run.result["status"] == "error"
    problem = "\n".join(run.result["settings"])
    assert "KVSTORE_ENDPOINT" in problem and "ignores NO_PROXY" in problem
    assert seen == [] and run.calls() == [] and len(run.dingtalk) == 1 and len(run.slack) == 1


def test_plain_http_through_a_proxy_is_refused_for_the_api_and_the_webhooks(report, monkeypatch, proxy):
    address, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", address)
    run = report(fleet(*HEALTHY))
    assert isinstance(run.error, SettingsError)
    for name in ("KVSTORE_ENDPOINT", "DINGTALK_WEBHOOK", "SLACK_WEBHOOK"):
        assert name in str(run.error)
    assert "proxy" in str(run.error)
    assert seen == [] and run.calls() == []


def test_the_sdks_own_endpoint_excluded_by_no_proxy_is_not_called_through_the_proxy_and_the_digest_goes_out(
        report, monkeypatch, proxy):
    # No KVSTORE_ENDPOINT: the SDK's public endpoint for the region, over https. NO_PROXY excludes it,
    # so requests would go direct; the SDK would not. Every region is reported not checked, and the
    # digest still goes out (the webhooks are on loopback, direct).
    address, seen = proxy
    monkeypatch.setenv("HTTPS_PROXY", address)
    monkeypatch.setenv("NO_PROXY", "aliyuncs.com")
    run = report(fleet(*HEALTHY), settings={"KVSTORE_ENDPOINT": None, "KVSTORE_PROTOCOL": None})
    assert run.error is None
    assert seen == [] and run.calls() == []
    assert [r["region"] for r in run.result["unchecked_regions"]] == ["cn-hangzhou"]
    assert "ProxyNotHonoured" in run.result["unchecked_regions"][0]["error"]
    assert run.result["status"] == "alert"
    assert len(run.dingtalk) == 1 and len(run.slack) == 1


def test_an_https_webhook_goes_through_https_proxy_as_a_tunnel_that_never_shows_the_proxy_its_token(
        report, monkeypatch, proxy):
    # requests' own proxy handling: HTTPS_PROXY carries the https webhook (a CONNECT tunnel, so the
    # proxy sees host and port only), not the http loopback ones. The proxy refuses the tunnel: the
    # post never left, so it is retried, and the other channel delivers.
    address, seen = proxy
    monkeypatch.setenv("HTTPS_PROXY", address)
    run = report(fleet(*HEALTHY), timeout=20,
                 settings={"SLACK_WEBHOOK": "https://hooks.slack.invalid/services/T0PROXY/B0PROXY/proxytoken0123"})
    assert seen and set(seen) == {"CONNECT hooks.slack.invalid:443"}
    slack = next(d for d in run.result["deliveries"] if d["channel"] == "slack")
    assert slack["ok"] is False and "could not connect (the proxy failed)" in slack["error"]
    assert f"after {len(seen)} attempts" in slack["error"] and len(seen) > 1
    assert len(run.dingtalk) == 1 and run.error is None
