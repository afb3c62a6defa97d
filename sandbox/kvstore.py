"""R-KVStore OpenAPI emulator: RPC calls as the official SDK sends them, over `httpserver`.

A call is `POST /` with the action in `x-acs-action`, its parameters in the query string (a form
body is read too) and an ACS3-HMAC-SHA256 `Authorization`. The gateway's order is kept: signature
(`acs3.verify`), then the action's existence, then the scenario's faults, then the action. Answers
are JSON with a `RequestId`; errors are `{"RequestId", "Code", "Message"}` with the real status.
"""
from __future__ import annotations

import base64
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote

from . import acs3
from .apierror import ApiError
from .fleet import Scenario
from .httpserver import Hang, Reply, Reset
from .kvstore_actions import Actions
from .kvstore_faults import Faults


@dataclass(frozen=True)
class Call:
    """One API call as the emulator saw it: `code` is "OK", the error code answered,
    "Reset" / "Hang" for a call that got no answer, or "Drip" for one answered a byte at a time."""
    action: str
    params: dict
    code: str


class KVStore:
    def __init__(self, scenario: Scenario, clock=time.time, monotonic=time.monotonic, sleep=time.sleep):
        self.scenario = scenario
        credentials = scenario.credentials
        self._keys = {credentials.access_key_id: credentials.access_key_secret}
        self._token = credentials.security_token
        self._clock = clock
        self._nonces = acs3.NonceStore()
        # URL-encoded base64, as an OSS presigned URL carries it; random for each sandbox.
        self.download_signature = quote(base64.b64encode(secrets.token_bytes(21)).decode(), safe="")
        self._actions = Actions(scenario, self.download_signature)
        self._faults = Faults(scenario.faults, clock=monotonic, sleep=sleep)
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every call so far, in arrival order."""
        with self._lock:
            return list(self._calls)

    def handle_request(self, method, path, query, headers, body, raw_query) -> Reply:
        action = headers.get("x-acs-action", "")
        params = dict(query)
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        code = "OK"
        try:
            acs3.verify(method, path, raw_query, headers, body, keys=self._keys, security_token=self._token,
                        now=datetime.fromtimestamp(self._clock(), timezone.utc), nonces=self._nonces)
            answer = self._actions.table.get(action)
            if answer is None:
                raise ApiError(404, "InvalidAction.NotFound",
                               f"Specified api is not found, please check your url and method: {action!r}.")
            drip = self._faults.apply(action, params.get("InstanceId"), self._region(params))
            if drip:
                code = "Drip"
            return Reply(200, {"RequestId": _request_id(), **answer(params)}, drip=drip)
        except ApiError as error:
            code = error.code
            return Reply(error.status, {"RequestId": _request_id(), "Code": error.code, "Message": error.message})
        except (Reset, Hang) as unanswered:
            code = type(unanswered).__name__
            raise
        finally:
            with self._lock:
                self._calls.append(Call(action, params, code))

    def _region(self, params: dict) -> str | None:
        """The call's region: its `RegionId`, else that of its instance (for region faults)."""
        if params.get("RegionId"):
            return params["RegionId"]
        instance = self.scenario.instance(params.get("InstanceId", ""))
        return instance.region if instance else None


def _request_id() -> str:
    return str(uuid.uuid4()).upper()
