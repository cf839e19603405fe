from datetime import date

import pytest

from engine.core.identity import PersonnummerError, parse_personnummer

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("19811218-9876", "198112189876"),
        ("198112189876", "198112189876"),
        ("811218-9876", "198112189876"),
        ("8112189876", "198112189876"),
    ],
)
def test_ten_and_twelve_digit_forms_normalise_to_twelve_digits(text: str, number: str) -> None:
    pid = parse_personnummer(text, TODAY)
    assert pid.number == number
    assert pid.birth_date == date(1981, 12, 18)
    assert pid.gender == "man"
    assert not pid.coordination
    assert pid.masked() == "19811218-****"


def test_plus_separator_means_a_hundred_years_or_older() -> None:
    assert parse_personnummer("811218+9876", TODAY).birth_date == date(1881, 12, 18)


def test_ten_digits_take_the_century_from_today_not_the_clock() -> None:
    # 12-05-14 was 2012 when read in 2026, but 1912 when read in 2011.
    assert parse_personnummer("120514-9873", date(2026, 1, 1)).birth_date.year == 2012
    assert parse_personnummer("120514-9873", date(2011, 1, 1)).birth_date.year == 1912


def test_samordningsnummer_day_plus_sixty_is_accepted() -> None:
    pid = parse_personnummer("19701063-2391", TODAY)
    assert pid.coordination
    assert pid.birth_date == date(1970, 10, 3)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("19811218-9877", "kontrollsiffran"),
        ("19811318-9876", "kontrollsiffran eller datumet"),
        ("abc", "inte ett personnummer"),
        ("1981 12 18-9876", "inte ett personnummer"),
        ("19811218-98T6", "inte ett personnummer"),
    ],
)
def test_invalid_numbers_get_a_swedish_message_saying_why(text: str, fragment: str) -> None:
    with pytest.raises(PersonnummerError, match=fragment):
        parse_personnummer(text, TODAY)


def test_a_birth_date_after_today_is_rejected() -> None:
    with pytest.raises(PersonnummerError, match="framtiden"):
        parse_personnummer("20261218-1236", TODAY)


def test_women_have_an_even_second_to_last_digit() -> None:
    assert parse_personnummer("19900101-0017", TODAY).gender == "man"
    assert parse_personnummer("19900101-0025", TODAY).gender == "kvinna"
