"""Personnummer and samordningsnummer: validation, finding in text, masking."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diarium import personnummer


def _check_digit(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def make(yymmdd: str, nnn: str = "123") -> str:
    """A valid 10-digit personnummer for a date part (computed check digit)."""
    return yymmdd + nnn + _check_digit(yymmdd + nnn)


# Known valid test numbers (Skatteverket's published test series style).
VALID = [
    "811218-9876",
    "8112189876",
    "19811218-9876",
    "198112189876",
    "121212-1212",
    "19121212+1212",
    "121212+1212",
    "701063-2391",          # samordningsnummer: day 03 + 60
    "20000229-" + make("000229")[6:],  # leap day 2000
]

INVALID = [
    "811218-9877",          # wrong check digit
    "811318-9876",          # month 13
    "810230-" + make("810230")[6:],  # 30 February
    "811200-" + make("811200")[6:],  # day 0
    "17811218-9876",        # century 17
    "81121-89876",          # digits in the wrong places
    "2023-05-12",
    "",
    "abcdef-ghij",
]


@pytest.mark.parametrize("text", VALID)
def test_valid(text: str) -> None:
    assert personnummer.is_valid(text)


@pytest.mark.parametrize("text", INVALID)
def test_invalid(text: str) -> None:
    assert not personnummer.is_valid(text)


def test_find_returns_spans_of_valid_numbers_only() -> None:
    text = "Sökande 811218-9876, faktura 811218-9877, tel 0701234567, 198112189876."
    spans = personnummer.find(text)
    assert [text[a:b] for a, b in spans] == ["811218-9876", "198112189876"]


def test_find_does_not_cut_longer_digit_runs() -> None:
    # 13 digits: not a personnummer even though a valid one sits inside.
    assert personnummer.find("1198112189876") == []
    assert personnummer.find("811218-98761") == []


def test_mask_keeps_date_drops_century_keeps_plus() -> None:
    text = "A 811218-9876, B 19811218-9876, C 121212+1212, D 811218-9877."
    assert personnummer.mask(text) == (
        "A 811218-****, B 811218-****, C 121212+****, D 811218-9877."
    )


def test_mask_of_text_without_numbers_is_unchanged() -> None:
    assert personnummer.mask("Bygglov för Storgatan 12, dnr 2023/123") == (
        "Bygglov för Storgatan 12, dnr 2023/123"
    )
    assert personnummer.mask("") == ""


@given(
    st.dates(date(1800, 1, 1), date(2099, 12, 31)),
    st.integers(0, 999),
    st.sampled_from(["-", "", "+"]),
    st.booleans(),
    st.booleans(),
)
def test_every_generated_number_is_found_and_masked(
    day, serial, sep, twelve, samordning
) -> None:
    dd = day.day + 60 if samordning else day.day
    yymmdd = f"{day.year % 100:02d}{day.month:02d}{dd:02d}"
    ten = make(yymmdd, f"{serial:03d}")
    written = (f"{day.year // 100}" if twelve else "") + ten[:6] + sep + ten[6:]
    assert personnummer.is_valid(written)
    masked = personnummer.mask(f"x {written} y")
    assert masked == f"x {ten[:6]}{'+' if sep == '+' else '-'}**** y"
