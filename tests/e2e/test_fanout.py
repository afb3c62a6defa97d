"""A many-account run in pieces (ACCOUNTS past ACCOUNTS_PER_INVOCATION, the archive on): the timer's invocation
starts one FC async task an account on the sandbox's Function Compute, each piece reads its account, and one
digest is posted once, by the last piece or by the `collect` timer. The whole of it on loopback; every message,
result and log line scanned for every credential (conftest.report)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from backup_report import app
from conftest import instance
from sandbox.demo import fc_context
from sandbox.oss import OSSBucket

HOME, LEGACY = "1000000000000001", "1000000000000004"
SETTINGS = {"ACCOUNTS": "resource-directory", "ACCOUNTS_PER_INVOCATION": "1"}


def collected(run) -> list[dict]:
    """What each piece's invocations returned, as JSON."""
    return [json.loads(r) for task in run.sandbox.fc.tasks.values() for r in task.results]


def test_the_pieces_post_one_digest_naming_every_account(report):
    bucket: dict = {}
    run = report("accounts", SETTINGS, oss=bucket)
    assert run.error is None, run.error
    started = run.result
    assert started["status"] == "started" and started["fanout"]["pieces"] == 4 == started["fanout"]["started"]
    assert started["deliveries"] == []  # the timer's invocation posts nothing
    assert len(run.dingtalk) == len(run.slack) == len(run.feishu) == len(run.wecom) == 1
    text = run.dingtalk_text
    assert text.splitlines()[0].endswith("Redis backups: 3 need attention · 6 fine")
    assert "account 1000000000000004 (legacy-sandbox) not checked: AssumeRole failed: EntityNotExist.Role" in text
    assert "ledger-cache" in text and "suggest-cache" in text
    # The collect writes the page before it posts, and links it: the linked key is in the bucket.
    (page,) = re.findall(r"/backup-report-archive/([^?\s)]+\.html)\?", text)
    assert page in bucket and "📄 Report page" in text
    final = [r for r in collected(run) if r["deliveries"]]
    assert len(final) == 1 and final[0]["fanout"]["collected"] == 4
    assert {e["account_id"] for e in final[0]["instances"]} == {HOME, "1000000000000002", "1000000000000003"}
    # the monitor: start when the pieces started, success when the digest went out
    assert run.pings == ["start", "success"]
    tasks = run.sandbox.fc.tasks
    # a task a piece, and the collect's, which the last piece started
    assert sorted(tasks) == sorted([f"{started['fanout']['run']}-{n}" for n in range(4)] +
                                   [f"{started['fanout']['run']}-collect"])
    assert all(t.status == "Succeeded" for t in tasks.values())


def test_a_collect_whose_page_oss_refuses_posts_once_saying_why_and_keeps_its_record(report, monkeypatch):
    monkeypatch.setattr(OSSBucket, "put_denied", (".html",), raising=False)
    bucket: dict = {}
    run = report("accounts", SETTINGS, oss=bucket)
    assert len(run.dingtalk) == len(run.slack) == len(run.feishu) == len(run.wecom) == 1
    assert "📄 Report page" not in run.dingtalk_text and "report page not archived: OSS AccessDenied (HTTP 403): " \
        "You have no right to access this object because of bucket acl." in run.dingtalk_text
    # No page, and the run's record (its JSON) kept all the same.
    assert not [k for k in bucket if k.endswith(".html")]
    assert len([k for k in bucket if re.search(r"/daily/[0-9]{6}Z-[0-9a-f]{8}-[^/]+\.json$", k)]) == 1
    assert run.pings == ["start", "success"]


def test_a_piece_delivered_twice_posts_nothing_twice(report):
    run = report("accounts", SETTINGS, oss={}, fc={"duplicate": ["-1"]})
    assert len(run.dingtalk) == len(run.slack) == len(run.feishu) == len(run.wecom) == 1
    twice = [t for t in run.sandbox.fc.tasks.values() if len(t.results) == 2]
    again = json.loads(twice[0].results[1])
    assert len(twice) == 1 and again.get("piece", again["fanout"])["written"] is False


