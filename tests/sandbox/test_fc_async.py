"""The FC 3.0 emulator's asynchronous invocation, driven by the official SDK (alibabacloud_fc20230330):
InvokeFunction with x-fc-invocation-type Async and x-fc-async-task-id, GetAsyncTask, ListAsyncTasks, FC's
retries and at-least-once delivery, the faults, the signature check, and no thread left behind."""
from __future__ import annotations

import io
import json
import threading
import time

import pytest
import requests
from alibabacloud_fc20230330 import models
from alibabacloud_fc20230330.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from accounts_sdk import assume
from sandbox.fc import DUPLICATE_TASK, TASK_NOT_FOUND
from sandbox.pytest_plugin import serve  # noqa: F401 - fixture

ANCHOR = "2026-11-28T01:00Z"
MEMBER = "1000000000000002"
RUNTIME = RuntimeOptions(read_timeout=10000, connect_timeout=1000)
FAST = {"retry_delay": 0.01}


class Toy:
    """A function to register: records each call (event, context) and does what the event says:
    {"fail": N} raises on its first N calls, {"fail": "always"} always, {"gate": true} waits for `gate`."""

    def __init__(self):
        self.calls: list[tuple[bytes, object]] = []
        self.gate = threading.Event()
        self._lock = threading.Lock()
        self.running = self.most = 0

    def __call__(self, event: bytes, context):
        with self._lock:
            self.calls.append((event, context))
            calls = len(self.calls)
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            spec = json.loads(event or b"{}")
            if spec.get("gate"):
                assert self.gate.wait(5), "the test never opened the gate"
            if spec.get("sleep"):
                time.sleep(spec["sleep"])
            fail = spec.get("fail", 0)
            if fail == "always" or calls <= (fail if isinstance(fail, int) else 0):
                raise RuntimeError(f"piece failed on call {calls}")
            return {"piece": spec.get("piece"), "call": calls}
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def sb(serve):
    return serve("empty", anchor=ANCHOR, fc_options=FAST)


@pytest.fixture
def toy(sb) -> Toy:
    function = Toy()
    sb.fc.functions["toy"] = function
    return function


def client(sb, credentials=None, secret: str | None = None) -> Client:
    c = credentials or sb.credentials
    return Client(Config(access_key_id=c.access_key_id, access_key_secret=secret or c.access_key_secret,
                         security_token=c.security_token, endpoint=sb.function_compute_endpoint, protocol="http",
                         region_id="cn-hangzhou"))


def invoke(sb, event: dict, task_id: str | None = None, name: str = "toy", credentials=None, secret=None,
           qualifier: str | None = None):
    request = models.InvokeFunctionRequest(body=io.BytesIO(json.dumps(event).encode()), qualifier=qualifier)
    headers = models.InvokeFunctionHeaders(x_fc_invocation_type="Async", x_fc_async_task_id=task_id)
    return client(sb, credentials, secret).invoke_function_with_options(name, request, headers, RUNTIME)


def get(sb, task_id: str, name: str = "toy", qualifier: str | None = None) -> models.AsyncTask:
    request = models.GetAsyncTaskRequest(qualifier=qualifier)
    return client(sb).get_async_task_with_options(name, task_id, request, {}, RUNTIME).body


def listed(sb, name: str = "toy", **fields) -> models.ListAsyncTaskOutput:
    request = models.ListAsyncTasksRequest(**fields)
    return client(sb).list_async_tasks_with_options(name, request, {}, RUNTIME).body


def refusal(call) -> tuple[int, str]:
    with pytest.raises(AlibabaCloudException) as caught:
        call()
    return caught.value.status_code, caught.value.code


def until(condition, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("the condition never held")


def fc_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("fc-async-")]


# --- InvokeFunction, Async ----------------------------------------------------------------------------

def test_an_async_invocation_is_answered_202_at_once_and_the_task_runs_after(sb, toy):
    response = invoke(sb, {"piece": "acct-1", "gate": True}, task_id="run-20261128-acct-1")
    assert response.status_code == 202 and response.body.read() == b""
    assert response.headers["x-fc-async-task-id"] == "run-20261128-acct-1"
    request_id = response.headers["x-fc-request-id"]
    until(lambda: toy.calls)  # running while the answer is long gone
    assert get(sb, "run-20261128-acct-1").status == "Running"
    toy.gate.set()
    assert sb.fc.wait(5)
    task = get(sb, "run-20261128-acct-1")
    assert (task.status, task.request_id, task.already_retried_times) == ("Succeeded", request_id, 0)
    assert json.loads(task.return_payload) == {"piece": "acct-1", "call": 1}
    assert task.function_arn == "acs:fc:cn-hangzhou:1000000000000001:functions/toy" and task.qualifier == "LATEST"
    assert task.started_time <= task.end_time and task.duration_ms == task.end_time - task.started_time
    assert [e.status for e in task.events] == ["Enqueued", "Running", "Succeeded"]
    [call] = sb.fc.invocations
    assert (call.function, call.invocation_type, call.task_id) == ("toy", "Async", "run-20261128-acct-1")


