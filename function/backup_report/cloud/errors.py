"""What an R-KVStore call's failure means, read off the SDK's exception: the service's error code and HTTP
status when it answered, the transport error's type when it did not. Never the exception's text: it names
URLs and hosts, and says nothing a reader of the report can act on.

Worth trying again (`transient`):
- throttling: `Throttling`, `Throttling.User` ("Request was denied due to user flow control"),
  `Throttling.Api` (Alibaba Cloud's common error codes, https://help.aliyun.com/document_detail/53438.html;
  the Terraform provider retries every code matching `Throttling`, alicloud/errors.go `NeedRetry`);
- the service's own trouble: `ServiceUnavailable` (503), `InternalError`, `UnknownError`, any HTTP 5xx, and
  429 (the same common error codes; `NeedRetry` retries `ServiceUnavailable` and `^code: 5\\d\\d`);
- no answer: a connection refused, reset or closed (requests' ConnectionError, urllib3's ProtocolError) and
  timeouts (requests' Timeout, urllib3's TimeoutError, the watchdog's deadline).
Not retried: every other code (permissions `Forbidden.RAM`, `InvalidInstanceId.NotFound`, signature and
parameter errors): an `error` verdict at once.

darabonba-core 1.0.9 wraps a transport failure as UnretryableException → RetryError, raised from the
requests exception (`DaraCore.do_action`: `except IOError as e: raise RetryError(str(e))`), so the type is
found along `__cause__` / `__context__` / `inner_exception`.
"""
from __future__ import annotations

import socket
from typing import Iterator

import requests
from urllib3.exceptions import ProtocolError, TimeoutError as Urllib3Timeout

from .. import bounded, wrapped
from ..model import ApiError
from .retry import ApiFailure

TRANSIENT_CODES = ("Throttling", "ServiceUnavailable", "InternalError", "UnknownError", "Timeout")
TIMEOUTS = (requests.Timeout, Urllib3Timeout, socket.timeout, TimeoutError)
CONNECTIONS = (requests.ConnectionError, ProtocolError, ConnectionError)


def transient(code: str, status: int | None) -> bool:
    """Whether a call the service answered with `code` (and HTTP `status`) is worth trying again."""
    return code.startswith(TRANSIENT_CODES) or (status is not None and (status >= 500 or status == 429))


def failure(exc: BaseException, action: str) -> ApiFailure:
    """The ApiFailure of an SDK exception raised by `action`: the service's code, status and Message
    (cut to bounded.MESSAGE), or, with no answer, Timeout / ConnectionError / UnexpectedResponse (retried)."""
    code = getattr(exc, "code", None)
    if code and code != "None":
        status = getattr(exc, "status_code", None)
        data = getattr(exc, "data", None)
        message = data.get("Message") if isinstance(data, dict) else None
        status = status if isinstance(status, int) else None
        return ApiFailure(ApiError(str(code)[:64], bounded.text(message or "", bounded.MESSAGE), action),
                          transient(str(code), status), status)
    causes = list(_causes(exc))
    if any(isinstance(c, TIMEOUTS) for c in causes):
        return ApiFailure(ApiError("Timeout", "no answer in time", action), True)
    if any(isinstance(c, CONNECTIONS) for c in causes):
        return ApiFailure(ApiError("ConnectionError", "the connection failed", action), True)
    return ApiFailure(ApiError("UnexpectedResponse", type(causes[-1]).__name__, action), True)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps: `__cause__`, `__context__`, the SDK's `inner_exception`, once each."""
    return wrapped.chain(exc, lambda e: (e.__cause__, e.__context__, getattr(e, "inner_exception", None)))
