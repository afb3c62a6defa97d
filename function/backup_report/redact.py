"""Keeps secrets out of every log line the process writes, whoever logs them, invocation by invocation.

Each invocation registers its own secrets while it runs (`Redaction`, a context manager), and nothing
of it outlives it: the next invocation in a warm FC instance starts with nothing hidden but its own.
- What an invocation returns and posts (the result, deliveries[].error, exception texts, API texts in
  the digest) is scrubbed of its own secrets only (`Redaction.scrub`): another invocation's token can
  never turn a word of this one's report into ***.
- A log record is scrubbed of the secrets of the invocation it belongs to. Records carry no trace of
  their invocation, but the thread that writes them does: `Redaction` sets a context variable, and the
  threads an invocation starts inherit its context (`in_context`, `Pool`), so their records, even those
  written after the invocation returned (an abandoned call ending late), are scrubbed of its secrets.
  A record written outside any invocation's context (a thread a library started) is scrubbed of the
  secrets of every invocation running at that moment.
- Only values that can be secrets are hidden: the settings' and credentials' values whole, and of a
  URL the parts that look like tokens (`token_like`: as long as a webhook token, check UUID or ping key,
  or letters and digits mixed), never a word ("failed", "Normal") or a number a report needs.

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

import contextvars
import itertools
import logging
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar
from urllib.parse import parse_qsl, quote, urlsplit

MASK = "***"
MIN_SECRET = 6  # a whole secret value shorter than this is not hidden (it would mask ordinary words)
MIN_TOKEN = 16  # a URL part is a token from this length on (webhook tokens, UUIDs, ping keys: 22-64)
# The loggers the SDK stack writes request details to, with the versions that name them.
SDK_DEBUG_LOGGERS = ("darabonba-core", "alibabacloud-tea")
# Loggers that log request lines or credential lookups: never below INFO in a run.
NOISY_LOGGERS = SDK_DEBUG_LOGGERS + ("urllib3", "credentials")
T = TypeVar("T")
# A URL within text: its scheme and host, then whatever follows (path, query, fragment) up to a space or a quote.
_URL = re.compile(r"""\b([A-Za-z][A-Za-z0-9+.-]*://[^/?#\s'"<>]*)([/?#][^\s'"<>]*)""")

log = logging.getLogger("backup_report")


def token_like(part: str) -> bool:
    """Whether a part of a URL can be a token: as long as one (DingTalk's access_token is 64 hex digits,
    Slack's 24 characters, Feishu's, WeCom's and healthchecks.io's UUIDs 36, a ping key 22), or shorter
    but letters and digits mixed ("shorttok9"); never a number, nor a word a report shows ("failed",
    "Normal", a status)."""
    if part.isdigit() or len(part) < MIN_SECRET:
        return False
    return len(part) >= MIN_TOKEN or (any(c.isdigit() for c in part) and any(c.isalpha() for c in part))


def hosts_only(text: str) -> str:
    """`text` with every URL in it cut to its scheme and host (`https://oapi.dingtalk.com/…`): for a value shown
    where no secret is expected (a payload key that is not a setting, a webhook pasted into the wrong setting),
    whose path or query may still be a robot's token or a check's UUID."""
    return _URL.sub(lambda url: url[0] if url[2] == "/" else f"{url[1]}/…", text)  # a bare trailing / hides nothing


def secrets_of(values: Iterable[str]) -> list[str]:
    """The strings to hide: each value (MIN_SECRET characters or more), and each token-like part of a URL
    (its query values and path segments), also percent-encoded once and twice; longest first."""
    found: set[str] = set()
    for value in filter(None, values):
        if len(value) >= MIN_SECRET:
            found.add(value)
        try:
            parts = urlsplit(value)
        except ValueError:
            continue
        if parts.scheme and parts.netloc:
            found.update(v for _, v in parse_qsl(parts.query) if token_like(v))
            found.update(p for p in parts.path.split("/") if token_like(p))
    # As a refusal may quote them: percent-encoded once or twice (the API gateway's "server string to
    # sign is:POST&%2F&AccessKeyId%3D…" repeats the request's parameters encoded, e.g.
    # https://github.com/dromara/SMS4J/issues/34), so an STS token's + / = do not hide it from the scrub.
    for value in list(found):
        once = quote(value, safe="")
        found.update((once, quote(once, safe="")))
    # Longest first, so a URL is replaced whole before its token is.
    return sorted(found, key=len, reverse=True)


def _replaced(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class _Running:
    """The secrets of the invocations running now, by invocation key: what a record written outside any
    invocation's context is scrubbed of."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[int, tuple[str, ...]] = {}
        self._keys = itertools.count(1)
        self.secrets: tuple[str, ...] = ()  # the union, longest first; replaced whole, read without a lock

    def add(self, secrets: tuple[str, ...]) -> int:
        with self._lock:
            key = next(self._keys)
            self._active[key] = secrets
            self._refresh()
            return key

    def remove(self, key: int) -> None:
        with self._lock:
            self._active.pop(key, None)
            self._refresh()

    def _refresh(self) -> None:
        union = set(itertools.chain(*self._active.values()))
        self.secrets = tuple(sorted(union, key=len, reverse=True))


_running = _Running()
# The Redaction of the invocation whose context this is (None: outside any invocation). The object, not its
# secrets, so what `Redaction.add` registers reaches the threads that copied the context before.
_current: contextvars.ContextVar["Redaction | None"] = contextvars.ContextVar("backup_report_secrets",
                                                                              default=None)


class RedactingFilter(logging.Filter):
    """Formats a record's message and traceback, then replaces the secrets of its invocation with ***."""

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
        mine = _current.get()
        return _replaced(text, _running.secrets if mine is None else mine.secrets)


_filter = RedactingFilter()
_install_lock = threading.Lock()
_factory_installed = False


def scrub(text: str) -> str:
    """`text` with the current invocation's secrets replaced by *** (outside any invocation: those of
    every invocation running): for strings that leave by another way than logging (CLI output)."""
    return _filter.scrub(text)


class Redaction:
    """One invocation's secrets, hidden from every log record of its context while it runs.

    `with Redaction([...]) as redaction:` registers them; `redaction.scrub(text)` hides them in any text.
    Threads started inside keep them (`in_context`, `Pool`).
    """

    def __init__(self, values: Iterable[str], whole: Iterable[str] = ()):
        """`values`: secrets and URLs whose token-like parts are secrets too; `whole`: values hidden only
        whole (an invoker's URL: none of its parts may hide a word of the report)."""
        extra = {v for v in whole if len(v) >= MIN_SECRET}
        extra |= {quote(v, safe="") for v in extra}
        self.secrets = tuple(sorted(set(secrets_of(values)) | extra, key=len, reverse=True))
        self._key: int | None = None
        self._token: contextvars.Token | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> "Redaction":
        _install()
        self._key = _running.add(self.secrets)
        self._token = _current.set(self)
        return self

    def add(self, values: Iterable[str], whole: Iterable[str] = ()) -> None:
        """More secrets of this invocation, learnt while it runs (a member account's assumed credentials, the
        settings of a fanned-out run's payload), as for __init__: hidden from then on, in every thread of its
        context."""
        extra = {v for v in whole if len(v) >= MIN_SECRET}
        extra |= {quote(v, safe="") for v in extra}
        with self._lock:  # accounts are read in threads of their own, each adding its credentials
            self.secrets = tuple(sorted(set(self.secrets) | set(secrets_of(values)) | extra, key=len, reverse=True))
            if self._key is not None:
                _running.remove(self._key)
                self._key = _running.add(self.secrets)

    def __exit__(self, *exc) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        if self._key is not None:
            _running.remove(self._key)
            self._key = None

    def scrub(self, text: str) -> str:
        """`text` with this invocation's secrets replaced by ***."""
        return _replaced(text, self.secrets)


def in_context(work: Callable[..., T]) -> Callable[..., T]:
    """`work` bound to the caller's context (its invocation's secrets), for a thread to run."""
    context = contextvars.copy_context()
    return lambda *args, **kwargs: context.run(work, *args, **kwargs)


class Pool(ThreadPoolExecutor):
    """A ThreadPoolExecutor whose tasks run in the context of the thread that submitted them, so their
    log records are scrubbed of that invocation's secrets (a plain pool's threads have an empty context)."""

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(in_context(fn), *args, **kwargs)


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
