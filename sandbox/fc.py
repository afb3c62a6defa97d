"""Function Compute 3.0 emulator: InvokeFunction (Sync and Async), GetAsyncTask and ListAsyncTasks.

Every call is signed ACS3-HMAC-SHA256 as the FC 3.0 SDK (alibabacloud_fc20230330) signs it, checked by
`acs3.verify`: against the sandbox's key table when given one (`keyring`: the home credentials and the
ones STS issued; a caller acting in another account than the function's is refused, 403 `AccessDenied`),
else against `credentials` alone. The paths, methods, headers and JSON fields are the SDK's
(client.py's `*_with_options`, models/_async_task.py, _list_async_task_output.py):

- `POST /2023-03-30/functions/{name}/invocations[?qualifier=]`, the event as the body, handed to the
  function as bytes with a context shaped like FC's (`demo.fc_context`).
  `x-fc-invocation-type: Sync` (the default): the function runs in the request and its return value is
  the body, `x-fc-request-id` set; a function that raised: `x-fc-error-type: UnhandledInvocationError`
  and `{"errorMessage", "errorType", "stackTrace"}` (FC's Python error handling page).
  `x-fc-invocation-type: Async`: HTTP 202 at once, an empty body, `x-fc-request-id` and
  `x-fc-async-task-id` (the one given, else the request ID, as FC does); the event is queued and run in a
  thread (`fc_tasks.py`: statuses, retries, at-least-once delivery, each rule's source). An
  `x-fc-async-task-id` outside FC's rule is 400 `InvalidArgument`; one used before for the function,
  whatever its status, is 409 (see DUPLICATE_TASK for the code).
- `GET /2023-03-30/functions/{name}/async-tasks/{taskId}[?qualifier=]`: the AsyncTask JSON
  (`taskId`, `status`, `requestId`, `qualifier`, `functionArn`, `alreadyRetriedTimes`, `events`,
  `startedTime` / `endTime` / `durationMs` in milliseconds once known, `taskErrorMessage` while Retrying
  and once Failed, `returnPayload` once Succeeded, `taskPayload`); unknown: 404 `AsyncTaskNotFound`.
- `GET /2023-03-30/functions/{name}/async-tasks?prefix=&status=&qualifier=&limit=&nextToken=
  &includePayload=&sortOrderByTime=&startedTimeBegin=&startedTimeEnd=`: `{"tasks": [...], "nextToken"}`
  (the SDK's ListAsyncTaskOutput reads `tasks`), `limit` 1 to 100 (default 20: ListAsyncTasksRequest),
  oldest first unless `sortOrderByTime=desc`, `nextToken` only while more remain, `taskPayload` only
  with `includePayload=true`.
- Errors are `{"Code", "Message", "RequestId"}` with `x-fc-request-id`: an unknown function 404
  `FunctionNotFound`, an unknown qualifier 404 `AliasNotFound`, another path 400 `PathNotSupported`
  (FC's error codes page, https://www.alibabacloud.com/help/en/functioncompute/error-codes).

Faults for tests (constructor options, and attributes read when a task is accepted), each a collection
of task-ID substrings: `lose` (accepted, 202, never run: stays Enqueued), `duplicate` (delivered twice,
one delivery after the other: FC's "at least once"), `fail_always` (every attempt fails without running
the function); `delay`: seconds before a task starts, a number for every task or {substring: seconds}.
`async_retries` (maxAsyncRetryAttempts, FC's default 3) and `retry_delay` (seconds between attempts),
`concurrency` (at most that many attempts at once, like a reserved concurrency: the rest wait Enqueued).
`invocations` records each accepted InvokeFunction; `tasks` is a snapshot of every async task by ID;
`wait(timeout)` returns once every task that will run has ended; `stop()` starts no attempt more and
waits for the running ones.
"""
from __future__ import annotations

import base64
import binascii
import re
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping
from urllib.parse import unquote

from . import acs3
from .apierror import ApiError
from .demo import fc_context
from .fc_tasks import PENDING, STATUSES, TASK_ID, Plan, Task, TaskQueue, as_text, request_id
from .fleet import HOME_ACCOUNT, Credentials
from .httpserver import LoopbackServer, Reply
from .keyring import Keyring

