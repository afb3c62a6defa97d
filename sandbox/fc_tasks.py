"""FC 3.0 asynchronous tasks, as the emulator (`fc.py`) runs them: a record per task ID, a thread per task.

What FC documents and this keeps:
- The request is persisted and answered at once; the function runs later, "at least once"
  (https://www.alibabacloud.com/help/en/functioncompute/user-guide/overview-34: "Function Compute ensures
  that the request is executed at least once"). `duplicate` acts that out: the task is delivered twice.
- A function error (HandledInvocationError / UnhandledInvocationError) is retried, "3 times by default"
  or maxAsyncRetryAttempts (https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-2;
  FC 2.0's async config: default 3, range [0, 8]). `retries` is that number: 1 + retries attempts.
  FC does not publish the interval between retries of a function error: `retry_delay` is the sandbox's.
- Statuses are the AsyncTask model's (alibabacloud_fc20230330 models/_async_task.py): Enqueued before the
  first attempt, Running during one, Retrying between a failed attempt and the next, Succeeded when the
  function returned, Failed after the last attempt raised. (Stopped / Stopping / Invalid / Expired are
  never reached here.)
- A task ID: "must start with a letter or an underscore (_) and can contain letters, digits (0-9),
  underscores (_), and hyphens (-) ... up to 128 characters" (InvokeFunction's x-fc-async-task-id,
  https://help.aliyun.com/zh/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-invokefunction,
  and the SDK's models/_invoke_function_headers.py). Without one, FC "automatically set the task ID to
  the request ID" (https://www.alibabacloud.com/help/en/fc/task-deduplication).

Not emulated: the function's timeout (a thread cannot be cut short), maxAsyncEventAgeInSeconds (Expired),
destinations, StopAsyncTask.
"""
from __future__ import annotations

import json
import re
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field, replace
from typing import Callable

TASK_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")
STATUSES = ("Enqueued", "Running", "Retrying", "Succeeded", "Failed")
PENDING = ("Enqueued", "Running", "Retrying")


def request_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Attempt:
    """One run of the function for a task: `delivery` 1, or 2 for the duplicate of at-least-once delivery;
    `error` is `"<type>: <message>"` when it raised, `result` what it returned as FC records it (text)."""
    request_id: str
    delivery: int
    started: float  # epoch seconds
    ended: float | None = None
    error: str | None = None
    result: str | None = None


@dataclass(frozen=True)
class Event:
    """A status change, as GetAsyncTask's `events` list it."""
    event_id: int
    status: str
    timestamp: float
    detail: str = ""


@dataclass(frozen=True)
class Task:
    """A snapshot of one asynchronous task."""
    task_id: str
    function: str
    qualifier: str
    request_id: str  # the InvokeFunction's x-fc-request-id
    event: bytes = field(repr=False)
    status: str
    created: float
    attempts: tuple[Attempt, ...] = ()
    events: tuple[Event, ...] = ()
    lost: bool = False  # accepted and never run (the `lose` fault)

    @property
    def results(self) -> tuple[str, ...]:
        """What each attempt that returned gave back, in order (two for a duplicated task)."""
        return tuple(a.result for a in self.attempts if a.ended is not None and a.error is None)

    @property
    def already_retried_times(self) -> int:
        """The retries of the latest delivery (GetAsyncTask's alreadyRetriedTimes)."""
        if not self.attempts:
            return 0
        latest = self.attempts[-1].delivery
        return sum(1 for a in self.attempts if a.delivery == latest) - 1

    @property
    def started(self) -> float | None:
        return self.attempts[0].started if self.attempts else None

    @property
    def ended(self) -> float | None:
        return self.attempts[-1].ended if self.status in ("Succeeded", "Failed") else None

    @property
    def error(self) -> str | None:
        """The latest attempt's error, while the task is Retrying or once it Failed."""
        return self.attempts[-1].error if self.attempts and self.status in ("Retrying", "Failed") else None


@dataclass
class _Record:
    task: Task
    seq: int


@dataclass(frozen=True)
class Plan:
    """How the emulator runs one accepted task: deliveries (2 = duplicated), the wait before it starts,
    retries after a failed attempt and the wait between them, and whether every attempt fails."""
    deliveries: int = 1
    delay: float = 0.0
    retries: int = 3
    retry_delay: float = 0.0
    fail_always: bool = False


Runner = Callable[[Task, str], object]  # (task, the attempt's request ID) -> the function's return value


def as_text(result: object) -> str:
    """A return value as FC hands it back: bytes decoded, text as it is, anything else as JSON."""
    if isinstance(result, bytes):
        return result.decode("utf-8", "replace")
    if isinstance(result, str):
        return result
    return json.dumps(result)


