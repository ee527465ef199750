"""Swedish personnummer and samordningsnummer: validate, find in text, mask.

A personnummer is YYMMDD-NNNC (10 digits; `+` instead of `-` from the year a person turns
100) or YYYYMMDDNNNC (12 digits). C is a Luhn check digit over the ten digits YYMMDDNNN.
A samordningsnummer is the same with the day plus 60. Swedish supervisory guidance says
these must not be published on the web, so the public projection masks every one found.

Masked form (a design choice): always ``YYMMDD-****``. The century of a 12-digit form is
dropped, so every masked number has the same shape whatever way it was written; a ``+``
separator is kept because it, like the date, was already visible and it tells 1920 from
2020. Only the four digits NNNC, which identify the person, are hidden.
"""

from __future__ import annotations

import calendar
import re

# Digits not glued to other digits; an optional - or + between date and the last four.
_PATTERN = re.compile(r"(?<![\d])(\d{8}|\d{6})([-+]?)(\d{4})(?![\d])")
_FULL = re.compile(r"(\d{8}|\d{6})([-+]?)(\d{4})")


def _luhn_ok(ten: str) -> bool:
    """True when the last of ten digits is the Luhn check digit of the first nine."""
    total = 0
    for i, ch in enumerate(ten[:9]):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10 == int(ten[9])


def _date_ok(date_part: str) -> bool:
    """True when YYMMDD or YYYYMMDD is a real date, the day possibly plus 60."""
    if len(date_part) == 8:
        century = int(date_part[:2])
        if century not in (18, 19, 20):
            return False
        years = [int(date_part[:4])]
        mmdd = date_part[4:]
    else:
        yy = int(date_part[:2])
        # Without the century either 19yy or 20yy is possible; accept if one fits.
        years = [1900 + yy, 2000 + yy]
        mmdd = date_part[2:]
    month, day = int(mmdd[:2]), int(mmdd[2:])
    if day > 60:
        day -= 60  # samordningsnummer
    if not 1 <= month <= 12 or day < 1:
        return False
    return any(day <= calendar.monthrange(year, month)[1] for year in years)


def _valid_parts(date_part: str, last4: str) -> bool:
    return _date_ok(date_part) and _luhn_ok(date_part[-6:] + last4)


def is_valid(text: str) -> bool:
    """True when `text` (surrounding space ignored) is one valid personnummer or
    samordningsnummer: 10 or 12 digits, optional -/+, a plausible date, Luhn check digit."""
    match = _FULL.fullmatch(text.strip())
    return match is not None and _valid_parts(match.group(1), match.group(3))


def find(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the valid personnummer/samordningsnummer in `text`, in order.

    Digit runs that fail the date or the check digit (invoice numbers, phone numbers) are
    not returned.
    """
    return [
        m.span()
        for m in _PATTERN.finditer(text)
        if _valid_parts(m.group(1), m.group(3))
    ]


def mask(text: str) -> str:
    """`text` with each valid personnummer replaced by ``YYMMDD-****`` (``+`` kept).

    Returns the text unchanged when it holds none.
    """
    if not text:
        return text

    def replace(m: re.Match[str]) -> str:
        if not _valid_parts(m.group(1), m.group(3)):
            return m.group(0)
        sep = "+" if m.group(2) == "+" else "-"
        return f"{m.group(1)[-6:]}{sep}****"

    return _PATTERN.sub(replace, text)