VERSION = "/2023-03-30/functions/"
ROUTE = re.compile(r"/2023-03-30/functions/(?P<function>[^/]+)/(?P<kind>invocations|async-tasks)(?:/(?P<task>[^/]+))?")
# No FC 3.0 source names the code of the 409 for a task ID used twice: the task-deduplication page says only
# "an error 409 is returned" (https://www.alibabacloud.com/help/en/fc/task-deduplication). This is FC 2.0's
# code for it (fc-open 2021-04-06's stateful async invocations), as a public client of that API checks for
# it; FC 3.0's may differ, so callers should go by the 409.
DUPLICATE_TASK = "StatefulAsyncInvocationAlreadyExists"
# GetAsyncTask of an unknown ID: the code a public FC 3.0 client (2023-03-30) tolerates while a task is not
# yet registered; FC's own pages list no GetAsyncTask error code.
TASK_NOT_FOUND = "AsyncTaskNotFound"
LIST_LIMIT = (1, 100, 20)  # ListAsyncTasksRequest.limit: [1, 100], default 20

Function = Callable[[bytes, object], object]


@dataclass(frozen=True)
class Invocation:
    function: str
    qualifier: str
    event: bytes
    invocation_type: str
    task_id: str = ""  # Async only


def _matches(patterns, task_id: str) -> bool:
    return any(part and part in task_id for part in patterns or ())


def _ms(moment: float) -> int:
    return int(round(moment * 1000))


