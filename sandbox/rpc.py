"""What the RPC-style OpenAPI emulators (R-KVStore, STS, ResourceManager) share: the gateway.

A call is `POST /` with the action in `x-acs-action`, its parameters in the query string (a form body is
read too) and an ACS3-HMAC-SHA256 `Authorization`, as the official SDKs send it. The gateway checks the
signature against the shared `Keyring` (so each call is made as one account), then hands the action to the
service (`answer`). Answers are JSON with a `RequestId`; errors are `{"RequestId", "Code", "Message"}` with
the real status. Every call is recorded as a `Call`.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from . import acs3
from .apierror import ApiError
from .httpserver import Hang, Reply, Reset
from .keyring import Keyring, Principal


@dataclass(frozen=True)
class Call:
    """One API call as the emulator saw it: `code` is "OK", the error code answered,
    "Reset" / "Hang" for a call that got no answer, or "Drip" for one answered a byte at a time;
    `account` is the account its credentials act in ("" when they were refused)."""
    action: str
    params: dict
    code: str
    account: str = ""


def request_id() -> str:
    return str(uuid.uuid4()).upper()


def unknown_action(action: str) -> ApiError:
    return ApiError(404, "InvalidAction.NotFound",
                    f"Specified api is not found, please check your url and method: {action!r}.")


class Gateway:
    """Subclasses implement `answer(action, params, principal)`: the body without `RequestId` and the
    seconds between its bytes (0: at once), or raise `ApiError` / `Reset` / `Hang`."""

    def __init__(self, keyring: Keyring, clock=time.time):
        self.keyring = keyring
        self._clock = clock
        self._nonces = acs3.NonceStore()
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every call so far, in arrival order."""
        with self._lock:
            return list(self._calls)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), timezone.utc)

    def answer(self, action: str, params: dict, principal: Principal) -> tuple[dict, float]:
        raise NotImplementedError

    def handle_request(self, method, path, query, headers, body, raw_query) -> Reply:
        action = headers.get("x-acs-action", "")
        params = dict(query)
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        code, account = "OK", ""
        try:
            principal = self.keyring.authenticate(method, path, raw_query, headers, body, now=self.now(),
                                                  nonces=self._nonces)
            account = principal.account
            answer, drip = self.answer(action, params, principal)
            if drip:
                code = "Drip"
            return Reply(200, {"RequestId": request_id(), **answer}, drip=drip)
        except ApiError as error:
            code = error.code
            return Reply(error.status, {"RequestId": request_id(), "Code": error.code, "Message": error.message})
        except (Reset, Hang) as unanswered:
            code = type(unanswered).__name__
            raise
        finally:
            with self._lock:
                self._calls.append(Call(action, params, code, account))
