"""OSS emulator: one bucket, path-style on loopback (`/<bucket>/<key>`), objects in memory, and the custom
domains bound to it (`domains`: a request whose Host is one names the bucket by it, `/<key>`).

Requests are signed with V4 (OSS4-HMAC-SHA256), the signing version `alibabacloud-oss-v2` uses by
default, and checked here from OSS's own description of it ("Signature Version 4",
https://www.alibabacloud.com/help/en/oss/developer-reference/recommend-to-use-signature-version-4):
canonical request = verb, canonical URI (`/bucket/key`, percent-encoded but for '/'), the sorted
query, the `x-oss-*`, Content-Type and Content-MD5 headers (plus any listed as AdditionalHeaders),
the additional header names, and the payload hash (UNSIGNED-PAYLOAD); string to sign =
"OSS4-HMAC-SHA256", the timestamp, the scope `<date>/<region>/oss/aliyun_v4_request` and the
canonical request's SHA-256; the key is HMAC-SHA256 chained over "aliyun_v4"+secret, date, region,
"oss", "aliyun_v4_request". A pre-signed URL carries the same in `x-oss-*` query parameters and is
refused once `x-oss-date` + `x-oss-expires` has passed (403 AccessDenied, "Request has expired").
The STS token must come with the request (`x-oss-security-token`).

Operations: PutObject (PUT), GetObject (GET), ListObjectsV2 (GET `/<bucket>?list-type=2&prefix=`),
answered in OSS's XML (https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectsv2);
errors as OSS's `<Error><Code>…` document (SignatureDoesNotMatch, InvalidAccessKeyId, NoSuchKey,
NoSuchBucket, AccessDenied, and FileAlreadyExists for a PutObject with `x-oss-forbid-overwrite: true` on an
existing key, https://www.alibabacloud.com/help/en/oss/developer-reference/putobject). `down = True`
answers every request 503 (a failing OSS); `drip = S` writes every answer a byte every S seconds (a slow
OSS that no read timeout ends). Answers OSS would never give, for the archive's read-back tests: an
object stored with `encoding="gzip"` is served with that Content-Encoding (a gzip bomb), and
`list_everything = True` lists every key, whatever the prefix and max-keys asked. `put_denied = (suffix, …)`
answers a PutObject of a key ending in one 403 AccessDenied (("",): every one; a role whose policy does not
grant it: OSS's Message as users report it, e.g. github.com/sy-records/aliyun-oss-wordpress/issues/8); `list_down = True` answers every
ListObjectsV2 503 (a listing's glitch).

Which host serves what ("Configure object preview behavior",
https://www.alibabacloud.com/help/en/oss/user-guide/how-to-ensure-an-object-is-previewed-when-you-access-the-object):
a GetObject of an HTML object (text/html, or a .htm/.html key) through the bucket's default domain (here
loopback, path-style, or `<bucket>.oss-<region>.aliyuncs.com`) is answered with `x-oss-force-download: true`
and `Content-Disposition: attachment`, whatever the request asked, as OSS does for buckets created after its
change; through a bound custom domain it is served as stored, with the `response-content-disposition` and
`response-content-type` a signed request asks for (GetObject,
https://www.alibabacloud.com/help/en/oss/developer-reference/getobject). The V4 canonical URI is
`/<bucket>/<key>` on every kind of host (alibabacloud_oss_v2/signer/v4.py).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from sandbox.httpserver import Reply

SIGNED_DEFAULT = ("content-type", "content-md5")
HTML_TYPES = ("text/html",)
HTML_KEYS = (".htm", ".html")


@dataclass
class StoredObject:
    body: bytes
    content_type: str
    last_modified: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    encoding: str = ""  # a Content-Encoding to serve the body with ("gzip": the body is gzip data)


def _error(status: int, code: str, message: str) -> Reply:
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>'
           f"<RequestId>5C3D9175B6FC201293AD4890</RequestId><HostId>oss.sandbox</HostId></Error>")
    return Reply(status, xml.encode(), {"Content-Type": "application/xml", "x-oss-request-id": "5C3D9175B6FC201293AD4890"})


def _key(secret: str, day: str, region: str) -> bytes:
    key = hmac.new(("aliyun_v4" + secret).encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


class OSSBucket:
    """One bucket named `bucket`, for the credentials given, with the custom `domains` bound to it; `.objects`
    key -> StoredObject (shareable between sandboxes, as a bucket outlives a run); `.requests` (method, key or
    '?list') in order."""

    down = False  # True: every request is answered 503 ServiceUnavailable (set on the class for a whole run)
    drip = 0.0  # > 0: every answer is written a byte every `drip` seconds (a slow OSS no read timeout ends)
    list_everything = False  # True: a listing holds every key, outside the prefix and past max-keys too
    put_denied: tuple[str, ...] = ()  # key suffixes whose PutObject is answered 403 AccessDenied ("": every key)
    list_down = False  # True: every ListObjectsV2 is answered 503 ServiceUnavailable

    def __init__(self, bucket: str, credentials, region: str = "cn-hangzhou", objects: dict | None = None,
                 domains: tuple[str, ...] = ()):
        self.bucket, self.credentials, self.region, self.domains = bucket, credentials, region, domains
        self.objects: dict[str, StoredObject] = {} if objects is None else objects
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def handle_request(self, method, path, query, headers, body, raw_query):
        reply = self._answer(method, path, query, headers, body, raw_query)
        return dataclasses.replace(reply, drip=self.drip) if self.drip else reply

    def _addressed(self, path: str, headers) -> tuple[str, str, bool]:
        """(bucket, key, through a bound custom domain) of a request, from its Host and path."""
        host = headers.get("host", "").rsplit(":", 1)[0].lower()
        if host in self.domains:
            return self.bucket, unquote(path.lstrip("/")), True
        if host.endswith(f".oss-{self.region}.aliyuncs.com"):  # virtual-hosted on the default domain
            return host.split(".", 1)[0], unquote(path.lstrip("/")), False
        bucket, _, key = path.lstrip("/").partition("/")
        return bucket, unquote(key), False

    def _answer(self, method, path, query, headers, body, raw_query):
        with self._lock:
            bucket, key, bound = self._addressed(path, headers)
            self.requests.append((method, key or "?list"))
            if self.down:
                return _error(503, "ServiceUnavailable", "Please reduce your request rate.")
            if bucket != self.bucket:
                return _error(404, "NoSuchBucket", "The specified bucket does not exist.")
            refused = self._refused(method, quote(f"/{bucket}/{key}", safe="/"), headers, raw_query, query)
            if refused:
                return refused
            if method == "PUT" and key:
                return self._put(key, headers, body)
            if method == "GET" and key:
                found = self.objects.get(key)
                if found is None:
                    return _error(404, "NoSuchKey", "The specified key does not exist.")
                return Reply(200, found.body, _served(key, found, query, bound))
            if method == "GET" and query.get("list-type") == "2":
                if self.list_down:
                    return _error(503, "ServiceUnavailable", "Please reduce your request rate.")
                return self._list(query.get("prefix", ""), int(query.get("max-keys", "100")))
            return _error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    def _put(self, key: str, headers, body: bytes) -> Reply:
        """PutObject: refused as `put_denied` says, or (x-oss-forbid-overwrite) onto an existing key; else stored."""
        if any(key.endswith(suffix) for suffix in self.put_denied):
            return _error(403, "AccessDenied", "You have no right to access this object because of bucket acl.")
        if key in self.objects and headers.get("x-oss-forbid-overwrite", "").lower() == "true":
            return _error(409, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
        self.objects[key] = StoredObject(body, headers.get("content-type", "application/octet-stream"))
        return Reply(200, b"", {"ETag": '"' + hashlib.md5(body).hexdigest().upper() + '"'})

    def _list(self, prefix: str, max_keys: int) -> Reply:
        keys = sorted(k for k in self.objects if k.startswith(prefix))[:max_keys] if not self.list_everything \
            else sorted(self.objects)
        contents = "".join(
            f"<Contents><Key>{escape(k)}</Key><LastModified>"
            f"{self.objects[k].last_modified.strftime('%Y-%m-%dT%H:%M:%S.000Z')}</LastModified>"
            f"<ETag>\"x\"</ETag><Type>Normal</Type><Size>{len(self.objects[k].body)}</Size>"
            f"<StorageClass>Standard</StorageClass></Contents>" for k in keys)
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>{self.bucket}</Name>'
               f"<Prefix>{escape(prefix)}</Prefix><MaxKeys>{max_keys}</MaxKeys><Delimiter></Delimiter>"
               f"<IsTruncated>false</IsTruncated><KeyCount>{len(keys)}</KeyCount>{contents}</ListBucketResult>")
        return Reply(200, xml.encode(), {"Content-Type": "application/xml"})

    def _refused(self, method, canonical_uri, headers, raw_query, query) -> Reply | None:
        """None when the request is signed with V4 by the bucket's credentials, else OSS's error."""
        pairs = [p.partition("=") for p in raw_query.split("&") if p]
        signed = _presigned(query, pairs) if "x-oss-signature" in query else _authorization(headers, pairs)
        if isinstance(signed, Reply):
            return signed
        key_id, _, scope = signed.credential.partition("/")
        if key_id != self.credentials.access_key_id:
            return _error(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.")
        if (self.credentials.security_token or "") != unquote(signed.token):
            return _error(403, "InvalidSecurityToken", "The security token you provided is invalid.")
        return self._signature_refused(method, canonical_uri, headers, signed, scope)

    def _signature_refused(self, method, canonical_uri, headers, signed: "_Signed", scope: str) -> Reply | None:
        """SignatureDoesNotMatch unless the signature is the one computed here, for this bucket's region."""
        additional = signed.additional
        headers_signed = sorted((k, v.strip()) for k, v in headers.items()
                                if k.startswith("x-oss-") or k in SIGNED_DEFAULT or k in additional)
        canonical = "\n".join([
            method, canonical_uri,
            "&".join(f"{k}={v}" if v else k for k, _, v in sorted(signed.pairs)),
            "".join(f"{k}:{v}\n" for k, v in headers_signed), ";".join(additional), signed.payload])
        to_sign = "\n".join(["OSS4-HMAC-SHA256", signed.stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        day, region = signed.stamp[:8], scope.split("/")[1] if scope.count("/") >= 3 else ""
        expected = hmac.new(_key(self.credentials.access_key_secret, day, region), to_sign.encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signed.signature) or region != self.region:
            return _error(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you provided.")
        return None


def _served(key: str, found: StoredObject, query, bound: bool) -> dict:
    """A GetObject answer's headers: the stored type, or the response-* parameters asked; an HTML object through
    the default domain forced to download (the module's docstring)."""
    headers = {"Content-Type": query.get("response-content-type") or found.content_type}
    if query.get("response-content-disposition"):
        headers["Content-Disposition"] = query["response-content-disposition"]
    if found.encoding:
        headers["Content-Encoding"] = found.encoding
    html = found.content_type.split(";")[0].strip().lower() in HTML_TYPES or key.lower().endswith(HTML_KEYS)
    if html and not bound:
        headers.update({"x-oss-force-download": "true", "Content-Disposition": "attachment"})
    return headers


@dataclass(frozen=True)
class _Signed:
    """What a request says of its V4 signature, from its query (pre-signed) or its Authorization header."""
    credential: str
    signature: str
    stamp: str
    token: str
    additional: list
    payload: str
    pairs: list  # the query's (name, "=", value), the signature's own left out


def _presigned(query, pairs) -> "_Signed | Reply":
    """A pre-signed URL's x-oss-* parameters, or OSS's error when it cannot be read or has expired."""
    stamp = query.get("x-oss-date", "")
    try:
        expires = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc) \
            + timedelta(seconds=int(query.get("x-oss-expires", "0")))
    except ValueError:
        return _error(400, "InvalidArgument", "x-oss-date or x-oss-expires cannot be read")
    if expires < datetime.now(timezone.utc):
        return _error(403, "AccessDenied", "Request has expired.")
    return _Signed(credential=unquote(query.get("x-oss-credential", "")), signature=query["x-oss-signature"],
                   stamp=stamp, token=query.get("x-oss-security-token", ""),
                   additional=[h for h in query.get("x-oss-additional-headers", "").split(";") if h],
                   payload="UNSIGNED-PAYLOAD", pairs=[(k, s, v) for k, s, v in pairs if k != "x-oss-signature"])


def _authorization(headers, pairs) -> "_Signed | Reply":
    """An `Authorization: OSS4-HMAC-SHA256 …` header's fields, or OSS's error for any other scheme."""
    auth = headers.get("authorization", "")
    if not auth.startswith("OSS4-HMAC-SHA256 "):
        return _error(403, "AccessDenied", "Only V4 signatures are accepted by this emulator.")
    fields = dict(p.strip().partition("=")[::2] for p in auth[len("OSS4-HMAC-SHA256 "):].split(","))
    return _Signed(credential=fields.get("Credential", ""), signature=fields.get("Signature", ""),
                   stamp=headers.get("x-oss-date", ""), token=headers.get("x-oss-security-token", ""),
                   additional=[h for h in fields.get("AdditionalHeaders", "").split(";") if h],
                   payload=headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD"), pairs=pairs)
