"""Posting JSON to a webhook: timeouts, a few retries, and what counts as failure.

A channel says how to read an answer (`interpret`): return on success, raise TransportError
otherwise, `permanent` when trying again cannot help. Error texts are written for people and
never carry the URL: webhook URLs hold their tokens.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable

import requests

from ..model import Delivery


class TransportError(Exception):
    def __init__(self, message: str, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message, self.permanent, self.retry_after = message, permanent, retry_after


@dataclass(frozen=True)
class Retries:
    attempts: int = 4
    base: float = 1.0
    cap: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after  # the service said when: honour it (Slack's 429 Retry-After)
        return min(self.cap, self.base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


class Transport:
    def __init__(self, session: requests.Session | None = None, timeout: tuple[float, float] = (5.0, 15.0),
                 retries: Retries = Retries(), remaining: Callable[[], float] = lambda: float("inf"),
                 sleep: Callable[[float], None] = time.sleep):
        self.session = session or requests.Session()
        self.timeout, self.retries, self.remaining, self.sleep = timeout, retries, remaining, sleep

    def post(self, channel: str, url: Callable[[], str], body: bytes,
             interpret: Callable[[requests.Response], None]) -> Delivery:
        """`url` is called for every attempt: a signed URL must carry a fresh timestamp."""
        error = TransportError("not attempted")
        for attempt in range(1, self.retries.attempts + 1):
            try:
                response = self.session.post(url(), data=body, timeout=self.timeout,
                                             headers={"Content-Type": "application/json; charset=utf-8"})
                interpret(response)
                return Delivery(channel, True)
            except requests.Timeout:
                error = TransportError("no answer in time")
            except requests.ConnectionError:
                error = TransportError("could not connect, or the connection was dropped")
            except requests.RequestException as exc:
                error = TransportError(f"request failed ({type(exc).__name__})")
            except TransportError as exc:
                error = exc
            if error.permanent or attempt == self.retries.attempts:
                break
            wait = self.retries.delay(attempt, error.retry_after)
            if wait + sum(self.timeout) >= self.remaining():  # the retry itself must end in time too
                error = TransportError(f"{error.message}; out of time to retry")
                break
            self.sleep(wait)
        return Delivery(channel, False, error=f"{error.message} (after {attempt} attempt{'s' if attempt > 1 else ''})")
