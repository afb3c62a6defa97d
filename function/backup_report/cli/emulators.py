"""`--sandbox SCENARIO`: the repository's local emulators (sandbox/) in place of the cloud."""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Iterator

from ..window import parse_api_time
from .shared import UsageError, parse_at


def import_sandbox():
    """The repository's `sandbox` package: as imported (its root on sys.path, as in the tests), else
    loaded from sandbox/ beside function/ by its path, sys.path left as it is.

    Only a checkout has it (the deployed package has no sandbox/ beside it): UsageError there.
    """
    try:
        import sandbox
        return sandbox
    except ImportError:
        pass
    root = Path(__file__).resolve().parents[3]
    init = root / "sandbox" / "__init__.py"
    if not (init.is_file() and (root / "function" / "index.py").is_file()):
        raise UsageError("--sandbox needs the repository checkout (sandbox/ beside function/)")
    # As `import sandbox` would with the root on sys.path: its submodules found in its own folder.
    spec = importlib.util.spec_from_file_location("sandbox", init, submodule_search_locations=[str(init.parent)])
    sandbox = importlib.util.module_from_spec(spec)
    sys.modules["sandbox"] = sandbox
    try:
        spec.loader.exec_module(sandbox)
    except BaseException:
        del sys.modules["sandbox"]
        raise
    return sandbox


@contextlib.contextmanager
def started_sandbox(args: argparse.Namespace, given) -> Iterator[object]:
    """Yields the sandbox the command runs against: `given` (started by the caller), none without
    --sandbox, else --sandbox's scenario started for the block (its line on stderr) and stopped after.
    UsageError (exit 2): no sandbox/ beside function/, an unknown scenario or a bad file."""
    if given is not None:
        yield given
        return
    if not args.sandbox:
        yield None
        return
    sandbox = import_sandbox()
    from sandbox.demo import demo_trigger_time

    # The sandbox's "now" is the run's trigger time: --at, or the --event file's triggerTime (none: the present,
    # as the function then reports at the present). Without either, make demo's trigger time, and `invoke`
    # sends make demo's event: the same command prints the same report at any hour.
    if getattr(args, "at", None):
        anchor = parse_at(args.at)
    elif getattr(args, "event", None):
        anchor = _event_time(args.event)
    else:
        anchor = parse_at(demo_trigger_time())
    try:
        sb = sandbox.start(args.sandbox, anchor=anchor)
    except (ValueError, OSError) as error:  # an unknown scenario, a bad file
        raise UsageError(f"--sandbox {args.sandbox}: {error}") from None
    print(f"sandbox: scenario {args.sandbox!r} at {sb.anchor:%Y-%m-%dT%H:%MZ} (--at TIME moves the clock): "
          "R-KVStore, DingTalk, Slack, Feishu and WeCom emulated on 127.0.0.1; nothing leaves this machine", file=sys.stderr)
    print(f"sandbox: {_applied(sb, last='the event' if args.name == 'invoke' else '--payload and --set')}",
          file=sys.stderr)
    with sb:
        yield sb


def _applied(sb, last: str) -> str:
    """Which settings a command against `sb` runs with, in one line (`last`: what the command lets override them)."""
    names = ", ".join(sb.settings)
    theirs = f"the scenario's settings ({names}) over the environment's" if names else \
        "the environment's settings (the scenario has no `settings:`)"
    return f"{theirs}, then the sandbox's endpoints, webhooks, archive and REGIONS; {last} last"


def _event_time(path: str | None):
    """The --event file's triggerTime (a UTC datetime), or None: no file, stdin, no or a bad time."""
    if not path or path == "-":
        return None
    try:
        event = json.loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return None  # invoke._event_bytes says what is wrong with it
    return parse_api_time(event.get("triggerTime")) if isinstance(event, dict) else None
