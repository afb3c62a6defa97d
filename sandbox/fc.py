"""Function Compute 3.0 emulator: the one call `python -m backup_report invoke` makes, InvokeFunction.

`POST /2023-03-30/functions/{functionName}/invocations[?qualifier=…]`, signed ACS3-HMAC-SHA256 as
the FC 3.0 SDK signs it (checked by `acs3.verify`); the body is the event, handed to the function
as bytes with a context shaped like FC's (`demo.fc_context`). Answers as FC does:
- the function's return value as the body, `x-fc-request-id` set;
- a function that raised: `x-fc-error-type: UnhandledInvocationError` and
  `{"errorMessage", "errorType", "stackTrace"}` (FC's Python error handling page);
- an unknown function: 404 `FunctionNotFound`; an unknown qualifier: 404 `AliasNotFound`;
  an asynchronous invocation (`x-fc-invocation-type: Async`): 400, this emulator is synchronous only.
`invocations` records each call (function, qualifier, event, invocation type).
"""
from __future__ import annotations

import json
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Mapping
from urllib.parse import unquote

from . import acs3
from .apierror import ApiError
from .demo import fc_context
from .fleet import Credentials
from .httpserver import LoopbackServer, Reply

PREFIX = "/2023-03-30/functions/"
SUFFIX = "/invocations"

Function = Callable[[bytes, object], object]


@dataclass(frozen=True)
class Invocation:
    function: str
    qualifier: str
    event: bytes
    invocation_type: str


class FunctionCompute:
    def __init__(self, functions: Mapping[str, Function], credentials: Credentials, region: str = "cn-hangzhou",
                 qualifiers: tuple[str, ...] = ("LATEST",), clock=time.time):
        self.functions = dict(functions)
        self.credentials = credentials  # the caller's key, and the role the functions run with
        self.region = region
        self.qualifiers = qualifiers
        self._keys = {credentials.access_key_id: credentials.access_key_secret}
        self._clock = clock
        self._nonces = acs3.NonceStore()
        self._lock = threading.Lock()
        self._invocations: list[Invocation] = []

    @property
    def invocations(self) -> list[Invocation]:
        with self._lock:
            return list(self._invocations)

    def handle_request(self, method, path, query, headers, body, raw_query) -> Reply:
        request_id = str(uuid.uuid4())
        try:
            acs3.verify(method, path, raw_query, headers, body, keys=self._keys,
                        security_token=self.credentials.security_token,
                        now=datetime.fromtimestamp(self._clock(), timezone.utc), nonces=self._nonces)
            if method != "POST" or not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
                raise ApiError(404, "PathNotSupported", f"{method} {path} is not an FC 3.0 InvokeFunction path")
            name = unquote(path[len(PREFIX):-len(SUFFIX)])
            qualifier = query.get("qualifier", "LATEST")
            function = self.functions.get(name)
            if function is None:
                raise ApiError(404, "FunctionNotFound", f"function '{name}' does not exist")
            if qualifier not in self.qualifiers:
                raise ApiError(404, "AliasNotFound", f"alias '{qualifier}' does not exist")
            kind = headers.get("x-fc-invocation-type", "Sync")
            if kind != "Sync":
                raise ApiError(400, "InvalidArgument", f"x-fc-invocation-type {kind!r}: this emulator runs Sync only")
        except ApiError as error:
            return Reply(error.status, {"Code": error.code, "Message": error.message, "RequestId": request_id},
                         {"x-fc-request-id": request_id})
        with self._lock:
            self._invocations.append(Invocation(name, qualifier, body, kind))
        context = fc_context(self.credentials, region=self.region, request_id=request_id)
        try:
            result = function(body, context)
        except Exception as exc:  # what FC does with an unhandled exception
            return Reply(200, {"errorMessage": str(exc), "errorType": type(exc).__name__,
                               "stackTrace": traceback.format_tb(exc.__traceback__)},
                         {"x-fc-request-id": request_id, "x-fc-error-type": "UnhandledInvocationError"})
        if isinstance(result, bytes):
            result = result.decode("utf-8", "replace")
        elif not isinstance(result, str):
            result = json.dumps(result)
        return Reply(200, result, {"x-fc-request-id": request_id})


def serve(fc: FunctionCompute, host: str = "127.0.0.1", port: int = 0) -> LoopbackServer:
    """Start `fc` on loopback; `.address` is its `host:port`, `.stop()` ends it."""
    return LoopbackServer(fc, host, port).start()
