"""Staged faults for the webhook emulators: the scenario's `faults:` list, consumed post by post.

Each post that would otherwise succeed asks `take()` for the fault to act out instead. The first
fault in list order that still has budget wins; `first: K` gives a fault a budget of K posts, and a
fault without `first` applies to every post from then on (so it shadows whatever follows it).
`{kind: reset}` and `{kind: hang, seconds: N}` are acted out over the socket by `httpserver`.
"""
from __future__ import annotations

import threading

from sandbox.httpserver import Hang, Reset


class Staged:
    def __init__(self, faults=()):
        self._faults = [dict(f) for f in faults]
        self._used = [0] * len(self._faults)
        self._lock = threading.Lock()

    def take(self) -> dict | None:
        """The fault answering this post (or None: answer normally); raises Reset / Hang."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if "first" in fault and self._used[i] >= int(fault["first"]):
                    continue
                self._used[i] += 1
                break
            else:
                return None
        if fault.get("kind") == "reset":
            raise Reset()
        if fault.get("kind") == "hang":
            raise Hang(float(fault.get("seconds", 600)))
        return fault
