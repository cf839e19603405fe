"""Office hours: when a notification may be sent (pure, no clock reads).

E-mail about a case should reach a handläggare while they are at work, not at 03:00 on
midsommarafton. A timer fires at 06:00; its e-mail waits until the office opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.core.calendar import DEFAULT_CALENDAR, WorkingCalendar


@dataclass(frozen=True)
class OfficeHours:
    opens: time = time(7, 0)
    closes: time = time(17, 0)
    timezone: str = "Europe/Stockholm"
    calendar: WorkingCalendar = field(default=DEFAULT_CALENDAR, compare=False)

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError("office hours must open before they close")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open(self, dt: datetime) -> bool:
        local = _aware(dt).astimezone(self.tz)
        return self.calendar.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_send_time(self, dt: datetime) -> datetime:
        """`dt` itself inside office hours, else the next opening (UTC)."""
        dt = _aware(dt)
        if self.is_open(dt):
            return dt.astimezone(UTC)
        local = dt.astimezone(self.tz)
        day = local.date()
        if local.time() >= self.closes or not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        day = self.calendar.on_or_after(day)
        return datetime.combine(day, self.opens, self.tz).astimezone(UTC)


DEFAULT_OFFICE_HOURS = OfficeHours()


def next_send_time(dt: datetime, hours: OfficeHours = DEFAULT_OFFICE_HOURS) -> datetime:
    return hours.next_send_time(dt)


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return dt
