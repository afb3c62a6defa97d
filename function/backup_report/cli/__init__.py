"""`python -m backup_report`: check the settings, run the report locally, invoke the deployed function.

    python -m backup_report check  [--payload JSON] [--set KEY=VALUE]… [--region R]
    python -m backup_report check --deploy [-t s.yaml]   (s.yaml with the shell's environment, offline)
    python -m backup_report run    [--at TIME] [--payload JSON] [--set KEY=VALUE]… [--dry-run] [--json]
    python -m backup_report invoke [--function-name N] [--region R] [--qualifier Q] [--event FILE]
    (each with --sandbox demo: the local emulators instead of the cloud)

Settings come from the environment (the same names as the function's), then `--payload` (a JSON
object of lower-case names, as a timer trigger's payload), then `--set NAME=VALUE`. Credentials come
from the standard Alibaba Cloud chain (`alibabacloud_credentials`): ALIBABA_CLOUD_ACCESS_KEY_ID /
_SECRET / _SECURITY_TOKEN, the `aliyun` CLI's ~/.aliyun/config.json profile (ALIBABA_CLOUD_PROFILE
picks one), ~/.alibabacloud/credentials, an ECS RAM role. Exit status: 0 done, 1 the cloud, a
channel or the function failed, 2 bad settings, arguments or no credentials.

`invoke` uses the FC 3.0 SDK (alibabacloud_fc20230330), not fc2. fc2 (aliyun-fc2 2.5.2, the SDK
FC's python3.10 runtime ships) speaks only the 2016-08-15 API, whose invoke path is
`/2016-08-15/services/{service}[.{qualifier}]/functions/{function}/invocations`: a service is
required. s.yaml deploys with the fc3 component, i.e. the 2023-03-30 API, where a function belongs
to no service and is invoked at `/2023-03-30/functions/{function}/invocations`; FC 3.0's
compatibility notes cover 2.0 services seen from 3.0, not a 2.0 path to a function created in 3.0.
fc2 is also only in the runtime, not on the laptop this runs on.

The handler never imports this package (nor the FC SDK, imported only by `invoke`): no cold-start cost.

One module a command (check.py, run.py, invoke.py) and the parts they share: the argument parser
(parser.py), the settings and arguments every command reads (shared.py), the credential chain
(credentials.py), the spinner (progress.py), what the commands print (output.py) and `--sandbox`
(emulators.py).
"""
from __future__ import annotations

import logging
import sys

from ..settings import SettingsError
from .credentials import credentials
from .emulators import started_sandbox
from .output import describe, run_log_on_terminal, run_status, summary
from .parser import parser
from .progress import Progress
from .shared import FAILED, OK, USAGE, UsageError, environment

__all__ = ["FAILED", "OK", "USAGE", "Progress", "UsageError", "credentials", "describe", "environment", "main",
           "parser", "run_status", "summary"]


def main(argv: list[str] | None = None, *, sandbox=None) -> int:
    """Parses `argv` (default sys.argv[1:]), runs its command and returns the exit status: the command's
    0 or 1, 2 for bad settings (SettingsError, each problem on stderr) or a UsageError (one line on
    stderr, no traceback). Bad arguments raise argparse's SystemExit(2), --help SystemExit(0).

    `sandbox`: an already started `sandbox.Sandbox` to use instead of starting `--sandbox`'s. On a terminal,
    without -v, the run's JSON line per instance is not shown (output.run_log_on_terminal)."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        with started_sandbox(args, sandbox) as sb, run_log_on_terminal(args.verbose):
            return args.command(args, sb)
    except SettingsError as error:
        print("invalid settings:\n" + "\n".join(f"  - {p}" for p in error.problems), file=sys.stderr)
        return USAGE
    except UsageError as error:
        print(f"backup_report: {error}", file=sys.stderr)
        return USAGE
