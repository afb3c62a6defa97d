"""The shipped multi-account scenario (scenarios/accounts.yaml): what each account holds, read as the function would."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from accounts_sdk import as_account, assume, list_accounts, refusal
from kvstore_sdk import Api
from sandbox.pytest_plugin import serve  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = "2026-11-28T01:00Z"
WINDOW = {"start_time": "2026-11-25T00:00Z", "end_time": "2026-11-28T01:00Z", "page_size": 100}


@pytest.fixture
def sb(serve):
    return serve("accounts", anchor=ANCHOR)


def newest(api: Api, instance_id: str):
    records = api.describe_backups(instance_id=instance_id, **WINDOW).backups.backup
    return max(records, key=lambda b: b.backup_start_time) if records else None


def test_the_directory_lists_three_members_and_the_home_account_manages_it(sb):
    page = list_accounts(sb, page_size=100)
    assert sb.account == "1000000000000001" and sb.accounts == ("1000000000000002", "1000000000000003",
                                                                 "1000000000000004")
    assert [(a.account_id, a.display_name) for a in page.accounts.account] == [
        ("1000000000000002", "payments-prod"), ("1000000000000003", "search-prod"),
        ("1000000000000004", "legacy-sandbox")]
    assert sb.env()["REGIONS"] == "cn-hangzhou,cn-shanghai"


def test_each_member_holds_its_story(sb):
    home = Api(sb)
    assert {i.instance_name for r in ("cn-hangzhou", "cn-shanghai")
            for i in home.describe_instances(region_id=r).instances.kvstore_instance} == {"billing-cache", "audit-store"}
    payments = as_account(sb, assume(sb, "1000000000000002"))
    assert newest(payments, "r-bp1p4y9l6dg2r7w4").backup_status == "Failed"  # ledger-cache
    assert newest(payments, "r-bp1p4y7c2kd8m3q5").backup_status == "Success"  # checkout-cache
    search = as_account(sb, assume(sb, "1000000000000003"))
    assert newest(search, "r-uf6s3r2m9hd4w6x1").backup_start_time == "2026-11-25T18:10:00Z"  # suggest-cache: 2 days
    assert newest(search, "r-uf6s3r5q1vb7n4c8").backup_status == "Success"


def test_legacy_sandbox_cannot_be_assumed(sb):
    assert refusal(lambda: assume(sb, "1000000000000004")) == (404, "EntityNotExist.Role")


def test_serve_names_the_accounts():
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--scenario", "accounts", "--at", ANCHOR],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        shown = json.loads(process.stdout.readline())
        assert shown["account"] == "1000000000000001" and len(shown["accounts"]) == 3
        assert shown["sts_endpoint"].startswith("127.0.0.1:") and shown["resourcemanager_endpoint"]
    finally:
        process.terminate()
        process.wait(timeout=10)
