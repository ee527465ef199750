"""Snippets of the embedded backend: the hit's text around the query's terms, with the
marked ranges and the page of the first mark (tantivy's SnippetGenerator)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import tantivy
from tantivy import Occur, Query

from diarium import query as q
from diarium.indexer.embedded.records import pages as record_pages
from diarium.indexer.embedded.schema import SCHEMA, TEXT_ANALYZERS, tokens
from diarium.public import PublicRecord
from diarium.search import SNIPPET_CHARS, Mark, Snippet


def with_prefix_terms(searcher: tantivy.Searcher, query: tantivy.Query,
                      node: q.Node) -> tantivy.Query:
    """`query` plus the commonest words each prefix of `node` expands to: the snippet
    generator highlights terms, and a prefix query names none."""
    found_prefixes = prefixes(node)
    if not found_prefixes:
        return query
    extra: list[tantivy.Query] = []
    for prefix in found_prefixes:
        found = tokens("sv_exact", prefix)
        if len(found) != 1:
            continue
        for field in ("text_exact", "rubrik_exact", "arendemening_exact", "part_exact"):
            words = [t for t, _ in searcher.terms_with_prefix(field, found[0], limit=30)]
            if words:
                extra.append(Query.term_set_query(SCHEMA, field, words))
    if not extra:
        return query
    return Query.boolean_query([(Occur.Should, query)] + [(Occur.Should, e) for e in extra])


def prefixes(node: q.Node) -> list[str]:
    """The prefixes of `node` outside any Not, in query order."""
    if isinstance(node, q.Prefix):
        return [node.text]
    if isinstance(node, q.And | q.Or):
        return [text for child in node.children for text in prefixes(child)]
    return []


# A term as tantivy's Debug output of a query names it, and the other words that output
# may hold for the query types the compiler builds: a query naming anything else is not
# read for its terms (see _field_terms).
_TERM = re.compile(r'Term\(field=(\d+), type=(\w+), "((?:[^"\\]|\\.)*)"\)')
_KNOWN_WORDS = frozenset(word.encode() for word in (
    "Query", "BooleanQuery", "subqueries", "Should", "Must", "MustNot",
    "minimum_number_should_match", "TermQuery", "PhraseQuery", "phrase_terms", "slop",
    "field", "Field", "DisjunctionMaxQuery", "disjuncts", "tie_breaker", "Boost", "boost",
    "query", "Const", "score", "AllQuery", "EmptyQuery", "TermSetQuery", "terms_map",
    "PhrasePrefixQuery", "prefix", "max_expansions", "e", "inf", "NaN"))
# bytes.translate table: ASCII letters and "_" kept, every other byte a space
_WORDS_ONLY = bytes(c if chr(c).isascii() and (chr(c).isalpha() or c == 0x5F) else 0x20
                    for c in range(256))
# The stemmed body fields: long texts, stemmed anew for every hit (20-60 µs), so a hit
# is pre-checked for the query's terms in them, when it names a few (the check of one
# term costs 30 µs a page; a union of common terms several times that, as much as it
# saves). The exact field re-tokenises in a third of the time; the title fields are short.
_CHECKED = ("text", "folded")
_CHECKED_TERMS = 3
# The check (0.1 ms in place: a doc_freq per term, maybe a search) is made once the
# field's generator can be expected to run on this many more of the page's hits: the
# hits after this one, times the share of hits so far that reached the field (every hit
# reaches the first body field; few reach `folded`, after two others gave nothing).
_CHECK_AFTER = 4
_RARE = 256                # terms held by at most this many records: read those records
Key = tuple[int, int]      # a DocAddress as (segment_ord, doc)


class Snippets:
    """Snippets for the hits of one search. A SnippetGenerator per field is built once
    per search (it looks up the query's terms and their statistics), not once per hit.

    A stemmed body field's snippet is tried only on hits that hold one of the query's
    terms in it: once such a field gives a hit no snippet and is expected to be tried on
    enough of the hits left (_CHECK_AFTER), one search over the page's records (by
    doc_id) tells which of them hold any term the query names in that field
    (read from the query, _field_terms), and the generator, which stems the whole text
    anew (20-60 µs a hit), is skipped on the others. The same snippets: a record whose
    indexed field holds none of those terms has none in the text shown (that text, or
    for `folded` a part of what it indexes)."""

    def __init__(self, searcher: tantivy.Searcher, query: tantivy.Query,
                 stemmed_first: bool = True,
                 page: Sequence[tuple[tantivy.DocAddress, str]] = ()) -> None:
        """`stemmed_first`: whether the query has plain words (QueryPlan.has_words);
        `page`: the address and doc_id of each hit snippets will be asked for."""
        self.searcher = searcher
        self.query = query
        self.generators: dict[str, tantivy.SnippetGenerator] = {}
        self.page = [((address.segment_ord, address.doc), doc_id) for address, doc_id in page]
        self.keys = frozenset(key for key, _ in self.page)
        self.position = {key: at for at, (key, _) in enumerate(self.page)}
        self.reached: dict[str, int] = {}       # page hits a body field was tried on
        self.holding: dict[str, frozenset[Key] | None] = {}    # holders(), once needed
        self.terms: dict[int, set[str]] | None = None         # _field_terms() of the query
        self.phrasal: _Phrasal | None = None                  # _phrasal() of the query
        self.debug_text: str | None = None
        # Words match every inflection in the stemmed field, so highlight there first;
        # phrases and prefixes only have terms in the exact field.
        self.body_fields = (("text", "text_exact", "folded") if stemmed_first
                            else ("text_exact", "text", "folded"))

    def debug(self) -> str:
        """tantivy's Debug output of the query (read for its terms), made once."""
        if self.debug_text is None:
            self.debug_text = repr(self.query)
        return self.debug_text

    def generator(self, field: str) -> tantivy.SnippetGenerator:
        found = self.generators.get(field)
        if found is None:
            found = tantivy.SnippetGenerator.create(self.searcher, self.query, SCHEMA, field)
            found.set_max_num_chars(SNIPPET_CHARS)
            self.generators[field] = found
        return found

    def of(self, record: PublicRecord, address: tantivy.DocAddress | None = None
           ) -> tuple[Snippet, ...]:
        """A snippet of the body with its page; else of the title, case title or party.
        `address`: the hit's (one of `page`: its body fields are pre-checked)."""
        key = (address.segment_ord, address.doc) if address is not None else None
        if key not in self.keys:
            key = None
        pages = [(number, page.strip()) for number, page in enumerate(record_pages(record), 1)]
        pages = [(number, page) for number, page in pages if page]
        for field in self.body_fields:
            snippet = self.checked(field, pages, key)
            if snippet is not None:
                return (Snippet(snippet.text, snippet.marks, "text", snippet.page),)
        for name in ("rubrik", "arendemening", "part"):
            value = getattr(record, name).strip()
            for field in (name, f"{name}_exact"):
                snippet = self.snippet(field, [(0, value)] if value else [])
                if snippet is not None:
                    return (Snippet(snippet.text, snippet.marks, name, None),)
        return ()

    def checked(self, field: str, pages: list[tuple[int, str]], key: Key | None
                ) -> Snippet | None:
        """snippet() of a body field, skipped for a page hit known to hold none of the
        field's terms."""
        if not pages:
            return None
        holding = self.holding.get(field)
        if key is not None and holding is not None and key not in holding:
            return None
        found = self.snippet(field, pages)
        if key is not None and field not in self.holding:
            reached = self.reached[field] = self.reached.get(field, 0) + 1
            seen = self.position[key] + 1
            if found is None and (len(self.page) - seen) * reached >= _CHECK_AFTER * seen:
                self.holding[field] = self.holders(field)
        return found

    def holders(self, field: str) -> frozenset[Key] | None:
        """The page's hits holding any term the query names in `field`; None (no hit is
        skipped) for a field not checked or when the query's terms cannot be read. Terms
        no record holds (the typical case: a case number's words in the stemmed text)
        need no search; rare ones a search of their own; else the page's records by
        doc_id AND any of the terms."""
        if field not in _CHECKED:
            return None
        if self.terms is None:
            read = self.phrasal.every if self.phrasal is not None else None
            self.terms = (read if read is not None else _field_terms(self.debug())) or {}
        if not self.terms:
            return None
        named = sorted(self.terms.get(_field_ids()[field], ()))
        if not named:
            return frozenset()
        held = sum(self.searcher.doc_freq(field, term) for term in named)
        if held == 0:
            return frozenset()
        holding = Query.boolean_query([(Occur.Should, Query.term_query(SCHEMA, field, term))
                                       for term in named])
        if held <= _RARE:
            # Few records hold them: those records, without the page's doc_ids.
            found = self.searcher.search(holding, held, count=False)
            return frozenset(key for _, address in found.hits
                             if (key := (address.segment_ord, address.doc)) in self.keys)
        if len(named) > _CHECKED_TERMS:
            return None
        ids = Query.boolean_query([(Occur.Should, Query.term_query(SCHEMA, "doc_id", doc_id))
                                   for _, doc_id in self.page])
        found = self.searcher.search(
            Query.boolean_query([(Occur.Must, ids), (Occur.Must, holding)]), len(self.page),
            count=False)
        return frozenset((address.segment_ord, address.doc) for _, address in found.hits)

    def snippet(self, field: str, pages: list[tuple[int, str]]) -> Snippet | None:
        """A snippet of `pages` (number, text) for the query's terms in `field`, or None."""
        if not pages:
            return None
        doc = tantivy.Document()
        for _, text in pages:
            doc.add_text(field, text)
        found = self.generator(field).snippet_from_doc(doc)
        ranges = found.highlighted()
        if not ranges:
            return None
        fragment = found.fragment()
        raw = fragment.encode("utf-8")
        # tantivy reports UTF-8 byte offsets; Python strings count characters.
        marks = tuple(
            Mark(len(raw[:r.start].decode("utf-8", "ignore")),
                 len(raw[:r.end].decode("utf-8", "ignore")))
            for r in ranges
        )
        if self.phrasal is None:
            self.phrasal = _phrasal(self.debug())
        field_id = _field_ids()[field]
        only = self.phrasal.only.get(field_id)
        if only:
            # When no mark is left, the fragment stays, unmarked: the title and case
            # title are shown beside it, and trying every other field on every hit of
            # a case number's page would double its snippet time.
            marks = _phrase_marks(fragment, marks, TEXT_ANALYZERS[field], only,
                                  self.phrasal.phrases[field_id])
        # The field's values are joined with one space: find the page of the first mark.
        hit_at = found.fragment_range().start + ranges[0].start
        page, offset = pages[0][0], 0
        for number, text in pages:
            if offset > hit_at:
                break
            page = number
            offset += len(text.encode("utf-8")) + 1
        return Snippet(fragment, marks, field, page if page > 0 else None)


