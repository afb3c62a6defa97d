"""The pieces' edge: Function Compute 3.0 asynchronous invocations of the function itself, through the official
SDK (alibabacloud-fc20230330) and sdk.Edge's calls.

InvokeFunction `POST /2023-03-30/functions/{functionName}/invocations` with `x-fc-invocation-type: Async` and
`x-fc-async-task-id` (models/_invoke_function_headers.py) queues the event; FC refuses a task ID already used
(HTTP 409), so a piece started twice runs once. GetAsyncTask tells what became of a piece that never wrote
its result: its `status` (Enqueued, Running, Retrying, Succeeded, Failed, Stopped, Stopping, Invalid,
Expired: models/_async_task.py) and `taskErrorMessage`.
"""
from __future__ import annotations

import io
import json

from ..cloud import retry, sdk
from ..invocation import Credentials
from .. import bounded


class AlreadyStarted(Exception):
    """FC already has a task of that ID (409): the piece was started before, by this run or its retry."""


class Tasks(sdk.Edge):
    """The function `function` (at `qualifier`) as FC 3.0 runs it in `region`, called with `credentials`."""

    def __init__(self, credentials: Credentials, region: str, function: str, qualifier: str, **options):
        from alibabacloud_fc20230330.client import Client

        self.CLIENT = Client
        super().__init__(credentials, **options)
        self._region, self._function, self._qualifier = region, function, qualifier

    def start(self, task_id: str, event: dict) -> None:
        """Queues `event` as the async task `task_id`. Raises AlreadyStarted (409), ApiFailure."""
        from alibabacloud_fc20230330 import models

        self._in_time("InvokeFunction")
        headers = models.InvokeFunctionHeaders(x_fc_invocation_type="Async", x_fc_async_task_id=task_id)
        body = json.dumps(event).encode("utf-8")

        def send(client, options):  # a body of its own for each attempt: a retry must not send a read stream
            request = models.InvokeFunctionRequest(body=io.BytesIO(body), qualifier=self._qualifier)
            return client.invoke_function_with_options(self._function, request, headers, options)

        try:
            self._call(self._region, "InvokeFunction", send)
        except retry.ApiFailure as failure:
            if failure.status == 409:
                raise AlreadyStarted(task_id) from None
            raise

    def status(self, task_id: str) -> str:
        """What FC says of the task: "Running", "Failed: <its error>", …; "unknown to FC" when it has none.
        Raises ApiFailure."""
        from alibabacloud_fc20230330 import models

        self._in_time("GetAsyncTask")
        request = models.GetAsyncTaskRequest(qualifier=self._qualifier)
        try:
            body = self._call(self._region, "GetAsyncTask", lambda c, o: c.get_async_task_with_options(
                self._function, task_id, request, {}, o))
        except retry.ApiFailure as failure:
            if failure.status == 404:
                return "unknown to FC"
            raise
        status = bounded.text(str(getattr(body, "status", "") or "unknown"), bounded.WORD)
        error = bounded.text(str(getattr(body, "task_error_message", "") or ""), bounded.MESSAGE)
        return f"{status}: {error}" if error else status
