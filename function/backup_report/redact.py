"""Keeps secrets out of every log line the process writes, whoever logs them, invocation by invocation.

Each invocation registers its own secrets for as long as it runs (`Redaction`, a context manager).
A log record cannot be told apart by invocation: FC runs concurrent invocations in one process,
and their records come from worker threads and library threads that carry no trace of the
invocation. So every record is scrubbed of the secrets of every invocation registered: an
invocation can only add to what is hidden, never replace another's (the old single global list
was overwritten by the next invocation, which let the first one's token through). Secrets of a
finished invocation stay hidden a while longer (`RETIRED`), for threads that outlive it.

Where the scrubbing happens:
- at record creation (`logging.setLogRecordFactory`), so every handler sees clean records,
  including the handlers third-party libraries attach to their own loggers (darabonba-core and
  alibabacloud-tea each add a stderr StreamHandler at import), and handlers added later;
- as a filter on every handler that exists when an invocation starts, in case another
  library replaces the record factory after us.
Both format the message (and any traceback) first, then replace each secret with ***.

The SDK's debug switch: darabonba-core 1.0.9 (`DaraCore.do_action`) and alibabacloud-tea 0.4
(`TeaCore.do_action`) dump every request's headers, the `Authorization` header (with the
AccessKey ID) and `x-acs-security-token` among them, at DEBUG to the loggers `darabonba-core` and
`alibabacloud-tea` when the environment has `DEBUG=sdk` (or RuntimeOptions' `debug` is "sdk").
`quiet_sdk_debug` sets those loggers to INFO, so the dumps are never written, and says so.
"""
from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import deque
from typing import Iterable
from urllib.parse import parse_qsl, quote, urlsplit

MASK = "***"
RETIRED = 64  # finished invocations whose secrets are still hidden
# The loggers the SDK stack writes request details to, with the versions that name them.
SDK_DEBUG_LOGGERS = ("darabonba-core", "alibabacloud-tea")
# Loggers that log request lines or credential lookups: never below INFO in a run.
NOISY_LOGGERS = SDK_DEBUG_LOGGERS + ("urllib3", "credentials")

log = logging.getLogger("backup_report")


def secrets_of(values: Iterable[str]) -> list[str]:
    """The strings to hide: each value, and each part of a URL that carries a token."""
    found: set[str] = set()
    for value in filter(None, values):
        found.add(value)
        try:
            parts = urlsplit(value)
        except ValueError:
            continue
        if parts.scheme and parts.netloc:
            found.update(v for _, v in parse_qsl(parts.query) if len(v) >= 6)
            segments = [p for p in parts.path.split("/") if p]
            found.update(p for p in segments if len(p) >= 12)  # Slack's T…/B…/token
            if segments and len(segments[-1]) >= 6:  # a webhook's last segment is its token, however short
                found.add(segments[-1])
    # As a refusal may quote them: percent-encoded once or twice (the API gateway's "server string to
    # sign is:POST&%2F&AccessKeyId%3D…" repeats the request's parameters encoded, e.g.
    # https://github.com/dromara/SMS4J/issues/34), so an STS token's + / = do not hide it from the scrub.
    for value in list(found):
        once = quote(value, safe="")
        found.update((once, quote(once, safe="")))
    # Longest first, so a URL is replaced whole before its token is.
    return sorted((s for s in found if len(s) >= 6), key=len, reverse=True)


class _Registry:
    """The secrets of the invocations running now, and of the last RETIRED ones, by invocation key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[int, tuple[str, ...]] = {}
        self._retired: deque[tuple[str, ...]] = deque(maxlen=RETIRED)
        self._keys = itertools.count(1)
        self.secrets: tuple[str, ...] = ()  # the union, longest first; replaced whole, read without a lock

    def add(self, secrets: Iterable[str]) -> int:
        with self._lock:
            key = next(self._keys)
            self._active[key] = tuple(secrets)
            self._refresh()
            return key

    def retire(self, key: int) -> None:
        with self._lock:
            self._retired.append(self._active.pop(key, ()))
            self._refresh()

    def _refresh(self) -> None:
        union = set(itertools.chain(*self._active.values(), *self._retired))
        self.secrets = tuple(sorted(union, key=len, reverse=True))


_registry = _Registry()


class RedactingFilter(logging.Filter):
    """Formats a record's message and traceback, then replaces every registered secret with ***."""

    def __init__(self) -> None:
        super().__init__("redact")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string: the handler reports it; nothing to scrub yet
            return True
        cleaned = self.scrub(text)
        if cleaned != text or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True

    def scrub(self, text: str) -> str:
        for secret in _registry.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


_filter = RedactingFilter()
_install_lock = threading.Lock()
_factory_installed = False


def scrub(text: str) -> str:
    """`text` with every registered secret replaced by ***: for strings that leave by another way
    than logging (CLI output, exception texts, the result)."""
    return _filter.scrub(text)


class Redaction:
    """One invocation's secrets, hidden from every log record while it runs (and a while after).

    `with Redaction([...]) as redaction:` registers them; `redaction.scrub(text)` hides them (and
    those of the other running invocations) in any text.
    """

    def __init__(self, values: Iterable[str]):
        self.secrets = secrets_of(values)
        self._key: int | None = None

    def __enter__(self) -> "Redaction":
        _install()
        self._key = _registry.add(self.secrets)
        return self

    def __exit__(self, *exc) -> None:
        if self._key is not None:
            _registry.retire(self._key)
            self._key = None

    @staticmethod
    def scrub(text: str) -> str:
        return scrub(text)


def _install() -> None:
    """The record factory once per process; the filter on every handler that exists now."""
    global _factory_installed
    with _install_lock:
        if not _factory_installed:
            previous = logging.getLogRecordFactory()

            def factory(*args, **kwargs) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                _filter.filter(record)
                return record

            logging.setLogRecordFactory(factory)
            _factory_installed = True
        root = logging.getLogger()
        if not root.handlers:
            logging.basicConfig(level=logging.INFO)
        loggers = [root] + [obj for obj in list(logging.Logger.manager.loggerDict.values())
                            if isinstance(obj, logging.Logger)]
        for handler in {h for logger in loggers for h in logger.handlers}:
            if _filter not in handler.filters:
                handler.addFilter(_filter)


def quiet_sdk_debug(environ=os.environ) -> None:
    """Keeps request dumps and credential-chain chatter out of the logs: the noisy loggers go to INFO
    at least. Says so when the SDK's debug switch (DEBUG=sdk) is on, since its dumps hold credentials."""
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.level, logging.INFO))
    if str(environ.get("DEBUG", "")).lower() == "sdk":
        log.warning("DEBUG=sdk is set: the Alibaba Cloud SDK would write every request's headers, the "
                    "AccessKey ID and STS token among them, to stderr; its loggers (%s) are kept at INFO, "
                    "so nothing is dumped", ", ".join(SDK_DEBUG_LOGGERS))
