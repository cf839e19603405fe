"""Durations written the way a förbund admin writes them: `5 arbetsdagar`, `6 veckor`, `3 månader`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.core.calendar import WorkingCalendar


class Unit(StrEnum):
    WORKING_DAYS = "arbetsdagar"
    DAYS = "dagar"
    WEEKS = "veckor"
    MONTHS = "månader"


_UNIT_WORDS: dict[str, Unit] = {
    "arbetsdag": Unit.WORKING_DAYS,
    "arbetsdagar": Unit.WORKING_DAYS,
    "dag": Unit.DAYS,
    "dagar": Unit.DAYS,
    "kalenderdag": Unit.DAYS,
    "kalenderdagar": Unit.DAYS,
    "vecka": Unit.WEEKS,
    "veckor": Unit.WEEKS,
    "månad": Unit.MONTHS,
    "månader": Unit.MONTHS,
}

DURATION_PATTERN = (
    r"^\s*\d+\s+(arbetsdag|arbetsdagar|dag|dagar|kalenderdag|kalenderdagar|vecka|veckor|månad|månader)\s*$"
)
_RE = re.compile(r"^\s*(\d+)\s+(\w+)\s*$")


class DurationError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        m = _RE.match(text)
        if not m:
            raise DurationError(
                f"'{text}' är ingen giltig tidsangivelse; skriv t.ex. '5 arbetsdagar', '14 dagar', "
                "'6 veckor' eller '3 månader'"
            )
        unit = _UNIT_WORDS.get(m.group(2).lower())
        if unit is None:
            raise DurationError(
                f"okänd enhet '{m.group(2)}' i '{text}'; använd arbetsdagar, dagar, veckor eller månader"
            )
        return cls(int(m.group(1)), unit)

    def __str__(self) -> str:
        singular = {
            Unit.WORKING_DAYS: "arbetsdag",
            Unit.DAYS: "dag",
            Unit.WEEKS: "vecka",
            Unit.MONTHS: "månad",
        }
        word = singular[self.unit] if self.amount == 1 else self.unit.value
        return f"{self.amount} {word}"

    def after(self, start: date, calendar: WorkingCalendar) -> date:
        """The date this duration after `start` (working days skip weekends and holidays)."""
        if self.unit is Unit.WORKING_DAYS:
            return calendar.add_working_days(start, self.amount)
        if self.unit is Unit.DAYS:
            return start + timedelta(days=self.amount)
        if self.unit is Unit.WEEKS:
            return start + timedelta(weeks=self.amount)
        return add_months(start, self.amount)

    def before(self, end: date, calendar: WorkingCalendar) -> date:
        """The date this duration before `end`."""
        if self.unit is Unit.WORKING_DAYS:
            return calendar.add_working_days(end, -self.amount)
        if self.unit is Unit.DAYS:
            return end - timedelta(days=self.amount)
        if self.unit is Unit.WEEKS:
            return end - timedelta(weeks=self.amount)
        return add_months(end, -self.amount)

    def approx_days(self) -> float:
        """Rough length in calendar days, for comparing durations of different units."""
        factor = {Unit.WORKING_DAYS: 7 / 5, Unit.DAYS: 1.0, Unit.WEEKS: 7.0, Unit.MONTHS: 30.44}
        return self.amount * factor[self.unit]


def add_months(start: date, months: int) -> date:
    """Calendar months; the 31st becomes the last day of a shorter month."""
    total = start.year * 12 + (start.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover
