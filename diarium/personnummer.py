"""Swedish personnummer and samordningsnummer: validate, find in text, mask.

A personnummer is YYMMDD-NNNC (10 digits; `+` instead of `-` from the year a person turns
100) or YYYYMMDDNNNC (12 digits). C is a Luhn check digit over the ten digits YYMMDDNNN.
A samordningsnummer is the same with the day plus 60. Swedish supervisory guidance says
these must not be published on the web, so the public projection masks every one found.

Written forms recognised (date part of 6 or 8 digits, then the last four):

- nothing between the parts: ``8507091234``, ``198507091234``;
- ``-`` or ``+``, also a dash a word processor typed (en dash, non-breaking hyphen, minus):
  ``850709-1234``, ``19850709-1234``, ``121212+1212``;
- white space instead, or around the dash: ``850709 1234``, ``850709 - 1234``,
  ``19850709 1234`` (spaces, tabs, no-break spaces);
- at most one line break in that gap, as extracted or OCR text breaks a line:
  ``850709-\\n1234``.

Not recognised (see README "Privacy"): digits grouped inside the date (``85 07 09-1234``)
or inside the last four (``850709-12 34``), or a number written out in words.

Digit runs next to other digits are never taken apart (``1198507091234`` is 13 digits),
and a candidate must be a real date (day plus 60 allowed) with a valid check digit, so
organisation numbers (``556036-0793``: month 60), phone numbers, dates, case numbers
and most invoice numbers stay as they are. A date followed by four digits whose check
digit happens to fit (one in ten) is masked: the safe side.

Masked form (a design choice): always ``YYMMDD-****``. The century of a 12-digit form is
dropped, so every masked number has the same shape whatever way it was written; a ``+``
separator is kept because it, like the date, was already visible and it tells 1920 from
2020. Only the four digits NNNC, which identify the person, are hidden.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

# Horizontal white space in a gap (space, tab, no-break and narrow no-break space).
_H = r"[ \t\u00a0\u202f]"
# Dashes a writer or a word processor puts between date and number: hyphen-minus,
# hyphen, non-breaking hyphen, figure dash, en dash, minus sign.
_DASHES = "-\u2010\u2011\u2012\u2013\u2212"
# The gap between the parts: optional white space with at most one line break, an
# optional dash or plus, optional white space (again at most one line break).
_GAP = rf"{_H}*(?:\r?\n{_H}*)?(?:[{_DASHES}+]{_H}*(?:\r?\n{_H}*)?)?"
# Digits not glued to other digits.
# The first digit before the look-behind that no digit precedes it: the matches of
#   (?<!\d)(\d{8}|\d{6})(GAP)(\d{4})(?!\d)
# but the engine skips to the next digit instead of trying the look-behind at every
# character (a fifth of the time on the real corpus; tests/test_personnummer.py).
_PATTERN = re.compile(rf"(\d(?<!\d\d)(?:\d{{7}}|\d{{5}}))({_GAP})(\d{{4}})(?!\d)")
_FULL = re.compile(rf"(\d{{8}}|\d{{6}})({_GAP})(\d{{4}})")


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


def _masked(m: re.Match[str]) -> str:
    sep = "+" if "+" in m.group(2) else "-"
    return f"{m.group(1)[-6:]}{sep}****"


def is_valid(text: str) -> bool:
    """True when `text` (surrounding space ignored) is one valid personnummer or
    samordningsnummer in one of the written forms of the module doc."""
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


@dataclass(frozen=True)
class Found:
    """One personnummer found in a text: where, as written, and as it would be shown."""

    start: int
    end: int
    written: str
    masked: str
    samordningsnummer: bool


def explain(text: str) -> list[Found]:
    """Every valid personnummer/samordningsnummer in `text` with its masked form, in
    order (for `diarium privacy check`)."""
    out = []
    for m in _PATTERN.finditer(text):
        if _valid_parts(m.group(1), m.group(3)):
            out.append(Found(m.start(), m.end(), m.group(0), _masked(m),
                             int(m.group(1)[-2:]) > 60))
    return out


def mask_count(text: str) -> tuple[str, int]:
    """`text` with each valid personnummer replaced by ``YYMMDD-****`` (``+`` kept), and
    how many were replaced. Returns the text unchanged (and 0) when it holds none."""
    if not text:
        return text, 0
    count = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal count
        if not _valid_parts(m.group(1), m.group(3)):
            return m.group(0)
        count += 1
        return _masked(m)

    masked = _PATTERN.sub(replace, text)
    return masked, count


def mask(text: str) -> str:
    """`text` with each valid personnummer replaced by ``YYMMDD-****`` (``+`` kept).

    Returns the text unchanged when it holds none.
    """
    return mask_count(text)[0]
