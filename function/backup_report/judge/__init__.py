"""Pure decisions over plain data: the backup schedule and the verdicts."""
