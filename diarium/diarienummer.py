"""Diarienummer (case numbers): read any written form into a canonical key and back.

Rules (DOMAIN.md, "Diarienummer formats seen in the wild"):

1. Unicode NFC, trim, upper-case; Å/Ä/Ö are kept (prefixes such as ``RÄN`` exist).
2. A leading ``DNR``, ``DIARIENR``, ``DIARIENUMMER``, ``ÄRENDENR`` (and a colon) is dropped.
3. Space, ``/``, ``-``, ``.``, ``_`` and ``:`` separate groups; letters glued to digits
   (``LD11``, ``M2011``) are split too. The shape is: letter prefix, number groups,
   optional trailing letters (a unit code such as ``/Ma``, kept only in `written`).
4. The year is a 4-digit group 1900-2099. A 2-digit year is read only when the
   organisation's settings say so (``two_digit_years``); 00-69 mean 2000-2069 and 70-99
   mean 1970-1999 (a fixed pivot, so the same text always gives the same key).
5. The serial is an integer: leading zeros are dropped.
6. A group after year and serial is a document number within the case (not in the key).
7. Number groups before the serial (``401-790-18``) belong to the series: they join the
   prefix.
8. When more than one group could be the year, the organisation's order decides
   (``year/serial`` by default, ``serial/year`` for diaries such as Helsingborg's).
9. A date (``2023-05-12``) or a valid personnummer is never a case number.
10. Three number groups with the year in the middle and no letter prefix are
    serial-year-document (``5531-2026-2``, as länsstyrelserna write them).
11. Unit codes after the serial (``UD2019/19692/GA``, ``A2014/2289/DISK``) are kept only in
    `written`, as a trailing ``/Ma`` is.

Identifiers that are not diarienummer (an opaque system id, ``SOU 2011:8``) are read by
`identifier()`: kept as written, with the key ``#`` + their canonical spelling (upper case,
separators as ``-``, leading zeros dropped), so that they are found as written and in their
obvious variants.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from diarium import personnummer
from diarium.errors import InvalidDiarienummer

if TYPE_CHECKING:
    from diarium.config import OrgSettings

ORDERS = ("year/serial", "serial/year")

_LEAD = re.compile(
    r"^(?:DNR|DIARIENR|DIARIENUMMER|DIARIE-NR|ÄRENDENR|ÄRENDENUMMER|ÄRENDE-NR|ÄRENDE)"
    r"(?:[.:\s]+|(?=\d)|$)"  # a whole word: "DNRA 2023/1" keeps its prefix DNRA
)
_SEPARATORS = re.compile(r"[\s/\-._:]+")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
# Shapes that are dates, never case numbers (ISO, dotted, day/month/year, compact).
_DATE_SHAPES = (
    re.compile(r"(\d{4})[-.](\d{1,2})[-.](\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_DMY = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})")
_MAX_SERIAL_DIGITS = 8


@dataclass(frozen=True)
class Diarienummer:
    """A parsed diarienummer. `written` is the string as it came (trimmed)."""

    prefix: str
    year: int
    serial: int
    doc: int | None
    written: str
    # An identifier that is not a diarienummer: `prefix` holds its canonical spelling.
    opaque: bool = False

    @property
    def key(self) -> str:
        """The canonical case key "PREFIX|YEAR|SERIAL" (prefix "" when none); for an opaque
        identifier "#" + its canonical spelling (no "|")."""
        if self.opaque:
            return f"#{self.prefix}"
        return f"{self.prefix}|{self.year}|{self.serial}"

    @property
    def year_serial(self) -> str:
        """"YEAR|SERIAL": matches the case in every series (a number typed without prefix);
        the key itself for an opaque identifier."""
        if self.opaque:
            return self.key
        return f"{self.year}|{self.serial}"

    def format(self, order: str = "year/serial") -> str:
        """A tidy written form, e.g. "KS 2023/123", "47/2017", "KS 2023/123:4" with a doc.

        Raises ValueError for an unknown order.
        """
        if self.opaque:
            return self.written
        if order == "year/serial":
            core = f"{self.year}/{self.serial}"
        elif order == "serial/year":
            core = f"{self.serial}/{self.year}"
        else:
            raise ValueError(f"unknown order {order!r}: use one of {ORDERS}")
        if self.doc is not None:
            core += f":{self.doc}"
        return f"{self.prefix} {core}" if self.prefix else core


def _normalize(text: str) -> str:
    cleaned = unicodedata.normalize("NFC", text).strip().upper()
    cleaned = _LEAD.sub("", cleaned, count=1)
    return cleaned.strip(" :.\t")


def _is_date(text: str) -> bool:
    candidates: list[tuple[int, int, int]] = []
    for shape in _DATE_SHAPES:
        m = shape.fullmatch(text)
        if m:
            candidates.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
    m = _DMY.fullmatch(text)
    if m:
        candidates.append((int(m.group(3)), int(m.group(2)), int(m.group(1))))
    for y, mo, d in candidates:
        try:
            date(y, mo, d)
        except ValueError:
            continue
        return True
    return False


def _two_digit_year(yy: int) -> int:
    return 2000 + yy if yy < 70 else 1900 + yy


def parse(text: str, org: OrgSettings | None = None) -> Diarienummer:
    """Read a written diarienummer with the organisation's conventions (defaults: order
    year/serial, no two-digit years). Returns a Diarienummer.

    Raises InvalidDiarienummer saying why when the text is not a case number.
    """
    written = unicodedata.normalize("NFC", str(text)).strip()
    if not written:
        raise InvalidDiarienummer("empty diarienummer")
    serial_first = org is not None and org.serial_first
    two_digit = org is not None and org.two_digit_years
    body = _normalize(written)
    if not body:
        raise InvalidDiarienummer(f"{written!r} has no number")
    if _is_date(body):
        raise InvalidDiarienummer(f"{written!r} is a date, not a diarienummer")
    if personnummer.is_valid(body):
        raise InvalidDiarienummer(f"{written!r} is a personnummer, not a diarienummer")

    parts = _SEPARATORS.split(body)
    tokens = [tok for part in parts for tok in _TOKEN.findall(part)]
    if "".join(tokens) != "".join(parts):
        raise InvalidDiarienummer(f"{written!r} holds characters a diarienummer never has")
    i = 0
    letters: list[str] = []
    while i < len(tokens) and not tokens[i].isdigit():
        letters.append(tokens[i])
        i += 1
    numbers: list[str] = []
    while i < len(tokens) and tokens[i].isdigit():
        numbers.append(tokens[i])
        i += 1
    # Whatever follows must be letters only (a unit code such as "/Ma").
    if any(tok.isdigit() for tok in tokens[i:]):
        raise InvalidDiarienummer(f"{written!r}: letters between the numbers")
    if not numbers:
        raise InvalidDiarienummer(f"{written!r} has no number")
    if len(numbers) > 4:
        raise InvalidDiarienummer(f"{written!r} has too many number groups")

    if len(numbers) == 1:
        raw = numbers[0]
        # One system stores "TN 2015-123" as 2015000123: a year and a zero-padded serial.
        if len(raw) == 10 and 1900 <= int(raw[:4]) <= 2099 and raw[4] == "0" and int(raw[4:]):
            return Diarienummer(" ".join(letters), int(raw[:4]), int(raw[4:]), None, written)
        # Regeringskansliet writes M2020/01133 also as M202001133: a department code, the
        # year and a five-digit serial.
        if letters and len(raw) == 9 and 1900 <= int(raw[:4]) <= 2099 and int(raw[4:]):
            return Diarienummer(" ".join(letters), int(raw[:4]), int(raw[4:]), None, written)
        raise InvalidDiarienummer(f"{written!r} needs both a year and a serial number")

    year_at = _find_year(numbers, serial_first, two_digit)
    if year_at is None:
        hint = "" if two_digit else " (two-digit years are off for this organisation)"
        raise InvalidDiarienummer(f"{written!r} has no year 1900-2099{hint}")
    year_text = numbers[year_at]
    year = int(year_text) if len(year_text) == 4 else _two_digit_year(int(year_text))
    if _serial_after(numbers, year_at, serial_first):
        serial_at = year_at + 1
        before = numbers[:year_at]
    else:
        serial_at = year_at - 1
        before = numbers[:serial_at]
    if (not letters and not serial_first and len(numbers) == 3 and year_at == 1
            and not _is_year4(numbers[0])):
        # 5531-2026-2: serial, year, document (a number series before year/serial is
        # written with letters or as more groups).
        serial_at, before = 0, []
    after = numbers[max(year_at, serial_at) + 1:]
    if len(after) > 1:
        raise InvalidDiarienummer(f"{written!r} has too many number groups")
    serial_text = numbers[serial_at]
    if len(serial_text) > _MAX_SERIAL_DIGITS or int(serial_text) == 0:
        raise InvalidDiarienummer(f"{written!r}: {serial_text!r} is not a serial number")
    doc = int(after[0]) if after else None
    prefix = " ".join([*letters, *(str(int(n)) for n in before)])
    return Diarienummer(prefix, year, int(serial_text), doc, written)


def _is_year4(group: str) -> bool:
    return len(group) == 4 and 1900 <= int(group) <= 2099


def _find_year(numbers: list[str], serial_first: bool, two_digit: bool) -> int | None:
    """Index of the year group, or None. A year needs a neighbour to be the serial."""
    candidates = [i for i, g in enumerate(numbers) if _is_year4(g)]
    if not candidates and two_digit:
        candidates = [i for i, g in enumerate(numbers) if len(g) == 2]
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    if serial_first:
        # serial/year[/doc]: the first candidate with a serial before it.
        return next((i for i in candidates if i >= 1), candidates[-1])
    # year/serial[/doc]: the first candidate with a serial after it.
    return next((i for i in candidates if i + 1 < len(numbers)), candidates[0])


def _serial_after(numbers: list[str], year_at: int, serial_first: bool) -> bool:
    """Whether the serial follows the year: forced at either end, else by the order."""
    if year_at == 0:
        return True
    if year_at == len(numbers) - 1:
        return False
    return not serial_first


def try_parse(text: str, org: OrgSettings | None = None) -> Diarienummer | None:
    """Like parse, but returns None instead of raising."""
    try:
        return parse(text, org)
    except InvalidDiarienummer:
        return None


_MAX_PREFIX_WORD = 6
_TAIL = re.compile(r"\d(\D*)$")       # what follows the last digit


def looks_like_diarienummer(text: str, org: OrgSettings | None = None) -> bool:
    """True when a search box input is most likely a case number, e.g. "ks 2023/123".

    Stricter than try_parse: the prefix is at most two short words and, when the
    organisation lists its series prefixes, one of them; no trailing words.
    """
    found = try_parse(text, org)
    return found is not None and typed_as_diarienummer(found, org)


def typed_as_diarienummer(found: Diarienummer, org: OrgSettings | None = None) -> bool:
    """looks_like_diarienummer of a text already parsed (with the same `org`)."""
    body = _normalize(found.written)
    tokens = _TOKEN.findall(body)
    # What follows the last digit: "" or "/DISK" (a unit code) or " bygglov" (words).
    last = _TAIL.search(body)
    tail = last.group(1) if last else ""
    glued_unit = tail.startswith("/") and not any(ch.isspace() for ch in tail)
    if tokens and not tokens[-1].isdigit() and len(tokens[-1]) > 3 and not glued_unit:
        # "2023/123 bygglov": a dnr followed by words is a query, not a dnr; a unit code
        # glued on with "/" (A2014/2289/DISK, F2012/43498/UD/USYR) is part of the number.
        return False
    words = [w for w in found.prefix.split() if not w.isdigit()]
    if len(words) > 2 or any(len(w) > _MAX_PREFIX_WORD for w in words):
        return False
    if org is not None and org.dnr_prefixes and words:
        return " ".join(words) in org.dnr_prefixes or words[0] in org.dnr_prefixes
    return True


# Candidates in free text: an optional "Dnr" lead-in, an optional upper-case series
# prefix, then 2-4 digit groups joined by separators. Law references (SFS 2023:123) are
# not case numbers.
_IN_TEXT = re.compile(
    r"(?<![\w/.-])"
    r"(?P<lead>(?:[Dd]nr|DNR|[Dd]iarienr|[Dd]iarienummer|[ÄäAa]rendenr)[.:]?\s*)?"
    r"(?P<prefix>[A-ZÅÄÖ]{1,6}(?:[ -]|(?=\d)))?"
    r"(?P<num>\d{1,10}(?:[/\-.:]\d{1,8}){1,3})"
    r"(?:/[A-Za-zÅÄÖåäö]{1,3})?"
    r"(?![\w/-])"
)
_RIKSMOTE = re.compile(r"\d{4}/\d{2}(?!\d)")
_NOT_CASE_PREFIXES = frozenset(
    {"SFS", "SOU", "DS", "PROP", "AFS", "BFS", "NFS", "FFS", "SKOLFS", "KAP", "NJA", "RÅ",
     "HFD", "MÖD", "AD", "EU", "EG", "ISO", "SS", "EN", "TSFS", "SJVFS", "MSBFS", "HSLF"}
)


def find_in_text(text: str) -> list[Diarienummer]:
    """Case numbers mentioned in free text (e.g. "Dnr KS 2023/123", "SBN-2019-0012").

    Returns them in order of appearance, each key once (a bare number after the same
    number with a prefix is left out). A bare number pair counts only
    with a "/" (2011/123) or a "Dnr" lead-in; year spans such as 2020-2023, dates, law
    references (SFS 2023:123), parliamentary years (prop. 2016/17:180) and personnummer
    are left out.
    """
    found: list[Diarienummer] = []
    seen: set[str] = set()
    for m in _IN_TEXT.finditer(text):
        prefix = (m.group("prefix") or "").strip(" -")
        lead = m.group("lead")
        num = m.group("num")
        if prefix in _NOT_CASE_PREFIXES:
            continue
        if not prefix and not lead and "/" not in num:
            continue
        if (
            not prefix
            and not lead
            and _RIKSMOTE.match(num)
            and int(num[5:7]) == (int(num[:4]) + 1) % 100
        ):
            continue  # a parliamentary year: prop. 2016/17:180, bet. 2022/23:KU1
        candidate = m.group(0)
        dnr = try_parse(candidate)
        # A bare number already seen with its series prefix adds nothing.
        if dnr is None or dnr.key in seen or (not dnr.prefix and dnr.year_serial in seen):
            continue
        seen.update((dnr.key, dnr.year_serial))
        found.append(dnr)
    return found


_IDENT_SEPARATORS = re.compile(r"[\W_]+")


def canonical_identifier(text: str) -> str:
    """The canonical spelling of an identifier that is not a diarienummer: NFC, upper
    case, groups joined by "-", leading zeros of number groups dropped ("sou 2011:08" and
    "SOU-2011-8" are one). Returns "" when nothing is left."""
    body = unicodedata.normalize("NFC", str(text)).strip().upper()
    groups = [g for g in _IDENT_SEPARATORS.split(body) if g]
    return "-".join(str(int(g)) if g.isdigit() else g for g in groups)


def opaque(text: str) -> Diarienummer:
    """An identifier kept as written, with the key "#" + its canonical spelling.

    Raises InvalidDiarienummer when it is empty.
    """
    written = unicodedata.normalize("NFC", str(text)).strip()
    canon = canonical_identifier(written)
    if not canon:
        raise InvalidDiarienummer("empty identifier")
    return Diarienummer(canon, 0, 0, None, written, opaque=True)


def identifier(text: str, org: OrgSettings | None = None) -> Diarienummer:
    """A case identifier from an export: a diarienummer when it reads as one (with the
    organisation's conventions), else an opaque identifier kept as written.

    Raises InvalidDiarienummer only when the text is empty.
    """
    found = try_parse(text, org)
    return found if found is not None else opaque(text)


def looks_like_identifier(text: str, spaces: bool = False) -> bool:
    """True when a search word may be an opaque case identifier ("E-1234", "ABC123",
    "P-2019-X7"): at least four characters, letters and digits, no space unless `spaces`
    (a dnr: filter or a quoted phrase, "Møte 12"). Digits alone are read as diarienummer
    or as words, never as an opaque id."""
    if len(text) < 4 or (not spaces and any(ch.isspace() for ch in text)):
        return False
    return any(ch.isdigit() for ch in text) and any(ch.isalpha() for ch in text)
