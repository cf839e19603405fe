"""When to try a failed delivery again: exponential backoff with jitter, then a dead letter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    jitter: Callable[[], float] | None = None
    """A source of numbers in [0, 1); injected so tests are deterministic. None: no jitter."""

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1-based): base·2^(n-1), capped, times 0.5..1."""
        raw = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        factor = 0.5 + 0.5 * self.jitter() if self.jitter is not None else 1.0
        return timedelta(seconds=raw * factor)

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        """None when `attempts` failures are the last allowed: the message becomes a dead letter."""
        if attempts >= self.max_attempts:
            return None
        return now + self.delay(attempts)
