"""`python -m sandbox serve --scenario demo [--at TIME]` and `python -m sandbox demo`.

`serve` prints one JSON line (endpoints and credentials, for scripts), then an `export …` line of
every setting the handler needs against it (the scenario's `settings:` included: the demo's tags, time
zone and @mobiles), and serves until SIGINT/SIGTERM.
"""
from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading

from . import scenario as scenarios
from . import start


def serve(args: argparse.Namespace) -> int:
    try:
        sb = start(args.scenario, anchor=args.at, host=args.host, kvstore_port=args.port)
    except ValueError as error:  # ScenarioError or a bad --at
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with sb:
        credentials = sb.credentials
        print(json.dumps({
            "kvstore_endpoint": sb.kvstore_endpoint,
            "sts_endpoint": sb.sts_endpoint,
            "resourcemanager_endpoint": sb.resourcemanager_endpoint,
            "function_compute_endpoint": sb.function_compute_endpoint,
            "account": sb.account,
            "accounts": list(sb.accounts),
            "dingtalk_webhook": sb.dingtalk_webhook,
            "dingtalk_secret": sb.dingtalk_secret,
            "slack_webhook": sb.slack_webhook,
            "feishu_webhook": sb.feishu_webhook,
            "feishu_secret": sb.feishu_secret,
            "wecom_webhook": sb.wecom_webhook,
            "heartbeat_url": sb.heartbeat_url,
            "access_key_id": credentials.access_key_id,
            "access_key_secret": credentials.access_key_secret,
            "security_token": credentials.security_token,
        }))
        # Every setting the handler needs to run against this sandbox as `make demo` does: the scenario's own too.
        settings = {**sb.settings, **sb.env()}
        print("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items()), flush=True)
        print(f"sandbox: scenario {sb.scenario.name!r} at {sb.anchor:%Y-%m-%dT%H:%MZ}: {sb.scenario.description}"
              " (Ctrl-C to stop)", file=sys.stderr, flush=True)
        while not stop.wait(1.0):  # wakes up for signals on every platform
            pass
    return 0


def demo(argv: list[str]) -> int:
    from . import demo as module  # imports the function's code; only this command needs it

    return module.main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["demo"]:  # its options are the demo's own
        return demo(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Local emulators of R-KVStore, STS, "
                                     "ResourceManager, the webhooks, the heartbeat, OSS and FC. Commands: serve, demo.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the real handler against the demo fleet (make demo)")
    serving = commands.add_parser("serve", help="serve a scenario until interrupted")
    serving.add_argument("--scenario", default="demo",
                         help=f"a shipped scenario ({', '.join(scenarios.names())}) or a YAML/JSON path")
    serving.add_argument("--at", help="the anchor, e.g. 2026-11-28T01:00Z (default: now, to the minute)")
    serving.add_argument("--host", default="127.0.0.1")
    serving.add_argument("--port", type=int, default=0, help="the R-KVStore port (default: any free one)")
    args = parser.parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