class FunctionCompute:
    def __init__(self, functions: Mapping[str, Function], credentials: Credentials, region: str = "cn-hangzhou",
                 qualifiers: tuple[str, ...] = ("LATEST",), clock=time.time, *, account_id: str = HOME_ACCOUNT,
                 keyring: Keyring | None = None, timeout: int = 300, async_retries: int = 3,
                 retry_delay: float = 0.05, lose: Iterable[str] = (), duplicate: Iterable[str] = (),
                 fail_always: Iterable[str] = (), delay: float | Mapping[str, float] = 0.0,
                 unavailable_once: Iterable[str] = (),
                 concurrency: int | None = None):
        self.functions = dict(functions)
        self.credentials = credentials  # the caller's key, and the role the functions run with
        self.region = region
        self.qualifiers = qualifiers
        self.account_id = account_id
        self.keyring = keyring
        self.timeout = timeout  # what the context says; not enforced
        self.async_retries = async_retries
        self.retry_delay = retry_delay
        self.lose = set(lose)
        self.duplicate = set(duplicate)
        self.fail_always = set(fail_always)
        # The first InvokeFunction of a matching task ID answers 503 ServiceUnavailable (FC's error codes page:
        # "The service is unavailable"), as FC's own trouble does; the caller's retry then goes through.
        self.unavailable_once = set(unavailable_once)
        self._refused_once: set[str] = set()
        self.delay = delay
        self._keys = {credentials.access_key_id: credentials.access_key_secret}
        self._clock = clock
        self._nonces = acs3.NonceStore()
        self._lock = threading.Lock()
        self._invocations: list[Invocation] = []
        self._queue = TaskQueue(clock, concurrency)

    @property
    def concurrency(self) -> int | None:
        return self._queue.concurrency

    @concurrency.setter
    def concurrency(self, value: int | None) -> None:
        self._queue.concurrency = value

    @property
    def invocations(self) -> list[Invocation]:
        with self._lock:
            return list(self._invocations)

    @property
    def tasks(self) -> dict[str, Task]:
        """Task ID -> a snapshot of the task (`status`, `attempts`, `event`, `results`, ...), in arrival order
        (IDs are unique per function: with two functions, the same ID maps to the later task)."""
        return self._queue.snapshot()

    def wait(self, timeout: float = 10.0) -> bool:
        """True once no task that will run is Enqueued, Running or Retrying (a lost task never runs); False
        when `timeout` seconds passed first."""
        return self._queue.wait(timeout)

    def stop(self, timeout: float = 10.0) -> bool:
        """Start no attempt from now on, and wait up to `timeout` seconds for the running ones."""
        self._queue.halt()
        return self._queue.wait(timeout)

    def arn(self, function: str) -> str:
        return f"acs:fc:{self.region}:{self.account_id}:functions/{function}"

    # --- the API -----------------------------------------------------------------------------------------

    def handle_request(self, method, path, query, headers, body, raw_query) -> Reply:
        request = request_id()
        try:
            self._authenticate(method, path, raw_query, headers, body)
            route = ROUTE.fullmatch(path)
            if route is None:
                raise ApiError(400, "PathNotSupported", f"'{method}' against '{path}' is not supported")
            name, kind, task_id = unquote(route["function"]), route["kind"], route["task"]
            function = self.functions.get(name)
            if function is None:
                raise ApiError(404, "FunctionNotFound", f"function '{name}' does not exist")
            qualifier = query.get("qualifier")
            if qualifier is not None and qualifier not in self.qualifiers:
                raise ApiError(404, "AliasNotFound", f"alias '{qualifier}' does not exist")
            if kind == "invocations" and task_id is None and method == "POST":
                return self._invoke(request, name, function, qualifier or "LATEST", headers, body)
            if kind == "async-tasks" and method == "GET":
                if task_id is None:
                    return self._list(name, qualifier, query)
                return self._get(name, qualifier, unquote(task_id))
            raise ApiError(400, "PathNotSupported", f"'{method}' against '{path}' is not supported")
        except ApiError as error:
            return Reply(error.status, {"Code": error.code, "Message": error.message, "RequestId": request},
                         {"x-fc-request-id": request})

    def _authenticate(self, method, path, raw_query, headers, body) -> None:
        now = datetime.fromtimestamp(self._clock(), timezone.utc)
        if self.keyring is None:
            acs3.verify(method, path, raw_query, headers, body, keys=self._keys,
                        security_token=self.credentials.security_token, now=now, nonces=self._nonces)
            return
        principal = self.keyring.authenticate(method, path, raw_query, headers, body, now=now, nonces=self._nonces)
        if principal.account != self.account_id:
            raise ApiError(403, "AccessDenied", f"the caller acts in account {principal.account}; the function "
                                                f"belongs to account {self.account_id}")

    def _context(self, name: str, qualifier: str, request: str):
        return fc_context(self.credentials, region=self.region, request_id=request, timeout=self.timeout,
                          function_name=name, qualifier=qualifier, account_id=self.account_id)

    def _invoke(self, request: str, name: str, function: Function, qualifier: str, headers, body: bytes) -> Reply:
        kind = headers.get("x-fc-invocation-type", "Sync")
        task = headers.get("x-fc-async-task-id", "")
        if task and _matches(self.unavailable_once, task) and task not in self._refused_once:
            self._refused_once.add(task)
            raise ApiError(503, "ServiceUnavailable", "The service is unavailable. Please try again later.")
        if kind == "Async":
            return self._enqueue(request, name, function, qualifier, headers, body)
        if kind != "Sync":
            raise ApiError(400, "InvalidArgument", f"x-fc-invocation-type {kind!r}: Sync or Async")
        with self._lock:
            self._invocations.append(Invocation(name, qualifier, body, kind))
        try:
            result = function(body, self._context(name, qualifier, request))
        except Exception as exc:  # what FC does with an unhandled exception
            return Reply(200, {"errorMessage": str(exc), "errorType": type(exc).__name__,
                               "stackTrace": traceback.format_tb(exc.__traceback__)},
                         {"x-fc-request-id": request, "x-fc-error-type": "UnhandledInvocationError"})
        return Reply(200, as_text(result), {"x-fc-request-id": request})

    def _enqueue(self, request: str, name: str, function: Function, qualifier: str, headers, body: bytes) -> Reply:
        task_id = headers.get("x-fc-async-task-id")
        if task_id is None:
            task_id = request  # FC: "the system automatically set the task ID to the request ID"
        elif not TASK_ID.fullmatch(task_id):
            raise ApiError(400, "InvalidArgument", f"x-fc-async-task-id {task_id[:200]!r}: it must start with a "
                           "letter or an underscore and hold only letters, digits, underscores and hyphens, "
                           "at most 128 characters")
        lost = _matches(self.lose, task_id)
        task = Task(task_id, name, qualifier, request, body, "Enqueued", 0.0, lost=lost)
        if not self._queue.add(task):
            raise ApiError(409, DUPLICATE_TASK, f"async task '{task_id}' of function '{name}' already exists")
        with self._lock:
            self._invocations.append(Invocation(name, qualifier, body, "Async", task_id))
        if not lost:
            self._queue.start(task, self._plan(task_id),
                              lambda t, attempt: function(t.event, self._context(name, qualifier, attempt)))
        return Reply(202, b"", {"x-fc-request-id": request, "x-fc-async-task-id": task_id})

    def _plan(self, task_id: str) -> Plan:
        if isinstance(self.delay, Mapping):
            delay = max((s for part, s in self.delay.items() if part and part in task_id), default=0.0)
        else:
            delay = float(self.delay or 0.0)
        return Plan(deliveries=2 if _matches(self.duplicate, task_id) else 1, delay=delay,
                    retries=self.async_retries, retry_delay=self.retry_delay,
                    fail_always=_matches(self.fail_always, task_id))

    def _get(self, name: str, qualifier: str | None, task_id: str) -> Reply:
        task = self._queue.get(name, task_id)
        if task is None or (qualifier is not None and task.qualifier != qualifier):
            raise ApiError(404, TASK_NOT_FOUND, f"async task '{task_id}' of function '{name}' does not exist")
        return Reply(200, self._task_json(task, payload=True))

    def _list(self, name: str, qualifier: str | None, query: Mapping[str, str]) -> Reply:
        limit, begin, end = _list_bounds(query)
        order = _list_order(query)
        prefix, status = query.get("prefix", ""), query.get("status")
        listed = [(seq, task) for seq, task in self._queue.listed(name)
                  if _listed_match(task, prefix, status, qualifier, begin, end)]
        if order == "desc":
            listed.reverse()
        token = query.get("nextToken")
        if token:
            listed = _from_token(listed, _token_seq(token), order)
        page, rest = listed[:limit], listed[limit:]
        payload = query.get("includePayload", "false").lower() == "true"
        answer: dict = {"tasks": [self._task_json(task, payload) for _, task in page]}
        if rest:
            answer["nextToken"] = base64.urlsafe_b64encode(f"seq:{rest[0][0]}".encode()).decode()
        return Reply(200, answer)

    def _task_json(self, task: Task, payload: bool) -> dict:
        body = {"taskId": task.task_id, "status": task.status, "requestId": task.request_id,
                "qualifier": task.qualifier, "functionArn": self.arn(task.function),
                "alreadyRetriedTimes": task.already_retried_times,
                "events": [{"eventId": e.event_id, "status": e.status, "timestamp": _ms(e.timestamp),
                            **({"eventDetail": e.detail} if e.detail else {})} for e in task.events]}
        if task.started is not None:
            body["startedTime"] = _ms(task.started)
        if task.ended is not None:
            body["endTime"] = _ms(task.ended)
            body["durationMs"] = _ms(task.ended) - _ms(task.started)
        if task.error is not None:
            body["taskErrorMessage"] = task.error
        if task.status == "Succeeded":
            body["returnPayload"] = task.attempts[-1].result
        if payload:
            body["taskPayload"] = task.event.decode("utf-8", "replace")
        return body


