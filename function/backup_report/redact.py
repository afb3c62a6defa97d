"""Keeps secrets out of log lines, whoever logs them (urllib3 at DEBUG logs URLs with tokens).

A filter on the root logger's handlers replaces every known secret with ***. FC's runtime
installs its own root handler; a local run gets one from `logging.basicConfig`.
"""
from __future__ import annotations

import logging
from typing import Iterable
from urllib.parse import parse_qsl, urlsplit


def secrets_of(values: Iterable[str]) -> list[str]:
    """The strings to hide: each value, and each part of a URL that carries a token."""
    found: set[str] = set()
    for value in filter(None, values):
        found.add(value)
        parts = urlsplit(value)
        if parts.scheme and parts.netloc:
            found.update(v for _, v in parse_qsl(parts.query) if len(v) >= 6)
            segments = [p for p in parts.path.split("/") if p]
            found.update(p for p in segments if len(p) >= 12)  # Slack's T…/B…/token
            if segments and len(segments[-1]) >= 6:  # a webhook's last segment is its token, however short
                found.add(segments[-1])
    # Longest first, so a URL is replaced whole before its token is.
    return sorted((s for s in found if len(s) >= 6), key=len, reverse=True)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__("redact")
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        cleaned = self.scrub(text)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def install(secrets: list[str]) -> RedactingFilter:
    """Attach (or refresh) the filter on every root handler. Returns it for scrubbing other text."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    existing = next((f for h in root.handlers for f in h.filters if isinstance(f, RedactingFilter)), None)
    active = existing or RedactingFilter(secrets)
    active.secrets = secrets
    for handler in root.handlers:
        if active not in handler.filters:
            handler.addFilter(active)
    return active
