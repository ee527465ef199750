"""Diarienummer: every format in DOMAIN.md, org conventions, dates and personnummer,
round trips and hints in free text."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from diarium.config import OrgSettings
from diarium.diarienummer import (
    Diarienummer,
    find_in_text,
    looks_like_diarienummer,
    parse,
    try_parse,
)
from diarium.errors import InvalidDiarienummer

DEFAULT = None
HELSINGBORG = OrgSettings("helsingborg", dnr_order="serial/year", two_digit_years=True)
TWO_DIGIT = OrgSettings("region", two_digit_years=True)

# (written, org, key, doc): every example format of DOMAIN.md.
EXAMPLES = [
    ("47/2017", HELSINGBORG, "|2017|47", None),
    ("47/2017", DEFAULT, "|2017|47", None),
    ("2011/123", DEFAULT, "|2011|123", None),
    ("2016-000003", DEFAULT, "|2016|3", None),
    ("KS/2019/0001/0009", DEFAULT, "KS|2019|1", 9),
    ("KSN-2017-3559", DEFAULT, "KSN|2017|3559", None),
    ("RÄN-2018-0082", DEFAULT, "RÄN|2018|82", None),
    ("Dnr 0263/19", HELSINGBORG, "|2019|263", None),
    ("SLK-2023-01047", DEFAULT, "SLK|2023|1047", None),
    ("TN-2018-4490", DEFAULT, "TN|2018|4490", None),
    ("KS 2017/0996", DEFAULT, "KS|2017|996", None),
    ("Dnr 2014/304", DEFAULT, "|2014|304", None),
    ("Dnr 20/2015", DEFAULT, "|2015|20", None),
    ("LD11/02896", TWO_DIGIT, "LD|2011|2896", None),
    ("401-790-18", HELSINGBORG, "401|2018|790", None),
    ("TSG 2011-486", DEFAULT, "TSG|2011|486", None),
    ("M2011/1516/Ma", DEFAULT, "M|2011|1516", None),
    ("3579-2005", DEFAULT, "|2005|3579", None),
    ("BYGG 2024-000123", DEFAULT, "BYGG|2024|123", None),
    ("S 2019-0043", DEFAULT, "S|2019|43", None),
    ("TN 2015-123", DEFAULT, "TN|2015|123", None),
    ("2015000123", DEFAULT, "|2015|123", None),
    ("F 2019-0454:4", DEFAULT, "F|2019|454", 4),
    ("KS/2019/0001", DEFAULT, "KS|2019|1", None),
    ("Diarienr: KS 2023/123", DEFAULT, "KS|2023|123", None),
    ("ärendenr ks-2023-123", DEFAULT, "KS|2023|123", None),
    ("Dnr.KS 2023/5", DEFAULT, "KS|2023|5", None),
    ("DNR2023/5", DEFAULT, "|2023|5", None),
    ("DNRA 2023/5", DEFAULT, "DNRA|2023|5", None),
]


@pytest.mark.parametrize(("written", "org", "key", "doc"), EXAMPLES)
def test_domain_examples(written: str, org: OrgSettings | None, key: str, doc: int | None) -> None:
    dnr = parse(written, org)
    assert dnr.key == key
    assert dnr.doc == doc
    assert dnr.written == written


@pytest.mark.parametrize("written", ["ks 2023/123", "KS-2023-0123", "KS 2023/123", " KS_2023.123 "])
def test_spellings_of_one_case_share_a_key(written: str) -> None:
    assert parse(written).key == "KS|2023|123"


def test_kept_as_written_and_year_serial() -> None:
    dnr = parse("  ks-2023-0123 ")
    assert dnr.written == "ks-2023-0123"
    assert dnr.year_serial == "2023|123"
    assert dnr.prefix == "KS"


def test_nfc_normalisation_keeps_swedish_letters() -> None:
    decomposed = "RA\u0308N-2018-82"  # A + combining diaeresis
    assert parse(decomposed).key == "RÄN|2018|82"


@pytest.mark.parametrize("written", ["Dnr 0263/19", "LD11/02896", "401-790-18"])
def test_two_digit_years_only_when_configured(written: str) -> None:
    with pytest.raises(InvalidDiarienummer, match="two-digit years are off"):
        parse(written)


def test_two_digit_pivot() -> None:
    assert parse("12/69", HELSINGBORG).year == 2069
    assert parse("12/70", HELSINGBORG).year == 1970


def test_order_decides_when_both_groups_could_be_years() -> None:
    assert parse("2019/2020").key == "|2019|2020"
    assert parse("2019/2020", HELSINGBORG).key == "|2020|2019"


@pytest.mark.parametrize(
    "written",
    ["2023-05-12", "2023.05.12", "20230512", "12/05/2023", "2024-02-29", "Dnr 2023-05-12"],
)
def test_dates_are_never_case_numbers(written: str) -> None:
    with pytest.raises(InvalidDiarienummer, match="date"):
        parse(written, HELSINGBORG)
    assert try_parse(written) is None


@pytest.mark.parametrize("written", ["811218-9876", "19811218-9876", "198112189876", "121212+1212"])
def test_personnummer_are_never_case_numbers(written: str) -> None:
    with pytest.raises(InvalidDiarienummer, match="personnummer"):
        parse(written, TWO_DIGIT)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("KS", "no number"),
        ("Dnr", "no number"),
        ("2023", "both a year and a serial"),
        ("123/456", "no year"),
        ("KS 2023/0", "not a serial"),
        ("KS 2023 ab 12", "letters between"),
        ("1/2/3/4/2023", "too many"),
        ("KS 2023/123#", "characters"),
    ],
)
def test_invalid_inputs_say_why(written: str, reason: str) -> None:
    with pytest.raises(InvalidDiarienummer, match=reason):
        parse(written)


def test_format() -> None:
    assert parse("ks-2023-0123").format() == "KS 2023/123"
    assert parse("47/2017").format("serial/year") == "47/2017"
    assert parse("KS/2019/0001/0009").format() == "KS 2019/1:9"
    with pytest.raises(ValueError, match="order"):
        parse("47/2017").format("year-serial")


_PREFIX = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ", min_size=1, max_size=5)


@given(
    prefix=st.one_of(st.just(""), _PREFIX),
    year=st.integers(1900, 2099),
    serial=st.integers(1, 99_999_999),
    doc=st.one_of(st.none(), st.integers(0, 9999)),
    order=st.sampled_from(["year/serial", "serial/year"]),
    two_digit=st.booleans(),
)
def test_format_then_parse_round_trips(
    prefix: str, year: int, serial: int, doc: int | None, order: str, two_digit: bool
) -> None:
    assume(prefix not in {"DNR", "ÄRENDE"})  # lead-in words, dropped by design
    org = OrgSettings("x", dnr_order=order, two_digit_years=two_digit)
    original = Diarienummer(prefix, year, serial, doc, "")
    written = original.format(order)
    again = parse(written, org)
    assert (again.prefix, again.year, again.serial, again.doc) == (prefix, year, serial, doc)
    assert again.written == written


@given(st.text(max_size=30))
def test_parse_never_fails_with_anything_but_invalid_diarienummer(text: str) -> None:
    with contextlib.suppress(InvalidDiarienummer):
        parse(text, HELSINGBORG)


def test_looks_like_diarienummer() -> None:
    assert looks_like_diarienummer("ks 2023/123")
    assert looks_like_diarienummer("Dnr 47/2017", HELSINGBORG)
    assert not looks_like_diarienummer("bygglov 2023")
    assert not looks_like_diarienummer("2023-05-12")
    assert not looks_like_diarienummer("2023/123 bygglov")
    assert not looks_like_diarienummer("förskolan 2023/12")  # prefix word too long
    with_series = OrgSettings("ks", dnr_prefixes=("KS", "SBN"))
    assert looks_like_diarienummer("sbn 2023/1", with_series)
    assert not looks_like_diarienummer("avtal 2023/1", with_series)


def test_find_in_text() -> None:
    text = (
        "Se Dnr KS 2023/123 och SBN-2019-0012 (jfr ks 2023/0123). Enligt SFS 2023:123 "
        "under perioden 2020-2023 och den 2023-05-12 beslutades 47/2017; sökande "
        "19811218-9876, tidigare Dnr 2014-304."
    )
    found = find_in_text(text)
    assert [d.key for d in found] == ["KS|2023|123", "SBN|2019|12", "|2017|47", "|2014|304"]
    assert found[0].written == "Dnr KS 2023/123"


def test_find_in_text_skips_parliamentary_years() -> None:
    text = "Enligt prop. 2016/17:180 och bet. 2022/23:KU1 gäller, se dnr 2016/17 och 2019/2020."
    assert [d.key for d in find_in_text(text)] == ["|2016|17", "|2019|2020"]


def test_find_in_text_without_numbers() -> None:
    assert find_in_text("Inga ärenden här, bara år 2023 och sidan 12.") == []


# Case numbers seen in real registers (DOMAIN.md, 2026-12-01): import and queries read
# them the same way.
REAL = [
    ("Ku2023/00732", "KU|2023|732", None),
    ("UD2019/19692/GA", "UD|2019|19692", None),
    ("Fö2017/01724/MFI", "FÖ|2017|1724", None),
    ("A2014/2289/DISK", "A|2014|2289", None),
    ("F2012/43498/UD/USYR", "F|2012|43498", None),
    ("M202001133", "M|2020|1133", None),
    ("2024/045202", "|2024|45202", None),
    ("2024/045202-2", "|2024|45202", 2),
    ("5531-2026", "|2026|5531", None),
    ("5531-2026-2", "|2026|5531", 2),
    ("2025-13181", "|2025|13181", None),
    ("S 2019-0043", "S|2019|43", None),
    ("S 2010-0034:1", "S|2010|34", 1),
    ("2016/692", "|2016|692", None),
]


@pytest.mark.parametrize(("written", "key", "doc"), REAL)
def test_real_register_numbers(written: str, key: str, doc: int | None) -> None:
    dnr = parse(written)
    assert (dnr.key, dnr.doc, dnr.written) == (key, doc, written)


@pytest.mark.parametrize(("written", "key", "doc"), REAL)
def test_a_query_reads_a_real_number_as_the_import_does(written: str, key: str,
                                                        doc: int | None) -> None:
    from diarium import query

    assert looks_like_diarienummer(written)
    keys = {n.key for n in _nodes(query.parse(written)) if isinstance(n, query.Diarienummer)}
    assert keys == {key}


def _nodes(node: object) -> list[object]:
    children = getattr(node, "children", None)
    inner = getattr(node, "node", None)
    out = [node]
    for child in children or ([inner] if inner is not None else []):
        out.extend(_nodes(child))
    return out


def test_unit_suffix_is_part_of_the_number_but_words_are_not() -> None:
    assert looks_like_diarienummer("A2014/2289/DISK")
    assert not looks_like_diarienummer("2023/123 bygglov")
    assert not looks_like_diarienummer("A2014/2289 DISKUSSION")


@pytest.mark.parametrize(("written", "key"), [
    ("{7F3A-0042}", "#7F3A-42"),
    ("Møte 12", "#MØTE-12"),
    ("P-ABC-0017", "#P-ABC-17"),
    ("SOU 2011:8", "SOU|2011|8"),       # reads as a number: a series, year and serial
])
def test_identifiers_that_are_no_diarienummer_are_kept_as_written(written: str,
                                                                  key: str) -> None:
    from diarium.diarienummer import identifier

    found = identifier(written)
    assert (found.key, found.written, found.format()) == (key, written, found.format())
    if key.startswith("#"):
        assert found.opaque and found.format() == written and found.year_serial == key


def test_opaque_variants_share_a_key_and_a_query_finds_them() -> None:
    from diarium import query
    from diarium.diarienummer import opaque

    assert opaque("p-abc-17").key == opaque("P ABC 0017").key == opaque("P_ABC/017").key
    keys = {n.key for n in _nodes(query.parse("P-ABC-0017"))
            if isinstance(n, query.Diarienummer)}
    assert keys == {"#P-ABC-17"}
    # plain words and numbers are not read as opaque ids
    assert not any(isinstance(n, query.Diarienummer) for n in _nodes(query.parse("covid 19")))
    with pytest.raises(InvalidDiarienummer):
        opaque("  ")
