"""Highlighting on document pages (web/highlight.py): the query's words come from the real
parser (diarium.query) and match as the engines match them (Snowball Swedish stems,
lemmas, folding only for words typed without å/ä/ö)."""

from __future__ import annotations

import pytest

from diarium.search import Mark
from diarium.web.highlight import MAX_MARKS, find_marks, highlight_text, render_marks

TEXT = (
    "Kommunstyrelsen beslutar att anta detaljplan för hamnen. Beslutet gäller från i dag. "
    "Ansökan om bygglov för förskolan vid Storgatan; bygglovet beviljas, bygglovsansökan "
    "kompletteras. Skolan och förskolan får en ny väg. Far och mor. Ansökningar om "
    "strandskydd. Föreskrifterna i AFS 2023:1 gäller. Svar via e-post."
)


def marked(query: str, text: str = TEXT) -> list[str]:
    return [text[m.start:m.end] for m in find_marks(text, query)]


# -- words and inflections -----------------------------------------------------------------


def test_a_word_marks_its_inflections_by_the_swedish_stem() -> None:
    assert marked("beslut") == ["beslutar", "Beslutet"]
    assert marked("bygglov") == ["bygglov", "bygglovet"]
    assert marked("BESLUTET") == ["beslutar", "Beslutet"]     # case never matters


def test_a_word_marks_forms_the_stem_leaves_apart_by_its_lemma() -> None:
    # Snowball leaves skola/skolan and ansökan/ansökningar apart; the lemma joins them.
    assert marked("skola") == ["Skolan"]
    assert marked("ansökan") == ["Ansökan", "Ansökningar"]


def test_a_word_does_not_mark_longer_words_that_merely_start_with_it() -> None:
    # Compounds are found by a prefix (bygg*), not by a plain word.
    assert "bygglovsansökan" not in marked("bygglov")
    assert marked("skola") == ["Skolan"]                     # not "förskolan"


def test_one_and_two_letter_words_are_not_marked() -> None:
    assert marked("i") == []
    assert marked("om") == []
    assert marked("och") == ["och", "och"]


def test_a_word_the_analyzer_splits_marks_its_parts_together() -> None:
    assert marked("e-post") == ["e-post"]
    assert marked("2023:1") == ["2023:1"]


# -- the operators of the real query language ----------------------------------------------


@pytest.mark.parametrize("query", ["beslut AND bygglov", "beslut && bygglov",
                                   "beslut bygglov", "+beslut +bygglov"])
def test_and_marks_every_word(query: str) -> None:
    assert marked(query) == ["beslutar", "Beslutet", "bygglov", "bygglovet"]


@pytest.mark.parametrize("query", ["skola OR strandskydd", "skola | strandskydd",
                                   "(skola OR strandskydd)", "(skola|strandskydd) väg"])
def test_or_marks_every_alternative(query: str) -> None:
    found = marked(query)
    assert "Skolan" in found and "strandskydd" in found


def test_operator_words_are_not_marked() -> None:
    assert marked("beslut OR AND NOT") == marked("beslut")
    # A stray OR is a word in the real language ("or" is two letters: not marked).
    assert marked("OR beslut") == marked("beslut")


def test_swedish_operators_are_marked_as_the_parser_reads_them() -> None:
    # OCH, ELLER and INTE in capitals are the operators AND, OR and NOT (diarium.query):
    # OCH is no word to mark, INTE excludes; in lower case they are words.
    assert marked("skola OCH väg") == ["Skolan", "väg"]
    assert marked("beslut INTE skola") == ["beslutar", "Beslutet"]
    assert marked("skola och väg") == ["Skolan", "och", "väg", "och"]


# -- exclusions, field filters ---------------------------------------------------------------


@pytest.mark.parametrize("query", ["beslut -skola", "beslut NOT skola", "beslut -(skola OR väg)",
                                   "beslut NOT (skola | väg)", "-skola beslut"])
def test_excluded_words_are_not_marked(query: str) -> None:
    assert marked(query) == ["beslutar", "Beslutet"]


def test_a_query_of_exclusions_only_marks_nothing() -> None:
    assert marked("-beslut -skola") == []
    assert marked("NOT beslut") == []


@pytest.mark.parametrize("query", [
    "typ:beslut", "handlingstyp:Beslut", "riktning:inkommande", "nämnd:KS",
    'avsändare:"Trafikverket"', "part:Storgatan", "rubrik:bygglov", "titel:bygglov",
    "dnr:KS-2023/123", "datum:2023-01-01..2023-06-30", "datum:2023", "org:exkommun",
])
def test_field_filters_are_not_marked(query: str) -> None:
    assert marked(query) == []
    assert marked(f"{query} hamnen") == ["hamnen"]


