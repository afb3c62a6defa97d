"""The calls of an official Alibaba Cloud SDK (R-KVStore, STS, ResourceManager), made the same way for each:
one client per region and account, made once, on the route the webhooks' requests would take (route.py);
every call paced by its API's quota (pacing.Pacer), within connect/read timeouts and a deadline as a whole
(`whole_call`), retried by `retry.call` when errors.py says it is worth it. What leaves is the SDK's answer
body or an `ApiFailure`; never an SDK exception.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, TypeVar

from alibabacloud_tea_openapi import models as openapi
from darabonba.runtime import RuntimeOptions

from . import errors, retry
from .. import watchdog
from ..invocation import Credentials
from ..model import ApiError
from .pacing import Pacer
from .route import sdk_route

T = TypeVar("T")


class Edge:
    """One service's SDK (`CLIENT`, a Tea client class) with one account's `credentials`. `endpoint`
    (host[:port], "" for the SDK's own per region) and `protocol`; `pacer` paces every call by its API's
    quota; `remaining()` is the run's budget in seconds; timeouts in seconds; `pool_size` connections kept
    per client."""

    CLIENT: type = object

    def __init__(self, credentials: Credentials, *, endpoint: str = "", protocol: str = "https",
                 pacer: Pacer, remaining: Callable[[], float],
                 connect_timeout: float = 5.0, read_timeout: float = 10.0, pool_size: int = 8,
                 backoff: retry.Backoff = retry.Backoff()):
        self._credentials = credentials
        self._endpoint, self._protocol = endpoint or None, protocol
        self._pacer, self._remaining, self._backoff = pacer, remaining, backoff
        self._timeouts = (int(connect_timeout * 1000), int(read_timeout * 1000))
        self._clients: dict[str, tuple] = {}
        self._lock = threading.Lock()
        self._pool_size = pool_size

    def _in_time(self, action: str) -> None:
        """An instance's next call starts only while the budget lasts: the digest must still go out."""
        if self._remaining() <= 0:
            raise retry.ApiFailure(ApiError(retry.OUT_OF_TIME, "the run ran out of time", action))

    def _client(self, region: str, action: str):
        """The region's SDK client and its route (the proxy the webhooks' requests would take to its
        endpoint: cloud/route.py), both made once. Raises ApiFailure ProxyNotHonoured."""
        with self._lock:
            if region not in self._clients:
                config = openapi.Config(
                    access_key_id=self._credentials.access_key_id,
                    access_key_secret=self._credentials.access_key_secret,
                    security_token=self._credentials.security_token or None,
                    region_id=region, endpoint=self._endpoint, protocol=self._protocol)
                client = self.CLIENT(config)
                try:
                    self._clients[region] = (client, sdk_route(self._protocol, client, action))
                except retry.ApiFailure as failure:
                    self._clients[region] = (client, failure.error)
            client, route = self._clients[region]
        if isinstance(route, ApiError):
            raise retry.ApiFailure(replace(route, action=action))
        return client, route

    def _call(self, region: str, action: str, send: Callable[[object, RuntimeOptions], T]):
        """`send(client, options)` for `action` in `region`: paced, within its whole deadline, retried; the
        answer's body. Raises ApiFailure."""
        client, route = self._client(region, action)
        connect, read = self._timeouts
        # The SDK retries nothing unless told to: retries are ours (jitter, bounded by the time budget).
        # One pooled connection per worker.
        options = RuntimeOptions(connect_timeout=connect, read_timeout=read, max_idle_conns=self._pool_size, **route)

        def attempt():
            if not self._pacer.acquire(region, action, self._remaining):  # its turn comes after the budget
                raise retry.ApiFailure(ApiError(retry.OUT_OF_TIME, "the run ran out of time", action))
            response = whole_call(lambda: send(client, options), (connect + read) / 1000, self._remaining(), action)
            self._pacer.succeeded(region, action)
            return response.body

        return retry.call(attempt, self._backoff, self._remaining,
                          on_throttle=lambda: self._pacer.throttled(region, action))


def whole_call(call: Callable[[], T], timeout: float, budget: float, action: str) -> T:
    """`call()` (one SDK call), in this thread, within `timeout` seconds as a whole (connect + read) and
    never past the run's `budget` (seconds left). The SDK's timeouts bound each socket operation, not the
    answer: darabonba-core 1.0.9's `DaraCore.do_action` hands (connect, read) to requests'
    `session.send` and reads `resp.content` whole, so a drip-fed answer would hold the run; the
    watchdog shuts the call's socket at the deadline instead (watchdog.py), and the call fails at once.
    Past `timeout`: a retryable ApiFailure `Timeout` (Describe* calls are safe to repeat); past the
    budget: `OutOfTime`; any other failure of the SDK: `errors.failure`."""
    wait = min(timeout, budget)
    if wait <= 0:
        raise retry.ApiFailure(ApiError(retry.OUT_OF_TIME, "the run ran out of time", action))
    with watchdog.watch(wait) as attempt:
        try:
            return call()
        except Exception as exc:  # the SDK raises many types; all become an ApiFailure here
            if not attempt.expired:
                raise errors.failure(exc, action) from None
    if budget < timeout:
        raise retry.ApiFailure(ApiError(retry.OUT_OF_TIME, "the run ran out of time", action))
    raise retry.ApiFailure(ApiError("Timeout", f"no complete answer within {round(timeout, 1):g} s", action), True)
