"""The JSON document of a record in Elasticsearch/OpenSearch, and the record back from it.

The fields are described in settings.py (the mappings): every PublicRecord field is in
`_source` (pages as the values of `text`; the record's own text as the unindexed `body`
only when the pages do not give it back, PAGE_JOIN between them, as for nearly every
file), so a hit rebuilds the record exactly; the derived fields (folded, parts, lemma, ident,
kw, dnr_year_serial) are computed here in Python, as the embedded engine computes its own.
The passage vectors (settings.VECTOR_FIELD) come from the store's embeddings of the very
record written (PassageVectors, indexer/elastic/vectors.py), so a document carries the
vectors of its public projection only: none for a secret record, the title's only for one
not cleared for publication.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, Protocol

from diarium.indexer.derived import SwedishExtras
from diarium.indexer.elastic.settings import VECTOR_FIELD
from diarium.public import PublicRecord
from diarium.search import FACETS
from diarium.swedish.folding import fold

RECORD_FIELDS = tuple(f.name for f in fields(PublicRecord))
# How an extraction's text joins its pages (diarium.extractors); a record whose text is
# its pages so joined needs no second copy of it in `body`.
PAGE_JOIN = "\n\n"


def facet_value(record: PublicRecord, name: str) -> str:
    """A record's facet value as shown ("true"/"false" for bools, year as digits)."""
    value = record.year if name == "year" else getattr(record, name)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class PassageVectors(Protocol):
    """The stored vectors of a record's passages (indexer/elastic/vectors.StoreVectors)."""

    model_id: str

    def of(self, record: PublicRecord) -> Sequence[tuple[int, list[float]]]:
        """(position, vector) of each passage of the record that has a stored vector."""
        ...


class DocumentBuilder:
    """Turns a PublicRecord into the engine's JSON document (module doc of settings.py).
    `vectors`: where passage vectors come from, set when the cluster has vector fields
    (every index created then maps them); None writes no vectors."""

    def __init__(self, swedish: SwedishExtras | None = None,
                 vectors: PassageVectors | None = None) -> None:
        self.swedish = swedish if swedish is not None else SwedishExtras()
        self.vectors = vectors

    def source(self, record: PublicRecord, with_vectors: bool = True) -> dict[str, Any]:
        """The _source of one record: every PublicRecord field plus derived fields, and
        its passage vectors when there are any (`with_vectors` false: never; an index
        made before the vector fields were mapped takes none)."""
        doc: dict[str, Any] = {name: getattr(record, name) for name in RECORD_FIELDS
                               if name not in ("text", "pages")}
        # As in the embedded backend, `text` holds one value per page (a phrase never
        # spans two pages, and a snippet's page is the value it came from); the record's
        # own text is kept unindexed in `body` when the pages do not give it back (a
        # second copy of every text would be a third of the bytes sent and stored).
        doc["text"] = list(record.pages) if record.pages else (
            [record.text] if record.text else [])
        doc["paged"] = bool(record.pages)
        if record.pages and record.text != PAGE_JOIN.join(record.pages):
            doc["body"] = record.text
        free = free_text(record)
        extras = self.swedish.document_fields(free)
        doc["parts"] = extras.get("parts", "")
        doc["lemma"] = extras.get("lemma", "")
        doc["ident"] = [str(i) for i in extras.get("identifiers") or ()]
        # The folded text first (its positions are those of the original text, for
        # highlights), then the folded lemmas, so `foreskrift` finds `föreskrifterna`
        # without a stemmer that would need å/ä/ö.
        doc["folded"] = fold(free + "\n" + doc["lemma"]) if free else ""
        doc["year"] = str(record.year)
        doc["kw"] = [f"{f.name}={facet_value(record, f.field).casefold()}" for f in FACETS
                     if facet_value(record, f.field)]
        doc["dnr_year_serial"] = record.dnr_key.split("|", 1)[-1]
        if with_vectors and self.vectors is not None:
            found = self.vectors.of(record)
            if found:
                doc[VECTOR_FIELD] = [{"position": p, "vector": v} for p, v in found]
                doc["vector_model"] = self.vectors.model_id
        return doc


def free_text(record: PublicRecord) -> str:
    """All free text of a record joined by newlines: rubrik, part, arendemening, then the
    body (its pages when it has them), the order of the folded field."""
    body = "\n".join(record.pages) if record.pages else record.text
    values = [record.rubrik, record.part, record.arendemening, body]
    return "\n".join(v for v in values if v)


def record_from_source(source: Mapping[str, Any]) -> PublicRecord:
    """The PublicRecord stored in a document's _source."""
    data = {k: source[k] for k in RECORD_FIELDS if k in source}
    data["pages"] = tuple(source.get("text") or ()) if source.get("paged") else ()
    if "body" in source:          # the text apart from its pages (or a document
        data["text"] = source["body"]   # written before `body` was left out)
    else:
        values = source.get("text") or ()
        data["text"] = PAGE_JOIN.join(values) if source.get("paged") else (
            values[0] if values else "")
    return PublicRecord(**data)
