"""Swedish working days: weekends, public holidays and the de-facto days off.

Expected dates are counted by hand (weekday names are in the comments); the `holidays`
package is what the calendar uses, so it is not consulted here for any expected value.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core import commands as c
from engine.core.calendar import WorkingCalendar
from engine.core.decide import decide

from .casekit import FINSAM_PATH, at, definition_from_yaml

D = date
CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2026, 1, 1), "Nyårsdagen"),
        (D(2026, 1, 6), "Trettondedag jul"),
        (D(2026, 4, 3), "Långfredagen"),
        (D(2026, 4, 6), "Annandag påsk"),
        (D(2026, 5, 1), "Första maj"),
        (D(2026, 5, 14), "Kristi himmelsfärdsdag"),
        (D(2026, 6, 19), "Midsommarafton"),
        (D(2026, 12, 24), "Julafton"),
        (D(2026, 12, 25), "Juldagen"),
        (D(2026, 12, 31), "Nyårsafton"),
        (D(2027, 3, 26), "Långfredagen"),
    ],
)
def test_public_holidays_and_de_facto_days_off_on_weekdays_are_not_working_days(day: date, name: str) -> None:
    assert day.weekday() < 5
    assert not CAL.is_working_day(day)
    assert CAL.holiday_name(day) == name


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 4, 2),  # skärtorsdagen
        D(2026, 4, 30),  # valborgsmässoafton
        D(2026, 5, 15),  # the day after Kristi himmelsfärd ("klämdag") is not off by law
        D(2026, 6, 5),  # the day before nationaldagen
        D(2026, 12, 23),
        D(2026, 12, 28),
        D(2027, 1, 5),  # trettondagsafton
    ],
)
def test_eves_and_squeeze_days_are_working_days(day: date) -> None:
    assert CAL.is_working_day(day)
    assert CAL.holiday_name(day) is None


def test_weekends_are_days_off_but_an_ordinary_sunday_is_no_holiday() -> None:
    # The holidays package can list every Sunday as a holiday; the calendar keeps them apart.
    assert not CAL.is_working_day(D(2026, 3, 7))  # Saturday
    assert not CAL.is_working_day(D(2026, 3, 8))  # Sunday
    assert CAL.holiday_name(D(2026, 3, 8)) is None
    assert CAL.is_working_day(D(2026, 3, 9))  # Monday


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Easter 2026: Långfredagen Fri 04-03, Annandag påsk Mon 04-06.
        (D(2026, 4, 2), 1, D(2026, 4, 7)),  # Thu -> Tue
        (D(2026, 4, 2), 5, D(2026, 4, 13)),  # Tue 7, Wed 8, Thu 9, Fri 10, Mon 13
        (D(2026, 4, 1), 2, D(2026, 4, 7)),  # Thu 2, Tue 7
        (D(2026, 4, 3), 1, D(2026, 4, 7)),  # from a holiday: the next working day is the first
        # Första maj Fri 05-01, Kristi himmelsfärd Thu 05-14.
        (D(2026, 4, 30), 1, D(2026, 5, 4)),
        (D(2026, 5, 13), 1, D(2026, 5, 15)),
        # Nationaldagen on Saturday 2026-06-06 costs no working day (no substitute day in Sweden).
        (D(2026, 6, 5), 1, D(2026, 6, 8)),
        (D(2026, 6, 1), 5, D(2026, 6, 8)),  # Tue 2, Wed 3, Thu 4, Fri 5, Mon 8
        # ... but on a Friday it does: 2025-06-06 is a Friday.
        (D(2025, 6, 5), 1, D(2025, 6, 9)),
        # Midsommarafton Fri 2026-06-19.
        (D(2026, 6, 18), 1, D(2026, 6, 22)),
        (D(2026, 6, 17), 3, D(2026, 6, 23)),  # Thu 18, Mon 22, Tue 23
        # Christmas and New Year: 12-24, 12-25, 12-31, 2027-01-01 and 2027-01-06 off.
        (D(2026, 12, 23), 1, D(2026, 12, 28)),
        (D(2026, 12, 23), 5, D(2027, 1, 5)),  # Mon 28, Tue 29, Wed 30, Mon 01-04, Tue 01-05
        (D(2026, 12, 30), 1, D(2027, 1, 4)),
        (D(2027, 1, 5), 1, D(2027, 1, 7)),
        # zero
        (D(2026, 4, 3), 0, D(2026, 4, 3)),
        (D(2026, 3, 9), 0, D(2026, 3, 9)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_ten_working_days_from_the_tuesday_before_christmas() -> None:
    # Tue 2026-12-22: Wed 23 (1), [24, 25, weekend], Mon 28 (2), Tue 29 (3), Wed 30 (4), [31, 01-01,
    # weekend], Mon 01-04 (5), Tue 05 (6), [Wed 06], Thu 07 (7), Fri 08 (8), Mon 11 (9), Tue 12 (10).
    assert CAL.add_working_days(D(2026, 12, 22), 10) == D(2027, 1, 12)
    assert CAL.add_working_days(D(2026, 12, 22), 8) == D(2027, 1, 8)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 4, 7), -1, D(2026, 4, 2)),  # Tue after Easter -> skärtorsdagen
        (D(2026, 4, 13), -5, D(2026, 4, 2)),  # Fri 10, Thu 9, Wed 8, Tue 7, Thu 2
        (D(2026, 6, 22), -1, D(2026, 6, 18)),  # Mon after midsommar -> Thu
        (D(2027, 1, 7), -3, D(2026, 12, 30)),  # [Wed 06] Tue 05, Mon 04, [weekend, 01-01, 12-31], Wed 12-30
        (D(2026, 3, 9), -1, D(2026, 3, 6)),  # Mon -> Fri
    ],
)
def test_negative_working_days_count_backwards(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_the_de_facto_days_off_can_be_switched_off() -> None:
    cal = WorkingCalendar(de_facto_days_off=False)
    for day in (D(2026, 6, 19), D(2026, 12, 24), D(2026, 12, 31)):
        assert cal.is_working_day(day), day
        assert cal.holiday_name(day) is None
    assert not cal.is_working_day(D(2026, 12, 25))  # juldagen is a public holiday either way
    assert cal.add_working_days(D(2026, 6, 18), 1) == D(2026, 6, 19)
    assert cal.add_working_days(D(2026, 12, 23), 1) == D(2026, 12, 24)
    # Wed 12-30 + 2: Thu 31 (1), [Fri 01-01, weekend], Mon 01-04 (2).
    assert cal.add_working_days(D(2026, 12, 30), 2) == D(2027, 1, 4)


def test_extra_days_off_and_extra_working_days() -> None:
    cal = WorkingCalendar(extra_days_off=[D(2026, 5, 15)], extra_working_days=[D(2026, 3, 7)])
    # The squeeze day after Kristi himmelsfärd made a day off: Wed 05-13 + 1 -> Mon 05-18.
    assert cal.add_working_days(D(2026, 5, 13), 1) == D(2026, 5, 18)
    # A Saturday made a working day: Fri 03-06 + 1 -> Sat 03-07.
    assert cal.is_working_day(D(2026, 3, 7))
    assert cal.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 7)
    assert CAL.add_working_days(D(2026, 5, 13), 1) == D(2026, 5, 15)  # the default is unchanged


def test_on_or_before_and_on_or_after() -> None:
    assert CAL.on_or_before(D(2026, 4, 6)) == D(2026, 4, 2)  # Annandag påsk -> skärtorsdagen
    assert CAL.on_or_after(D(2026, 4, 3)) == D(2026, 4, 7)  # Långfredagen -> Tuesday
    assert CAL.on_or_before(D(2026, 12, 26)) == D(2026, 12, 23)
    assert CAL.on_or_after(D(2026, 12, 31)) == D(2027, 1, 4)
    assert CAL.on_or_before(D(2026, 3, 9)) == D(2026, 3, 9)
    assert CAL.on_or_after(D(2026, 3, 9)) == D(2026, 3, 9)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 4, 2), D(2026, 4, 13), 5),
        (D(2026, 12, 23), D(2027, 1, 5), 5),
        (D(2026, 3, 9), D(2026, 3, 9), 0),
        (D(2026, 3, 9), D(2026, 3, 2), 0),  # an end before the start counts nothing
        (D(2026, 3, 6), D(2026, 3, 8), 0),  # Fri -> Sun: the weekend only
        # June 2026: 22 weekdays (Mon 1 .. Tue 30), minus midsommarafton 06-19 (nationaldagen and
        # midsommardagen are Saturdays) = 21; (start, end] leaves out Mon 06-01 itself -> 20.
        (D(2026, 6, 1), D(2026, 6, 30), 20),
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert CAL.working_days_between(start, end) == expected


def _finsam_with(calendar_yaml: str):  # type: ignore[no-untyped-def]
    return definition_from_yaml(FINSAM_PATH.read_text(encoding="utf-8") + "\n" + calendar_yaml)


def test_a_definition_can_add_days_off_that_move_due_dates() -> None:
    definition = _finsam_with("calendar:\n  extra_days_off: [2026-04-02]\n")
    result = decide(definition, None, c.Refer("c1", "af"), at(D(2026, 4, 1)))
    # Referred Wed 04-01, skärtorsdagen made a day off: [Thu 2, Fri 3, weekend, Mon 6], Tue 7 (1),
    # Wed 8, Thu 9, Fri 10, Mon 13 (5) -> Mon 04-13 (Fri 04-10 with the standard calendar).
    assert result.state.tasks["bekrafta_remiss"].due == D(2026, 4, 13)  # type: ignore[union-attr]
    standard = decide(_finsam_with(""), None, c.Refer("c1", "af"), at(D(2026, 4, 1)))
    assert standard.state.tasks["bekrafta_remiss"].due == D(2026, 4, 10)  # type: ignore[union-attr]


def test_a_definition_can_count_the_de_facto_days_off_as_working_days() -> None:
    definition = _finsam_with("calendar:\n  de_facto_days_off: false\n")
    result = decide(definition, None, c.Refer("c1", "af"), at(D(2026, 6, 18)))
    # Referred Thu 06-18 with midsommarafton a working day: Fri 19 (1), Mon 22 .. Thu 25 (5) -> Thu 06-25;
    # with the default it is Mon 22 (1) .. Fri 26 (5) -> Fri 06-26.
    assert result.state.tasks["bekrafta_remiss"].due == D(2026, 6, 25)  # type: ignore[union-attr]
    standard = decide(_finsam_with(""), None, c.Refer("c1", "af"), at(D(2026, 6, 18)))
    assert standard.state.tasks["bekrafta_remiss"].due == D(2026, 6, 26)  # type: ignore[union-attr]


# --- properties -------------------------------------------------------------------------------

DAYS = st.dates(min_value=D(2025, 1, 1), max_value=D(2028, 12, 31))


@settings(max_examples=150, deadline=None)
@given(start=DAYS, n=st.integers(1, 80))
def test_adding_n_working_days_lands_on_a_working_day_n_working_days_later(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert end > start
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(start, end) == n
    # the day before `end` is still short of n
    assert CAL.working_days_between(start, end - timedelta(days=1)) == n - 1


@settings(max_examples=150, deadline=None)
@given(start=DAYS, n=st.integers(1, 80))
def test_counting_back_from_a_working_day_returns_to_it(start: date, n: int) -> None:
    day = CAL.on_or_after(start)
    there = CAL.add_working_days(day, n)
    assert CAL.add_working_days(there, -n) == day
    back = CAL.add_working_days(day, -n)
    assert back < day
    assert CAL.is_working_day(back)
    assert CAL.working_days_between(back, day) == n


@settings(max_examples=100, deadline=None)
@given(start=DAYS, n=st.integers(0, 40), m=st.integers(0, 40))
def test_working_days_add_up(start: date, n: int, m: int) -> None:
    assert CAL.add_working_days(CAL.add_working_days(start, n), m) == CAL.add_working_days(start, n + m)
