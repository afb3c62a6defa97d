"""Where the function sends requests: host[:port] endpoints and webhook URLs, read one way only.

One rule for every address the function is given (the R-KVStore endpoint, the webhooks; the
heartbeat and archive URLs are meant to use it too):
- a host is an RFC 1123 host name (labels of 1–63 letters, digits and inner hyphens, 253
  characters in all), a dotted IPv4 address or a bracketed IPv6 address; a port is 1–65535;
- a URL is refused when the validator (`urllib.parse`) and the HTTP client (`requests`, which
  reads URLs with `urllib3.util.parse_url`) could read it differently: backslashes, userinfo
  (`user@`), fragments (`#…`: DingTalk's signature is appended to the query and would be lost
  after a `#`), control characters, spaces and non-ASCII characters; the two parsers must then
  agree on scheme, host, port, path and query;
- plain `http` only to a loopback host (127.0.0.0/8, ::1, localhost) and only when no proxy
  would carry the request (a proxy sees a plain-HTTP request, tokens and all).

Proxies: `requests` (the webhooks) picks HTTP(S)_PROXY / ALL_PROXY and honours NO_PROXY
(`requests.utils.get_environ_proxies`). The Tea SDK (darabonba-core 1.0.9, `DaraCore.do_action`)
takes RuntimeOptions' `httpProxy`/`httpsProxy`, else `HTTP_PROXY`/`http_proxy` or
`HTTPS_PROXY`/`https_proxy` from the environment, and passes them to `Session.send` explicitly,
where `requests.utils.select_proxy` ignores `no_proxy`: the SDK never honours NO_PROXY, and an
empty `httpProxy` falls back to the environment, so "direct" cannot be asked for.
`sdk_proxy_options` therefore hands the SDK the proxy requests would use, and refuses the one
case it cannot express: requests would go direct but the SDK would take an environment proxy.
"""
from __future__ import annotations

import ipaddress
import os
import re
from typing import Mapping
from urllib.parse import SplitResult, urlsplit

from requests.utils import get_environ_proxies
from urllib3.util import parse_url as urllib3_parse_url

LOOPBACK_NAMES = {"localhost"}
MAX_URL = 2048  # characters: every webhook and ping URL is far shorter; a longer one is not one
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")  # RFC 1123 §2.1, RFC 952
_PORT = re.compile(r"^[0-9]{1,5}$")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\#]|[^\x00-\x7f]")  # controls, space, backslash, fragment, non-ASCII


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (with or without brackets) or the name localhost."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str) -> str:
    """The host as given when it is a valid host name, IPv4 or [IPv6] address. Raises ValueError."""
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address") from None
        return host
    if re.fullmatch(r"[0-9.]+", host):  # all digits and dots: it must be an IPv4 address, not a name
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv4 address") from None
        return host
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{host!r} is not a host name (labels of letters, digits and inner hyphens, "
                         "joined by dots)")
    return host


def check_port(text: str) -> int:
    """A TCP port, 1–65535. Raises ValueError."""
    if not _PORT.match(text) or not 1 <= int(text) <= 65535:
        raise ValueError(f"port {text!r} is not a whole number 1–65535")
    return int(text)


def parse_host_port(text: str) -> tuple[str, int | None]:
    """`host[:port]` (IPv6 in brackets) -> (host, port or None). Raises ValueError."""
    if _UNSAFE.search(text) or "/" in text or "@" in text:
        raise ValueError("host[:port] only: no scheme, path, userinfo, spaces or control characters")
    if text.startswith("["):
        host, _, rest = text.partition("]")
        host += "]"
        if rest and not rest.startswith(":"):
            raise ValueError("host[:port], an IPv6 address in brackets: [::1]:8080")
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text = text.rpartition(":") if ":" in text else (text, "", None)
        if ":" in host:
            raise ValueError("an IPv6 address goes in brackets: [::1]:8080")
    return check_host(host), (check_port(port_text) if port_text is not None else None)


def parse_url(text: str, example: str) -> SplitResult:
    """An `https` (or loopback-only `http`) URL both parsers read alike. Raises ValueError naming
    `example` as the accepted form; the message never repeats the URL (it may hold a token)."""
    accepted = f"an https URL like {example} (http only to a loopback test server)"
    _check_characters(text, accepted)
    parts, port = _split(text, accepted)
    _check_netloc(parts.netloc, accepted)
    _check_client_agrees(text, parts, port, accepted)
    if parts.scheme == "http":
        problem = plain_http_problem(parts.hostname or "", proxy=_requests_proxy(text))
        if problem:
            raise ValueError(f"{accepted}; {problem}")
    return parts


