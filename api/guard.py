"""Personnummer in a URL: DIGG's profile forbids it (URLs end up in logs)."""

from __future__ import annotations

import re

# A number standing on its own: digits inside a longer token of letters and digits (a case id is 32
# hex characters, and one in a few thousand holds a Luhn-valid run of ten digits) are not one.
_PNR = re.compile(r"(?<![0-9A-Za-z])(?:\d{2})?\d{6}[-+]?\d{4}(?![0-9A-Za-z])")


def looks_like_personnummer(text: str) -> bool:
    """A Luhn-valid 10/12-digit number with a plausible date (or samordningsnummer day+60)."""
    for m in _PNR.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))[-10:]
        month, day = int(digits[2:4]), int(digits[4:6])
        if not 1 <= month <= 12 or not (1 <= day <= 31 or 61 <= day <= 91):
            continue
        total = 0
        for i, ch in enumerate(digits[:9]):
            n = int(ch) * (2 if i % 2 == 0 else 1)
            total += n - 9 if n > 9 else n
        if (10 - total % 10) % 10 == int(digits[9]):
            return True
    return False
