"""api/pages/dates.py: dates as a person reads them (working days from engine/core/calendar)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from api.pages.dates import human_date, relative_day, weekday_date

TUESDAY = date(2026, 12, 1)


def test_near_days_read_as_words() -> None:
    assert relative_day(TUESDAY, TUESDAY) == "i dag"
    assert relative_day(TUESDAY + timedelta(days=1), TUESDAY) == "i morgon"
    assert relative_day(TUESDAY - timedelta(days=1), TUESDAY) == "i går"
    assert relative_day(TUESDAY - timedelta(days=5), TUESDAY) == "5 dagar sen"


def test_ahead_counts_working_days_not_weekends_or_holidays() -> None:
    assert relative_day(date(2026, 12, 4), TUESDAY) == "om 3 arbetsdagar"  # Wed, Thu, Fri
    assert relative_day(date(2026, 12, 7), TUESDAY) == "om 4 arbetsdagar"  # the weekend does not count
    # 23 Dec (Wed) to 28 Dec (Mon): julafton, juldagen, annandag jul and the weekend are days off
    assert relative_day(date(2026, 12, 28), date(2026, 12, 23)) == "om 1 arbetsdag"
    # Friday to Sunday: no working day in between, so plain days
    assert relative_day(date(2026, 12, 6), date(2026, 12, 4)) == "om 2 dagar"
    assert relative_day(date(2027, 3, 1), TUESDAY) == "om 90 dagar"


def test_weekday_and_the_year_only_when_not_this_year() -> None:
    assert weekday_date(date(2026, 12, 3), TUESDAY) == "torsdag 3 december"
    assert weekday_date(date(2027, 1, 4), TUESDAY) == "måndag 4 januari 2027"
    assert human_date(TUESDAY, TUESDAY) == "i dag, tisdag 1 december"
    assert human_date(None, TUESDAY) == "–"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), st.integers(-400, 400))
def test_every_date_reads_in_swedish_words_and_the_sign_is_right(today: date, offset: int) -> None:
    day = today + timedelta(days=offset)
    text = relative_day(day, today)
    if offset < -1:
        assert text == f"{-offset} dagar sen"
    elif offset > 1:
        assert text.startswith("om ")
        assert "arbetsdag" in text or text == f"om {offset} dagar"
    assert human_date(day, today).startswith(text + ", ")
