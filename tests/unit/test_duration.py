"""Durations as a förbund admin writes them: parsing, Swedish errors, singular/plural, arithmetic."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.core.calendar import WorkingCalendar
from engine.core.definition import Task
from engine.core.duration import DURATION_PATTERN, Duration, DurationError, Unit, add_months

D = date
CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("5 arbetsdagar", 5, Unit.WORKING_DAYS),
        ("1 arbetsdag", 1, Unit.WORKING_DAYS),
        ("14 dagar", 14, Unit.DAYS),
        ("1 dag", 1, Unit.DAYS),
        ("3 kalenderdagar", 3, Unit.DAYS),
        ("1 kalenderdag", 1, Unit.DAYS),
        ("1 vecka", 1, Unit.WEEKS),
        ("6 veckor", 6, Unit.WEEKS),
        ("1 månad", 1, Unit.MONTHS),
        ("3 månader", 3, Unit.MONTHS),
        ("18 månader", 18, Unit.MONTHS),
        ("  5   arbetsdagar  ", 5, Unit.WORKING_DAYS),
        ("5 Arbetsdagar", 5, Unit.WORKING_DAYS),
        ("2 VECKOR", 2, Unit.WEEKS),
        ("0 dagar", 0, Unit.DAYS),
    ],
)
def test_parse_the_ways_an_admin_writes_a_duration(text: str, amount: int, unit: Unit) -> None:
    assert Duration.parse(text) == Duration(amount, unit)


@pytest.mark.parametrize(
    "text", ["fem dagar", "5", "dagar", "5dagar", "", "   ", "-5 dagar", "5 dagar extra", "5,5 dagar"]
)
def test_a_malformed_duration_is_explained_in_swedish(text: str) -> None:
    with pytest.raises(DurationError) as err:
        Duration.parse(text)
    message = str(err.value)
    assert f"'{text}' är ingen giltig tidsangivelse" in message
    assert "t.ex. '5 arbetsdagar'" in message


@pytest.mark.parametrize(("text", "word"), [("5 timmar", "timmar"), ("3 months", "months"), ("2 år", "år")])
def test_an_unknown_unit_is_named_in_the_error(text: str, word: str) -> None:
    with pytest.raises(DurationError, match=f"okänd enhet '{word}' i '{text}'; använd arbetsdagar, dagar, veckor"):
        Duration.parse(text)


def test_duration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the type itself is the point
        Duration.parse("snart")


def test_a_bad_duration_in_a_definition_is_reported_in_swedish() -> None:
    with pytest.raises(ValidationError) as err:
        Task(id="t", label="T", responsible="af", due="fem dagar")  # type: ignore[arg-type]
    assert "'fem dagar' är ingen giltig tidsangivelse" in str(err.value)
    with pytest.raises(ValidationError, match="skrivs som text"):
        Task(id="t", label="T", responsible="af", due=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(1, Unit.WORKING_DAYS), "1 arbetsdag"),
        (Duration(5, Unit.WORKING_DAYS), "5 arbetsdagar"),
        (Duration(1, Unit.DAYS), "1 dag"),
        (Duration(14, Unit.DAYS), "14 dagar"),
        (Duration(0, Unit.DAYS), "0 dagar"),
        (Duration(1, Unit.WEEKS), "1 vecka"),
        (Duration(6, Unit.WEEKS), "6 veckor"),
        (Duration(1, Unit.MONTHS), "1 månad"),
        (Duration(12, Unit.MONTHS), "12 månader"),
    ],
)
def test_singular_and_plural_forms(duration: Duration, text: str) -> None:
    assert str(duration) == text


def test_kalenderdagar_is_written_back_as_dagar() -> None:
    assert str(Duration.parse("3 kalenderdagar")) == "3 dagar"


@settings(max_examples=100, deadline=None)
@given(amount=st.integers(0, 999), unit=st.sampled_from(list(Unit)))
def test_a_duration_round_trips_through_its_text(amount: int, unit: Unit) -> None:
    duration = Duration(amount, unit)
    assert Duration.parse(str(duration)) == duration
    assert re.match(DURATION_PATTERN, str(duration))


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet="0123456789 abdegikl-nr-våä", max_size=20))
def test_the_schema_pattern_and_the_parser_agree(text: str) -> None:
    """An editor validating with the JSON Schema accepts exactly what the engine accepts (lower case)."""
    try:
        Duration.parse(text)
        parsed = True
    except DurationError:
        parsed = False
    assert parsed == bool(re.match(DURATION_PATTERN, text))


# --- arithmetic -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "after", "before"),
    [
        # Thu 2026-04-02: 5 arbetsdagar after skip Easter (Tue 7 .. Mon 13); before: Wed 1, Tue 31,
        # Mon 30, Fri 27, Thu 26 -> 03-26.
        ("5 arbetsdagar", D(2026, 4, 2), D(2026, 4, 13), D(2026, 3, 26)),
        ("14 dagar", D(2026, 4, 2), D(2026, 4, 16), D(2026, 3, 19)),
        ("6 veckor", D(2026, 4, 23), D(2026, 6, 4), D(2026, 3, 12)),
        ("3 månader", D(2026, 7, 6), D(2026, 10, 6), D(2026, 4, 6)),
        ("1 månad", D(2026, 3, 31), D(2026, 4, 30), D(2026, 2, 28)),
    ],
)
def test_after_and_before(text: str, start: date, after: date, before: date) -> None:
    duration = Duration.parse(text)
    assert duration.after(start, CAL) == after
    assert duration.before(start, CAL) == before


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 8, 31), 3, D(2026, 11, 30)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 10, 31), 18, D(2028, 4, 30)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2026, 5, 30), 9, D(2027, 2, 28)),
        (D(2026, 5, 29), 21, D(2028, 2, 29)),
        (D(2026, 6, 15), 0, D(2026, 6, 15)),
        # backwards
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 1, 15), -1, D(2025, 12, 15)),
        (D(2026, 5, 31), -3, D(2026, 2, 28)),
        (D(2027, 1, 31), -12, D(2026, 1, 31)),
    ],
)
def test_add_months_clamps_to_the_end_of_a_shorter_month(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@settings(max_examples=150, deadline=None)
@given(start=st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)), months=st.integers(-120, 120))
def test_add_months_keeps_the_day_unless_the_month_is_too_short(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    if result.day < start.day:  # clamped: it is the last day of its month
        assert date.fromordinal(result.toordinal() + 1).day == 1


def test_approximate_lengths_compare_units() -> None:
    assert Duration.parse("10 arbetsdagar").approx_days() == pytest.approx(14)
    assert Duration.parse("1 månad").approx_days() > Duration.parse("4 veckor").approx_days()
    assert Duration.parse("3 månader").approx_days() < Duration.parse("14 veckor").approx_days()
