"""The tantivy schema of the embedded backend and the analyzers it names.

Schema (one tantivy document per PublicRecord, built by `records.to_document`):

- `doc_id` (raw, stored): the key for replace/delete/get;
- `record` (stored bytes): the PublicRecord as JSON, so hits and get() rebuild it exactly;
- free text, per field (rubrik, part, arendemening, text) twice: `<f>` with the Swedish
  analyzer (lowercase, Snowball Swedish stopwords and stemmer) and `<f>_exact`
  (lowercase only, boosted above the stemmed field);
- `folded`: all free text lowercased, ASCII-folded (å/ä→a, ö→o) and stemmed; searched at a
  low boost and ONLY by query words typed without å/ä/ö, so `foreskrift` finds
  `föreskrift` while `får` never finds `far`;
- `parts`, `lemma`: compound parts and lemmas from `diarium.swedish` (the hook is
  `diarium.indexer.derived.SwedishExtras`); searched below whole words;
- `ident`: identifiers such as `AFS 2023:1` found in the text, raw;
- facet fields (organisation, namnd, enhet, riktning, handlingstyp, year, status,
  has_file, sammantrade): raw fast text fields, values as shown, for terms aggregations;
- `kw`: the same values lower-cased as "name=value" terms, for case-insensitive filters;
- `dnr_key` ("KS|2023|123") and `dnr_year_serial` ("2023|123"): raw, exact and by prefix;
- `datum`: date (range filters, sort).

The `text` field holds one value per page, so a snippet's position maps back to its page.
A change to the schema or an analyzer raises SCHEMA_VERSION: an index written with another
version is removed and created empty on setup (it is derived data; run a rebuild).
"""

from __future__ import annotations

from datetime import datetime

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

from diarium.indexer.ranking import TEXT_FIELDS
from diarium.search import FACETS

# 4: the sammantrade facet (issue 16); 5: derived words changed (a lemma that is a function
# word no longer stands for the word, ska/skall/skulle -> ska; telephone numbers as digits)
SCHEMA_VERSION = 5
SCHEMA_FILE = "diarium-schema.json"


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """The named analyzers every Index object must register before use."""
    def base() -> TextAnalyzerBuilder:
        # Tokens over 60 characters are junk (base64, URLs) and only bloat the dictionary.
        return TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(60)).filter(
            Filter.lowercase()
        )

    return {
        "sv_stem": base().filter(Filter.stopword("swedish")).filter(
            Filter.stemmer("swedish")).build(),
        "sv_exact": base().build(),
        "sv_folded": base().filter(Filter.ascii_fold()).filter(Filter.stemmer("swedish")).build(),
        "sv_words": TextAnalyzerBuilder(Tokenizer.whitespace()).filter(
            Filter.lowercase()).build(),
    }


ANALYZERS = _analyzers()


# The analyzer of each field holding a free text as written (what snippets are made of):
# each text field stemmed and exact, and all of them folded.
TEXT_ANALYZERS: dict[str, str] = {
    **{field: analyzer for name in TEXT_FIELDS
       for field, analyzer in ((name, "sv_stem"), (f"{name}_exact", "sv_exact"))},
    "folded": "sv_folded",
}


def _build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    sb.add_bytes_field("record", stored=True)
    for field, analyzer in TEXT_ANALYZERS.items():
        sb.add_text_field(field, tokenizer_name=analyzer)
    sb.add_text_field("parts", tokenizer_name="sv_words", index_option="freq")
    sb.add_text_field("lemma", tokenizer_name="sv_words", index_option="freq")
    sb.add_text_field("ident", tokenizer_name="raw", index_option="basic")
    for facet in FACETS:
        sb.add_text_field(facet.field, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_text_field("kw", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("dnr_key", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("dnr_year_serial", tokenizer_name="raw", index_option="basic")
    sb.add_date_field("datum", indexed=True, fast=True)
    return sb.build()


SCHEMA = _build_schema()


def tokens(analyzer: str, text: str) -> list[str]:
    """The tokens `analyzer` makes of `text`."""
    return list(ANALYZERS[analyzer].analyze(text))


def positioned(analyzer: str, text: str) -> list[tuple[int, str]]:
    """Tokens with their positions, so removed stopwords leave their gap in a phrase."""
    return [(t.position, t.text) for t in ANALYZERS[analyzer].pre_tokenize(text).tokens]


def to_datetime(iso: str) -> datetime:
    """The `datum` field's value of an ISO date (a longer timestamp is cut to its day).

    Raises ValueError for a text that is no date."""
    return datetime.fromisoformat(iso[:10])
