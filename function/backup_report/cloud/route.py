"""The SDK's network route, made to agree with the webhooks': the proxy `requests` would use.

darabonba-core 1.0.9 (`DaraCore.do_action`) ignores NO_PROXY, even its own `no_proxy` RuntimeOption
(the proxies go to `Session.send`, whose adapter's `select_proxy` never reads `no_proxy`), and an
empty `http_proxy` falls back to HTTP_PROXY. So the SDK is handed the proxy requests picks for its
endpoint, and a call is refused when requests would go direct but the SDK cannot (see
`addresses.sdk_proxy_options`). Settings refuse that case up front for KVSTORE_ENDPOINT; this
catches it for the SDK's own regional endpoints.
"""
from __future__ import annotations

from ..addresses import sdk_proxy_options
from ..model import ApiError
from .retry import ApiFailure


def sdk_route(protocol: str, client: object, action: str) -> dict[str, str]:
    """RuntimeOptions keyword arguments (`http_proxy` / `https_proxy`, or none) for `client`'s
    endpoint (`client._endpoint`, host[:port], as the Tea client resolved it). Raises a permanent
    ApiFailure (code ProxyNotHonoured) when the SDK would take a proxy NO_PROXY excludes."""
    try:
        return sdk_proxy_options(protocol, str(getattr(client, "_endpoint", "") or ""))
    except ValueError as exc:
        raise ApiFailure(ApiError("ProxyNotHonoured", str(exc), action)) from None
