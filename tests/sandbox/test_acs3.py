"""acs3.verify on hand-built requests, with a fixed clock (no HTTP here)."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from sandbox import acs3
from sandbox.apierror import ApiError

NOW = datetime(2026, 11, 28, 1, 0, 7, tzinfo=timezone.utc)
AK, SECRET, TOKEN = "sandbox-ak-0001", "s3cr3t", "sts-token-0001"
SIGNED = ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-security-token",
          "x-acs-signature-nonce"]


def signed_request(query="InstanceId=r-1&StartTime=2026-11-27T01%3A00Z", secret=SECRET, date=NOW,
                   nonce="nonce-1", token=TOKEN, signed=None, body=b"", **extra_headers):
    headers = {"host": "127.0.0.1:1", "x-acs-action": "DescribeBackups", "x-acs-date": f"{date:%Y-%m-%dT%H:%M:%SZ}",
               "x-acs-signature-nonce": nonce, "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
               **({"x-acs-security-token": token} if token else {}), **extra_headers}
    names = signed or [n for n in SIGNED if n in headers]
    canonical = acs3.canonical_request("POST", "/", query, headers, names, body)
    headers["authorization"] = acs3.authorization(AK, secret, names, canonical)
    return ("POST", "/", query, headers, body)


def verify(request, token=TOKEN, now=NOW, nonces=None):
    return acs3.verify(*request, keys={AK: SECRET}, security_token=token, now=now,
                       nonces=nonces or acs3.NonceStore())


def refusal(request, **kwargs) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        verify(request, **kwargs)
    return caught.value.status, caught.value.code


def test_a_correctly_signed_request_passes_and_names_its_key():
    assert verify(signed_request()) == AK


def test_the_canonical_query_is_sorted_and_rfc3986_encoded_whatever_the_client_sent():
    # Form encoding (`+`, as the SDK sends it) and %20 are the same canonical query.
    assert acs3.canonical_query("b=a+b%2Fc&a=~x*") == "a=~x%2A&b=a%20b%2Fc"
    assert acs3.canonical_query("b=a%20b/c&a=%7Ex%2A") == "a=~x%2A&b=a%20b%2Fc"


def test_the_signature_is_hmac_sha256_over_the_hash_of_the_canonical_request():
    canonical = "POST\n/\n\nhost:h\n\nhost\n" + hashlib.sha256(b"").hexdigest()
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    assert acs3.signature("k", canonical) == hmac.new(b"k", string_to_sign.encode(), hashlib.sha256).hexdigest()


def test_a_wrong_secret_does_not_match():
    assert refusal(signed_request(secret="guess")) == (400, "SignatureDoesNotMatch")


def test_a_changed_parameter_does_not_match():
    method, path, _, headers, body = signed_request()
    assert refusal((method, path, "InstanceId=r-2&StartTime=2026-11-27T01%3A00Z", headers, body)) == \
        (400, "SignatureDoesNotMatch")


def test_a_body_other_than_the_signed_one_does_not_match():
    method, path, query, headers, _ = signed_request(body=b"a=1")
    assert refusal((method, path, query, headers, b"a=2")) == (400, "SignatureDoesNotMatch")


def test_an_unknown_access_key_is_not_found():
    method, path, query, headers, body = signed_request()
    headers["authorization"] = headers["authorization"].replace(AK, "sandbox-ak-9999")
    assert refusal((method, path, query, headers, body)) == (404, "InvalidAccessKeyId.NotFound")


def test_a_missing_or_malformed_authorization_is_an_incomplete_signature():
    method, path, query, headers, body = signed_request()
    for value in ("", "HMAC-SHA1 Credential=x", "ACS3-HMAC-SHA256 Credential=x,Signature=y"):
        assert refusal((method, path, query, {**headers, "authorization": value}, body)) == \
            (400, "IncompleteSignature")


@pytest.mark.parametrize("unsigned", ["x-acs-security-token", "x-acs-date", "x-acs-signature-nonce", "host"])
def test_headers_that_bind_the_request_must_be_signed(unsigned):
    names = [n for n in SIGNED if n != unsigned]
    assert refusal(signed_request(signed=names)) == (400, "IncompleteSignature")


def test_a_missing_sts_token_is_refused_when_one_is_configured():
    assert refusal(signed_request(token=None)) == (400, "MissingSecurityToken")


def test_a_wrong_sts_token_is_refused():
    assert refusal(signed_request(token="sts-token-other")) == (400, "InvalidSecurityToken.MismatchWithAccessKey")


def test_a_token_sent_to_a_key_without_one_is_refused():
    assert refusal(signed_request(), token=None) == (400, "InvalidSecurityToken.MismatchWithAccessKey")


def test_a_request_without_token_passes_when_none_is_configured():
    assert verify(signed_request(token=None), token=None) == AK


def test_a_replayed_nonce_is_refused():
    nonces = acs3.NonceStore()
    request = signed_request()
    verify(request, nonces=nonces)
    assert refusal(request, nonces=nonces) == (400, "SignatureNonceUsed")
    assert verify(signed_request(nonce="nonce-2"), nonces=nonces) == AK


def test_a_refused_signature_does_not_use_up_its_nonce():
    nonces = acs3.NonceStore()
    refusal(signed_request(secret="guess"), nonces=nonces)
    assert verify(signed_request(), nonces=nonces) == AK


@pytest.mark.parametrize("skew", [timedelta(minutes=15, seconds=1), -timedelta(minutes=15, seconds=1),
                                  timedelta(hours=8)])
def test_a_date_more_than_15_minutes_off_the_clock_is_expired(skew):
    assert refusal(signed_request(date=NOW + skew)) == (400, "InvalidTimeStamp.Expired")


def test_a_date_within_15_minutes_passes():
    assert verify(signed_request(date=NOW - timedelta(minutes=14, seconds=59))) == AK


def test_a_malformed_date_is_refused():
    method, path, query, headers, body = signed_request()
    headers["x-acs-date"] = "Sat, 28 Nov 2026 01:00:07 GMT"
    assert refusal((method, path, query, headers, body)) == (400, "InvalidTimeStamp.Format")
