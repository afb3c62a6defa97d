"""The run's heartbeat: pings a dead man's switch (healthchecks.io, Cronitor) when a run starts and ends.

Such a monitor alerts when a ping is late, so it hears the one failure nothing else can report: the
function not running at all (a disabled trigger, a revoked role, a broken deploy). With
NOTIFY_ON=failure that silence would otherwise read as "all fine".

Two URL conventions, as their services document them (they differ; both are handled):
- healthchecks.io (https://healthchecks.io/docs/http_api/): the ping URL signals success;
  `<url>/start` a start (https://healthchecks.io/docs/measuring_script_run_time/: a start with no
  success within the check's grace time marks it down); `<url>/fail` a failure
  (https://healthchecks.io/docs/signaling_failures/). POST is accepted and the first 100 kB of the
  body is logged with the ping (https://healthchecks.io/docs/attaching_logs/). Self-hosted Healthchecks
  instances use the same paths.
  Success is "200 OK" with the body "OK" (the Pinging API's own words), or "201" with `Created` from a
  slug URL with `?create=1` that made its check (auto provisioning), and only that counts: the docs
  say a missing check is "404 not found" (templates/docs/http_api.md, as the open-source server
  answers), but the hosted service answers a UUID URL with HTTP 200 whatever happens, with the body
  `OK (not found)` for a check that does not exist and `OK (rate limited)` for a ping it dropped
  (more than 5 pings a minute, the docs' "Rate Limits"); its maintainer keeps that for compatibility
  (https://github.com/healthchecks/healthchecks/issues/741). Both forms are read: a 404 and
  `OK (not found)` are the same mistake, a deleted check or a mistyped UUID.
- Cronitor (https://cronitor.io/docs/telemetry-api): `https://cronitor.link/p/<api-key>/<monitor>`
  with `?state=run`, `?state=complete` or `?state=fail`; a `message` query parameter carries a short
  text (GET, POST and HEAD accepted). Chosen when the host is cronitor.link. Its docs give no success
  body (its Python SDK, cronitor/monitor.py `ping`, reads none) and an unknown monitor key creates
  the monitor, so any 2xx is a ping that landed.
The URL's path and query are secrets (healthchecks.io's UUID or ping key, Cronitor's API key): the
run registers them for redaction, and errors here never repeat the URL.

A ping goes through the channels' Transport (one whole deadline per attempt, redirects never
followed, answers read up to 64 KB, every wait within the run's deadline). A ping that fails is
reported (`Ping.error`), never raised: the monitor must never block the report (borgmatic treats a
failed ping as a warning for the same reason).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from .channels.base import service_words
from .channels.http import Answer, Refusal, Transport
from .redact import secrets_of, token_like

START, SUCCESS, FAIL = "start", "success", "fail"
NAME = "heartbeat"
CRONITOR_HOST = "cronitor.link"
CRONITOR_STATE = {START: "run", SUCCESS: "complete", FAIL: "fail"}
MAX_BODY = 10_000  # characters of the report sent with a ping: far below healthchecks.io's 100 kB
MAX_MESSAGE = 1_000  # characters of Cronitor's `message` (a query parameter: kept short)
HEALTHCHECKS_OK = "OK"
# A slug URL with `?create=1` that made its check answers 201 `Created` (https://healthchecks.io/docs/autoprovisioning/;
# the server's hc/api/views.py ping_by_slug): the check exists now and the ping landed.
HEALTHCHECKS_CREATED = (201, "Created")
# What a healthchecks answer says is wrong with the setting, by the body of a 200 (hosted) or the status
# (documented), and the footer warning each puts in the digest.
NOT_FOUND, RATE_LIMITED = "not found", "rate limited"
WARNINGS = {
    NOT_FOUND: "the heartbeat check does not exist: check HEARTBEAT_URL",
    RATE_LIMITED: "the heartbeat service dropped a ping as rate-limited (over 5 a minute to one check): "
                  "give each trigger its own HEARTBEAT_URL",
}


@dataclass(frozen=True)
class Ping:
    """One ping: its signal (START, SUCCESS, FAIL), whether the monitor took it, and why not."""

    signal: str
    ok: bool
    error: str = ""
    problem: str = ""  # NOT_FOUND or RATE_LIMITED: the monitor's answer says the setting is wrong

    def as_json(self) -> dict:
        out: dict = {"signal": self.signal, "ok": self.ok}
        if self.error:
            out["error"] = self.error
        return out

    @property
    def warning(self) -> str:
        """The digest footer's warning for this ping ("" when the answer says nothing of the setting)."""
        return WARNINGS.get(self.problem, "")


