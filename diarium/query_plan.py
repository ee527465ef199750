"""The query plan: what a parsed query means, computed once for every engine.

Each engine's compiler turns a QueryPlan into its own syntax and decides nothing about
meaning itself, so the engines cannot drift apart. The plan says:

- `node`: the whole query (diarium.query AST), run first as the exact AND;
- graceful AND: when the exact query finds nothing, a query of two or more free-text
  parts (`free`: words, phrases, prefixes, and ORs of them) is run again with those parts
  OR'ed (function words such as `på` left out), records matching more of them ranking
  first; the `required` parts (field filters, diarienummer, also one typed among the
  words, date ranges) stay required and the `excluded` parts stay excluded. A query
  with fewer than two free-text parts is never relaxed: a search for
  `typ:beslut riktning:inkommande` with no exact hit shows no hits, not every Beslut;
- `proximity_words`: the plain words of the query's AND, in the order typed, that score
  higher close together in the text or the title (an engine applies it when its analyzer
  makes two or more tokens of them: `e-post` alone is two);
- `has_words`: whether the query has a plain word (snippets then prefer stemmed matches);
- `markable`: whether any part of the query can be marked in a snippet (an empty query or
  a pure filter query has none, so engines skip snippet generation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diarium import query as q
from diarium.config import OrgSettings
from diarium.swedish.stopwords import STOPWORDS


@dataclass(frozen=True)
class QueryPlan:
    """A parsed query and what each engine must do with it (see the module doc)."""

    text: str
    node: q.Node
    free: tuple[q.Node, ...]
    required: tuple[q.Node, ...]
    excluded: tuple[q.Node, ...]
    proximity_words: tuple[str, ...]
    has_words: bool
    markable: bool

    @property
    def relaxable(self) -> bool:
        """Whether graceful AND applies when the exact query finds nothing."""
        return len(self.free) >= 2


def plan(text: str, orgs: Iterable[OrgSettings] = ()) -> QueryPlan:
    """The plan of a query string in the diarium query language; never raises."""
    return plan_of(q.parse(text, orgs), text)


def plan_of(node: q.Node, text: str = "") -> QueryPlan:
    """The plan of an already parsed query; `text` is the query as typed (engines look
    up identifiers such as `AFS 2023:1` in the whole text)."""
    free: tuple[q.Node, ...] = ()
    required: tuple[q.Node, ...] = ()
    excluded: tuple[q.Node, ...] = ()
    if isinstance(node, q.And):
        # A function word (på, och, för) is no part graceful AND may match alone: on the
        # real corpus "recept på kanelbullar" listed the 184 documents holding "på".
        free = tuple(c for c in node.children if is_free_text(c) and not _is_stopword(c))
        excluded = tuple(c.node for c in node.children if isinstance(c, q.Not))
        required = tuple(
            c for c in node.children
            if not is_free_text(c) and not isinstance(c, q.Not | q.MatchAll)
        )
    return QueryPlan(
        text=text, node=node, free=free, required=required, excluded=excluded,
        proximity_words=_proximity_words(node), has_words=_has_words(node),
        markable=bool(q.terms(node)),
    )


def is_free_text(node: q.Node) -> bool:
    """Words, phrases and prefixes (and ORs of them): what graceful AND may drop. A word
    run the parser also read as a diarienummer (an OR with a Diarienummer) is not free
    text: a case number typed among words stays required."""
    if isinstance(node, q.Or):
        return all(is_free_text(c) for c in node.children)
    return isinstance(node, q.Word | q.Phrase | q.Prefix)


def _is_stopword(node: q.Node) -> bool:
    return isinstance(node, q.Word) and node.text.casefold() in STOPWORDS


def _proximity_words(node: q.Node) -> tuple[str, ...]:
    """The plain words of the query's AND (also when the parser put it in an OR with a
    diarienummer); () when the query is no AND."""
    if isinstance(node, q.Or):
        node = next((c for c in node.children if isinstance(c, q.And)), node)
    if not isinstance(node, q.And):
        return ()
    return tuple(c.text for c in node.children if isinstance(c, q.Word))


def _has_words(node: q.Node) -> bool:
    if isinstance(node, q.Word):
        return True
    if isinstance(node, q.And | q.Or):
        return any(_has_words(c) for c in node.children)
    return False