def test_the_function_gets_an_fc_context_with_a_new_request_id_per_attempt(sb, toy):
    response = invoke(sb, {"fail": 1}, task_id="ctx-1")
    assert sb.fc.wait(5)
    (_, first), (_, second) = toy.calls
    assert first.request_id != second.request_id
    assert response.headers["x-fc-request-id"] not in (first.request_id, second.request_id)
    assert (first.function.name, first.function.qualifier, first.function.timeout) == ("toy", "LATEST", 300)
    assert (first.account_id, first.region) == (sb.account, "cn-hangzhou")
    assert first.credentials.access_key_id == sb.credentials.access_key_id  # the role's (the home) credentials
    assert [a.request_id for a in sb.fc.tasks["ctx-1"].attempts] == [first.request_id, second.request_id]


def test_without_a_task_id_fc_makes_one_the_request_id(sb, toy):
    response = invoke(sb, {"piece": "x"})
    task_id = response.headers["x-fc-async-task-id"]
    assert task_id == response.headers["x-fc-request-id"]
    assert sb.fc.wait(5) and get(sb, task_id).status == "Succeeded"


def test_a_task_id_used_before_is_refused_409_whatever_its_status(sb, toy):
    sb.fc.lose = {"lost"}
    invoke(sb, {"piece": 1}, task_id="run-1-acct-1")
    invoke(sb, {"piece": 1}, task_id="run-1-acct-lost")
    assert sb.fc.wait(5)
    for task_id in ("run-1-acct-1", "run-1-acct-lost"):  # Succeeded, and Enqueued for ever
        assert refusal(lambda: invoke(sb, {"piece": 2}, task_id=task_id)) == (409, DUPLICATE_TASK)
    assert len(toy.calls) == 1 and len(sb.fc.invocations) == 2
    assert invoke(sb, {"piece": 1}, task_id="run-2-acct-1").status_code == 202  # another run's piece


@pytest.mark.parametrize("task_id,good", [
    ("a", True), ("_piece", True), ("Run-2026_11-28", True), ("x" * 128, True),
    ("x" * 129, False), ("1-starts-with-a-digit", False), ("-dash", False), ("has.dot", False),
    ("has space", False), ("café", False),  # (the SDK sends headers as latin-1)
])
def test_a_task_id_follows_fcs_rule(sb, toy, task_id, good):
    if good:
        assert invoke(sb, {}, task_id=task_id).status_code == 202
    else:
        assert refusal(lambda: invoke(sb, {}, task_id=task_id)) == (400, "InvalidArgument")
        assert sb.fc.tasks == {}


def test_an_unknown_function_or_qualifier_is_not_found(sb, toy):
    assert refusal(lambda: invoke(sb, {}, task_id="t", name="nope")) == (404, "FunctionNotFound")
    assert refusal(lambda: invoke(sb, {}, task_id="t", qualifier="prod")) == (404, "AliasNotFound")
    assert sb.fc.tasks == {}


# --- retries and GetAsyncTask ---------------------------------------------------------------------------

def test_a_task_that_always_raises_fails_after_fcs_three_retries(sb, toy):
    invoke(sb, {"fail": "always"}, task_id="bad-1")
    assert sb.fc.wait(5)
    task = get(sb, "bad-1")
    assert (task.status, task.already_retried_times) == ("Failed", 3)
    assert task.task_error_message == "RuntimeError: piece failed on call 4" and task.return_payload is None
    assert [e.status for e in task.events] == ["Enqueued"] + ["Running", "Retrying"] * 3 + ["Running", "Failed"]
    assert len(toy.calls) == 4 and sb.fc.tasks["bad-1"].results == ()


def test_a_task_that_raises_twice_succeeds_on_its_third_attempt(sb, toy):
    invoke(sb, {"fail": 2}, task_id="flaky-1")
    assert sb.fc.wait(5)
    task = get(sb, "flaky-1")
    assert (task.status, task.already_retried_times, task.task_error_message) == ("Succeeded", 2, None)
    assert [a.error is None for a in sb.fc.tasks["flaky-1"].attempts] == [False, False, True]


