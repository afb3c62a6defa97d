"""ACS3-HMAC-SHA256 request signatures, verified as the Alibaba Cloud OpenAPI gateway does.

Written from the public "V3 request body & signature" spec: the client hashes a canonical request
(method, path, sorted RFC 3986-encoded query, the headers it chose to sign, their names, and the
SHA-256 of the body), signs `ACS3-HMAC-SHA256\\n<hex hash>` with HMAC-SHA256 under the AccessKey
secret, and sends `Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`.
`verify` is pure apart from the nonce store it is handed; the clock is an argument.
"""
from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import datetime, timedelta, timezone
from typing import Mapping
from urllib.parse import parse_qsl, quote

from .apierror import ApiError

ALGORITHM = "ACS3-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=15)
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Headers a request must sign: without them a signature could be replayed with another date or
# nonce, or with the STS token of someone else.
MUST_SIGN = ("host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")


def _encode(text: str) -> str:
    # RFC 3986: everything but unreserved characters is percent-encoded (space is %20, not +).
    return quote(text, safe="~")


def canonical_query(raw_query: str) -> str:
    """Sorted `k=v` pairs, re-encoded. Clients send `+` for spaces (form encoding); decode first."""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs))


def canonical_request(method: str, path: str, raw_query: str, headers: Mapping[str, str],
                      signed: list[str], body: bytes) -> str:
    header_lines = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    return "\n".join([method.upper(), path or "/", canonical_query(raw_query), header_lines,
                      ";".join(signed), hashlib.sha256(body).hexdigest()])


def signature(secret: str, canonical: str) -> str:
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(access_key_id: str, secret: str, signed: list[str], canonical: str) -> str:
    """The header a client sends; the emulator only needs it for tests that sign by hand."""
    return (f"{ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(signed)},"
            f"Signature={signature(secret, canonical)}")


class NonceStore:
    """Nonces seen within the skew window (older ones are refused by the date check anyway)."""

    def __init__(self):
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def use(self, nonce: str, now: datetime) -> bool:
        """Record `nonce`; False when it was already used."""
        with self._lock:
            # Insertion order is time order: expire from the front instead of rescanning every nonce.
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at <= 2 * MAX_SKEW:
                    break
                del self._seen[oldest]
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def _parse_authorization(value: str) -> tuple[str, list[str], str]:
    algorithm, _, rest = value.partition(" ")
    if algorithm != ALGORITHM:
        raise ApiError(400, "IncompleteSignature", f"Unsupported signature algorithm, expected {ALGORITHM}.")
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise ApiError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    return fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]


def _check_date(value: str | None, now: datetime) -> None:
    try:
        sent = datetime.strptime(value or "", DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise ApiError(400, "InvalidTimeStamp.Format",
                       "Specified time stamp or date value is not well formatted.") from None
    if abs(now - sent) > MAX_SKEW:
        raise ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")


def access_key_id(headers: Mapping[str, str]) -> str:
    """The AccessKey ID a request claims (`Credential=`), before anything is checked: which key to check it
    with. Raises `ApiError` for an Authorization header that is not ACS3-HMAC-SHA256's."""
    return _parse_authorization(headers.get("authorization", ""))[0]


def verify(method: str, path: str, raw_query: str, headers: Mapping[str, str], body: bytes, *,
           keys: Mapping[str, str], security_token: str | None, now: datetime, nonces: NonceStore) -> str:
    """Check one request (headers lower-cased); return the AccessKey ID or raise `ApiError`."""
    access_key_id, signed, sent_signature = _parse_authorization(headers.get("authorization", ""))
    if access_key_id not in keys:
        raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    must_sign = MUST_SIGN + (("x-acs-security-token",) if "x-acs-security-token" in headers else ())
    unsigned = [name for name in must_sign if name not in signed]
    if unsigned:
        raise ApiError(400, "IncompleteSignature", f"Header {unsigned[0]} must be signed.")
    _check_date(headers.get("x-acs-date"), now)
    expected = signature(keys[access_key_id], canonical_request(method, path, raw_query, headers, signed, body))
    if not hmac.compare_digest(expected.encode(), sent_signature.encode()):
        raise ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
    token = headers.get("x-acs-security-token")
    if security_token and not token:
        raise ApiError(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
    if token is not None and not hmac.compare_digest(token.encode(), (security_token or "").encode()):
        raise ApiError(400, "InvalidSecurityToken.MismatchWithAccessKey",
                       "Specified SecurityToken mismatch with the AccessKey.")
    nonce = headers.get("x-acs-signature-nonce")
    if not nonce:
        raise ApiError(400, "MissingSignatureNonce", "SignatureNonce is mandatory for this action.")
    if not nonces.use(nonce, now):
        raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    return access_key_id
