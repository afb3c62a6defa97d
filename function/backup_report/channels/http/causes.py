"""Did a failed post leave? urllib3's exceptions, read for whether the request certainly never reached
the service (NotSent: a retry cannot post twice) or may have been delivered (Unknown), and for a short
word on why it failed (never the URL)."""
from __future__ import annotations

import socket
import ssl
from typing import Iterator

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError, ProxyError, SSLError

from ... import watchdog, wrapped
from .answer import NotSent, Unknown


# Why a post failed, first match wins: (the exception types, any of which among its causes, the word).
WHY = (
    ((ProxyError,), "the proxy failed"),
    ((ConnectionRefusedError,), "refused"),
    ((ConnectionResetError,), "reset"),
    ((NameResolutionError, socket.gaierror), "host not found"),
    ((ConnectTimeoutError, socket.timeout), "timed out"),
    ((SSLError, ssl.SSLError), "TLS failed"),
)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps: requests puts urllib3's error in args[0], MaxRetryError has a
    `reason`, urllib3's ProtocolError an OSError in args[1], and raise … from sets __cause__."""
    return wrapped.chain(exc, lambda e: (*e.args, getattr(e, "reason", None), e.__cause__, e.__context__))


def before_sending(exc: BaseException, attempt: watchdog.Attempt) -> bool:
    """Whether a failed post certainly never reached the service. The request had not begun to leave
    (the failure came before urllib3 called the connection's `request`: the TLS handshake, the
    pool), or urllib3 says no connection was made: NewConnectionError / NameResolutionError /
    ConnectTimeoutError come only from opening the socket (urllib3/connection.py, `_new_conn`), and it
    wraps an error in ProxyError only while the connection had not reached the proxy
    (urllib3/connectionpool.py, `urlopen` and `_make_request`, `not conn.has_connected_to_proxy`).
    Whatever fails after the request began (urllib3's ProtocolError, "Connection aborted.", around
    http.client's RemoteDisconnected or a reset from `getresponse`; a ReadTimeoutError) is not."""
    if not attempt.sending or isinstance(exc, requests.ConnectTimeout):
        return True
    return any(isinstance(e, (NewConnectionError, ConnectTimeoutError, ProxyError)) for e in causes(exc))


def why(exc: BaseException) -> str:
    """A word on why a post failed: the first of WHY that any of its causes is, else the innermost
    cause's type name."""
    found = list(causes(exc))
    for kinds, word in WHY:
        if any(isinstance(e, kinds) for e in found):
            return word
    innermost = found[-1] if found else exc
    return type(innermost).__name__


def failure(exc: BaseException, attempt: watchdog.Attempt, late: str) -> NotSent | Unknown:
    """What a post whose request failed (requests' ConnectionError or Timeout, before any answer)
    comes to: NotSent when it certainly never reached the service; Unknown, saying `late`, when its
    deadline passed or the answer timed out; else Unknown, saying why."""
    if before_sending(exc, attempt):
        return NotSent(f"could not connect ({why(exc)})")
    if attempt.expired or isinstance(exc, requests.ReadTimeout):
        return Unknown(late)
    return failed_after_sending(exc)


def failed_after_sending(exc: BaseException) -> Unknown:
    return Unknown(f"the connection failed after the post was sent ({why(exc)})")
