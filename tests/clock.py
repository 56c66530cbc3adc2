"""A clock for tests: time passes only when the code under test sleeps on it, or when the test
says so. Waits, backoffs and deadlines are then asserted exactly, however loaded the machine."""

from __future__ import annotations

import threading


class FakeClock:
    """Pass it as `clock` and its `sleep` as `sleep`; `slept` records every wait asked for."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
