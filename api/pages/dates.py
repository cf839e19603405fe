"""Dates as a person reads them: "i dag", "i morgon", "om 3 arbetsdagar", "5 dagar sen", with the
weekday ("torsdag 3 december"). The one formatter of the pages; working days from engine/core/calendar."""

from __future__ import annotations

from datetime import date

from engine.core.calendar import DEFAULT_CALENDAR, WorkingCalendar

WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
    "november", "december",
)  # fmt: skip
NEAR_WORKING_DAYS = 10
"""Up to this many working days ahead a date reads as "om N arbetsdagar"; further as "om N dagar"."""


def weekday_date(day: date, today: date) -> str:
    """ "torsdag 3 december" (with the year when it is not this year's)."""
    text = f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"


def relative_day(day: date, today: date, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> str:
    """How far the day is from today, in words."""
    delta = (day - today).days
    if delta == 0:
        return "i dag"
    if delta == 1:
        return "i morgon"
    if delta == -1:
        return "i går"
    if delta < 0:
        return f"{-delta} dagar sen"
    working = calendar.working_days_between(today, day) if delta <= 3 * NEAR_WORKING_DAYS else delta
    if 0 < working <= NEAR_WORKING_DAYS:
        return "om 1 arbetsdag" if working == 1 else f"om {working} arbetsdagar"
    return f"om {delta} dagar"


def human_date(day: date | None, today: date, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> str:
    """ "i morgon, onsdag 2 december"; "–" for no date. "i dag" and the near days lead, the date follows."""
    if day is None:
        return "–"
    return f"{relative_day(day, today, calendar)}, {weekday_date(day, today)}"
