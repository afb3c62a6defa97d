"""`python -m backup_report` (from function/, or with PYTHONPATH=function): see cli.py."""
import sys

from .cli import main

sys.exit(main())