def _check_characters(text: str, accepted: str) -> None:
    """Not too long, and none of the characters the two parsers could read differently."""
    if len(text) > MAX_URL:
        raise ValueError(f"{accepted}; at most {MAX_URL:,} characters")
    bad = _UNSAFE.search(text)
    if bad:
        what = {"\\": "a backslash", "#": "a fragment (#…)", " ": "a space"}.get(
            bad.group(), "a control or non-ASCII character")
        raise ValueError(f"{accepted}; this one has {what}")


def _split(text: str, accepted: str) -> tuple[SplitResult, int | None]:
    """`urllib.parse`'s reading and port of an http(s) URL with a host and no userinfo."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # an unclosed [ in the host, a port out of range or not a number
        raise ValueError(f"{accepted}; its host or port cannot be read (ports are 1–65535)") from None
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(accepted)
    if "@" in parts.netloc:
        raise ValueError(f"{accepted}, without user:password@ (the client and this check could read "
                         "the host differently)")
    return parts, port


def _check_netloc(netloc_text: str, accepted: str) -> None:
    """host[:port] by this module's rule (check_host, check_port)."""
    netloc = re.fullmatch(r"(\[[^\]]*\]|[^:\[\]]*)(?::(.*))?", netloc_text)
    try:
        if not netloc:
            raise ValueError("host[:port] cannot be read")
        check_host(netloc.group(1))
        if netloc.group(2) is not None:
            check_port(netloc.group(2))
    except ValueError as exc:
        raise ValueError(f"{accepted}; {exc}") from None


def _check_client_agrees(text: str, parts: SplitResult, port: int | None, accepted: str) -> None:
    """urllib3 (the HTTP client's parser) reads the same scheme, host, port, path and query."""
    try:
        theirs = urllib3_parse_url(text)
    except Exception:  # urllib3's LocationParseError and friends: the client could not send it
        raise ValueError(f"{accepted}; the HTTP client cannot read it") from None
    ours = (parts.scheme, (parts.hostname or "").lower(), port, parts.path or "", parts.query or None)
    if ours != (theirs.scheme, (theirs.host or "").strip("[]").lower(), theirs.port, theirs.path or "",
                theirs.query or None):
        raise ValueError(f"{accepted}; the HTTP client would read it differently from this check")


def plain_http_problem(host: str, proxy: str | None) -> str:
    """Why plain HTTP to `host` is not allowed ('' when it is): it must stay on this machine."""
    if not is_loopback(host):
        return f"plain http to {host!r} would send tokens in clear: only loopback hosts " \
               "(127.0.0.0/8, ::1, localhost) may use http"
    if proxy:
        return "a proxy (HTTP_PROXY / ALL_PROXY) would carry this plain-http request, tokens in clear: " \
               "add the host to NO_PROXY or unset the proxy"
    return ""


def _requests_proxy(url: str) -> str | None:
    """The proxy `requests` would use for `url` (environment variables, NO_PROXY honoured)."""
    found = get_environ_proxies(url)
    return found.get(urlsplit(url).scheme) or found.get("all")


def sdk_proxy_options(protocol: str, host: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """RuntimeOptions keyword arguments (`http_proxy` / `https_proxy`) that make the Tea SDK take
    the route requests would take for `protocol://host`. Raises ValueError when that route is direct
    but the SDK would use an environment proxy anyway (it ignores NO_PROXY), or when it is plain
    http through a proxy."""
    environ = os.environ if environ is None else environ
    url = f"{protocol}://{host}/"
    proxy = _requests_proxy(url)
    key = "HTTPS_PROXY" if protocol == "https" else "HTTP_PROXY"
    sdk_env = environ.get(key) or environ.get(key.lower())
    if proxy is None and sdk_env:
        raise ValueError(f"{key} is set and NO_PROXY excludes {host}, but the Alibaba Cloud SDK ignores "
                         f"NO_PROXY and would send its calls through {key}: unset {key} for this run")
    if protocol == "http":
        problem = plain_http_problem(host.rsplit(":", 1)[0] if not host.endswith("]") else host, proxy)
        if problem:
            raise ValueError(problem)
    return {f"{protocol}_proxy": proxy} if proxy else {}


def endpoint_url(endpoint: str, example: str) -> str:
    """`host[:port]` -> `https://host[:port]`; a full `https://` URL as it is, `http://` only to a loopback
    host; no path or query. Raises ValueError naming `example`."""
    if "://" in endpoint:
        parts = parse_url(endpoint, example)
        if parts.path.strip("/") or parts.query:
            raise ValueError(f"{example}: an endpoint has no path or query")
        return f"{parts.scheme}://{parts.netloc}"
    parse_host_port(endpoint)
    return f"https://{endpoint}"
