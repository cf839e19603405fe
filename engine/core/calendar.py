"""Swedish working days: weekends, public holidays and the de-facto days off.

The `holidays` package's Sweden calendar lists Sundays as holidays only with
`include_sundays=True`; we ask without them and treat Saturday and Sunday as weekend
ourselves. DE_FACTO adds midsommarafton, julafton and nyårsafton, which are days off
in practice at every party; a förbund can add or remove days in its definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


class WorkingCalendar:
    def __init__(
        self,
        de_facto_days_off: bool = True,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self.de_facto_days_off = de_facto_days_off
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        self._years: dict[int, frozenset[date]] = {}
        self._added: dict[tuple[date, int], date] = {}

    def _days_off(self, year: int) -> frozenset[date]:
        days = self._years.get(year)
        if days is None:
            days = _holiday_dates(year, self.de_facto_days_off)
            self._years[year] = days
        return days

    def holiday_name(self, day: date) -> str | None:
        return _holiday_names(day.year, self.de_facto_days_off).get(day)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day.weekday() >= 5 or day in self.extra_days_off:
            return False
        return day not in self._days_off(day.year)

    def add_working_days(self, start: date, n: int) -> date:
        """`n` working days after `start` (before it when negative); `start` itself is not counted."""
        key = (start, n)
        day = self._added.get(key)
        if day is None:  # memoised: every due date, reminder and escalation asks this
            if len(self._added) > 100_000:
                self._added.clear()
            day = self._added[key] = self._add_working_days(start, n)
        return day

    def _add_working_days(self, start: date, n: int) -> date:
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        day = start
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def on_or_before(self, day: date) -> date:
        """The working day itself, or the last working day before it."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


@lru_cache(maxsize=256)
def _holiday_names(year: int, de_facto: bool) -> dict[date, str]:
    categories: tuple[str, ...] = (holidays.PUBLIC, holidays.DE_FACTO) if de_facto else (holidays.PUBLIC,)
    cal = holidays.country_holidays("SE", years=year, categories=categories, language="sv")
    return {d: str(name) for d, name in cal.items()}


@lru_cache(maxsize=256)
def _holiday_dates(year: int, de_facto: bool) -> frozenset[date]:
    return frozenset(_holiday_names(year, de_facto))


DEFAULT_CALENDAR = WorkingCalendar()
