"""healthchecks.io ping endpoint emulator: the dead man's switch the function pings (HEARTBEAT_URL).

Paths, as healthchecks.io's Pinging API documents them (https://healthchecks.io/docs/http_api/):
`/<uuid>` signals success, `/<uuid>/start` a start (https://healthchecks.io/docs/measuring_script_run_time/),
`/<uuid>/fail` a failure (https://healthchecks.io/docs/signaling_failures/); HEAD, GET and POST are
accepted, and a POST body is kept with the ping (healthchecks.io logs its first 100 kB,
https://healthchecks.io/docs/attaching_logs/). Success is "200 OK" with the body `OK`.

It answers as the hosted service does, not as its docs say: a UUID that names no check is HTTP 200 with
the body `OK (not found)`, and a ping dropped by the rate limit (more than 5 a minute to one check, the
docs' "Rate Limits") HTTP 200 `OK (rate limited)`; the hosted service has always answered UUID URLs
with 200 (its maintainer: https://github.com/healthchecks/healthchecks/issues/741). The documented
`404 not found` is the open-source server's (hc/api/views.py) and stays for a path of another shape.

Staged faults (the scenario's `heartbeat: faults:`, consumed ping by ping, see `staged.py`):
`{status: N}` answers N (`down`: 503 by default); `{kind: late, seconds: S}` records the ping and
answers after S seconds (slow); `{kind: reset}` drops the connection; `{kind: hang, seconds: S}`
answers nothing; `{kind: rate_limited}` drops the ping with the hosted 200 `OK (rate limited)`; the generic
kinds of `staged.generic` (`redirect`: a 302 to a login page, `html`, …).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from sandbox.httpserver import Reply
from sandbox.staged import Staged, generic

SIGNALS = {"": "success", "start": "start", "fail": "fail"}


@dataclass(frozen=True)
class Ping:
    """One ping the check received: its signal (`start`, `success`, `fail`) and the body sent with it."""

    signal: str
    body: str


class HeartbeatCheck:
    """One check, addressed by its UUID; `.pings` in the order they arrived."""

    def __init__(self, uuid: str, faults=(), deleted: bool = False):
        self.uuid = uuid
        self.deleted = deleted  # the scenario's `deleted: true`: the check is gone, its UUID names none
        self.pings: list[Ping] = []
        self.attempts = 0
        self._faults = Staged(faults)
        self._lock = threading.Lock()

    @property
    def signals(self) -> list[str]:
        return [p.signal for p in self.pings]

    def handle_request(self, method, path, query, headers, body, raw_query):
        with self._lock:
            self.attempts += 1
            uuid, _, suffix = path.strip("/").partition("/")
            if method not in ("HEAD", "GET", "POST") or suffix not in SIGNALS:
                return Reply(404, "not found")
            if uuid != self.uuid or self.deleted:
                return Reply(200, "OK (not found)")
            fault = self._faults.take()
            if fault and "status" in fault and "kind" not in fault:
                return Reply(int(fault["status"]), "service unavailable")
            if fault and fault.get("kind") == "rate_limited":
                return Reply(200, "OK (rate limited)")
            if fault and fault.get("kind") != "late":
                return generic(fault)
            self.pings.append(Ping(SIGNALS[suffix], body.decode("utf-8", "replace")))
            return Reply(200, "OK", delay=float(fault.get("seconds", 30)) if fault else 0.0)