class TaskQueue:
    """Every task by (function, task ID), in arrival order; safe across the emulator's threads."""

    def __init__(self, clock=time.time, concurrency: int | None = None):
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], _Record] = {}
        self._threads: list[threading.Thread] = []
        self._halted = threading.Event()
        self._running = 0
        self._freed = threading.Condition(self._lock)
        self.concurrency = concurrency  # FC's cap on instances at once (None: no cap)

    # --- what the API reads -------------------------------------------------------------------------

    def get(self, function: str, task_id: str) -> Task | None:
        with self._lock:
            record = self._records.get((function, task_id))
            return record.task if record else None

    def listed(self, function: str) -> list[tuple[int, Task]]:
        """(sequence number, task) of `function`'s tasks, oldest first."""
        with self._lock:
            return [(r.seq, r.task) for (name, _), r in self._records.items() if name == function]

    def snapshot(self) -> dict[str, Task]:
        with self._lock:
            return {task_id: r.task for (_, task_id), r in self._records.items()}

    # --- accepting and running ----------------------------------------------------------------------

    def add(self, task: Task) -> bool:
        """Record a new task; False when its ID was used already for that function (any status)."""
        with self._lock:
            key = (task.function, task.task_id)
            if key in self._records:
                return False
            now = self._clock()
            events = (Event(1, "Enqueued", now),)
            self._records[key] = _Record(replace(task, created=now, events=events), len(self._records))
            return True

    def start(self, task: Task, plan: Plan, run: Runner) -> None:
        """Run `task` in its own thread under `plan`."""
        thread = threading.Thread(target=self._work, args=(task.function, task.task_id, plan, run),
                                  name=f"fc-async-{task.task_id}"[:60], daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _work(self, function: str, task_id: str, plan: Plan, run: Runner) -> None:
        key = (function, task_id)
        if plan.delay and self._halted.wait(plan.delay):
            return
        for delivery in range(1, plan.deliveries + 1):
            if not self._deliver(key, delivery, plan, run):
                return
            if self._halted.is_set():
                return

    def _deliver(self, key, delivery: int, plan: Plan, run: Runner) -> bool:
        """One delivery of the task: attempts until one returns or the retries run out; False when halted
        (no slot taken, or during the wait before a retry)."""
        for attempt in range(plan.retries + 1):
            if not self._take_slot():
                return False
            try:
                error, result = self._attempt(key, delivery, plan, run)
            finally:
                self._free_slot()
            last = attempt == plan.retries
            status = "Succeeded" if error is None else ("Failed" if last else "Retrying")
            detail = "" if error is None else json.dumps({"Error": "UnhandledInvocationError", "Message": error})
            self._end_attempt(key, status, error, result, detail)
            if error is None:
                break
            if not last and plan.retry_delay and self._halted.wait(plan.retry_delay):
                return False
        return True

    def _attempt(self, key, delivery: int, plan: Plan, run: Runner) -> tuple[str | None, str | None]:
        """One run of the function, the task Running meanwhile: (error, result)."""
        attempt_id = request_id()
        task = self._change(key, "Running", Attempt(attempt_id, delivery, self._clock()))
        error, result = None, None
        try:
            if plan.fail_always:
                raise SandboxFault("fail_always: this attempt failed before the function ran")
            result = as_text(run(task, attempt_id))
        except BaseException as exc:  # noqa: BLE001 - what FC records of a function that raised
            error = f"{type(exc).__name__}: {exc}"
            traceback.clear_frames(exc.__traceback__)
        return error, result

    def _take_slot(self) -> bool:
        with self._freed:
            while not self._halted.is_set() and self.concurrency is not None and self._running >= self.concurrency:
                self._freed.wait(0.05)
            if self._halted.is_set():
                return False
            self._running += 1
            return True

    def _free_slot(self) -> None:
        with self._freed:
            self._running -= 1
            self._freed.notify_all()

    def _change(self, key, status: str, attempt: Attempt) -> Task:
        with self._lock:
            record = self._records[key]
            task = record.task
            event = Event(len(task.events) + 1, status, attempt.started)
            record.task = replace(task, status=status, attempts=task.attempts + (attempt,),
                                   events=task.events + (event,))
            return record.task

    def _end_attempt(self, key, status: str, error: str | None, result: str | None, detail: str) -> None:
        with self._lock:
            record = self._records[key]
            task = record.task
            now = self._clock()
            last = replace(task.attempts[-1], ended=now, error=error, result=result)
            event = Event(len(task.events) + 1, status, now, detail)
            record.task = replace(task, status=status, attempts=task.attempts[:-1] + (last,),
                                   events=task.events + (event,))

    # --- waiting and stopping -----------------------------------------------------------------------

    def wait(self, timeout: float) -> bool:
        """Block until every task that will run has ended (a lost one never starts, so it is not waited
        for), tasks started meanwhile included; False when `timeout` seconds passed first."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            alive[0].join(remaining)

    def halt(self) -> None:
        """Start no attempt from now on (waits before an attempt end at once); attempts running go on."""
        self._halted.set()
        with self._freed:
            self._freed.notify_all()


class SandboxFault(Exception):
    """The `fail_always` fault: an attempt that fails whatever the function would have done."""