def _field_terms(debug: str) -> dict[int, set[str]] | None:
    """The text terms a query names, by field id, from tantivy's Debug output of it
    (every term the snippet generator can highlight is among them); None when the
    output names a query type the compiler does not build or a term with an escape."""
    out: dict[int, set[str]] = {}
    pieces = _TERM.split(debug)      # text, then (field, type, term, text) per term
    for at in range(1, len(pieces), 4):
        field, kind, text = pieces[at:at + 3]
        if "\\" in text:
            return None
        if kind == "Str":
            out.setdefault(int(field), set()).add(text)
    rest = "".join(pieces[0::4])
    if '"' in rest or not set(rest.encode().translate(_WORDS_ONLY).split()) <= _KNOWN_WORDS:
        return None
    return out


@lru_cache(maxsize=8192)
def _term(analyzer: str, marked: str) -> str | None:
    """The term `analyzer` makes of a marked word (None unless exactly one): a page's
    marks repeat the same few words, and a call into the analyzer costs 1-2 µs."""
    made = tokens(analyzer, marked)
    return made[0] if len(made) == 1 else None


@lru_cache(maxsize=1)
def _field_ids() -> dict[str, int]:
    """The field id tantivy's Debug output gives each field a snippet is made of."""
    ids: dict[str, int] = {}
    for name in TEXT_ANALYZERS:
        match = _TERM.search(repr(Query.term_query(SCHEMA, name, "x")))
        assert match is not None, "tantivy names a term query's field"
        ids[name] = int(match.group(1))
    return ids


