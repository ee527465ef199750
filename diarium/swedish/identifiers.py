"""Regulation and document identifiers, normalized for the `identifiers` field.

Text such as `AFS 2023:1`, `SFS 2025:1461`, `HSLF-FS 2016:40`, `prop. 2012/13:144`,
`Dnr 123-2013` or `KS-1646-2024` is indexed as normalized strings, each one a single
term: lowercase, separators as single spaces, leading zeros dropped, a riksdag session
(`2012/13`) kept whole: "afs 2023 1", "prop 2012/13 144", "dnr 123 2013", "ks 1646 2024".
The numbers without their series are indexed too ("2023 1", "2012/13 144", "1646 2024"),
so a visitor who types only `2012/13:144` finds the proposition.

A query goes through `query_identifiers`, which normalizes it the same way when the whole
query looks like one identifier (`afs 2023 1`, `AFS 2023:1`, `ks 1646 2024`). Diarienummer
of the register keep their own field and rules (diarium/diarienummer.py); this field is
for identifiers met in the text and titles.
"""

from __future__ import annotations

import re

# Series written in lower or mixed case in Swedish texts (the rest must be upper case,
# so that an ordinary word before a number is never taken for a series).
_LOWER_SERIES = ("prop", "bet", "rskr", "skr", "dir", "dnr", "ds", "mot", "sou", "sfs")
_SESSION = r"(?:19|20)\d{2}/\d{2}(?!\d)"
# Identifiers are found number-first (a cheap scan), then the series is looked for just
# before the numbers: one combined pattern with its alternations cost 0.4 ms per record.
# Written digit first, the look-behind after it: the same matches as
#   (?<![\w/:])(?:SESSION:\d{1,5}|\d{1,6}(?:[-/:]\d{1,6}){1,2})(?![\w/:-]|\.\d)
# (the session's first digit checked by a look-behind), but a pattern that starts with a
# character class lets the engine skip to the next digit: half the time on the corpus.
_NUMBERS = re.compile(
    r"\d(?<![\w/:]\d)(?:(?<=1)9\d{2}/\d{2}(?!\d):\d{1,5}|(?<=2)0\d{2}/\d{2}(?!\d):\d{1,5}"
    r"|\d{0,5}(?:[-/:]\d{1,6}){1,2})(?![\w/:-]|\.\d)"
)
_SERIES_BEFORE = re.compile(
    r"(?:^|[^\w-])(?P<series>[A-ZÅÄÖ]{2,8}(?:-[A-ZÅÄÖ]{1,4})?|(?i:"
    + "|".join(_LOWER_SERIES) + r"))\.?[ \t]?-?$"
)
# A series in title case (Örebro writes "Ks 1646/2024"), read only before a case
# number's shape: serial/year or year/serial with a slash and a four-digit year.
_TITLE_SERIES_BEFORE = re.compile(r"(?:^|[^\w-])(?P<series>[A-ZÅÄÖ][a-zåäö]{1,2})[ \t]?$")
_CASE_NUMBERS = re.compile(r"^(?:\d{1,6}/(?:19|20)\d{2}|(?:19|20)\d{2}/\d{1,6})$")
_LOOKBACK = 16
# A Swedish telephone number however it is grouped ("0300-83 54 09", "08–123 456 78",
# "+46 300 835409", "0300835409"): indexed and looked up as its digits, national form.
# As _NUMBERS, the first character before the look-behind: the matches of
#   (?<![\w+])(?:\+46[ \t]?(?:\(0\)[ \t]?)?|0)\d{1,3}...  in a third of the time.
_PHONE = re.compile(
    r"[+0](?<![\w+][+0])(?:(?<=\+)46[ \t]?(?:\(0\)[ \t]?)?|(?<=0))\d{1,3}"
    r"(?:(?:[ \t]?[-–/][ \t]?|[ \t])?\d{2,4}){0,4}(?![\w])"
)
_PHONE_QUERY = re.compile(r"^[ \t]*(?:\+46|0)[\d \t()\-–/]{6,20}$")
_PHONE_DIGITS = range(8, 11)      # 0 and 7-9 digits: 08-123 45 67, 0300-835409, 070-...
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_TOKEN = re.compile(_SESSION + r"|[^\W_]+", re.UNICODE)
_YEAR = re.compile(r"^(?:19|20)\d{2}$")


