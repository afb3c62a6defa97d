"""The spinner a long call shows on stderr."""
from __future__ import annotations

import sys
import threading
import time


class Progress:
    """A spinner with the elapsed seconds on stderr while a long call runs, only when stderr is a terminal.

    `add(n)` counts things done, shown with `unit`: `check` counts instances as DescribeInstances
    pages arrive, `run` instances as they are checked (from the pool's threads, hence the lock).
    """

    FRAMES = "|/-\\"

    def __init__(self, label: str, stream=None, interval: float = 0.2, unit: str = ""):
        self.label, self.interval, self.unit = label, interval, unit
        self.count = 0
        self.stream = stream if stream is not None else sys.stderr
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._width = 0

    def __enter__(self) -> "Progress":
        isatty = getattr(self.stream, "isatty", None)
        if isatty is not None and isatty():
            self._thread = threading.Thread(target=self._spin, name="progress", daemon=True)
            self._thread.start()
        return self

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.count += n

    def _spin(self) -> None:
        started, frame = time.monotonic(), 0
        while not self._stop.wait(self.interval):
            done = f"{self.count} {self.unit}, " if self.unit else ""
            text = f"{self.FRAMES[frame % len(self.FRAMES)]} {self.label} … {done}{time.monotonic() - started:.0f}s"
            self._width = max(self._width, len(text))
            self.stream.write("\r" + text)
            self.stream.flush()
            frame += 1

    def __exit__(self, *exc) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
