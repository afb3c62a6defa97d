"""`invoke`: the deployed function, called synchronously through the FC 3.0 API."""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator

from .. import addresses, app, redact
from ..invocation import Credentials
from .credentials import credentials
from .output import run_status
from .progress import Progress
from .shared import DEFAULT_REGION, FAILED, FUNCTION_TIMEOUT, OK, UsageError, home_region, scenario_settings


def cmd_invoke(args: argparse.Namespace, sb) -> int:
    """InvokeFunction (Sync) with the --event file (with a sandbox and none, events/timer.json); prints the result
    JSON the function returned on stdout, the call on stderr. 0 the function returned a whole report (or not a
    report); 1 FC refused the call, the function raised, stopped at its settings, or returned a report `run`
    would exit 1 for; 2 bad arguments, no credentials, no FC SDK (UsageError)."""
    path = args.event
    if sb is not None and not path:  # make demo's event, at the trigger time the sandbox is anchored to
        from sandbox.demo import TIMER_EVENT
        path = str(TIMER_EVENT)
        print(f"invoke: the event is {TIMER_EVENT.name} (make demo's; --event FILE sends another)", file=sys.stderr)
    event = _event_bytes(path)
    creds, _ = credentials(sb)
    region = home_region(args, sb) or DEFAULT_REGION
    with contextlib.ExitStack() as stack:
        stack.enter_context(redact.Redaction([creds.access_key_id, creds.access_key_secret, creds.security_token]))
        endpoint = args.endpoint
        if sb is not None and not endpoint:
            endpoint = stack.enter_context(_emulated_function(args.function_name, sb, region))
        try:
            status, headers, body = _invoke(creds, region, endpoint, args.function_name, args.qualifier, event)
        except _InvokeFailed as error:
            print(redact.scrub(f"invoke: {args.function_name} ({args.qualifier}) in {region}: {error}"),
                  file=sys.stderr)
            return FAILED
    request_id = headers.get("x-fc-request-id", "?")
    if headers.get("x-fc-error-type"):
        print(redact.scrub(f"invoke: {args.function_name} ({args.qualifier}) failed, {headers['x-fc-error-type']} "
                           f"(request {request_id}):\n{_function_error(body)}"), file=sys.stderr)
        return FAILED
    print(f"invoke: {args.function_name} ({args.qualifier}) in {region}: HTTP {status}, request {request_id}",
          file=sys.stderr)
    return _returned(body)


def _function_error(body: bytes) -> str:
    """What the function raised, from FC's error body `{"errorType": …, "errorMessage": …}` (else its text)."""
    try:
        error = json.loads(body)
        return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
    except ValueError:
        return body.decode("utf-8", "replace")[:2000]


def _returned(body: bytes) -> int:
    """Prints what the function returned (JSON indented, else as it came); its exit status, as `run`'s
    for a report, 1 for a run its settings stopped (the team was told), 0 for anything else."""
    try:
        result = json.loads(body)
    except ValueError:
        print(body.decode("utf-8", "replace"))
        return OK
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if isinstance(result, dict) and result.get("status") == "error":  # its settings stopped it; the team was told
        return FAILED
    # The function returned: the same rule as `run` says whether its report was whole.
    is_result = isinstance(result, dict) and isinstance(result.get("instances"), list) and "deliveries" in result
    return run_status(result) if is_result else OK


def _invoke(creds: Credentials, region: str, endpoint: str | None, name: str, qualifier: str,
            event: bytes) -> tuple[int, dict, bytes]:
    """One synchronous InvokeFunction: (HTTP status, headers lower-cased, body). Raises UsageError for no
    SDK or an --endpoint the address rule refuses, _InvokeFailed when the call fails."""
    sdk = _fc_sdk()
    client, route = _client(sdk, creds, region, endpoint)
    request = sdk.models.InvokeFunctionRequest(body=io.BytesIO(event), qualifier=qualifier)
    headers = sdk.models.InvokeFunctionHeaders(x_fc_invocation_type="Sync")
    # A synchronous call lasts as long as the function: its timeout, and some.
    runtime = sdk.RuntimeOptions(connect_timeout=5000, read_timeout=(FUNCTION_TIMEOUT + 30) * 1000, **route)
    try:
        with Progress(f"invoking {name}"):
            response = client.invoke_function_with_options(name, request, headers, runtime)
    except Exception as exc:  # the SDK's exceptions carry code/message; never the request's signature
        raise _InvokeFailed(_sdk_error(exc)) from None
    body = response.body.read() if hasattr(response.body, "read") else (response.body or b"")
    if isinstance(body, str):
        body = body.encode()
    return response.status_code, {k.lower(): v for k, v in (response.headers or {}).items()}, body


