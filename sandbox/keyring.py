"""Who a request is made as: the scenario's own credentials (the home account's) and those STS issued.

One table, shared by the STS, ResourceManager and R-KVStore emulators and safe across their threads: a key
STS issues is good at the R-KVStore at once, as a real one is, and stays good until its `Expiration`.
`authenticate` is the gateway's check (`acs3.verify`) with the key and STS token of the claimed AccessKey ID,
then the token's expiry: `InvalidSecurityToken.Expired`, "Specified SecurityToken is expired.", one of the
OpenAPI gateway's common error codes (its `InvalidSecurityToken.*` family, as `acs3` answers the others).
"""
from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from . import acs3
from .apierror import ApiError
from .fleet import Credentials

_ALNUM = string.ascii_letters + string.digits


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass(frozen=True)
class Principal:
    """The holder of one AccessKey: `account` it acts in; for a key STS issued, the `role` assumed, the
    `session` (RoleSessionName) and the `expiration` STS answered."""
    account: str
    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    role: str = ""
    session: str = ""
    expiration: datetime | None = None

    @property
    def issued(self) -> bool:
        return self.expiration is not None

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.access_key_id, self.access_key_secret, self.security_token)


class Keyring:
    def __init__(self, account: str, credentials: Credentials):
        self.home = Principal(account, credentials.access_key_id, credentials.access_key_secret,
                              credentials.security_token)
        self._by_key = {self.home.access_key_id: self.home}
        self._issued: list[Principal] = []
        self._lock = threading.Lock()

    def get(self, access_key_id: str) -> Principal | None:
        with self._lock:
            return self._by_key.get(access_key_id)

    def issue(self, account: str, role: str, session: str, seconds: int, now: datetime) -> Principal:
        """New credentials for `account`, shaped like STS's: `STS.` and 24 letters or digits for the ID, a
        30-character secret, a long token (STS "does not impose limits on the length of STS tokens":
        models/_assume_role_response_body.py of alibabacloud_sts20150401)."""
        principal = Principal(account, f"STS.{_random(24)}", _random(30), f"CAIS{secrets.token_urlsafe(360)}",
                              role, session, (now + timedelta(seconds=seconds)).replace(microsecond=0))
        with self._lock:
            self._by_key[principal.access_key_id] = principal
            self._issued.append(principal)
        return principal

    def issued(self) -> dict[str, list[Principal]]:
        """Account -> the credentials issued for it, oldest first."""
        with self._lock:
            by_account: dict[str, list[Principal]] = {}
            for principal in self._issued:
                by_account.setdefault(principal.account, []).append(principal)
            return by_account

    def authenticate(self, method: str, path: str, raw_query: str, headers: Mapping[str, str], body: bytes, *,
                     now: datetime, nonces: acs3.NonceStore) -> Principal:
        """The principal a request is signed as, or `ApiError` as the gateway answers it."""
        principal = self.get(acs3.access_key_id(headers))
        keys = {principal.access_key_id: principal.access_key_secret} if principal else {}
        acs3.verify(method, path, raw_query, headers, body, keys=keys,
                    security_token=principal.security_token if principal else None, now=now, nonces=nonces)
        if principal.expiration is not None and now >= principal.expiration:
            raise ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        return principal
