"""Test doubles (`Fake*`): the clock and the id source the service layer takes as arguments."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    """An aware-UTC clock that only moves when a test moves it. Thread-safe to read."""

    def __init__(self, start: datetime = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now = self.now + timedelta(**delta)
            return self.now

    def set(self, when: datetime) -> None:
        with self._lock:
            self.now = when


class FakeIds:
    """Readable, unique, deterministic ids: c000001, c000002, ... (thread-safe)."""

    def __init__(self, prefix: str = "id") -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._prefix = prefix

    def __call__(self) -> str:
        with self._lock:
            return f"{self._prefix}{next(self._counter):06d}"