# A phrase query as tantivy's Debug output writes it: its field, its terms with their
# positions, its slop.
_PHRASE = re.compile(r'PhraseQuery \{ field: Field\((\d+)\), phrase_terms: \[(.*?)\], '
                     r'slop: (\d+) \}')
_POSITIONED = re.compile(r'\((\d+), Term\(field=\d+, type=Str, "((?:[^"\\]|\\.)*)"\)\)')


class _Phrasal:
    """The query's terms that it names only inside phrases, by field id (`only`), and
    those phrases' terms in order (`phrases`): a phrase the user typed, a synonym's
    expansion (BUN: "barn och utbildningsnämnden"), a word the analyzer splits
    (2021-0133: "2021 0133"); and, when the query has phrases, every term it names
    (`every`, what _field_terms reads: the output is read once)."""

    def __init__(self) -> None:
        self.only: dict[int, frozenset[str]] = {}
        self.phrases: dict[int, list[tuple[str, ...]]] = {}
        self.every: dict[int, set[str]] | None = None


def _phrasal(debug: str) -> _Phrasal:
    """_Phrasal of a query from tantivy's Debug output of it; empty (no mark is dropped)
    when the output cannot be read (_field_terms) or a phrase has gaps or slop."""
    found = _Phrasal()
    if "PhraseQuery {" not in debug:
        return found
    phrases: dict[int, list[tuple[str, ...]]] = {}
    for match in _PHRASE.finditer(debug):
        field, inner, slop = int(match.group(1)), match.group(2), int(match.group(3))
        terms = _POSITIONED.findall(inner)
        if (slop or "\\" in inner or _POSITIONED.sub("", inner).strip(", ")
                or [int(at) for at, _ in terms] != list(range(len(terms)))):
            return found           # a proximity clause or a stopword's gap: keep every mark
        phrases.setdefault(field, []).append(tuple(text for _, text in terms))
    # The terms named outside phrases: the phrases' spans cut out of the output (read
    # as _field_terms reads a query, so an output it does not know drops no mark).
    single = _field_terms(_PHRASE.sub("PhraseQuery", debug)) if phrases else None
    if single is None:
        return found
    found.every = {field: set(terms) for field, terms in single.items()}
    for field, listed in phrases.items():
        named = {t for phrase in listed for t in phrase}
        found.every.setdefault(field, set()).update(named)
        if only := frozenset(named - single.get(field, set())):
            found.only[field] = only
            found.phrases[field] = listed
    return found


def _phrase_marks(fragment: str, marks: tuple[Mark, ...], analyzer: str,
                  only: frozenset[str], phrases: list[tuple[str, ...]]) -> tuple[Mark, ...]:
    """`marks` without those of a term the query names only inside phrases that do not
    stand in a run of marks spelling one of those phrases (tantivy's snippet generator
    marks each term of a phrase wherever it occurs: "om" of "beslut om bygglov", "och"
    of BUN's expansion, "2021" of 2021-0133 in every date of the year). Consecutive
    marks form a run when only spaces and punctuation stand between them; `analyzer`:
    the snippet field's."""
    terms = [_term(analyzer, fragment[mark.start:mark.end]) for mark in marks]
    keep = [term is None or term not in only for term in terms]
    for at in range(len(marks)):
        for phrase in phrases:
            end = at + len(phrase)
            if tuple(terms[at:end]) == phrase and all(
                    not any(ch.isalnum() for ch in fragment[marks[k].end:marks[k + 1].start])
                    for k in range(at, end - 1)):
                keep[at:end] = [True] * len(phrase)
    return tuple(mark for mark, kept in zip(marks, keep, strict=True) if kept)
