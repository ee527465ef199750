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


# ---------------------------------------------------------------------------------------
# Written forms beyond -, + and nothing (issue 13)

TEN = make("850709", "123")           # a person born 1985-07-09
HEAD, TAIL = TEN[:6], TEN[6:]
SPACED_FORMS = [
    f"{HEAD} {TAIL}",                 # date, space, last four
    f"{HEAD} - {TAIL}",
    f"{HEAD} -{TAIL}",
    f"{HEAD}- {TAIL}",
    f"19{HEAD} {TAIL}",
    f"19{HEAD} - {TAIL}",
    f"{HEAD}\u2013{TAIL}",            # en dash, as a word processor writes it
    f"{HEAD}\u2011{TAIL}",            # non-breaking hyphen
    f"{HEAD}\u2212{TAIL}",            # minus sign
    f"{HEAD}\u00a0{TAIL}",            # no-break space
    f"{HEAD}  {TAIL}",                # two spaces (justified text)
    f"{HEAD}\t{TAIL}",                # a table cell boundary in extracted text
    f"{HEAD}-\n{TAIL}",               # a line break after the dash
    f"{HEAD}\n{TAIL}",                # a line break instead of the dash
    f"{HEAD}\r\n- {TAIL}",
    f"19{HEAD}-\n{TAIL}",
    f"{HEAD} + {TAIL}",
]


@pytest.mark.parametrize("written", SPACED_FORMS)
def test_spaced_and_broken_forms_are_found_and_masked(written: str) -> None:
    assert personnummer.is_valid(written)
    text = f"Sökande: {written}, Storgatan 1"
    assert [text[a:b] for a, b in personnummer.find(text)] == [written]
    sep = "+" if "+" in written else "-"
    assert personnummer.mask(text) == f"Sökande: {HEAD}{sep}****, Storgatan 1"


LOOK_ALIKES = [
    "556036-0793",                    # organisation number: month 60 is no date
    "556036 0793",
    "16556036-0793",
    "2120001234", "212000-1234",      # a municipality's organisation number: month 20
    "070-123 45 67", "0701234567 8", "+46 70 123 45 67", "08-123 456 78",
    "2023-05-12", "12 maj 2023", "20230512",
    "KS 2019/0123", "2015000123", "BYGG 2024-000123",
    f"{HEAD} {TAIL[:3]}{(int(TAIL[3]) + 1) % 10}",   # check digit wrong, spaced
    f"{HEAD}\n\n{TAIL}",              # a paragraph between: two separate numbers
    f"{HEAD} 12 34",                  # the last four grouped: not caught (README)
    f"Faktura 1{HEAD} {TAIL}",        # seven digits before the space
    f"{HEAD} {TAIL}0",                # five digits after the space
    "123 45 Stockholm",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_numbers_that_only_look_alike_stay(text: str) -> None:
    assert personnummer.find(text) == []
    assert personnummer.mask(text) == text


def test_explain_and_count() -> None:
    text = f"A {HEAD} {TAIL}, B 701063-2391, C 556036-0793"
    found = personnummer.explain(text)
    assert [(f.written, f.masked, f.samordningsnummer) for f in found] == [
        (f"{HEAD} {TAIL}", f"{HEAD}-****", False), ("701063-2391", "701063-****", True)]
    assert personnummer.mask_count(text) == (f"A {HEAD}-****, B 701063-****, C 556036-0793", 2)
    assert personnummer.mask_count("") == ("", 0)


def test_the_scan_finds_what_its_plain_pattern_finds() -> None:
    """The digit-first pattern (personnummer._PATTERN) gives the spans and parts of its
    plain form, a look-behind first (as documented beside it), on random digit text."""
    import random
    import re

    plain = re.compile(rf"(?<!\d)(\d{{8}}|\d{{6}})({personnummer._GAP})(\d{{4}})(?!\d)")
    rng = random.Random(7)
    alphabet = "01234567890123456789 -+\n\t\u2013\u00a0a"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
             for _ in range(20000)]
    texts += ["850709-1234", "x8507091234", "198507091234", "1198507091234", "850709 -\n1234"]
    for text in texts:
        assert [(m.span(), m.groups()) for m in personnummer._PATTERN.finditer(text)] == \
            [(m.span(), m.groups()) for m in plain.finditer(text)], text
