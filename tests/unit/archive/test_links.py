"""The page link's word (archive/oss.py): how long it is signed for and says, REPORT_LINK_HOST's form, and the
one line an OSS refusal is told in."""
from __future__ import annotations

import re

import pytest
from alibabacloud_oss_v2.exceptions import OperationError, ServiceError

from backup_report.archive.oss import ArchiveError, Bucket, _reason, link_validity
from backup_report.settings.parsers import parse_link_host


@pytest.mark.parametrize("days, token, seconds, words", [
    (7, True, 36 * 3600, "up to 36 hours"),  # FC's context credentials: valid 36 hours
    (2, True, 36 * 3600, "up to 36 hours"),
    (1, True, 86400, "up to 1 day"),  # shorter than the token's bound, still no longer than the token
    (7, False, 7 * 86400, "for 7 days"),  # a long-term AccessKey: V4's 7 days
    (1, False, 86400, "for 1 day"),
])
def test_a_link_is_signed_for_and_says_what_its_credentials_allow(days, token, seconds, words):
    validity = link_validity(days, token)
    assert (validity.seconds, validity.words) == (seconds, words)


@pytest.mark.parametrize("text", ["reports.example.com", "a-b.example.co", "xn--fsq.example.cn"])
def test_a_custom_domain_is_taken_as_its_host_name(text):
    assert parse_link_host(text) == text
    assert parse_link_host(text.upper()) == text


@pytest.mark.parametrize("text", [
    "https://reports.example.com", "reports.example.com/", "reports.example.com/page", "reports.example.com:443",
    "reports.example.com.", " reports.example.com", "localhost", "127.0.0.1", "-a.example.com", "a..example.com",
    "b.oss-cn-hangzhou.aliyuncs.com", "aliyuncs.com", "a_b.example.com", "x" * 64 + ".example.com",
    "a@b.example.com", "b.OSS-cn-hangzhou.AliyunCS.com",
    # Not ASCII: an IDN in its Unicode form, and a Kelvin sign (U+212A) that lower() would make a plain 'k'.
    "bücher.example.com", "repor\u212at.example.com",
])
def test_anything_but_a_host_name_of_ones_own_is_refused(text):
    with pytest.raises(ValueError, match="^a custom domain bound to the archive bucket, the host name alone"):
        parse_link_host(text)


def _refusal(message: str) -> OperationError:
    # As the SDK raises it (alibabacloud_oss_v2/exceptions.py): the request's signed URL in request_target.
    return OperationError(name="PutObject", error=ServiceError(
        status_code=403, code="AccessDenied", message=message, request_id="5C3D", ec="0003-00000001",
        timestamp="", request_target="https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-signature=s"))


def test_an_oss_refusal_is_its_code_and_message_in_one_clean_bounded_line():
    assert _reason(_refusal("You have no right to access this object because of bucket acl.")) == \
        "OSS AccessDenied (HTTP 403): You have no right to access this object because of bucket acl."
    told = _reason(_refusal("denied\r\n\x1b[31m see https://evil.example/x?x-oss-signature=s " + "y" * 400))
    assert told.startswith("OSS AccessDenied (HTTP 403): denied [31m see (a URL) y") and len(told) < 200
    assert "\n" not in told and "\x1b" not in told and "evil" not in told and told.endswith("…")


def test_a_page_link_through_a_custom_domain_is_signed_for_it_and_asks_to_be_shown():
    class Creds:
        access_key_id, access_key_secret, security_token = "STS.key", "secret", "token"

    bucket = Bucket("audit-bucket", "https://oss-cn-hangzhou-internal.aliyuncs.com", "cn-hangzhou", Creds, 1, 1,
                    link_endpoint_url="https://reports.example.com", link_cname=True)
    url = bucket.presigned_get("p/a.html", 3600, page=True)
    assert url.startswith("https://reports.example.com/p/a.html?response-content-disposition=inline&")
    assert "response-content-type=text%2Fhtml%3B%20charset%3Dutf-8" in url
    assert re.search(r"&x-oss-expires=(3599|3600)&", url)  # the SDK counts from its own clock
    with pytest.raises(ArchiveError):
        bucket.presigned_get("p/a.html", 8 * 86400)  # past V4's 7 days: the SDK refuses, said as ArchiveError


def test_an_international_domain_name_is_asked_for_in_its_xn_form():
    with pytest.raises(ValueError, match="an internationalized name in its xn-- form"):
        parse_link_host("bücher.example.com")
