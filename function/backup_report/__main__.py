"""`python -m backup_report` (from function/, or with PYTHONPATH=function): see cli/__init__.py."""
import sys

from .cli import main

sys.exit(main())