def test_a_diarienummer_typed_among_words_marks_only_its_words() -> None:
    text = "Ärendet KS 2023/123 gäller hamnen; se även 2023/124."
    assert marked("hamnen KS 2023/123", text) == ["2023/123", "hamnen"]


# -- phrases and prefixes --------------------------------------------------------------------


def test_a_phrase_marks_its_words_in_order_as_one_range() -> None:
    assert marked('"detaljplan för hamnen"') == ["detaljplan för hamnen"]
    assert marked('"hamnen för detaljplan"') == []
    assert marked('"Beslutet gäller"') == ["Beslutet gäller"]


def test_a_phrase_is_exact_not_inflected() -> None:
    assert marked('"beslut"') == []
    assert marked('"bygglovet"') == ["bygglovet"]


def test_a_phrase_spans_line_breaks_and_punctuation_between_its_words() -> None:
    text = "Beslut om\nbygglov, och beslut  om   bygglov."
    assert marked('"beslut om bygglov"', text) == ["Beslut om\nbygglov", "beslut  om   bygglov"]


def test_a_phrase_wins_over_its_own_words() -> None:
    assert marked('"detaljplan för hamnen" hamnen detaljplan') == ["detaljplan för hamnen"]
    marks = find_marks(TEXT, '"detaljplan för hamnen" hamnen')
    assert len(marks) == 1


def test_a_prefix_marks_every_word_starting_with_it() -> None:
    assert marked("bygg*") == ["bygglov", "bygglovet", "bygglovsansökan"]
    assert marked("BYGGLOVS*") == ["bygglovsansökan"]
    assert marked("e-po*") == ["e-post"]


def test_a_prefix_of_one_letter_is_a_word_and_not_marked() -> None:
    assert marked("b*") == []


# -- Swedish letters ---------------------------------------------------------------------------


def test_a_word_with_swedish_letters_never_marks_the_word_without_them() -> None:
    assert marked("får") == ["får"]
    assert marked("far") == ["Far"]
    assert marked("mör") == []          # "mor" is another word


def test_words_with_swedish_letters_match_whole_words() -> None:
    assert marked("väg") == ["väg"]
    assert marked("förskola") == ["förskolan", "förskolan"]
    assert marked("föreskrift") == ["Föreskrifterna"]
    text = "ÅRSREDOVISNING för år 2023 och årsredovisningen"
    assert marked("årsredovisning", text) == ["ÅRSREDOVISNING", "årsredovisningen"]
    assert marked("år", text) == []     # two letters


def test_a_word_typed_without_swedish_letters_marks_its_folded_forms_when_absent() -> None:
    # A visitor on a foreign keyboard: as the engines' folded field finds them.
    assert marked("foreskrift") == ["Föreskrifterna"]
    assert marked("forskola") == ["förskolan", "förskolan"]
    assert marked("vag") == ["väg"]
    assert marked("forsk*") == ["förskolan", "förskolan"]
    # ... but not when the word is in the text as typed.
    assert marked("far") == ["Far"]


# -- output ------------------------------------------------------------------------------------


def test_marked_text_is_escaped_html() -> None:
    text = 'Beslut <script>alert("x")</script> & "bygglov"'
    html = str(highlight_text(text, "beslut script"))
    assert html == ('<mark>Beslut</mark> &lt;<mark>script</mark>&gt;alert(&#34;x&#34;)'
                    '&lt;/<mark>script</mark>&gt; &amp; &#34;bygglov&#34;')


def test_no_query_or_nothing_markable_gives_the_text_escaped() -> None:
    assert str(highlight_text("a < b", "")) == "a &lt; b"
    assert str(highlight_text("a < b", "typ:beslut")) == "a &lt; b"
    assert str(highlight_text("a < b", '"" ( ) -')) == "a &lt; b"
    assert find_marks("", "beslut") == []


def test_marks_are_in_text_order_and_capped() -> None:
    text = "beslut " * (MAX_MARKS + 10)
    marks = find_marks(text, "beslut")
    assert len(marks) == MAX_MARKS
    assert [m.start for m in marks] == sorted(m.start for m in marks)
    assert len(find_marks(text, "beslut", limit=3)) == 3


def test_render_marks_ignores_bad_and_overlapping_ranges() -> None:
    html = render_marks("abcdef", [Mark(4, 99), Mark(0, 2), Mark(1, 3), Mark(5, 5)])
    assert str(html) == "<mark>ab</mark><mark>c</mark>d<mark>ef</mark>"
