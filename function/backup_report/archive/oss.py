"""The archive bucket: each run's result (JSON), its instances (CSV) and its report page (HTML),
written and read through the official OSS SDK `alibabacloud-oss-v2` with the function's role.

Keys: `<ARCHIVE_OSS_PREFIX>YYYY/MM/DD/<name>.json|.csv|.html`, the date the run's window ends (UTC),
`<name>` the timer trigger's name, or the request ID of a run that no timer started.

The SDK signs with V4 (OSS4-HMAC-SHA256) by default (alibabacloud_oss_v2/signer/v4.py); a V4
pre-signed URL is valid at most 7 days (presigner.py refuses longer; OSS's "Signature Version 4"
doc: https://www.alibabacloud.com/help/en/oss/developer-reference/add-signatures-to-urls) and, signed
with STS credentials, carries the AccessKey ID (x-oss-credential) and the STS token
(x-oss-security-token) but never the AccessKey secret; it stops working when the token expires,
whichever comes first ("the minimum validity period takes precedence",
https://www.alibabacloud.com/help/en/oss/developer-reference/authorize-access-1).

Every call here is bounded (one attempt, the connect and read timeouts given) and raises
`ArchiveError` with a one-line reason (OSS's error Code, or the exception's type): the caller reports
it and goes on; an archive never fails a run.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import alibabacloud_oss_v2 as oss

DEFAULT_PREFIX = "redis-backup-report/"
MAX_LINK_DAYS = 7  # V4 pre-signed URLs: at most 7 days (alibabacloud_oss_v2/presigner.py)
# Bucket names: 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit
# (https://www.alibabacloud.com/help/en/oss/user-guide/bucket-naming-conventions).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
KEY_NAME = re.compile(r"[^A-Za-z0-9._-]")


class ArchiveError(RuntimeError):
    """An OSS call failed: its text is one line, OSS's error code or the exception's type."""


def default_endpoint(region: str) -> str:
    """The region's internal (VPC) endpoint, free of traffic charges from FC in the same region
    (https://www.alibabacloud.com/help/en/oss/user-guide/regions-and-endpoints)."""
    return f"oss-{region}-internal.aliyuncs.com"


def public_endpoint(region: str) -> str:
    """The region's public endpoint: the page link's host, since a phone cannot reach the internal one
    (same source)."""
    return f"oss-{region}.aliyuncs.com"


def day_prefix(prefix: str, day: date) -> str:
    return f"{prefix}{day:%Y/%m/%d}/"


def object_name(run_name: str) -> str:
    """A trigger name or request ID as a key's last part: letters, digits, '.', '_' and '-' only."""
    return KEY_NAME.sub("_", run_name)[:128] or "run"


@dataclass(frozen=True)
class Listed:
    key: str
    last_modified: str  # ISO 8601, as ListObjectsV2 gives it; sorts in time order


class Bucket:
    """One bucket through one endpoint (`https://host` or loopback `http://host:port`), signed for
    `region` with `credentials` (access_key_id, access_key_secret, security_token); its page links
    through `link_endpoint_url` when given."""

    def __init__(self, bucket: str, endpoint_url: str, region: str, credentials, connect_timeout: float,
                 read_timeout: float, link_endpoint_url: str = ""):
        self.bucket = bucket
        self.worst_seconds = connect_timeout + read_timeout  # the longest one call can take
        self._client = self._client_for(endpoint_url, region, credentials, connect_timeout, read_timeout)
        # Links are signed for the host people open them on (`link_endpoint_url`, else the endpoint).
        self._links = self._client_for(link_endpoint_url, region, credentials, connect_timeout, read_timeout) \
            if link_endpoint_url and link_endpoint_url != endpoint_url else self._client

    @staticmethod
    def _client_for(endpoint_url: str, region: str, credentials, connect_timeout: float, read_timeout: float):
        loopback = endpoint_url.startswith("http://")
        return oss.Client(oss.config.Config(
            region=region, endpoint=endpoint_url,
            credentials_provider=oss.credentials.StaticCredentialsProvider(
                credentials.access_key_id, credentials.access_key_secret, credentials.security_token or None),
            # One attempt: a slow or failing OSS costs the run one timeout, never a retry ladder.
            retry_max_attempts=1, connect_timeout=connect_timeout, readwrite_timeout=read_timeout,
            # A loopback emulator answers path-style (http://127.0.0.1:port/bucket/key); OSS itself virtual-host.
            use_path_style=loopback, disable_ssl=loopback))

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._call(lambda: self._client.put_object(oss.PutObjectRequest(
            bucket=self.bucket, key=key, body=body, content_type=content_type)))

    def get(self, key: str) -> bytes:
        def read() -> bytes:
            answer = self._client.get_object(oss.GetObjectRequest(bucket=self.bucket, key=key))
            with answer.body as body:
                return body.read()
        return self._call(read)

    def listed(self, prefix: str) -> list[Listed]:
        """The keys under `prefix` (one page of up to 1,000: a day holds a few runs)."""
        answer = self._call(lambda: self._client.list_objects_v2(oss.ListObjectsV2Request(
            bucket=self.bucket, prefix=prefix, max_keys=1000)))
        return [Listed(o.key, o.last_modified.isoformat() if o.last_modified else "")
                for o in answer.contents or []]

    def presigned_get(self, key: str, days: int) -> str:
        """A GET URL valid `days` (1-7) days, computed locally (no request)."""
        answer = self._call(lambda: self._links.presign(
            oss.GetObjectRequest(bucket=self.bucket, key=key), expires=timedelta(days=days)))
        return answer.url

    def _call(self, call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - any failure of the archive is reported, never raised on
            raise ArchiveError(_reason(exc)) from None


def _reason(exc: Exception) -> str:
    """OSS's error code and HTTP status when it answered (ServiceError), else the exception's type:
    never the exception's text, which may quote a signed URL."""
    inner = getattr(exc, "unwrap", lambda: exc)()
    code, status = getattr(inner, "code", ""), getattr(inner, "status_code", "")
    if code:
        return f"OSS {code} (HTTP {status})"
    return f"{type(inner).__name__}: OSS did not answer"


class Archive:
    """One run's objects: `<prefix>YYYY/MM/DD/<name>` + `.json`, `.csv`, `.html` for `day` (UTC)."""

    LOOK_BACK_DAYS = 7  # days searched for the previous run: one ListObjectsV2 each, newest first

    def __init__(self, bucket: Bucket, prefix: str, day: date, run_name: str, same_name: bool):
        self.bucket, self.prefix, self.day = bucket, prefix, day
        # A timer's run compares with its own trigger's earlier runs (several teams' triggers share the
        # prefix, each with its own tags); a manual run with the newest run of any name.
        self._previous_name = object_name(run_name) + ".json" if same_name else ""
        base = day_prefix(prefix, day) + object_name(run_name)
        self.json_key, self.csv_key, self.html_key = base + ".json", base + ".csv", base + ".html"

    def previous(self) -> tuple[str, dict] | None:
        """The newest earlier run's key and archived document (of the same trigger, see __init__), searched from `day` back
        LOOK_BACK_DAYS days (at most that many ListObjectsV2 calls and one GetObject); None when
        there is none. Raises ArchiveError (a call failed, or the object is not a JSON object)."""
        for back in range(self.LOOK_BACK_DAYS + 1):
            found = [o for o in self.bucket.listed(day_prefix(self.prefix, self.day - timedelta(days=back))
                                                   + self._previous_name)
                     if o.key.endswith(".json") and o.key != self.json_key]
            if found:
                newest = max(found, key=lambda o: (o.last_modified, o.key))
                try:
                    document = json.loads(self.bucket.get(newest.key))
                except ValueError:
                    raise ArchiveError(f"{newest.key} is not JSON") from None
                if not isinstance(document, dict):
                    raise ArchiveError(f"{newest.key} is not a JSON object")
                return newest.key, document
        return None

    def write(self, document: dict, csv_text: str, html: str, seconds_left: Callable[[], float]) -> list[str]:
        """Writes the JSON, the CSV and the page, in that order, each only while `seconds_left()`
        leaves room for a whole call (FC's deadline is never passed); returns the keys written.
        Raises ArchiveError at the first failure (the keys before it are written)."""
        written = []
        for key, body, kind in ((self.json_key, json.dumps(document, ensure_ascii=False, indent=1), "application/json"),
                                (self.csv_key, csv_text, "text/csv; charset=utf-8"),
                                (self.html_key, html, "text/html; charset=utf-8")):
            try:
                if seconds_left() < self.bucket.worst_seconds:
                    raise ArchiveError("out of time before FC's deadline")
                self.bucket.put(key, body.encode("utf-8"), kind)
            except ArchiveError as error:
                raise ArchiveError(f"{key} not written: {error}" + (f" ({', '.join(written)} written)"
                                                                     if written else "")) from None
            written.append(key)
        return written