def url_for(url: str, signal: str, message: str = "") -> str:
    """The URL that sends `signal` to the check at `url` (see the module's two conventions)."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() == CRONITOR_HOST:
        extra = {"state": CRONITOR_STATE[signal]}
        if message:
            extra["message"] = message[:MAX_MESSAGE]
        query = "&".join(filter(None, (parts.query, urlencode(extra))))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    suffix = {START: "/start", SUCCESS: "", FAIL: "/fail"}[signal]
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + suffix if suffix else parts.path,
                       parts.query, ""))


def problem_of(answer: Answer, cronitor: bool = False) -> str:
    """NOT_FOUND, RATE_LIMITED or "": what a healthchecks answer says is wrong with the setting (see the
    module's conventions: a 404 or the hosted `OK (not found)`; a 429 or `OK (rate limited)`)."""
    if cronitor:
        return ""
    body = answer.body.decode("utf-8", "replace").strip() if answer.body else ""
    if answer.status == 404 or (answer.status == 200 and body == f"OK ({NOT_FOUND})"):
        return NOT_FOUND
    if answer.status == 429 or (answer.status == 200 and body == f"OK ({RATE_LIMITED})"):
        return RATE_LIMITED
    return ""


def read_answer(answer: Answer, secrets: tuple[str, ...] = (), cronitor: bool = False) -> Refusal | None:
    """None for a ping that landed: any 2xx from Cronitor, only a 2xx with the body `OK` from healthchecks
    (fail closed: a 200 with other words, the hosted service's `OK (not found)` among them, is no ping). A
    redirect is not followed and is a failure; 429 and 5xx may be retried, a dropped or lost check not."""
    words = service_words(answer.body, secrets) if answer.body else ""
    if 200 <= answer.status < 300:
        if cronitor or words == HEALTHCHECKS_OK or (answer.status, words) == HEALTHCHECKS_CREATED:
            return None
        problem = problem_of(answer)
        if problem:
            return Refusal(f"HTTP {answer.status} {words!r}: {WARNINGS[problem]}")
        return Refusal(f"HTTP {answer.status} without the success body 'OK'" + (f": {words}" if words else ""))
    if 300 <= answer.status < 400:
        return Refusal(f"HTTP {answer.status}: a redirect, not followed (not the monitor's answer)")
    problem = problem_of(answer, cronitor)
    return Refusal(f"HTTP {answer.status}" + (f": {words}" if words else "")
                   + (f": {WARNINGS[problem]}" if problem == NOT_FOUND else ""),
                   retry=answer.status == 429 or answer.status >= 500)


class Heartbeat:
    """Pings the check at `url` (HEARTBEAT_URL) through `transport`; `scrub` hides the run's secrets
    in what a ping carries."""

    def __init__(self, url: str, transport: Transport, scrub: Callable[[str], str] = lambda text: text):
        self._url, self._transport, self._scrub = url, transport, scrub
        self._secrets = tuple(secrets(url))

    def ping(self, signal: str, report: Mapping[str, object] | None = None) -> Ping:
        """Send `signal` with `report` (JSON-ready: status, counts, what failed) as its body. Never raises."""
        text = self._scrub(json.dumps(report, ensure_ascii=False))[:MAX_BODY] if report else ""
        target = url_for(self._url, signal, text)
        cronitor = (urlsplit(self._url).hostname or "").lower() == CRONITOR_HOST
        problems: list[str] = []  # this ping's own: the last answer's reading

        def read(answer: Answer) -> Refusal | None:
            problems.append(problem_of(answer, cronitor))
            return read_answer(answer, self._secrets, cronitor)

        delivery = self._transport.deliver(NAME, lambda: target, text.encode("utf-8"), read)
        return Ping(signal, delivery.ok, self._scrub(delivery.error or ""),
                    "" if delivery.ok or not problems else problems[-1])


def secrets(url: str) -> list[str]:
    """What of a ping URL is secret: the URL, and its token-like parts (a UUID, a ping key or an API key
    sits in the path, and may sit in the query), never a short word of it (redact.token_like)."""
    if not url:
        return []
    parts = urlsplit(url)
    return secrets_of([url]) + [p for p in (parts.path.strip("/"), parts.query) if token_like(p)]