def test_a_lost_piece_is_named_by_the_collect_timer_past_the_deadline(report):
    later: dict = {}
    # Today, so the collect timer (which looks at today's runs and yesterday's) finds it.
    anchor = datetime.now(timezone.utc).replace(second=0, microsecond=0)

    def at(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def collect(sb):
        context = fc_context(sb.credentials, region="cn-hangzhou", request_id="collect-request-0001")
        early = json.loads(app.run({"triggerName": "collect", "triggerTime": at(anchor)}, context))
        later["early"] = (early, len(sb.dingtalk.messages))
        # past the deadline (the pieces' three attempts of 300 s, and their back-offs)
        now = datetime.now(timezone.utc) + timedelta(minutes=26)
        event = {"triggerName": "collect", "triggerTime": at(now)}
        later["late"] = json.loads(app.run(event, context, now=now))
        later["posts"] = len(sb.dingtalk.messages)

    run = report("accounts", SETTINGS, oss={}, fc={"lose": ["-2"]}, before_stop=collect, anchor=at(anchor))
    assert run.result["status"] == "started"
    early, posted_early = later["early"]
    assert early["status"] == "nothing due" and posted_early == 0  # the lost piece may still come
    assert later["late"]["status"] == "alert" and later["posts"] == 1
    assert [c["collected"] for c in later["late"]["collected"]] == [3]  # of the run's 4 pieces
    text = run.dingtalk_text
    assert "not checked: PieceNotFinished: its piece had not finished by" in text
    assert "FC async task" in text and "Enqueued" in text
    assert run.pings == ["start", "success"]


def test_a_run_within_accounts_per_invocation_reads_every_account_itself(report):
    run = report("accounts", {"ACCOUNTS": "resource-directory"}, oss={})
    assert run.result["status"] == "alert" and "fanout" not in run.result
    assert not run.sandbox.fc.tasks
    assert len(run.dingtalk) == 1


def test_collect_with_nothing_open_does_nothing(report):
    run = report({"instances": [instance("r-bp1home00001")]}, {}, oss={}, event={"triggerName": "collect"})
    assert run.result["status"] == "nothing to collect" and run.dingtalk == [] and run.pings == []


def test_a_hostile_piece_result_is_named_and_costs_only_its_account(report):
    from sandbox.oss import StoredObject

    later: dict = {}
    anchor = datetime.now(timezone.utc).replace(second=0, microsecond=0)

    def forge_then_collect(sb):
        # The lost piece's result, forged: another account's instance, claimed fine.
        run_id = next(iter(sb.fc.tasks)).rsplit("-", 1)[0]
        key = f"redis-backup-report/runs/{anchor:%Y/%m/%d}/pieces/daily/{run_id}/2.json"
        forged = {"run": run_id, "index": 2, "account_id": "1000000000000003", "coverage": [],
                  "findings": {"window": {"start": "2026-11-27T01:00:00+00:00", "end": "2026-11-28T01:00:00+00:00"},
                               "checked": [{"instance": {"instance_id": "r-forged00001", "name": "forged", "region":
                                                         "cn-hangzhou", "account_id": HOME},
                                            "verdict": {"kind": "ok", "detail": "fine"}}]}}
        sb.oss.objects[key] = StoredObject(json.dumps(forged).encode(), "application/json")
        now = datetime.now(timezone.utc) + timedelta(minutes=26)
        context = fc_context(sb.credentials, region="cn-hangzhou", request_id="collect-request-0002")
        later["late"] = json.loads(app.run({"triggerName": "collect", "triggerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
                                           context, now=now))

    run = report("accounts", SETTINGS, oss={}, fc={"lose": ["-2"]}, before_stop=forge_then_collect,
                 anchor=anchor.strftime("%Y-%m-%dT%H:%M:%SZ"))
    text = run.dingtalk_text
    assert len(run.dingtalk) == 1
    assert "account 1000000000000003 (search-prod) not checked: PieceUnreadable: its piece's result: piece: holds " \
           "another account's instances" in text
    assert "r-forged00001" not in json.dumps(later["late"]) and "forged" not in text
    assert later["late"]["status"] == "alert"


def test_a_piece_started_again_after_fc_refused_it_once_is_the_same_piece(report):
    # FC's 503 on a piece's InvokeFunction: the retry sends the same event (never an empty one, which would be a
    # run of its own), so one digest, naming every account as the pieces read them.
    run = report("accounts", SETTINGS, oss={}, fc={"unavailable_once": ["-1"]})
    assert len(run.dingtalk) == 1 and run.result["fanout"]["started"] == 4
    assert [i.event for i in run.sandbox.fc.invocations if i.task_id.endswith("-1")][0].startswith(b'{"piece"')
    assert len([t for t in run.sandbox.fc.tasks if not t.endswith("collect")]) == 4
    assert run.dingtalk_text.splitlines()[0].endswith("Redis backups: 3 need attention · 6 fine")


def test_a_payload_that_tightens_the_rules_judges_the_pieces_as_one_invocation(report):
    payload = {"min_retention_days": "30", "backup_grace_minutes": "0"}
    whole = report("accounts", {"ACCOUNTS": "resource-directory"}, payload=payload, oss={})
    pieces = report("accounts", SETTINGS, payload=payload, oss={})
    collected_run = [r for r in collected(pieces) if r["deliveries"]][0]
    assert {i["instance_id"]: i["verdict"] for i in collected_run["instances"]} == \
        {i["instance_id"]: i["verdict"] for i in whole.result["instances"]}
    assert "policy" in {i["verdict"] for i in whole.result["instances"]}
    assert pieces.dingtalk_text.splitlines()[0] == whole.dingtalk_text.splitlines()[0]

