"""Function Compute entry point (`handler: index.handler`). Thin on purpose: see backup_report.app."""
from backup_report.app import run


def handler(event, context):
    return run(event, context)
