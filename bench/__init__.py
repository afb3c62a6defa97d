"""`make bench`: the real handler against the sandbox at scale. See run.py and RESULTS.md."""
