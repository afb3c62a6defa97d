"""The archive bucket: each run's result (JSON), its instances (CSV) and its report page (HTML),
written and read through the official OSS SDK `alibabacloud-oss-v2` with the function's role.

Keys: `<ARCHIVE_OSS_PREFIX>YYYY/MM/DD/<trigger>/<HHMMSS>Z-<scope>-<request-id>.json|.csv|.html`: the date
the run's window ends (UTC), the timer trigger's name (FC's trigger names are letters, digits, `_` and `-`,
so two triggers never share a folder; `-manual` for a run no timer started, a name no trigger can have),
the time the run started (UTC), its scope (8 hex digits of what it looked at: tags, regions and whatever
the payload set) and its request ID: every run has keys of its own, and PutObject is sent with
`x-oss-forbid-overwrite: true`, so a page a digest linked to is never replaced by another run's. A run
compares only with earlier runs of its own scope: an invoker who names the timer's trigger in an event
of their own, with other tags, cannot become the trigger's "previous run".

What is read back is untrusted: every answer is read up to a cap counted after decompression
(`MAX_LISTING_BYTES`, `MAX_OBJECT_BYTES`) within one whole deadline per call (`watchdog`), listings
are followed for at most `MAX_LIST_PAGES` pages, and only keys of the exact form above are read.

The SDK signs with V4 (OSS4-HMAC-SHA256) by default (alibabacloud_oss_v2/signer/v4.py); a V4
pre-signed URL is valid at most 7 days (presigner.py refuses longer; OSS's "Signature Version 4"
doc: https://www.alibabacloud.com/help/en/oss/developer-reference/add-signatures-to-urls) and, signed
with STS credentials, carries the AccessKey ID (x-oss-credential) and the STS token
(x-oss-security-token) but never the AccessKey secret; it stops working when the token expires,
whichever comes first ("the minimum validity period takes precedence",
https://www.alibabacloud.com/help/en/oss/developer-reference/authorize-access-1). FC's context credentials
are valid 36 hours ("The temporary AccessKey pair is valid for 36 hours",
https://www.alibabacloud.com/help/en/functioncompute/user-guide/context-1), and neither the context nor the
environment says when the token at hand was issued or expires: `link_validity` states what the link can keep.

Where people open the page: OSS's default domains serve HTML as a download (`x-oss-force-download: true`,
`Content-Disposition: attachment`, for buckets created after OSS's change; "Configure object preview
behavior", https://www.alibabacloud.com/help/en/oss/user-guide/how-to-ensure-an-object-is-previewed-when-you-access-the-object).
A custom domain bound to the bucket (REPORT_LINK_HOST) serves it inline: the link is then signed for that
host (the SDK's `use_cname`, `Config(endpoint=<the domain>)`: its URL is `https://<domain>/<key>`, its V4
canonical URI still `/<bucket>/<key>`, alibabacloud_oss_v2/signer/v4.py), with
`response-content-disposition=inline` and `response-content-type=text/html` (GetObject's response-*
parameters, honoured on signed requests: https://www.alibabacloud.com/help/en/oss/developer-reference/getobject).

Every call here is bounded (one attempt, the connect and read timeouts given) and raises
`ArchiveError` with a one-line reason (OSS's error Code and its Message, cut and cleaned, or the
exception's type): the caller reports it and goes on; an archive never fails a run.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import alibabacloud_oss_v2 as oss
import requests
from alibabacloud_oss_v2.types import HttpClient, HttpRequest, HttpResponse

from .. import bounded, watchdog
from ..invocation import TRIGGER_NAME

DEFAULT_PREFIX = "redis-backup-report/"
MAX_LINK_DAYS = 7  # V4 pre-signed URLs: at most 7 days (alibabacloud_oss_v2/presigner.py)
FC_CREDENTIALS_HOURS = 36  # FC's context credentials are valid 36 hours (functioncompute/user-guide/context-1)
MESSAGE_CHARS = 160  # OSS's error Message as a reason: one line, enough for "You have no right to access …"
PAGE_TYPE = "text/html; charset=utf-8"
MIN_READ_SECONDS = 0.5  # a page write is started only with a connect timeout and this much more left
# Bucket names: 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit
# (https://www.alibabacloud.com/help/en/oss/user-guide/bucket-naming-conventions).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
KEY_NAME = re.compile(r"[^A-Za-z0-9._-]")
MANUAL = "-manual"  # the folder of the runs no timer started: no trigger name starts with '-'
SCOPE = re.compile(r"[0-9a-f]{8}")
RUN_FILE = r"[0-9]{{6}}Z-{scope}-[A-Za-z0-9._-]{{1,128}}"  # <HHMMSS>Z-<scope>-<request-id>
MAX_LISTING_BYTES = 1024 * 1024  # a ListObjectsV2 page of 1,000 keys is ~400 KB of XML
MAX_OBJECT_BYTES = 24 * 1024 * 1024  # a previous run's JSON: ~2 KB an instance, so ~12,000 instances
MAX_LIST_PAGES = 3  # pages of 1,000 keys read from one day's folder (a run writes 3 objects)
CHUNK_BYTES = 64 * 1024


class ArchiveError(RuntimeError):
    """An OSS call failed: its text is one line, OSS's error code or the exception's type."""


class Untrusted(ArchiveError):
    """An answer OSS does not give (over its cap, keys outside the prefix, over 1,000 keys a page): what is
    in the bucket cannot be read, though OSS itself may be fine."""


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


@dataclass(frozen=True)
class Validity:
    """How long a page link is signed for (`seconds`) and how the message says it (`words`: "for 7 days",
    "up to 36 hours")."""

    seconds: int
    words: str


def link_validity(days: int, token: bool) -> Validity:
    """The page link's life: REPORT_LINK_DAYS `days` (1-7: V4's most), bounded, when the signing credentials
    carry an STS `token`, by FC's 36 hours: a URL signed with STS works only while its token does (oss.py's
    docstring), and neither FC's context nor the environment tells the token's expiry, so 36 h is the
    bound, "up to" it (the token may be older than this run). A long-term AccessKey: the full `days`."""
    seconds = min(days, MAX_LINK_DAYS) * 86400
    if not token:
        return Validity(seconds, f"for {days} day{'s' if days != 1 else ''}")
    bound = FC_CREDENTIALS_HOURS * 3600
    if seconds < bound:
        return Validity(seconds, f"up to {days} day{'s' if days != 1 else ''}")
    return Validity(bound, f"up to {FC_CREDENTIALS_HOURS} hours")


class Bucket:
    """One bucket through one endpoint (`https://host` or loopback `http://host:port`), signed for
    `region` with `credentials` (access_key_id, access_key_secret, security_token); its page links
    through `link_endpoint_url` when given, as a custom domain bound to the bucket when `link_cname`."""

    def __init__(self, bucket: str, endpoint_url: str, region: str, credentials, connect_timeout: float,
                 read_timeout: float, link_endpoint_url: str = "", link_cname: bool = False):
        self.bucket = bucket
        self.connect_timeout = connect_timeout
        self.worst_seconds = connect_timeout + read_timeout  # the longest one call can take
        self._http = BoundedClient(connect_timeout, read_timeout)
        self._client = self._client_for(endpoint_url, region, credentials, connect_timeout, read_timeout, self._http)
        # Links are signed for the host people open them on (`link_endpoint_url`, else the endpoint).
        self._links = self._client_for(link_endpoint_url, region, credentials, connect_timeout, read_timeout,
                                       self._http, cname=link_cname) \
            if link_endpoint_url and (link_endpoint_url != endpoint_url or link_cname) else self._client

    def close(self) -> None:
        """Closes the pooled connections."""
        self._http.close()

    @staticmethod
    def _client_for(endpoint_url: str, region: str, credentials, connect_timeout: float, read_timeout: float,
                    http: "BoundedClient", cname: bool = False):
        loopback = endpoint_url.startswith("http://")
        return oss.Client(oss.config.Config(
            http_client=http,
            region=region, endpoint=endpoint_url,
            credentials_provider=oss.credentials.StaticCredentialsProvider(
                credentials.access_key_id, credentials.access_key_secret, credentials.security_token or None),
            # One attempt: a slow or failing OSS costs the run one timeout, never a retry ladder.
            retry_max_attempts=1, connect_timeout=connect_timeout, readwrite_timeout=read_timeout,
            # A loopback emulator answers path-style (http://127.0.0.1:port/bucket/key); OSS itself virtual-host;
            # a bound custom domain names the bucket by itself (https://<domain>/key).
            use_path_style=loopback and not cname, use_cname=cname, disable_ssl=loopback))

    def put(self, key: str, body: bytes, content_type: str, within: float | None = None) -> None:
        """PutObject, never replacing an object (x-oss-forbid-overwrite: OSS answers 409 FileAlreadyExists,
        https://www.alibabacloud.com/help/en/oss/developer-reference/putobject); `within`: the whole call's
        deadline in seconds, when shorter than the bucket's connect + read timeouts."""
        # The SDK hands an operation's readwrite_timeout to BoundedClient.send, whose watchdog ends the call
        # after the connect timeout and it.
        timeout = {"readwrite_timeout": max(MIN_READ_SECONDS, within - self.connect_timeout)} \
            if within is not None and within < self.worst_seconds else {}
        self._call(lambda: self._client.put_object(oss.PutObjectRequest(
            bucket=self.bucket, key=key, body=body, content_type=content_type, forbid_overwrite=True), **timeout))

    def replace(self, key: str, body: bytes, content_type: str) -> None:
        """PutObject that replaces the object: for state kept under one key (a restore test's), never a run's
        objects, which `put` writes once."""
        self._call(lambda: self._client.put_object(oss.PutObjectRequest(
            bucket=self.bucket, key=key, body=body, content_type=content_type)))

    def get(self, key: str) -> bytes:
        def read() -> bytes:
            answer = self._client.get_object(oss.GetObjectRequest(bucket=self.bucket, key=key))
            with answer.body as body:
                return body.read()
        return self._call(read)

    def listed(self, prefix: str) -> list[Listed]:
        """The keys under `prefix`, at most MAX_LIST_PAGES pages of 1,000. Raises ArchiveError, also when
        the listing goes on past them or lists a key outside `prefix`."""
        found: list[Listed] = []
        token = None
        for _ in range(MAX_LIST_PAGES):
            answer = self._call(lambda: self._client.list_objects_v2(oss.ListObjectsV2Request(
                bucket=self.bucket, prefix=prefix, max_keys=1000, continuation_token=token)))
            page = answer.contents or []
            if len(page) > 1000 or any(not str(o.key or "").startswith(prefix) for o in page):
                raise Untrusted(f"the listing of {prefix} is not OSS's: over 1,000 keys a page or keys "
                                "outside the prefix")
            found += [Listed(str(o.key), o.last_modified.isoformat() if o.last_modified else "") for o in page]
            token = answer.next_continuation_token
            if not answer.is_truncated or not token:
                return found
        raise Untrusted(f"over {MAX_LIST_PAGES * 1000:,} objects under {prefix}: not read")

    def presigned_get(self, key: str, seconds: int, page: bool = False) -> str:
        """A GET URL valid `seconds` (at most 7 days), computed locally (no request); a `page` is asked to be
        shown inline as HTML (response-content-disposition, response-content-type)."""
        shown = {"response_content_disposition": "inline", "response_content_type": PAGE_TYPE} if page else {}
        answer = self._call(lambda: self._links.presign(
            oss.GetObjectRequest(bucket=self.bucket, key=key, **shown), expires=timedelta(seconds=seconds)))
        return answer.url

    def _call(self, call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - any failure of the archive is reported, never raised on
            raise (Untrusted if _causes(exc, Oversized) else ArchiveError)(_reason(exc)) from None


def _reason(exc: Exception) -> str:
    """OSS's error code, HTTP status and Message when it answered (ServiceError; the Message one line of at
    most MESSAGE_CHARS, no URL), the words of a BoundedClient refusal, else the exception's type: never the
    exception's text, which quotes the request's signed URL."""
    inner = getattr(exc, "unwrap", lambda: exc)()
    code, status = getattr(inner, "code", ""), getattr(inner, "status_code", "")
    if code:
        message = _message(getattr(inner, "message", ""))
        return f"OSS {bounded.text(code, bounded.WORD)} (HTTP {status})" + (f": {message}" if message else "")
    found = _causes(exc, Unanswered)
    return str(found) if found else f"{type(inner).__name__}: OSS did not answer"


def _message(text: object) -> str:
    """OSS's error Message (outside text) as one clean line: control characters and runs of space as one
    space, anything like a URL left out, at most MESSAGE_CHARS."""
    words = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", str(text or "")).split())
    return bounded.text(re.sub(r"\S*://\S*|\S*[?&]x-oss-\S*", "(a URL)", words), MESSAGE_CHARS)


def _causes(exc: BaseException, kind: type) -> BaseException | None:
    """The first `kind` among `exc`, what the SDK wrapped in it (`unwrap()`) and their causes."""
    inner = getattr(exc, "unwrap", lambda: exc)()
    for cause in (exc, inner, inner.__cause__, inner.__context__):
        if isinstance(cause, kind):
            return cause
    return None


class Unanswered(Exception):
    """A call the BoundedClient ended: no answer in time, no connection. Its text is written here and
    never holds a URL."""


class Oversized(Unanswered):
    """An answer over the BoundedClient's cap."""


class _Answer(HttpResponse):
    """An answer read whole (up to its cap) by BoundedClient, as the SDK's HttpResponse."""

    def __init__(self, request: HttpRequest, status: int, headers, reason: str, body: bytes):
        self._request, self._status, self._headers, self._reason, self._body = request, status, headers, reason, body

    request = property(lambda self: self._request)
    status_code = property(lambda self: self._status)
    headers = property(lambda self: self._headers)
    reason = property(lambda self: self._reason)
    content = property(lambda self: self._body)
    is_closed = property(lambda self: True)
    is_stream_consumed = property(lambda self: True)

    def __enter__(self) -> "_Answer":
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def read(self) -> bytes:
        return self._body

    def close(self) -> None:
        pass

    def iter_bytes(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


class BoundedClient(HttpClient):
    """The OSS SDK's HTTP client (`Config(http_client=…)`), bounded for answers nobody vouches for: each
    call within `connect_timeout + read_timeout` seconds as a whole (a watchdog shuts its socket, so a
    drip-fed answer ends too and no thread is left behind), every answer read at once up to
    MAX_LISTING_BYTES (a listing) or MAX_OBJECT_BYTES, counted after decompression (urllib3 inflates
    only what is read: a gzip bomb costs its cap), redirects never followed. Raises Unanswered."""

    def __init__(self, connect_timeout: float, read_timeout: float):
        self._timeouts = (connect_timeout, read_timeout)
        self._session = watchdog.Session()

    def open(self) -> None:
        pass

    def close(self) -> None:
        self._session.close()

    def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        connect, read = self._timeouts
        read = kwargs.get("readwrite_timeout") or read
        cap = MAX_LISTING_BYTES if "list-type=2" in (urlsplit(request.url).query or "") else MAX_OBJECT_BYTES
        with watchdog.watch(connect + read) as attempt:
            try:
                response = self._session.request(request.method, request.url, headers=request.headers,
                                                 data=request.body, timeout=(connect, read), stream=True,
                                                 allow_redirects=False)
                with response:
                    body = bytearray()
                    for chunk in response.iter_content(CHUNK_BYTES):
                        body += chunk
                        if len(body) > cap:
                            raise Oversized(f"an answer over {cap // (1024 * 1024)} MiB: not read")
                if attempt.expired:  # the watchdog shut it: what was read may be a cut status line ("HTTP/1.1 200")
                    raise Unanswered(f"no complete answer within {connect + read:g} s")
                return _Answer(request, response.status_code, response.headers, response.reason or "", bytes(body))
            except requests.RequestException:
                if attempt.expired:
                    raise Unanswered(f"no complete answer within {connect + read:g} s") from None
                raise Unanswered("OSS did not answer (the connection failed)") from None


class Archive:
    """One run's objects for `day` (UTC): `<prefix>YYYY/MM/DD/<folder>/<HHMMSS>Z-<scope>-<request-id>` + `.json`,
    `.csv`, `.html`, the folder the timer trigger's name (`trigger_name`; "" for a run no timer started:
    MANUAL), `started` the run's start (UTC), `scope` 8 hex digits naming what the run looked at."""

    LOOK_BACK_DAYS = 7  # days searched for the previous run: one ListObjectsV2 each, newest first

    def __init__(self, bucket: Bucket, prefix: str, day: date, trigger_name: str, request_id: str,
                 started: datetime, scope: str):
        if not SCOPE.fullmatch(scope):
            raise ValueError("a scope is 8 hex digits")
        self.bucket, self.prefix, self.day, self.scope = bucket, prefix, day, scope
        self.trigger_name = trigger_name
        self.folder = trigger_name or MANUAL
        base = f"{day_prefix(prefix, day)}{self.folder}/{started:%H%M%S}Z-{scope}-{object_name(request_id)}"
        self.json_key, self.csv_key, self.html_key = base + ".json", base + ".csv", base + ".html"

    def previous(self, seconds_left: Callable[[], float] = lambda: float("inf")) -> tuple[str, bytes] | None:
        """The newest earlier run of the same scope: its key and JSON text, searched from `day` back
        LOOK_BACK_DAYS days (a ListObjectsV2 each, of at most MAX_LIST_PAGES pages, and one GetObject of at
        most MAX_OBJECT_BYTES); None when there is none. A timer's run reads its own trigger's folder only
        (several teams' triggers share the prefix, each with its own tags); a manual run the newest run of
        any trigger. Only keys of the exact form are read. Each call starts only while `seconds_left()`
        leaves room for it, so the search ends with the run. Raises ArchiveError."""
        folder = f"{self.trigger_name}/" if self.trigger_name else ""
        for back in range(self.LOOK_BACK_DAYS + 1):
            self._in_time(seconds_left)
            day = day_prefix(self.prefix, self.day - timedelta(days=back))
            listed = self.bucket.listed(day + folder)
            # By the run's start time, then the key: a manual run's candidates lie in several folders.
            runs = sorted((o.key.rsplit("/", 1)[-1], o.key) for o in listed
                          if o.key != self.json_key and self._ours(o.key, day))
            if runs:
                self._in_time(seconds_left)
                key = runs[-1][1]
                return key, self.bucket.get(key)
        return None

    def _ours(self, key: str, day: str) -> bool:
        """Whether `key` is a run's JSON under `day`, of this scope, in this trigger's folder (any trigger's
        for a manual run); keys of a day sort in the order the runs started."""
        folder = re.escape(self.trigger_name) if self.trigger_name else f"(?:{TRIGGER_NAME.pattern}|{MANUAL})"
        return re.fullmatch(f"{re.escape(day)}{folder}/{RUN_FILE.format(scope=self.scope)}\\.json", key) is not None

    def _in_time(self, seconds_left: Callable[[], float]) -> None:
        if seconds_left() < self.bucket.worst_seconds:
            raise ArchiveError("out of time before FC's deadline")

    def write_page(self, html: str, within: float) -> str:
        """Writes the page, the whole call within `within` seconds (the caller's deadline: the page is written
        before the digest is posted); returns its key. Raises ArchiveError."""
        if within < self.bucket.connect_timeout + MIN_READ_SECONDS:
            raise ArchiveError("out of time before FC's deadline")
        self.bucket.put(self.html_key, html.encode("utf-8"), PAGE_TYPE, within=within)
        return self.html_key

    def write(self, document: dict, csv_text: str, seconds_left: Callable[[], float]) -> list[str]:
        """Writes the JSON, then the CSV, each only while `seconds_left()` leaves room for a whole call
        (FC's deadline is never passed); returns the keys written. Raises ArchiveError at the first failure
        (the keys before it are written)."""
        written = []
        for key, body, kind in ((self.json_key, json.dumps(document, ensure_ascii=False, indent=1), "application/json"),
                                (self.csv_key, csv_text, "text/csv; charset=utf-8")):
            try:
                self._in_time(seconds_left)
                self.bucket.put(key, body.encode("utf-8"), kind)
            except ArchiveError as error:
                raise ArchiveError(f"{key} not written: {error}" + (f" ({', '.join(written)} written)"
                                                                     if written else "")) from None
            written.append(key)
        return written
