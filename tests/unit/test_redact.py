"""redact.hosts_only: a URL in text that may hold a token, cut to its scheme and host."""
from __future__ import annotations

import pytest

from backup_report.redact import hosts_only


@pytest.mark.parametrize("text, shown", [
    ("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef", "https://oapi.dingtalk.com/…"),
    ("<https://hooks.slack.com/services/T0/B0/token>", "<https://hooks.slack.com/…>"),
    ("'https://hc-ping.com/5b1d0c3e-0000-4000-8000-0123456789ab' and more", "'https://hc-ping.com/…' and more"),
    ("https://reports.example.com/", "https://reports.example.com/"),  # a bare trailing slash hides nothing
    ("https://open.feishu.cn", "https://open.feishu.cn"),
    ("127.0.0.1:8080", "127.0.0.1:8080"),
    ("acs:ram::1234567890123456:role/redis-backup-report", "acs:ram::1234567890123456:role/redis-backup-report"),
])
def test_a_url_is_cut_to_its_host_and_other_text_is_kept(text, shown):
    assert hosts_only(text) == shown
