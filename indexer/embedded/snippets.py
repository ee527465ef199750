"""Snippets of the embedded backend: the hit's text around the query's terms, with the
marked ranges and the page of the first mark (tantivy's SnippetGenerator)."""

from __future__ import annotations

import tantivy
from tantivy import Occur, Query

from diarium import query as q
from diarium.indexer.embedded.records import pages as record_pages
from diarium.indexer.embedded.schema import SCHEMA, tokens
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


class Snippets:
    """Snippets for the hits of one search. A SnippetGenerator per field is built once
    per search (it looks up the query's terms and their statistics), not once per hit."""

    def __init__(self, searcher: tantivy.Searcher, query: tantivy.Query,
                 stemmed_first: bool = True) -> None:
        """`stemmed_first`: whether the query has plain words (QueryPlan.has_words)."""
        self.searcher = searcher
        self.query = query
        self.generators: dict[str, tantivy.SnippetGenerator] = {}
        # Words match every inflection in the stemmed field, so highlight there first;
        # phrases and prefixes only have terms in the exact field.
        self.body_fields = (("text", "text_exact", "folded") if stemmed_first
                            else ("text_exact", "text", "folded"))

    def generator(self, field: str) -> tantivy.SnippetGenerator:
        found = self.generators.get(field)
        if found is None:
            found = tantivy.SnippetGenerator.create(self.searcher, self.query, SCHEMA, field)
            found.set_max_num_chars(SNIPPET_CHARS)
            self.generators[field] = found
        return found

    def of(self, record: PublicRecord) -> tuple[Snippet, ...]:
        """A snippet of the body with its page; else of the title, case title or party."""
        pages = [(number, page.strip()) for number, page in enumerate(record_pages(record), 1)]
        pages = [(number, page) for number, page in pages if page]
        for field in self.body_fields:
            snippet = self.snippet(field, pages)
            if snippet is not None:
                return (Snippet(snippet.text, snippet.marks, "text", snippet.page),)
        for name in ("rubrik", "arendemening", "part"):
            value = getattr(record, name).strip()
            for field in (name, f"{name}_exact"):
                snippet = self.snippet(field, [(0, value)] if value else [])
                if snippet is not None:
                    return (Snippet(snippet.text, snippet.marks, name, None),)
        return ()

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
        # The field's values are joined with one space: find the page of the first mark.
        hit_at = found.fragment_range().start + ranges[0].start
        page, offset = pages[0][0], 0
        for number, text in pages:
            if offset > hit_at:
                break
            page = number
            offset += len(text.encode("utf-8")) + 1
        return Snippet(fragment, marks, field, page if page > 0 else None)
