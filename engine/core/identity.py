"""Personnummer and samordningsnummer, validated with the `personnummer` package.

For a 10-digit number the century depends on the date it is read: the package would read the
clock, so we decide the century ourselves from the `today` the caller passes (a `+` separator
means the person is 100 or older) and hand the package all 12 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from personnummer import personnummer as _pnr

_TEN = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$")
_TWELVE = re.compile(r"^(\d{4})(\d{2})(\d{2})-?(\d{4})$")


class PersonnummerError(ValueError):
    """A personnummer that cannot be used; the message is Swedish and says why."""


@dataclass(frozen=True, slots=True)
class PersonId:
    number: str
    """12 digits, YYYYMMDDNNNN."""
    coordination: bool
    birth_date: date
    gender: str  # kvinna | man

    @property
    def birth_year(self) -> int:
        return self.birth_date.year

    def masked(self) -> str:
        """For display where the full number is not needed: 19811218-****."""
        return f"{self.number[:8]}-****"


def parse_personnummer(text: str, today: date) -> PersonId:
    s = text.strip()
    twelve = _to_twelve(s, today)
    try:
        pnr = _pnr.parse(twelve)
    except _pnr.PersonnummerParseException:
        raise PersonnummerError(f"'{text}' är inte ett personnummer (ÅÅÅÅMMDD-NNNN)") from None
    except _pnr.PersonnummerInvalidException:
        raise PersonnummerError(
            "ogiltigt personnummer: kontrollsiffran eller datumet stämmer inte "
            "(samordningsnummer har dag + 60)"
        ) from None
    born = pnr.get_date()
    if born > today:
        raise PersonnummerError("ogiltigt personnummer: födelsedatumet ligger i framtiden")
    return PersonId(
        number=pnr.format(True).replace("-", "").replace("+", ""),
        coordination=pnr.is_coordination_number(),
        birth_date=born,
        gender="kvinna" if pnr.is_female() else "man",
    )


def _to_twelve(s: str, today: date) -> str:
    m = _TWELVE.match(s)
    if m:
        return "".join(m.groups())
    m = _TEN.match(s)
    if not m:
        raise PersonnummerError(f"'{s}' är inte ett personnummer: skriv 12 siffror, ÅÅÅÅMMDD-NNNN")
    yy, mm, dd, sep, tail = m.groups()
    year = today.year - (today.year - int(yy)) % 100
    day = int(dd) - 60 if int(dd) > 60 else int(dd)
    try:
        if date(year, int(mm), day) > today:
            year -= 100
    except ValueError:
        pass  # an impossible date is reported by the package below
    if sep == "+":
        year -= 100
    return f"{year:04d}{mm}{dd}{tail}"
