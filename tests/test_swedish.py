"""Module-level tests of diarium.swedish: compounds, lemmas, folding, identifiers, synonyms."""

from __future__ import annotations

import pytest

from diarium.swedish import (
    compound_parts,
    fold,
    has_swedish_letters,
    identifiers,
    index_fields,
    is_folded,
    lemma,
    lemmatize,
    query_identifiers,
    split_compound,
    synonyms,
)


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("bygglovsansökan", ("bygglov", "ansökan")),              # linking s
        ("förskoleverksamheten", ("förskola", "verksamheten")),   # förskol(a) + e
        ("läkemedelsförsörjning", ("läkemedel", "försörjning")),
        ("ramavtalet", ("ram", "avtalet")),                        # head keeps inflection
        ("kyrkogården", ("kyrka", "gården")),                      # kyrk(a) + o
        ("gatukontoret", ("gata", "kontoret")),                    # gat(a) + u
        ("remissvar", ("remiss", "svar")),                         # sss written ss
        ("detaljplaneändring", ("detaljplan", "ändring")),         # fewest parts
        ("Bygglovsansökan", ("bygglov", "ansökan")),               # case-insensitive
        ("markanvisningen", ("mark", "anvisningen")),              # rare head, common lemma
        ("barnomsorg", ("barn", "omsorg")),
        ("kollektivtrafiken", ("kollektiv", "trafiken")),          # common, parts more so
    ],
)
def test_compounds_split_into_base_form_parts(word: str, parts: tuple[str, ...]) -> None:
    assert split_compound(word) == parts


@pytest.mark.parametrize(
    "word",
    [
        "kontroll", "fastighet", "ansvar", "kontrollen", "fastigheten", "ansvarig",
        "bygglov", "upphandlingen", "föreskrifter", "sammanträdet", "förorening",
        "verksamhet", "ansökningar", "läkemedel", "uppdrag", "barndom", "tillstånd",
    ],
)
def test_false_splits_stay_whole(word: str) -> None:
    assert split_compound(word) == ()


def test_compound_parts_of_text_include_nested_parts_and_skip_plain_words() -> None:
    text = "Ansökan om bygglov: bygglovsansökan för förskoleverksamheten, 2023 strandskyddsdispens."
    parts = compound_parts(text).split()
    assert parts[:4] == ["bygglov", "ansökan", "förskola", "verksamhet"]
    # strandskydd(s) + dispens, and strandskydd's own parts after it
    assert parts[4:] == ["strandskydd", "strand", "skydd", "dispens"]
    assert compound_parts("kontroll av fastighet") == ""
    assert compound_parts("") == ""


def test_lemmas_join_ansokan_and_ansokningar() -> None:
    assert lemma("ansökningar") == "ansökan"
    assert lemma("ansökan") == "ansökan"
    assert lemma("anmälningarna") == "anmälan"
    # an -ning noun without a common -an form stays as it is
    assert lemma("upphandlingar") == "upphandling"
    assert lemma("tidningar") == "tidning"
    # The modal's forms share a lemma that is not the noun skola (school).
    assert {lemma("ska"), lemma("skall"), lemma("skulle")} == {"ska"}
    assert lemma("skolor") == lemma("skolan") == "skola"
    # A lemma that is a function word is not given (dom → de, första → en, är → vara).
    assert [lemma(w) for w in ("dom", "första", "är", "varor", "IT", "ev")] == [
        "dom", "första", "är", "varor", "it", "ev"]
    assert lemma("domen") == "dom" and lemma("gick") == "gå"
    assert lemmatize("Gick ansökningarna till KS 2023?") .split() == [
        "gå", "ansökan", "till", "ks", "2023",
    ]


def test_fold() -> None:
    assert fold("Föreskrift Årsredovisning Ärende") == "foreskrift arsredovisning arende"
    assert fold("café Müller Ærø straße") == "cafe muller aero strasse"
    assert fold("AFS 2023:1") == "afs 2023:1"
    # The common letters folded first, the rest (dashes, §, ü, ø) after: one result.
    assert fold("Åtgärd – § 4 Éva Über Øre ÅÄÖÉ") == "atgard – § 4 eva uber ore aaoe"
    assert has_swedish_letters("får") and not has_swedish_letters("far")
    assert is_folded("foreskrift") and not is_folded("föreskrift")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("enligt AFS 2023:1 gäller", ["afs 2023 1", "2023 1"]),
        ("SFS 2025:1461", ["sfs 2025 1461", "2025 1461"]),
        ("HSLF-FS 2016:40", ["hslf fs 2016 40", "2016 40"]),
        ("se prop. 2012/13:144.", ["prop 2012/13 144", "2012/13 144"]),
        ("Dnr 123-2013", ["dnr 123 2013", "123 2013"]),
        ("(KS-1646-2024)", ["ks 1646 2024", "1646 2024"]),
        # A title-case series only before a case number's shape (Örebro: "Ks 1646/2024").
        ("Nätverkskonsult Ks 1646/2024 Publicerad", ["ks 1646 2024", "1646 2024"]),
        ("Av 12-2023 och Ks 3:2023", []),
        # Telephone numbers: their national digits, however grouped.
        ("Telefonnummer: 0300–835409, växel +46 (0)8-123 456 78", ["0300835409",
                                                                 "0812345678"]),
        ("Dnr 0047/2017", ["dnr 47 2017", "47 2017"]),   # no number starts 00
        ("KS 2023/0123", ["ks 2023 123", "2023 123"]),
        ("bara 2012/13:144", ["2012/13 144"]),
        ("mötet 2023-05-12 kl 10:30", []),      # dates and times are not identifiers
        ("kapitel 3-4, sidan 12/13", []),       # number pairs without a series
    ],
)
def test_identifiers_in_text(text: str, expected: list[str]) -> None:
    assert identifiers(text) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("afs 2023 1", ["afs 2023 1", "afs 1 2023"]),
        ("AFS 2023:1", ["afs 2023 1"]),
        ("2012/13:144", ["2012/13 144"]),
        ("prop. 2012/13:144", ["prop 2012/13 144"]),
        ("ks 1646 2024", ["ks 1646 2024", "ks 2024 1646"]),
        ("KS-1646-2024", ["ks 1646 2024", "ks 2024 1646"]),
        ("KS 2023/1198", ["ks 2023 1198", "ks 1198 2023"]),   # the text: "Ks 1198/2023"
        ("SFS 2010:900", ["sfs 2010 900"]),
        ("0300 83 54 09", ["0300835409"]),
        ("+46 300 835409", ["0300835409"]),
        ("070-123 45 67", ["0701234567"]),
        ("08 123", []),
        ("bygglov ansökan", []),
        ("3 2", []),
        ("kl 10 30", []),
        ("", []),
    ],
)
def test_query_identifiers(query: str, expected: list[str]) -> None:
    assert query_identifiers(query) == expected


