"""The field types every request model uses (issue 13): text that refuses control characters and
a date that is a `YYYY-MM-DD` string and nothing else.

One definition each, so a new field cannot forget the rule: PostgreSQL refuses NUL in text (a 500
before this), a lone surrogate cannot be encoded as UTF-8, and pydantic's lax date turns `0` and
`"0"` into 1970-01-01.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, WithJsonSchema

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_FREE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OTHER_DATE_NOTATION = re.compile(r"\d{8}|\d{4}-?W\d{2}(-?\d)?")


def no_control_characters(value: str) -> str:
    """Single-line text: no C0 control characters (NUL, tab, newline …), no DEL, no lone surrogates."""
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("får inte innehålla styrtecken / must not contain control characters")
    return value


def no_control_characters_but_lines(value: str) -> str:
    """Free text: tab, newline and carriage return are fine; other control characters are not."""
    if _CONTROL_FREE.search(value):
        raise ValueError("får inte innehålla styrtecken (NUL m.fl.) / must not contain control characters")
    return value


def iso_date(value: Any) -> date:
    """RFC 3339 full-date: a `YYYY-MM-DD` string (or a `date` from Python callers), nothing else."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("ett datum skrivs ÅÅÅÅ-MM-DD / a date is a YYYY-MM-DD string")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("datumet finns inte / no such date") from None


def not_another_date_notation(value: str) -> str:
    """A free value (a fact's) written as a date in another ISO 8601 notation (`20261124`,
    `2026-W48-2`) is refused: the core would read it as a date, and dates are `YYYY-MM-DD`."""
    if _OTHER_DATE_NOTATION.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return value
        raise ValueError("ett datum skrivs ÅÅÅÅ-MM-DD / a date is a YYYY-MM-DD string")
    return value


def fact_value(value: Any) -> date | bool | int | float | str | None:
    """A fact's value: a date (`YYYY-MM-DD`), a boolean, a number or free text; which one the
    fact takes is the definition's to say (the core checks). One validator, so an error names
    `value` and not pydantic's union branches."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if not isinstance(value, str):
        raise ValueError("ett datum, sant/falskt, ett tal eller en text / a date, boolean, number or text")
    if _ISO_DATE.fullmatch(value):
        return iso_date(value)
    if len(value) > 2000:
        raise ValueError("högst 2000 tecken / at most 2000 characters")
    return not_another_date_notation(no_control_characters_but_lines(value))


StrictDate = Annotated[date, BeforeValidator(iso_date)]
"""Every date field of every request model."""

Line = Annotated[str, AfterValidator(no_control_characters)]
"""Single-line text: names, channels, codes, ids."""
FreeText = Annotated[str, AfterValidator(no_control_characters_but_lines)]
"""Multi-line text: notes, reasons, comments."""

Text = Annotated[FreeText, Field(max_length=2000)]
RequiredText = Annotated[FreeText, Field(min_length=1, max_length=2000)]
ShortText = Annotated[Line, Field(min_length=1, max_length=200)]
Code = Annotated[Line, Field(min_length=1, max_length=100)]
FactValue = Annotated[
    date | bool | int | float | str | None,
    PlainValidator(fact_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "boolean"},
                {"type": "number"},
                {"type": "string", "maxLength": 2000},
                {"type": "null"},
            ]
        }
    ),
]
QueryText = Annotated[str, AfterValidator(no_control_characters)]
"""Query parameters and headers that reach the database (filters, Idempotency-Key)."""
