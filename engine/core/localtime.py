"""Swedish local time: the day an instant falls on, and the instant a timer set for a day fires.

A case's dates (due dates, phase ends, the day a task was closed) are days in Sweden, while
`now` and timer instants are UTC. These two functions are the only crossing between them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Stockholm")
FIRE_HOUR = time(6, 0)
"""Timers fire at 06:00 Swedish time on their day, before office hours start."""


def local_date(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(TZ).date()


def fire_time(day: date) -> datetime:
    """The UTC instant a timer set for `day` fires."""
    return datetime.combine(day, FIRE_HOUR, TZ).astimezone(UTC)
