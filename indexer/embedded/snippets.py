"""Snippets of the embedded backend: the hit's text around the query's terms, with the
marked ranges and the page of the first mark (tantivy's SnippetGenerator)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property, lru_cache

import tantivy
from tantivy import Occur, Query

from diarium import query as q
from diarium.indexer.embedded.records import fast_constructor
from diarium.indexer.embedded.records import pages as record_pages
from diarium.indexer.embedded.schema import ANALYZERS, SCHEMA, TEXT_ANALYZERS, tokens
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
# read for its terms (see _read).
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
# The fields whose snippet is tried only on the page's hits that hold something it can
# mark (a term the query names outside phrases, or a whole phrase): the body fields, long
# texts analyzed anew for every hit (stemmed 20-60 µs, exact 15 µs), one by one, and the
# title fields (short, but six generator runs a hit) as one group. The check of a few
# terms costs 30-60 µs a page; a union of many common terms several times that, as much
# as it saves.
_TITLE_FIELDS = tuple(field for name in ("rubrik", "arendemening", "part")
                      for field in (name, f"{name}_exact"))
_TITLES = "titles"          # the title fields' group in Snippets.holding
_ANY = "any"                # every field a snippet is made of
_CHECKED: dict[str, tuple[str, ...]] = {
    "text": ("text",), "text_exact": ("text_exact",), "folded": ("folded",),
    _TITLES: _TITLE_FIELDS, _ANY: tuple(TEXT_ANALYZERS)}
_CHECKED_TERMS = 3
# The check (0.05-0.1 ms in place: a doc_freq per term, maybe a search) is made once the
# field's generator can be expected to run on this many more of the page's hits: the
# hits after this one, times the share of hits so far that reached the field (every hit
# reaches the first body field; few reach `folded`, after two others gave nothing).
_CHECK_AFTER = 4
_RARE = 256                # terms held by at most this many records: read those records
Key = tuple[int, int]      # a DocAddress as (segment_ord, doc)
_mark = fast_constructor(Mark, ("start", "end"))
_snippet = fast_constructor(Snippet, ("text", "marks", "field", "page"))


class Snippets:
    """Snippets for the hits of one search. A SnippetGenerator per field is built once
    per search (it looks up the query's terms and their statistics), not once per hit.

    A snippet needs a mark: a term the query names outside phrases, or a phrase where it
    stands whole (a term named only inside phrases is not marked elsewhere, see
    _phrase_marks); a field whose fragment is left without one gives no snippet, and the
    next field is tried (as Elasticsearch's highlighter does). So a body field, and the
    title fields as one group (_CHECKED), is tried only on the hits that hold something
    it can mark: once the field gives a hit no snippet and is expected to be tried on
    enough of the hits left (_CHECK_AFTER), one search over the page's records (by
    doc_id, or the few records holding rare terms) tells which of them hold any such
    term or phrase (read from the query, _read) in the field, and its generator, which
    analyzes the whole text anew (15-60 µs a body, 6 runs for the titles), is skipped
    on the others. The same snippets: a record whose indexed field holds none of
    those has none in the text shown (that text, or for `folded` a part of what it
    indexes).

    A query that also matches through fields no snippet is made of (a case number, an
    identifier) may find a page of hits holding nothing to mark: with `direct`, the page
    is checked for every snippet field at once before its first snippet (_ANY)."""

    def __init__(self, searcher: tantivy.Searcher, query: tantivy.Query,
                 stemmed_first: bool = True,
                 page: Sequence[tuple[tantivy.DocAddress, str]] = (),
                 direct: bool = False) -> None:
        """`stemmed_first`: whether the query has plain words (QueryPlan.has_words);
        `page`: the address and doc_id of each hit snippets will be asked for; `direct`:
        whether the query matches through fields without snippets (see above)."""
        self.searcher = searcher
        self.query = query
        self.generators: dict[str, tantivy.SnippetGenerator] = {}
        self.page = [((address.segment_ord, address.doc), doc_id) for address, doc_id in page]
        self.keys = frozenset(key for key, _ in self.page)
        self.position = {key: at for at, (key, _) in enumerate(self.page)}
        self.reached: dict[str, int] = {}       # page hits a field (group) was tried on
        self.holding: dict[str, frozenset[Key] | None] = {}    # holders(), once needed
        self.direct = direct
        # Words match every inflection in the stemmed field, so highlight there first;
        # phrases and prefixes only have terms in the exact field.
        self.body_fields = (("text", "text_exact", "folded") if stemmed_first
                            else ("text_exact", "text", "folded"))

    @cached_property
    def debug(self) -> str:
        """tantivy's Debug output of the query (read for its terms), made once."""
        return repr(self.query)

    @cached_property
    def reading(self) -> _Reading | None:
        """_read() of the query, made once needed."""
        return _read(self.debug)

    @cached_property
    def phrasal(self) -> bool:
        """Whether the query has phrases (one substring test): without, no mark is
        dropped and no reading is needed to make a snippet."""
        return "PhraseQuery {" in self.debug

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
        `address`: the hit's (one of `page`: its fields are pre-checked)."""
        key = (address.segment_ord, address.doc) if address is not None else None
        if key not in self.keys:
            key = None
        if key is not None and self.direct:
            if _ANY not in self.holding:
                self.holding[_ANY] = self.holders(_ANY)
            if self.skipped(_ANY, key):
                return ()
        pages = [(number, page.strip()) for number, page in enumerate(record_pages(record), 1)]
        pages = [(number, page) for number, page in pages if page]
        for field in self.body_fields:
            if not pages or self.skipped(field, key):
                continue
            snippet = self.snippet(field, pages)
            self.tried(field, key, snippet is not None)
            if snippet is not None:
                return (_snippet(snippet.text, snippet.marks, "text", snippet.page),)
        if self.skipped(_TITLES, key):
            return ()
        for field in _TITLE_FIELDS:
            value = getattr(record, field.removesuffix("_exact")).strip()
            snippet = self.snippet(field, [(0, value)] if value else [])
            if snippet is not None:
                self.tried(_TITLES, key, True)
                return (_snippet(snippet.text, snippet.marks, snippet.field.removesuffix(
                    "_exact"), None),)
        self.tried(_TITLES, key, False)
        return ()

    def skipped(self, field: str, key: Key | None) -> bool:
        """Whether a page hit is known to hold nothing `field` (a group of _CHECKED)
        can mark."""
        holding = self.holding.get(field)
        return key is not None and holding is not None and key not in holding

    def tried(self, field: str, key: Key | None, found: bool) -> None:
        """Count a page hit `field` was tried on; when it gave nothing and the field can
        be expected to be tried on _CHECK_AFTER more hits, check the page's hits."""
        if key is None or field in self.holding:
            return
        reached = self.reached[field] = self.reached.get(field, 0) + 1
        seen = self.position[key] + 1
        if not found and (len(self.page) - seen) * reached >= _CHECK_AFTER * seen:
            self.holding[field] = self.holders(field)

    def holders(self, field: str) -> frozenset[Key] | None:
        """The page's hits holding something the query can mark in `field` (in any
        field of its group of _CHECKED): a term named outside phrases or a whole phrase;
        None (no hit is skipped) for a field not checked or when the query's terms cannot
        be read. What no record holds (the typical case: a case number's words in the
        stemmed text) needs no search; rare terms a search of their own; else the page's
        records by doc_id AND any of them."""
        fields = _CHECKED.get(field)
        if fields is None:
            return None
        reading = self.reading
        if reading is None or not (reading.single or reading.phrases):
            return None
        clauses: list[Query] = []
        held = 0
        for name in fields:
            field_id = _field_ids()[name]
            single = reading.single.get(field_id, set())
            for term in sorted(single):
                if freq := self.searcher.doc_freq(name, term):
                    held += freq
                    clauses.append(Query.term_query(SCHEMA, name, term))
            for phrase in reading.phrases.get(field_id, ()):
                if single.issuperset(phrase):
                    continue     # a hit holding it holds its terms
                freq = min(self.searcher.doc_freq(name, term) for term in phrase)
                if freq:
                    held += freq
                    clauses.append(Query.phrase_query(SCHEMA, name, list(phrase)))
        if not clauses:
            return frozenset()
        holding = Query.boolean_query([(Occur.Should, clause) for clause in clauses])
        if held <= _RARE:
            # Few records hold them: those records, without the page's doc_ids.
            found = self.searcher.search(holding, held, count=False)
            return frozenset(key for _, address in found.hits
                             if (key := (address.segment_ord, address.doc)) in self.keys)
        if len(clauses) > _CHECKED_TERMS * len(fields) and field != _ANY:
            return None
        ids = Query.boolean_query([(Occur.Should, Query.term_query(SCHEMA, "doc_id", doc_id))
                                   for _, doc_id in self.page])
        found = self.searcher.search(
            Query.boolean_query([(Occur.Must, ids), (Occur.Must, holding)]), len(self.page),
            count=False)
        return frozenset((address.segment_ord, address.doc) for _, address in found.hits)

    def snippet(self, field: str, pages: list[tuple[int, str]], again: bool = True
                ) -> Snippet | None:
        """A snippet of `pages` (number, text) for the query's terms in `field`, or None
        (nothing marked). `again`: when tantivy's fragment holds a phrase's words but not
        the phrase, try once more on the text around the phrase's first place."""
        if not pages:
            return None
        reading = self.reading if self.phrasal else None
        field_id = _field_ids()[field]
        if (reading is not None and TEXT_ANALYZERS[field] == "sv_exact"
                and field_id in reading.phrases and not reading.single.get(field_id)):
            # Only phrases to mark: their first place, found by pattern, and every
            # place in the text around it (tantivy's generator would analyze the whole
            # text and mark each of their words wherever it stands).
            return _phrase_snippet(field, pages, reading.phrases[field_id])
        doc = tantivy.Document()
        for _, text in pages:
            doc.add_text(field, text)
        found = self.generator(field).snippet_from_doc(doc)
        ranges = found.highlighted()
        if not ranges:
            return None
        fragment = found.fragment()
        marks = _marks(fragment, ranges)
        only = reading.only.get(field_id) if reading is not None else None
        if only and reading is not None:
            marks = _phrase_marks(fragment, marks, TEXT_ANALYZERS[field], only,
                                  reading.phrases[field_id])
            if not marks:
                # tantivy picks the fragment with the most of the query's terms: here
                # words of a phrase that also stands whole elsewhere, perhaps.
                window = _phrase_window(pages, TEXT_ANALYZERS[field],
                                        reading.phrases[field_id]) if again else None
                return self.snippet(field, [window], again=False) if window else None
        # The field's values are joined with one space: find the page of the first mark.
        hit_at = found.fragment_range().start + len(fragment[:marks[0].start].encode("utf-8"))
        page, offset = pages[0][0], 0
        for number, text in pages:
            if offset > hit_at:
                break
            page = number
            offset += len(text.encode("utf-8")) + 1
        return _snippet(fragment, marks, field, page if page > 0 else None)


def _marks(fragment: str, ranges: Sequence[tantivy.Range]) -> tuple[Mark, ...]:
    """tantivy's highlighted ranges (UTF-8 byte offsets, in order) as marks (Python
    strings count characters): each stretch of the fragment decoded once."""
    if fragment.isascii():
        return tuple(_mark(r.start, r.end) for r in ranges)
    raw = fragment.encode("utf-8")
    out: list[Mark] = []
    byte = char = 0
    for r in ranges:
        if r.start < byte:          # not in order: count from the fragment's start
            byte = char = 0
        char += len(raw[byte:r.start].decode("utf-8", "ignore"))
        start = char
        char += len(raw[r.start:r.end].decode("utf-8", "ignore"))
        byte = r.end
        out.append(_mark(start, char))
    return tuple(out)


class _Reading:
    """The terms a query names, by field id, read from tantivy's Debug output of it:
    `single` outside phrases (every term the snippet generator can highlight is among
    them or the phrases'), `phrases` in order (a phrase the user typed, a synonym's
    expansion such as BUN's "barn och utbildningsnämnden", a word the analyzer splits:
    2021-0133 as "2021 0133"; a phrase with slop, a proximity clause, or with a stopword's
    gap counts its terms as single), and `only`: those named only inside phrases."""

    def __init__(self, single: dict[int, set[str]],
                 phrases: dict[int, list[tuple[str, ...]]]) -> None:
        self.single = single
        self.phrases = phrases
        self.only: dict[int, frozenset[str]] = {}
        for field, listed in phrases.items():
            named = {t for phrase in listed for t in phrase}
            if only := frozenset(named - single.get(field, set())):
                self.only[field] = only


# What stands between two terms of one phrase, and after its last one.
_CONTINUED = re.compile(r"\), \((\d+), ")
_ENDED = re.compile(r"\)\], slop: (\d+) \}")


def _read(debug: str) -> _Reading | None:
    """_Reading of a query from tantivy's Debug output of it, in one pass over its
    terms; None when the output names a query type the compiler does not build, holds an
    escaped character, or a phrase it cannot follow."""
    if "\\" in debug:
        return None
    chunks = debug.split("Term(field=")
    between = [chunks[0]]      # the text before each term, and after the last
    named: list[tuple[int, str, str]] = []      # (field, type, term) in order
    for chunk in chunks[1:]:
        number, _, chunk = chunk.partition(", type=")
        kind, _, chunk = chunk.partition(', "')
        text, closed, after = chunk.partition('")')
        if not (closed and number.isdigit() and kind.isalnum()):
            return None
        named.append((int(number), kind, text))
        between.append(after)
    rest = "".join(between)
    if '"' in rest or not set(rest.encode().translate(_WORDS_ONLY).split()) <= _KNOWN_WORDS:
        return None
    single: dict[int, set[str]] = {}
    phrases: dict[int, list[tuple[str, ...]]] = {}

    def close(field: int, terms: list[tuple[int, str]], after: str) -> bool:
        ended = _ENDED.match(after)
        if ended is None:
            return False
        if ended.group(1) == "0" and [at for at, _ in terms] == list(range(len(terms))):
            phrases.setdefault(field, []).append(tuple(text for _, text in terms))
        else:
            single.setdefault(field, set()).update(text for _, text in terms)
        return True

    phrase: tuple[int, list[tuple[int, str]]] | None = None
    for (field, kind, text), before in zip(named, between, strict=False):
        if phrase is not None:
            continued = _CONTINUED.fullmatch(before)
            if continued is not None and field == phrase[0]:
                phrase[1].append((int(continued.group(1)), text))
                continue
            if not close(*phrase, before):
                return None
            phrase = None
        if kind != "Str":
            continue
        if before.endswith("phrase_terms: [(0, ") and before.endswith(
                f"PhraseQuery {{ field: Field({field}), phrase_terms: [(0, "):
            phrase = (field, [(0, text)])
        else:
            single.setdefault(field, set()).add(text)
    if phrase is not None and not close(*phrase, between[-1]):
        return None
    return _Reading(single, phrases)


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


def _phrase_window(pages: list[tuple[int, str]], analyzer: str,
                   phrases: list[tuple[str, ...]]) -> tuple[int, str] | None:
    """The page number and the text around the first place where one of `phrases`
    stands whole in `pages` (as `analyzer` reads them), a snippet long and cut at
    spaces; None when none does."""
    for number, text in pages:
        at = _phrase_at(text, analyzer, phrases)
        if at is not None:
            start, stop = _window(text, at, at)
            return number, text[start:stop]
    return None


def _window(text: str, first: int, end: int) -> tuple[int, int]:
    """The start and end of a snippet of `text` holding [first, end): from a space a
    quarter of a snippet before it, a snippet long, ending at a space."""
    lead = max(0, first - SNIPPET_CHARS // 4)
    start = text.rfind(" ", 0, lead) + 1 if lead else 0
    if start + SNIPPET_CHARS >= len(text):
        return start, len(text)
    stop = text.rfind(" ", start, start + SNIPPET_CHARS)
    return start, stop if stop >= end else max(end, start + SNIPPET_CHARS)


def _phrase_snippet(field: str, pages: list[tuple[int, str]],
                    phrases: list[tuple[str, ...]]) -> Snippet | None:
    """A snippet of an exact field marking only phrases: the text around the first place
    one of them stands (_standing), each word of every place within marked; None when
    none stands in `pages`."""
    for number, text in pages:
        places = sorted((m.start(), m.end()) for phrase in phrases
                        for m in _standing(phrase).finditer(text))
        if not places:
            continue
        start, stop = _window(text, *places[0])
        words = sorted({(word.start(), word.end()) for at, end in places
                        if start <= at and end <= stop
                        for word in _WORD.finditer(text, at, end)})
        marks = tuple(_mark(at - start, end - start) for at, end in words)
        return _snippet(text[start:stop].rstrip(), marks, field, number if number > 0 else None)
    return None


_WORD = re.compile(r"[^\W_]+")       # what the exact analyzer makes a term of


def _phrase_at(text: str, analyzer: str, phrases: list[tuple[str, ...]]) -> int | None:
    """Where in `text` (a character offset) one of `phrases` first stands whole."""
    if analyzer == "sv_exact":
        # The exact analyzer's terms are the text's runs of letters and digits, lower
        # case: a pattern finds a phrase of them without making every token.
        places = [m.start() for phrase in phrases if (m := _standing(phrase).search(text))]
        return min(places) if places else None
    found = ANALYZERS[analyzer].pre_tokenize(text).tokens
    words = [token.text for token in found]
    firsts = {phrase[0] for phrase in phrases}
    for at in (at for at, word in enumerate(words) if word in firsts):
        for phrase in phrases:
            end = at + len(phrase)
            if (tuple(words[at:end]) == phrase
                    and found[end - 1].position - found[at].position == len(phrase) - 1):
                return int(found[at].char_offset_from)
    return None


@lru_cache(maxsize=256)
def _standing(phrase: tuple[str, ...]) -> re.Pattern[str]:
    """A phrase of the exact analyzer's terms as it stands in a text: its words joined by
    anything but letters and digits, ignoring case."""
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, phrase))
                      + r"(?![^\W_])", re.IGNORECASE)


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
    firsts = {phrase[0] for phrase in phrases}
    for at in [at for at, term in enumerate(terms) if term in firsts]:
        for phrase in phrases:
            end = at + len(phrase)
            if tuple(terms[at:end]) == phrase and not any(
                    _WORD.search(fragment, marks[k].end, marks[k + 1].start)
                    for k in range(at, end - 1)):
                keep[at:end] = [True] * len(phrase)
    return tuple(mark for mark, kept in zip(marks, keep, strict=True) if kept)

