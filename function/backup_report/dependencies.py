"""What `python -m backup_report` says when this Python lacks the function's dependencies (the system's
`python3`, say): how to make the clone's .venv, never a traceback. Imports nothing but the standard library, so
it can say so. Used by the package's __main__ and by the root's hand-over (backup_report/ at the clone's root)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn


def lacking(missing: ModuleNotFoundError, root: Path) -> NoReturn:
    """Prints which module is missing and to run `make venv` in the clone at `root`, then exits 2 (the CLI's
    status for what must be fixed before anything runs)."""
    print(f"backup_report: this Python ({sys.executable}) lacks the function's dependencies (no module "
          f"{missing.name!r}): run `make venv` in {root}, then ./backup-report {' '.join(sys.argv[1:])}",
          file=sys.stderr)
    sys.exit(2)
