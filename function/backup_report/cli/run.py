"""`run`: the function's code here, as one invocation would run it."""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from types import SimpleNamespace

from .. import app
from ..invocation import Credentials
from ..settings import load_settings
from .credentials import credentials
from .output import run_status, summary
from .progress import Progress
from .shared import FAILED, FUNCTION_NAME, environment, home_region, parse_at, parse_payload


def cmd_run(args: argparse.Namespace, sb) -> int:
    """app.run here, with the event `{"triggerName": "cli", "payload": <--payload>, "triggerTime": <--at>}`;
    prints the summary (with --dry-run, each message first) or, with --json, the result JSON. The exit
    status is run_status's (0 whole, 1 not); 1 also when no channel took the digest (app.DeliveryError,
    on stderr); 2 (raised) bad settings, --payload or --at, no credentials: all before any call."""
    env = environment(args, sb)
    payload_text = args.payload or "{}"
    parse_payload(payload_text)  # refuse bad JSON before anything else
    event: dict = {"triggerName": "cli", "payload": payload_text}
    at = parse_at(args.at) if args.at else (sb.anchor if sb is not None else None)
    if at is not None:
        event["triggerTime"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    load_settings(env, json.loads(payload_text), default_region=home_region(args, sb))  # settings before credentials
    creds, _ = credentials(sb)
    context = fc_like_context(creds, home_region(args, sb), args.timeout)
    try:
        with Progress("checking backups", unit="instances checked") as progress:
            result = json.loads(app.run(json.dumps(event).encode(), context, environ=env, dry_run=args.dry_run,
                                        progress=progress.add))
    except app.DeliveryError as error:
        print(f"run: {error}", file=sys.stderr)
        return FAILED
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(summary(result))
    return run_status(result)


def fc_like_context(creds: Credentials, region: str, timeout: int) -> SimpleNamespace:
    """What the handler reads of FC's context, with the chain's credentials in the role's place:
    `.request_id` (cli-<12 hex>), `.credentials` (.access_key_id, .access_key_secret, .security_token),
    `.region`, `.function` (.name, .handler, .memory, .timeout)."""
    return SimpleNamespace(
        request_id=f"cli-{uuid.uuid4().hex[:12]}",
        credentials=SimpleNamespace(access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret,
                                    security_token=creds.security_token),
        region=region,
        function=SimpleNamespace(name=FUNCTION_NAME, handler="index.handler", memory=256, timeout=timeout))
