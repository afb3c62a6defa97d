"""The scan: each region's instances listed (collect.py) and each instance read the way its kind needs
(kinds.py) and judged, at once: the stages "scope", "scan" and "judge" of a run, feeding the Findings the
digest is made of."""
