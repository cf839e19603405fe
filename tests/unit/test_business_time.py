"""Office hours: e-mail goes out 07:00-17:00 Swedish time on working days only."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from engine.core.business_time import OfficeHours, next_send_time

TZ = ZoneInfo("Europe/Stockholm")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_inside_office_hours_sends_at_once() -> None:
    at = local(2026, 3, 10, 9, 30)
    assert next_send_time(at) == at.astimezone(UTC)


def test_timer_at_six_waits_for_seven_the_same_day() -> None:
    assert next_send_time(local(2026, 3, 10, 6, 0)) == local(2026, 3, 10, 7, 0).astimezone(UTC)


def test_after_closing_waits_for_next_working_morning() -> None:
    assert next_send_time(local(2026, 3, 13, 17, 0)) == local(2026, 3, 16, 7, 0).astimezone(UTC)  # fri → mon


def test_easter_is_skipped() -> None:
    # Långfredag 3 april 2026 to annandag påsk 6 april: next morning is tisdag 7 april.
    assert next_send_time(local(2026, 4, 2, 18, 0)) == local(2026, 4, 7, 7, 0).astimezone(UTC)


def test_midsommarafton_and_christmas_are_days_off() -> None:
    assert next_send_time(local(2026, 6, 19, 8, 0)) == local(2026, 6, 22, 7, 0).astimezone(UTC)
    assert next_send_time(local(2026, 12, 23, 17, 30)) == local(2026, 12, 28, 7, 0).astimezone(UTC)


def test_daylight_saving_change_keeps_local_opening_time() -> None:
    sent = next_send_time(local(2026, 3, 28, 12, 0))  # saturday before summer time starts
    assert sent.astimezone(TZ).time() == time(7, 0)
    assert sent == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)


def test_configurable_hours() -> None:
    hours = OfficeHours(opens=time(8, 0), closes=time(16, 0))
    assert hours.next_send_time(local(2026, 3, 10, 7, 30)) == local(2026, 3, 10, 8, 0).astimezone(UTC)
    with pytest.raises(ValueError, match="open before"):
        OfficeHours(opens=time(17, 0), closes=time(7, 0))


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_send_time(datetime(2026, 3, 10, 9, 0))  # noqa: DTZ001