def test_a_task_is_retrying_between_attempts(sb, toy):
    sb.fc.retry_delay = 0.5
    invoke(sb, {"fail": 1}, task_id="slow-retry")
    task = until(lambda: (t := get(sb, "slow-retry")).status == "Retrying" and t)
    assert task.task_error_message == "RuntimeError: piece failed on call 1" and task.end_time is None
    assert sb.fc.wait(5) and get(sb, "slow-retry").status == "Succeeded"


def test_async_retries_is_maxasyncretryattempts(sb, toy):
    sb.fc.async_retries = 0
    invoke(sb, {"fail": 1}, task_id="no-retry")
    assert sb.fc.wait(5)
    assert (get(sb, "no-retry").status, len(toy.calls)) == ("Failed", 1)


def test_fail_always_fails_every_attempt_without_running_the_function(sb, toy):
    sb.fc.fail_always = {"acct-3"}
    invoke(sb, {}, task_id="run-1-acct-3")
    invoke(sb, {}, task_id="run-1-acct-4")
    assert sb.fc.wait(5)
    task = get(sb, "run-1-acct-3")
    assert (task.status, task.already_retried_times) == ("Failed", 3)
    assert task.task_error_message.startswith("SandboxFault: fail_always")
    assert get(sb, "run-1-acct-4").status == "Succeeded" and len(toy.calls) == 1


def test_a_lost_task_is_accepted_and_stays_enqueued(sb, toy):
    sb.fc.lose = {"acct-2"}
    assert invoke(sb, {}, task_id="run-1-acct-2").status_code == 202
    assert sb.fc.wait(1)  # nothing of it will run
    task = get(sb, "run-1-acct-2")
    assert (task.status, task.started_time, task.end_time) == ("Enqueued", None, None)
    assert toy.calls == [] and sb.fc.tasks["run-1-acct-2"].lost


def test_get_async_task_of_an_unknown_id_or_another_qualifier_is_not_found(sb, toy):
    invoke(sb, {}, task_id="known")
    assert refusal(lambda: get(sb, "unknown")) == (404, TASK_NOT_FOUND)
    assert refusal(lambda: get(sb, "known", name="nope")) == (404, "FunctionNotFound")
    assert sb.fc.wait(5) and get(sb, "known", qualifier="LATEST").task_id == "known"


def test_get_async_task_gives_the_payload_the_task_was_invoked_with(sb, toy):
    invoke(sb, {"piece": "acct-9"}, task_id="payload")
    assert json.loads(get(sb, "payload").task_payload) == {"piece": "acct-9"}


# --- at-least-once, late, capped ------------------------------------------------------------------------

def test_a_duplicated_task_runs_twice(sb, toy):
    sb.fc.duplicate = {"acct-5"}
    invoke(sb, {"piece": "acct-5"}, task_id="run-1-acct-5")
    assert sb.fc.wait(5)
    task = sb.fc.tasks["run-1-acct-5"]
    assert [a.delivery for a in task.attempts] == [1, 2] and len({a.request_id for a in task.attempts}) == 2
    assert [json.loads(r)["call"] for r in task.results] == [1, 2]
    assert get(sb, "run-1-acct-5").status == "Succeeded" and len(toy.calls) == 2


def test_a_delayed_task_waits_enqueued_then_runs(sb, toy):
    sb.fc.delay = {"acct-7": 1.0}
    invoke(sb, {}, task_id="run-1-acct-7")
    invoke(sb, {}, task_id="run-1-acct-8")
    until(lambda: get(sb, "run-1-acct-8").status == "Succeeded")
    assert get(sb, "run-1-acct-7").status == "Enqueued"
    assert sb.fc.wait(5) and get(sb, "run-1-acct-7").status == "Succeeded"


def test_concurrency_caps_the_attempts_running_at_once(sb, toy):
    sb.fc.concurrency = 1
    for n in range(3):
        invoke(sb, {"sleep": 0.05}, task_id=f"capped-{n}")
    assert sb.fc.wait(5)
    assert toy.most == 1 and {t.status for t in sb.fc.tasks.values()} == {"Succeeded"}


# --- ListAsyncTasks -------------------------------------------------------------------------------------

def test_list_async_tasks_by_prefix_pages_with_next_token(sb, toy):
    for n in range(5):
        invoke(sb, {"piece": n}, task_id=f"run-a-{n}")
    invoke(sb, {}, task_id="run-b-0")
    assert sb.fc.wait(5)
    pages, token = [], None
    while True:
        page = listed(sb, prefix="run-a-", limit=2, next_token=token)
        pages.append([t.task_id for t in page.tasks])
        token = page.next_token
        if not token:
            break
    assert pages == [["run-a-0", "run-a-1"], ["run-a-2", "run-a-3"], ["run-a-4"]]
    assert [t.task_id for t in listed(sb).tasks] == [f"run-a-{n}" for n in range(5)] + ["run-b-0"]  # default 20
    assert [t.task_id for t in listed(sb, prefix="run-a-", sort_order_by_time="desc", limit=2).tasks] == \
        ["run-a-4", "run-a-3"]