def test_every_query_form_meets_an_indexed_form() -> None:
    indexed = set(identifiers("AFS 2023:1, prop. 2012/13:144 och KS-1646-2024"))
    for query in ("afs 2023 1", "2012/13:144", "ks 1646 2024", "Prop 2012/13 144",
                  "KS 2024/1646"):
        assert set(query_identifiers(query)) & indexed, query


def test_synonyms_both_ways_and_per_organisation() -> None:
    assert synonyms("KS") == ("kommunstyrelsen",)
    assert synonyms("kommunstyrelsen") == ("ks",)
    assert synonyms("dnr") == ("diarienummer",)
    assert synonyms("bygglov") == ()
    # national laws: the abbreviation finds the name and back; no Swedish word expands
    assert synonyms("GDPR") == ("dataskyddsförordningen",)
    assert synonyms("offentlighets- och sekretesslagen") == ("osl",)
    assert synonyms("sol") == () and synonyms("kl") == ()
    table = {"SBN": "stadsbyggnadsnämnden"}
    assert synonyms("sbn", table) == ("stadsbyggnadsnämnden",)
    assert synonyms("KS", table) == ()


def test_index_fields_and_toggles() -> None:
    fields = index_fields("Bygglovsansökan enligt AFS 2023:1, ansökningar")
    assert fields["parts"] == "bygglov ansökan"
    assert index_fields("ramavtalet")["parts"] == "ram avtal"
    assert "ansökan" in str(fields["lemma"]).split()
    assert fields["folded"] == "bygglovsansokan enligt afs 2023:1, ansokningar"
    assert fields["identifiers"] == ["afs 2023 1", "2023 1"]
    off = index_fields("Bygglovsansökan", lemmas=False, compounds=False)
    assert off["parts"] == "" and off["lemma"] == ""


@pytest.mark.parametrize(
    "junk", ["", "   ", "123", "a" * 5000, "ÅÄÖ" * 100, "\x00\u200b§§", "x-y-z"]
)
def test_functions_never_raise_on_junk(junk: str) -> None:
    compound_parts(junk)
    lemmatize(junk)
    fold(junk)
    identifiers(junk)
    query_identifiers(junk)


def test_identifier_scans_match_their_plain_patterns() -> None:
    """The digit-first patterns of identifiers.py find the spans their plain forms (a
    look-behind first, as documented beside them) find, on random number-like text."""
    import importlib
    import random
    import re

    ids = importlib.import_module("diarium.swedish.identifiers")  # the package shadows it

    session = r"(?:19|20)\d{2}/\d{2}(?!\d)"
    plain_numbers = re.compile(r"(?<![\w/:])(?:" + session
                               + r":\d{1,5}|\d{1,6}(?:[-/:]\d{1,6}){1,2})(?![\w/:-]|\.\d)")
    plain_phone = re.compile(r"(?<![\w+])(?:\+46[ \t]?(?:\(0\)[ \t]?)?|0)\d{1,3}"
                             r"(?:(?:[ \t]?[-–/][ \t]?|[ \t])?\d{2,4}){0,4}(?![\w])")
    rng = random.Random(19)
    alphabet = "0123456789012 /:-+.()\t\nab–"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
             for _ in range(20000)]
    texts += ["prop. 2012/13:144", "x2012/13:1", "1999/00:12 och 2019/20:5",
              "+46 (0)300 83 54 09", "+46300835409", "ring 0300-83 54 09!", "a+46 300 835409",
              "Dnr 123-2013", "KS-1646-2024", "0", "+46", "1.2-3"]
    for fast, plain in ((ids._NUMBERS, plain_numbers), (ids._PHONE, plain_phone)):
        for text in texts:
            assert [m.span() for m in fast.finditer(text)] == \
                [m.span() for m in plain.finditer(text)], text
