"""cloud/errors.py as a table: an SDK exception in, what the report says of it and whether it is retried."""
from __future__ import annotations

import socket

import pytest
import requests
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from backup_report.cloud.errors import failure, transient


class Answered(Exception):
    """Shaped like the Tea SDK's ClientException/ServerException: code, status_code, data."""

    def __init__(self, code, status, message="said"):
        super().__init__("https://r-kvstore.aliyuncs.com/?AccessKeyId=… quoted")
        self.code, self.status_code, self.data = code, status, {"Message": message}


def wrapped(inner: BaseException) -> BaseException:
    """As darabonba-core 1.0.9 raises a transport failure: UnretryableException from RetryError from it."""
    try:
        try:
            raise inner
        except OSError as e:
            raise RuntimeError("RetryError: " + str(e))
    except RuntimeError as retry_error:
        outer = RuntimeError("UnretryableException")
        outer.inner_exception = retry_error
        return outer


@pytest.mark.parametrize("exc, code, retried", [
    (Answered("Throttling.User", 400), "Throttling.User", True),
    (Answered("Throttling.Api", 400), "Throttling.Api", True),
    (Answered("Throttling", 429), "Throttling", True),
    (Answered("ServiceUnavailable", 503), "ServiceUnavailable", True),
    (Answered("InternalError", 500), "InternalError", True),
    (Answered("SomethingNew", 502), "SomethingNew", True),
    (Answered("Forbidden.RAM", 403), "Forbidden.RAM", False),
    (Answered("InvalidInstanceId.NotFound", 404), "InvalidInstanceId.NotFound", False),
    (Answered("SignatureDoesNotMatch", 400), "SignatureDoesNotMatch", False),
    (wrapped(requests.ReadTimeout("read timed out")), "Timeout", True),
    (wrapped(requests.ConnectTimeout("connect timed out")), "Timeout", True),
    (wrapped(socket.timeout("timed out")), "Timeout", True),
    (wrapped(requests.ConnectionError("refused")), "ConnectionError", True),
    (wrapped(ConnectionResetError("reset by peer")), "ConnectionError", True),
    (ProtocolError("Connection aborted."), "ConnectionError", True),
    (ReadTimeoutError(None, "/", "read timed out"), "Timeout", True),
    (KeyError("Body"), "UnexpectedResponse", True),
])
def test_an_sdk_exception_becomes_the_code_the_report_shows_and_is_retried_only_when_it_can_help(exc, code, retried):
    found = failure(exc, "DescribeBackups")
    assert (found.error.code, found.transient, found.error.action) == (code, retried, "DescribeBackups")
    assert "aliyuncs.com" not in str(found.error) and "AccessKeyId" not in str(found.error)


def test_the_services_message_is_kept_cut_and_a_no_answer_never_repeats_the_exceptions_text():
    assert failure(Answered("Forbidden.RAM", 403, "x" * 1000), "A").error.message == "x" * 299 + "…"
    assert str(failure(wrapped(requests.ConnectionError("http://host/?token=abc")), "A").error) == \
        "ConnectionError: the connection failed"


@pytest.mark.parametrize("code, status, retried", [("Throttling.User", 400, True), ("Forbidden", 403, False),
                                                    ("X", 500, True), ("X", 429, True), ("X", None, False)])
def test_transient_is_by_code_and_status(code, status, retried):
    assert transient(code, status) is retried
