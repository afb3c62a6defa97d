"""`python -m backup_report` (from function/, or with PYTHONPATH=function): see cli/__init__.py.

Typed from function/ with a Python that lacks the function's dependencies (the system's `python3`), it says how
to make the clone's .venv, as the root's hand-over (backup_report/ at the clone's root) does, not a traceback.
"""
import sys
from pathlib import Path

try:
    from .cli import main
except ModuleNotFoundError as missing:
    if (missing.name or "").startswith(__package__):
        raise
    from .dependencies import lacking

    lacking(missing, Path(__file__).resolve().parents[2])

sys.exit(main())
