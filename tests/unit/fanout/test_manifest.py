"""fanout/manifest.py and the piece event: what a fanned-out run writes and reads back as untrusted data. Pure."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from backup_report import codec
from backup_report.fanout import fans_out, manifest as mf
from backup_report.invocation import parse_event
from backup_report.model import Account, Checked, Findings, Instance, Kind, Verdict, Window
from backup_report.settings import SettingsError, load_settings

NOW = datetime(2026, 11, 28, 1, 0, 5, tzinfo=timezone.utc)
A, B = Account("1111111111111111", "payments-prod"), Account("2222222222222222", "search-prod")


def manifest(**changes) -> mf.Manifest:
    m = mf.Manifest(run=mf.run_id(NOW, "req-1"), day=date(2026, 11, 28), trigger_name="daily", trigger_time=NOW,
                    payload="{}", created=NOW, deadline=mf.deadline(NOW, 300), function="redis-backup-report",
                    qualifier="LATEST", pieces=(mf.Piece(0, A), mf.Piece(1, B)))
    return replace(m, **changes)


def test_ids_are_what_fc_and_the_keys_accept():
    run = mf.run_id(NOW, "1-6935f2b1-0e1f5c8a9d2b")
    assert mf.RUN_ID.fullmatch(run) and run.startswith("r20261128010005")
    assert re.fullmatch(r"[A-Za-z0-9-]{1,64}", mf.task_id(run, 999))
    assert mf.run_id(NOW, "a") != mf.run_id(NOW, "b")


def test_the_deadline_leaves_every_fc_attempt_its_whole_timeout_in_waves_of_the_concurrency_cap():
    assert mf.deadline(NOW, 300) == NOW + timedelta(seconds=3 * 300) + timedelta(minutes=10)
    assert mf.deadline(NOW, 300, 200) == NOW + timedelta(seconds=20 * 3 * 300) + timedelta(minutes=10)


def test_each_kind_of_object_has_a_folder_of_its_own():
    m = manifest()
    assert mf.manifest_key("p/", m) == f"p/runs/2026/11/28/manifests/daily/{m.run}.json"
    assert mf.piece_key("p/", m, 1) == f"p/runs/2026/11/28/pieces/daily/{m.run}/1.json"
    assert mf.key("p/", m.day, "posted", "", m.run) == f"p/runs/2026/11/28/posted/manual/{m.run}.json"


def test_a_manifest_reads_back_as_written():
    m = manifest()
    assert mf.load_manifest(mf.dumps(m), m.run) == m


@pytest.mark.parametrize("mutate,why", [
    (lambda d: d.update(run="r1"), "not this run's"),
    (lambda d: d["pieces"].reverse(), "not numbered"),
    (lambda d: d["pieces"][1]["account"].update(account_id=A.account_id), "an account twice"),
    (lambda d: d.update(payload="x" * (mf.MAX_PAYLOAD_CHARS + 1)), "over its bounds"),
    (lambda d: d.update(payload=None), "over its bounds or not a string"),
    (lambda d: d.update(extra=1), "unknown field"),
    (lambda d: d["pieces"][0].update(index="0"), "not a int"),
])
def test_a_manifest_of_another_form_is_refused_naming_why(mutate, why):
    data = codec.dump(manifest())
    mutate(data)
    with pytest.raises(ValueError, match=why):
        mf.load_manifest(json.dumps(data).encode(), manifest().run)


def test_a_manifest_that_is_not_json_is_refused():
    with pytest.raises(ValueError, match="not JSON"):
        mf.load_manifest(b"\xff{", "")


def piece_result(m, index=0, account=A, instance_account=None):
    window = Window(NOW - timedelta(hours=24), NOW)
    checked = [Checked(Instance("r-a1", "a", "cn-hangzhou", account_id=instance_account or account.account_id),
                       Verdict(Kind.OK, "fine"))]
    return mf.PieceResult(m.run, index, account.account_id, Findings(window, checked))


def test_a_piece_result_must_be_of_its_piece_and_account():
    m = manifest()
    assert mf.load_piece(mf.dumps(piece_result(m)), m, 0).findings.checked[0].instance.instance_id == "r-a1"
    with pytest.raises(ValueError, match="not this piece's"):
        mf.load_piece(mf.dumps(piece_result(m)), m, 1)  # piece 0's result read as piece 1's
    with pytest.raises(ValueError, match="another account's"):
        mf.load_piece(mf.dumps(piece_result(m, instance_account=B.account_id)), m, 0)


@pytest.mark.parametrize("piece", [
    {"run": "r20261128010005abcdef01", "day": "2026-11-28", "trigger": "daily", "index": 3000},
    {"run": "r20261128010005abcdef01", "day": "2026-11-28", "trigger": "daily", "index": -1},
    {"run": "x", "day": "2026-11-28", "trigger": "daily", "index": 0},
    {"run": "r20261128010005abcdef01", "day": "2026-13-28", "trigger": "daily", "index": 0},
    {"run": "r20261128010005abcdef01", "day": "2026-11-28", "trigger": "team/a", "index": 0},
    {"run": "r20261128010005abcdef01", "day": "2026-11-28", "trigger": "daily", "index": True},
    {"run": "r20261128010005abcdef01", "day": "2026-11-28", "trigger": "daily", "index": 0, "account": "1"},
])
def test_a_piece_event_of_another_form_is_refused(piece):
    with pytest.raises(SettingsError, match="event piece: expected"):
        parse_event(json.dumps({"piece": piece}))


def test_a_piece_event_names_its_run_and_nothing_else_of_it_is_read():
    event = parse_event(json.dumps({"piece": {"run": "r20261128010005abcdef01", "day": "2026-11-28",
                                              "trigger": "daily", "index": 3}, "payload": '{"regions": "x"}'}))
    assert event.piece.index == 3 and event.piece.day == date(2026, 11, 28) and event.payload == {}


def test_a_run_fans_out_only_past_its_accounts_per_invocation_with_the_archive_and_no_payload_secret():
    base = {"INSTANCE_TAGS": "a=b", "REGIONS": "cn-hangzhou", "SLACK_WEBHOOK": "https://hooks.slack.com/services/T/B/x",
            "ACCOUNTS": "resource-directory", "ACCOUNTS_PER_INVOCATION": "2"}
    assert not fans_out(load_settings(base), 3)
    archived = {**base, "ARCHIVE_OSS_BUCKET": "my-bucket"}
    assert fans_out(load_settings(archived), 3) and not fans_out(load_settings(archived), 2)
    assert not fans_out(load_settings(archived), 3001)  # past what one run lists of its pieces
    # a webhook the payload set would be written into the bucket with the manifest: read here instead
    opted = load_settings({**archived, "PAYLOAD_SETTINGS": "SLACK_WEBHOOK"},
                          {"slack_webhook": "https://hooks.slack.com/services/T/B/team"})
    assert not fans_out(opted, 3)


def test_a_long_payload_reads_back_whole():
    payload = json.dumps({"dingtalk_at_mobiles": ",".join(f"1380000{n:04d}" for n in range(100))})
    m = manifest(payload=payload)
    assert len(payload) > 1200 and mf.load_manifest(mf.dumps(m), m.run).payload == payload
