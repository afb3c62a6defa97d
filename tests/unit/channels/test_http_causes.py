"""channels/http/causes.py as tables: whether a failed post left, and the word on why, for the
exceptions requests and urllib3 raise, wrapped the way they wrap them. No socket is opened."""
from __future__ import annotations

import socket
import ssl
from http.client import BadStatusLine, RemoteDisconnected

import pytest
import requests
from urllib3.exceptions import (ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError,
                                ProtocolError, ProxyError, ReadTimeoutError, SSLError)

from backup_report import watchdog
from backup_report.channels.http import NotSent, Unknown
from backup_report.channels.http.causes import before_sending, causes, failed_after_sending, failure, why


def caused(exc: BaseException, cause: BaseException) -> BaseException:
    """`exc` as `raise exc from cause` leaves it."""
    exc.__cause__ = cause
    return exc


def retried(reason: BaseException, kind: type = requests.ConnectionError) -> BaseException:
    """requests' error around urllib3's MaxRetryError around `reason`, as an adapter raises it."""
    return kind(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def attempt(sending: bool, expired: bool = False) -> watchdog.Attempt:
    a = watchdog.Attempt()
    a.sending, a.expired = sending, expired
    return a


REFUSED = retried(caused(NewConnectionError(None, "Failed to establish a new connection"),  # type: ignore[arg-type]
                         ConnectionRefusedError(111, "Connection refused")))
NO_HOST = retried(NameResolutionError("hook.example", None, socket.gaierror(-2, "Name or service not known")))  # type: ignore[arg-type]
CONNECT_TIMEOUT = retried(ConnectTimeoutError(None, "timed out"), requests.ConnectTimeout)
PROXY = retried(ProxyError("Unable to connect to proxy", OSError("Tunnel connection failed: 403 Forbidden")))
TLS = requests.exceptions.SSLError(MaxRetryError(None, "/", SSLError(ssl.SSLError(1, "CERTIFICATE_VERIFY_FAILED"))))  # type: ignore[arg-type]
CLOSED = requests.ConnectionError(ProtocolError("Connection aborted.",
                                                RemoteDisconnected("Remote end closed connection without response")))
GARBLED = requests.ConnectionError(ProtocolError("Connection aborted.", BadStatusLine("HTTP/9 teapot")))
RESET = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))
READ_TIMEOUT = requests.ReadTimeout(ReadTimeoutError(None, "/", "Read timed out."))  # type: ignore[arg-type]


@pytest.mark.parametrize("exc,sending,left", [
    # the request had not begun to leave: whatever failed, it never reached the service
    (CLOSED, False, False),
    (TLS, False, False),
    (READ_TIMEOUT, False, False),
    # urllib3 says no connection was made, even once the request had begun
    (REFUSED, True, False),
    (NO_HOST, True, False),
    (CONNECT_TIMEOUT, True, False),
    (PROXY, True, False),
    # after the request began: it may have been delivered
    (CLOSED, True, True),
    (RESET, True, True),
    (READ_TIMEOUT, True, True),
    (TLS, True, True),
], ids=["closed-unsent", "tls-unsent", "read-timeout-unsent", "refused", "no-host", "connect-timeout", "proxy",
        "closed-sent", "reset-sent", "read-timeout-sent", "tls-sent"])
def test_before_sending(exc, sending, left):
    assert before_sending(exc, attempt(sending)) is (not left)


@pytest.mark.parametrize("exc,word", [
    (PROXY, "the proxy failed"),
    (REFUSED, "refused"),
    (RESET, "reset"),
    (NO_HOST, "host not found"),
    (CONNECT_TIMEOUT, "timed out"),
    (requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "x"))), "timed out"),  # type: ignore[arg-type]
    (requests.ConnectionError(socket.timeout("timed out")), "timed out"),
    (TLS, "TLS failed"),
    (requests.ConnectionError(ssl.SSLError(1, "WRONG_VERSION_NUMBER")), "TLS failed"),
    (CLOSED, "reset"),  # http.client's RemoteDisconnected is a ConnectionResetError
    (GARBLED, "BadStatusLine"),  # none of the words: the innermost cause's type
    (requests.ConnectionError("no cause"), "ConnectionError"),
])
def test_why(exc, word):
    assert why(exc) == word


def test_the_first_word_that_matches_wins():
    # a proxy refusing the tunnel names the proxy, not the refusal under it
    exc = retried(ProxyError("Unable to connect to proxy", ConnectionRefusedError(111, "refused")))
    assert why(exc) == "the proxy failed"


def test_causes_walks_args_reason_cause_and_context_once_each():
    inner = ConnectionRefusedError(111, "refused")
    middle = caused(NewConnectionError(None, "x"), inner)  # type: ignore[arg-type]
    middle.__context__ = inner
    outer = requests.ConnectionError(MaxRetryError(None, "/", middle))  # type: ignore[arg-type]
    inner.__context__ = outer  # a cycle
    assert [type(e).__name__ for e in causes(outer)] == [
        "ConnectionError", "MaxRetryError", "NewConnectionError", "ConnectionRefusedError"]


@pytest.mark.parametrize("exc,sending,expired,kind,text", [
    (REFUSED, True, False, NotSent, "could not connect (refused)"),
    (NO_HOST, False, False, NotSent, "could not connect (host not found)"),
    (CLOSED, False, True, NotSent, "could not connect (reset)"),  # not sent beats the deadline
    (READ_TIMEOUT, True, False, Unknown, "no complete answer within 9 s"),
    (CLOSED, True, True, Unknown, "no complete answer within 9 s"),
    (RESET, True, False, Unknown, "the connection failed after the post was sent (reset)"),
    (GARBLED, True, False, Unknown, "the connection failed after the post was sent (BadStatusLine)"),
])
def test_failure(exc, sending, expired, kind, text):
    out = failure(exc, attempt(sending, expired), "no complete answer within 9 s")
    assert type(out) is kind and str(out) == text


def test_a_failure_after_sending_names_why_and_is_unknown():
    out = failed_after_sending(RESET)
    assert isinstance(out, Unknown) and str(out) == "the connection failed after the post was sent (reset)"
