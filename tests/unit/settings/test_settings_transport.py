"""Settings that used to pass validation and fail later: ports, URL tricks, endpoints, tags, @mobiles,
plain http and proxies. Each is refused by `load_settings` with the setting named and the accepted
form shown, all problems together, before any API call (the end-to-end case, running the handler:
tests/e2e/test_settings_transport.py).
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from urllib3.util import parse_url

from backup_report import settings as cfg

TOKEN = "abcdef0123456789"
DINGTALK = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
SLACK = "https://hooks.slack.com/services/T000/B000/slacktoken0123"
BASE = {cfg.INSTANCE_TAGS: "backup-report=daily", cfg.REGIONS: "cn-hangzhou", cfg.DINGTALK_WEBHOOK: DINGTALK}


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def problems(**settings: str) -> list[str]:
    try:
        cfg.load_settings({**BASE, **settings})
    except cfg.SettingsError as error:
        assert all(TOKEN not in p and "slacktoken0123" not in p for p in error.problems), "a token was quoted"
        return error.problems
    return []


def refused(name: str, value: str, *says: str) -> str:
    found = [p for p in problems(**{name: value}) if p.startswith(name)]
    assert found, f"{name}={value!r} was accepted"
    for text in says:
        assert text in found[0], found[0]
    return found[0]


# --- Webhook URLs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("port", ["99999", "abc", "0", "65536", ""])
@pytest.mark.parametrize("name,url", [(cfg.DINGTALK_WEBHOOK, "https://oapi.dingtalk.com:{}/robot/send?access_token=" + TOKEN),
                                      (cfg.SLACK_WEBHOOK, "https://hooks.slack.com:{}/services/T000/B000/slacktoken0123")])
def test_a_webhook_port_outside_1_to_65535_is_refused_naming_the_setting(name, url, port):
    refused(name, url.format(port), "https URL like", "1–65535")


def test_webhook_ports_in_range_are_accepted():
    assert problems(**{cfg.DINGTALK_WEBHOOK: DINGTALK.replace(".com/", ".com:443/"),
                       cfg.SLACK_WEBHOOK: SLACK.replace(".com/", ".com:65535/")}) == []


def test_a_fragment_in_the_dingtalk_webhook_is_refused_since_the_signature_would_go_after_it():
    refused(cfg.DINGTALK_WEBHOOK, DINGTALK + "#x", "fragment")
    refused(cfg.DINGTALK_WEBHOOK, "https://oapi.dingtalk.com/robot/send#?access_token=" + TOKEN, "fragment")


@pytest.mark.parametrize("url,says", [
    ("https://user:pass@oapi.dingtalk.com/robot/send?access_token=" + TOKEN, "user:password@"),
    ("https://oapi.dingtalk.com@evil.example/robot/send?access_token=" + TOKEN, "user:password@"),
    ("https://oapi.dingtalk.com\\robot/send?access_token=" + TOKEN, "backslash"),
    ("https://oapi.dingtalk.com/robot/send?access_token=" + TOKEN + "\x00", "control"),
    ("https://oapi.dingtalk.com/robot/send?access_token=" + TOKEN + "\r\nX: 1", "control"),
    ("https://oapi.dingtalk.com/robot/send?access_token=\t" + TOKEN, "control"),
    ("https://oapi.dingtalk.com/robot/send?access_token= " + TOKEN, "space"),
    ("https://oapi.dingtalk.cöm/robot/send?access_token=" + TOKEN, "non-ASCII"),
    ("https://-oapi.dingtalk.com/robot/send?access_token=" + TOKEN, "not a host name"),
    ("https://.../robot/send?access_token=" + TOKEN, "not an IPv4 address"),
    ("ftp://oapi.dingtalk.com/robot/send?access_token=" + TOKEN, "https URL like"),
], ids=["userinfo", "at-sign", "backslash", "nul", "crlf", "tab", "space", "non-ascii", "hyphen-label", "dots", "ftp"])
def test_what_the_client_could_read_differently_is_refused(url, says):
    refused(cfg.DINGTALK_WEBHOOK, url, says)


def test_the_backslash_trick_is_refused_though_the_two_parsers_disagree_on_its_host():
    trick = "http://127.0.0.2:8080\\@127.0.0.1/robot/send?access_token=" + TOKEN
    # The attack is real: the validator's parser sees 127.0.0.1, the HTTP client's 127.0.0.2.
    assert urlsplit(trick).hostname == "127.0.0.1" and parse_url(trick).host == "127.0.0.2"
    refused(cfg.DINGTALK_WEBHOOK, trick, "backslash")


@pytest.mark.parametrize("host", ["example.com", "10.0.0.1", "127.0.0.1.nip.io", "[::ffff:8.8.8.8]", "0x7f.0.0.1"])
def test_plain_http_to_a_host_that_is_not_loopback_is_refused(host):
    refused(cfg.SLACK_WEBHOOK, f"http://{host}/services/T000/B000/slacktoken0123", "loopback")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2:9000", "[::1]:8080", "localhost:1", "LOCALHOST"])
def test_plain_http_to_a_loopback_host_is_accepted(host):
    assert problems(**{cfg.SLACK_WEBHOOK: f"http://{host}/services/T000/B000/slacktoken0123"}) == []


def test_plain_http_to_loopback_through_a_proxy_is_refused_unless_no_proxy_names_it(monkeypatch):
    url = "http://127.0.0.1:8080/services/T000/B000/slacktoken0123"
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    refused(cfg.SLACK_WEBHOOK, url, "proxy", "NO_PROXY")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert problems(**{cfg.SLACK_WEBHOOK: url}) == []


# --- KVSTORE_ENDPOINT and KVSTORE_PROTOCOL --------------------------------------------------------

@pytest.mark.parametrize("endpoint,says", [
    ("...", "not an IPv4 address"), ("-", "not a host name"), ("r-kvstore.aliyuncs.com:99999", "1–65535"),
    ("r-kvstore.aliyuncs.com:0", "1–65535"), ("r-kvstore.aliyuncs.com:", "1–65535"),
    ("host_name.example", "not a host name"), ("a..b", "not a host name"), ("-a.example", "not a host name"),
    ("a" * 64 + ".example", "not a host name"), ("::1", "brackets"), ("[::g]:80", "IPv6"),
    ("r-kvstore.aliyuncs.com/x", "no scheme, path"), ("user@r-kvstore.aliyuncs.com", "userinfo"),
    ("https://r-kvstore.aliyuncs.com", "without a scheme"), ("r-kvstore.aliyuncs.com\x00", "control"),
])
def test_an_endpoint_that_is_not_host_and_port_is_refused(endpoint, says):
    refused(cfg.KVSTORE_ENDPOINT, endpoint, "host[:port]", says)


@pytest.mark.parametrize("endpoint", ["r-kvstore-vpc.cn-hangzhou.aliyuncs.com", "r-kvstore.aliyuncs.com:443",
                                      "10.0.0.8:8443", "[fd00::1]:443", "localhost"])
def test_valid_endpoints_are_accepted(endpoint):
    assert problems(**{cfg.KVSTORE_ENDPOINT: endpoint}) == []


@pytest.mark.parametrize("endpoint", ["r-kvstore.aliyuncs.com", "10.0.0.8:80", None])
def test_plain_http_to_the_api_is_refused_unless_the_endpoint_is_loopback(endpoint):
    settings = {cfg.KVSTORE_PROTOCOL: "http", **({cfg.KVSTORE_ENDPOINT: endpoint} if endpoint else {})}
    found = [p for p in problems(**settings) if cfg.KVSTORE_PROTOCOL in p]
    assert found and ("STS token" in found[0] or "in clear" in found[0]), found


@pytest.mark.parametrize("endpoint", ["127.0.0.1:9000", "127.3.4.5", "[::1]:9000", "localhost:9000"])
def test_plain_http_to_a_loopback_endpoint_is_accepted(endpoint):
    assert problems(**{cfg.KVSTORE_PROTOCOL: "http", cfg.KVSTORE_ENDPOINT: endpoint}) == []


def test_a_loopback_endpoint_that_no_proxy_excludes_is_refused_while_the_sdk_would_use_the_proxy(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    found = [p for p in problems(**{cfg.KVSTORE_PROTOCOL: "http", cfg.KVSTORE_ENDPOINT: "127.0.0.1:9000"})
             if p.startswith(cfg.KVSTORE_ENDPOINT)]
    assert found and "ignores NO_PROXY" in found[0] and "HTTP_PROXY" in found[0], found
    assert cfg.KVSTORE_PROTOCOL in found[0]  # the problem names both settings
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")  # https to the endpoint: the same
    assert any("HTTPS_PROXY" in p for p in problems(**{cfg.KVSTORE_ENDPOINT: "127.0.0.1:9000"}))


def test_plain_http_to_a_loopback_endpoint_through_a_proxy_is_refused(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    found = [p for p in problems(**{cfg.KVSTORE_PROTOCOL: "http", cfg.KVSTORE_ENDPOINT: "127.0.0.1:9000"})
             if p.startswith(cfg.KVSTORE_ENDPOINT)]
    assert found and "proxy" in found[0]


# --- Tags and @mobiles ----------------------------------------------------------------------------

@pytest.mark.parametrize("tags", ["team\x00=a", "team=a\x00b", "te\nam=a", "team=a\tb", "team=\x7f", "team=a\x85b"])
def test_a_control_character_in_a_tag_is_refused(tags):
    refused(cfg.INSTANCE_TAGS, tags, "control characters")


def test_tags_longer_than_the_api_allows_are_refused_and_the_longest_allowed_are_accepted():
    refused(cfg.INSTANCE_TAGS, "k" * 129 + "=v", "at most 128")
    refused(cfg.INSTANCE_TAGS, "k=" + "v" * 129, "at most 128")
    assert problems(**{cfg.INSTANCE_TAGS: "k" * 128 + "=" + "v" * 128}) == []


def test_more_at_mobiles_than_fit_in_a_dingtalk_message_are_refused_saying_the_cap_and_why():
    many = ",".join(f"138{n:08d}" for n in range(1500))
    found = refused(cfg.DINGTALK_AT_MOBILES, many, "1500 mobiles", "at most 100", "20,000-byte")
    assert len(found) < 400, "the refusal does not repeat 1,500 numbers"
    assert problems(**{cfg.DINGTALK_AT_MOBILES: ",".join(f"138{n:08d}" for n in range(100))}) == []


# --- All together, before any call ----------------------------------------------------------------

def test_every_problem_is_reported_together_each_naming_its_setting():
    found = problems(**{cfg.DINGTALK_WEBHOOK: DINGTALK + "#sig", cfg.SLACK_WEBHOOK: SLACK.replace(".com/", ".com:99999/"),
                        cfg.KVSTORE_ENDPOINT: "...", cfg.INSTANCE_TAGS: "team\x00=a",
                        cfg.DINGTALK_AT_MOBILES: ",".join(["13800000000"] * 101)})
    named = {name for name in (cfg.DINGTALK_WEBHOOK, cfg.SLACK_WEBHOOK, cfg.KVSTORE_ENDPOINT, cfg.INSTANCE_TAGS,
                               cfg.DINGTALK_AT_MOBILES) if any(p.startswith(name) for p in found)}
    assert len(named) == 5, found