def _list_bounds(query: Mapping[str, str]) -> tuple[int, int | None, int | None]:
    """ListAsyncTasks' `limit` (checked against LIST_LIMIT), `startedTimeBegin` and `startedTimeEnd`."""
    low, high, default = LIST_LIMIT
    try:
        limit = int(query.get("limit", default))
        begin = int(query["startedTimeBegin"]) if query.get("startedTimeBegin") else None
        end = int(query["startedTimeEnd"]) if query.get("startedTimeEnd") else None
    except ValueError:
        raise ApiError(400, "InvalidArgument", "limit, startedTimeBegin and startedTimeEnd are integers") from None
    if not low <= limit <= high:
        raise ApiError(400, "InvalidArgument", f"limit {limit}: it must be in [{low}, {high}]")
    return limit, begin, end


def _list_order(query: Mapping[str, str]) -> str:
    order = query.get("sortOrderByTime", "asc")
    if order not in ("asc", "desc"):
        raise ApiError(400, "InvalidArgument", f"sortOrderByTime {order!r}: asc or desc")
    return order


def _listed_match(task: Task, prefix: str, status: str | None, qualifier: str | None,
                  begin: int | None, end: int | None) -> bool:
    """Whether ListAsyncTasks' `prefix`, `status`, `qualifier` and started-time bounds keep `task`."""
    return (task.task_id.startswith(prefix) and (status is None or task.status == status)
            and (qualifier is None or task.qualifier == qualifier) and _started_within(task, begin, end))


def _started_within(task: Task, begin: int | None, end: int | None) -> bool:
    return ((begin is None or (task.started is not None and _ms(task.started) >= begin))
            and (end is None or (task.started is not None and _ms(task.started) <= end)))


def _from_token(listed: list[tuple[int, Task]], start: int, order: str) -> list[tuple[int, Task]]:
    """The tasks from the one a nextToken names on, in the listing's order."""
    return [(seq, task) for seq, task in listed if (seq >= start if order == "asc" else seq <= start)]


def _token_seq(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text.startswith("seq:"):
            return int(text[4:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise ApiError(400, "InvalidArgument", "nextToken is not one this API returned")


def serve(fc: FunctionCompute, host: str = "127.0.0.1", port: int = 0) -> LoopbackServer:
    """Start `fc` on loopback; `.address` is its `host:port`, `.stop()` ends it (call `fc.stop()` too when
    it ran asynchronous tasks)."""
    return LoopbackServer(fc, host, port).start()


__all__ = ["FunctionCompute", "Invocation", "Task", "PENDING", "STATUSES", "DUPLICATE_TASK", "TASK_NOT_FOUND", "serve"]