def _fc_sdk() -> SimpleNamespace:
    """The FC 3.0 SDK (only `invoke` needs it): `.models`, `.Client`, `.openapi` (the Config), `.RuntimeOptions`."""
    try:
        from alibabacloud_fc20230330 import models
        from alibabacloud_fc20230330.client import Client
        from alibabacloud_tea_openapi import utils_models as openapi
        from darabonba.runtime import RuntimeOptions
    except ImportError:
        raise UsageError("invoke needs the FC 3.0 SDK: pip install 'alibabacloud-fc20230330>=4.8,<5' "
                         "(requirements-dev.txt has it)") from None
    return SimpleNamespace(models=models, Client=Client, openapi=openapi, RuntimeOptions=RuntimeOptions)


def _client(sdk: SimpleNamespace, creds: Credentials, region: str, endpoint: str | None) -> tuple[object, dict]:
    """The SDK's client for --endpoint (default: the SDK's for the region) and its proxy options, under the
    function's address rule: http only to loopback, one reading of the URL, NO_PROXY alike."""
    protocol, host = "https", endpoint
    try:
        if endpoint and "://" in endpoint:
            parts = addresses.parse_url(endpoint, "https://<account-id>.cn-hangzhou.fc.aliyuncs.com")
            protocol, host = parts.scheme, parts.netloc
        elif endpoint:
            addresses.parse_host_port(endpoint)
        config = sdk.openapi.Config(access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
                                    security_token=creds.security_token or None, region_id=region,
                                    endpoint=host or None, protocol=protocol)
        client = sdk.Client(config)
        return client, addresses.sdk_proxy_options(protocol, str(client._endpoint))
    except ValueError as error:
        raise UsageError(f"--endpoint {endpoint or '(the default)'}: {error}") from None


def _sdk_error(exc: Exception) -> str:
    """An SDK exception as `Code: message (HTTP status)`, the message cut at 500 characters."""
    code = getattr(exc, "code", None) or type(exc).__name__
    message = getattr(exc, "message", None) or str(exc)
    status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
    return f"{code}: {str(message)[:500]}" + (f" (HTTP {status})" if status else "")


class _InvokeFailed(Exception):
    """The call failed (FC refused it, the connection broke): exit status 1, the message on stderr."""


@contextlib.contextmanager
def _emulated_function(name: str, sb, region: str) -> Iterator[str]:
    """The sandbox's stand-in for FC: `name` runs the real handler code with the environment, the scenario's
    settings and the sandbox's endpoints (as `run` does). Yields its endpoint, `http://127.0.0.1:<port>`,
    served for the block."""
    from sandbox.fc import FunctionCompute, serve

    env = {**os.environ, **scenario_settings(sb), **sb.env()}
    fc = FunctionCompute({name: lambda event, context: app.run(event, context, environ=env)}, sb.credentials,
                         region=region)
    server = serve(fc)
    try:
        yield f"http://{server.address}"
    finally:
        server.stop()


def _event_bytes(path: str | None) -> bytes:
    """The --event file's bytes as they are (`-`: stdin; none: `{}`). UsageError (exit 2): unreadable, not JSON."""
    if not path:
        return b"{}"
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"--event {path}: {error.strerror}") from None
    try:
        json.loads(data or b"{}")
    except ValueError:
        raise UsageError(f"--event {path}: not JSON; FC hands the function the event as it is, and this "
                         "function expects a JSON object like events/timer.json") from None
    return data