def test_list_async_tasks_by_status_and_with_the_payload(sb, toy):
    sb.fc.lose = {"lost"}
    invoke(sb, {"piece": "ok"}, task_id="p-ok")
    invoke(sb, {"fail": "always"}, task_id="p-bad")
    invoke(sb, {"piece": "lost"}, task_id="p-lost")
    assert sb.fc.wait(5)
    by_status = {s: [t.task_id for t in listed(sb, prefix="p-", status=s).tasks]
                 for s in ("Succeeded", "Failed", "Enqueued", "Running")}
    assert by_status == {"Succeeded": ["p-ok"], "Failed": ["p-bad"], "Enqueued": ["p-lost"], "Running": []}
    [bad] = listed(sb, prefix="p-bad").tasks
    assert bad.task_payload is None and bad.already_retried_times == 3
    [bad] = listed(sb, prefix="p-bad", include_payload=True).tasks
    assert json.loads(bad.task_payload) == {"fail": "always"}


@pytest.mark.parametrize("fields", [{"limit": 0}, {"limit": 101}, {"next_token": "not-a-token"},
                                    {"sort_order_by_time": "newest"}])
def test_list_async_tasks_refuses_what_is_out_of_range(sb, toy, fields):
    assert refusal(lambda: listed(sb, **fields)) == (400, "InvalidArgument")


def test_list_async_tasks_limit_100_is_allowed(sb, toy):
    assert listed(sb, limit=100).tasks == []


# --- who may call ---------------------------------------------------------------------------------------

def test_an_unsigned_request_is_refused(sb, toy):
    url = f"http://{sb.function_compute_endpoint}/2023-03-30/functions/toy/invocations"
    answer = requests.post(url, data=b"{}", headers={"x-fc-invocation-type": "Async"}, timeout=3)
    assert (answer.status_code, answer.json()["Code"]) == (400, "IncompleteSignature")
    listing = requests.get(f"http://{sb.function_compute_endpoint}/2023-03-30/functions/toy/async-tasks", timeout=3)
    assert listing.status_code == 400 and sb.fc.tasks == {} and toy.calls == []


def test_a_wrongly_signed_request_is_refused(sb, toy):
    assert refusal(lambda: invoke(sb, {}, task_id="t", secret="not-the-secret")) == (400, "SignatureDoesNotMatch")
    assert sb.fc.tasks == {}


def test_a_member_accounts_credentials_are_not_the_functions_account(serve):
    sb = serve({"accounts": [{"id": MEMBER}]}, anchor=ANCHOR, fc_options=FAST)
    sb.fc.functions["toy"] = Toy()
    member = assume(sb, MEMBER).credentials
    assert refusal(lambda: invoke(sb, {}, task_id="t", credentials=member)) == (403, "AccessDenied")
    assert sb.fc.tasks == {}


# --- the sandbox's own function, and stopping -----------------------------------------------------------

def test_the_sandbox_serves_the_deployed_handler_with_the_process_environment(sb, monkeypatch):
    for name, value in {**sb.env(), "INSTANCE_TAGS": "backup-report=daily"}.items():
        monkeypatch.setenv(name, value)
    event = {"triggerTime": "2026-11-28T01:00:00Z", "payload": "awesome-fc"}  # FC's example payload: refused
    invoke(sb, event, task_id="deployed-1", name="redis-backup-report")
    assert sb.fc.wait(30)
    task = get(sb, "deployed-1", name="redis-backup-report")
    assert task.status == "Succeeded" and "event payload" in json.loads(task.return_payload)["settings"][0]
    assert len(sb.dingtalk.messages) == 1  # the settings alert, posted with the environment the test set
    assert sb.env()["FUNCTION_COMPUTE_ENDPOINT"] == sb.function_compute_endpoint


def test_stop_leaves_no_task_thread_behind(serve):
    sb = serve("empty", anchor=ANCHOR, fc_options={**FAST, "delay": {"late": 30}})
    sb.fc.functions["toy"] = toy = Toy()
    invoke(sb, {"sleep": 0.3}, task_id="running")
    invoke(sb, {}, task_id="late-1")  # would start in 30 s
    until(lambda: toy.calls)
    started = time.monotonic()
    sb.stop()
    assert time.monotonic() - started < 5
    assert fc_threads() == []
    tasks = sb.fc.tasks
    assert (tasks["running"].status, tasks["late-1"].status) == ("Succeeded", "Enqueued")  # finished, never begun