def _tokens(text: str) -> list[str]:
    out = []
    for token in _TOKEN.findall(text.lower()):
        if token.isdigit():
            token = token.lstrip("0") or "0"
        out.append(token)
    return out


def normalize(text: str) -> str:
    """Return the normalized form of one identifier as written ("AFS 2023:1" → "afs 2023 1")."""
    return " ".join(_tokens(text))


def identifiers(text: str) -> list[str]:
    """Return the normalized identifiers found in `text`, each with and without its series,
    without duplicates, in text order. Dates (2023-05-12) and bare number pairs without a
    series (other than a riksdag session such as 2012/13:144) are not identifiers."""
    found: list[str] = []
    seen: set[str] = set()
    for match in _NUMBERS.finditer(text):
        nums = match.group(0)
        window = text[max(0, match.start() - _LOOKBACK):match.start()]
        before = _SERIES_BEFORE.search(window)
        if before is None and _CASE_NUMBERS.match(nums):
            before = _TITLE_SERIES_BEFORE.search(window)
        series = before.group("series") if before else ""
        is_session = re.match(_SESSION + ":", nums) is not None
        if not series and not is_session:
            continue
        if _DATE.match(nums):
            continue
        numbers = normalize(nums)
        for form in ((normalize(series) + " " + numbers) if series else "", numbers):
            if form and form not in seen:
                seen.add(form)
                found.append(form)
    for match in _PHONE.finditer(text):
        digits = _phone_digits(match.group(0))
        if digits and digits not in seen:
            seen.add(digits)
            found.append(digits)
    return found


def _phone_digits(written: str) -> str:
    """The national digits of a telephone number as written ("+46 (0)300 83 54 09" →
    "0300835409"), trailing digit groups dropped while too long; "" when none fits."""
    national = written.strip()
    if national.startswith("+46"):
        national = "0" + national[3:].replace("(0)", "", 1)
    groups = re.findall(r"\d+", national)
    while len(groups) > 1 and len("".join(groups)) > _PHONE_DIGITS[-1]:
        groups.pop()
    digits = "".join(groups)
    if len(digits) not in _PHONE_DIGITS or not digits.startswith("0") or digits[1] == "0":
        return ""
    return digits


def query_identifiers(query: str) -> list[str]:
    """Return the normalized identifier a whole query stands for, or [] when the query
    does not look like one identifier; a series and two numbers, one of them a year, give
    the numbers swapped too (the year first or last, as the text may write it).

    Accepts any separators: `afs 2023 1`, `AFS 2023:1`, `2012/13:144`, `prop 2012/13 144`,
    `ks 1646 2024`, `KS-1646-2024`. A query of ordinary words gives [].
    """
    if _PHONE_QUERY.match(query) and (phone := _phone_digits(query)):
        return [phone]
    tokens = _tokens(query)
    if not 2 <= len(tokens) <= 5:
        return []
    letters = [t for t in tokens if t.isalpha()]
    numbers = [t for t in tokens if not t.isalpha()]
    # Shape: optional series words (at most two, first), then two or three numbers, of
    # which at least one is a year or a session: that keeps `3 2` and `kl 10` out.
    if len(numbers) < 2 or len(numbers) > 3 or tokens[: len(letters)] != letters:
        return []
    if len(letters) > 2 or any(len(t) > 8 for t in letters):
        return []
    if not any(_YEAR.match(t) or "/" in t for t in numbers):
        return []
    if not all(t.isdigit() or re.fullmatch(_SESSION, t) for t in numbers):
        return []
    found = [" ".join(tokens)]
    years = [t for t in numbers if _YEAR.match(t)]
    if len(numbers) == 2 and len(years) == 1 and not re.search(r"\d\s*:\s*\d", query):
        # A case number written the other way round in the text: "Ks 1198/2023" in a
        # document, typed "KS 2023/1198" (or back). Not for a regulation (`AFS 2023:1`).
        found.append(" ".join([*letters, *reversed(numbers)]))
    return found
