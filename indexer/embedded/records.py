"""A PublicRecord as the embedded backend stores it: the tantivy document (fields in
`schema`) and the stored record JSON that hits and get() rebuild the record from."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from typing import TypeVar

import tantivy

from diarium.indexer.derived import SwedishExtras
from diarium.indexer.embedded.schema import to_datetime
from diarium.indexer.ranking import TEXT_FIELDS
from diarium.public import PublicRecord
from diarium.search import FACETS

_RECORD_FIELDS = tuple(f.name for f in dataclass_fields(PublicRecord))
_FIELD_SET = frozenset(_RECORD_FIELDS)
_new = object.__new__
T = TypeVar("T")

# Separators the whole text may be made of its pages with; then only the pages are stored.
_PAGE_JOINS = ("\n\n", "\n", "\f", " ", "")


def record_to_json(record: PublicRecord) -> bytes:
    """The stored form of a record: a JSON object of every PublicRecord field. When the
    text is its pages joined, the text is stored as the separator only (`text_join`):
    half the stored bytes and encoding time for a document with pages."""
    data = {name: getattr(record, name) for name in _RECORD_FIELDS}
    data["pages"] = list(record.pages)
    if record.pages:
        for join in _PAGE_JOINS:
            if len(record.text) == sum(map(len, record.pages)) + len(join) * (
                    len(record.pages) - 1) and record.text == join.join(record.pages):
                data["text"] = None
                data["text_join"] = join
                break
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def record_from_json(raw: bytes) -> PublicRecord:
    """The PublicRecord stored by record_to_json.

    The decoded object becomes the record's attributes at once: the generated __init__
    of a frozen dataclass sets its 25 fields one object.__setattr__ at a time (9 µs of
    the 24 µs a hit cost). Only a stored object holding exactly the record's fields
    takes that way (what record_to_json writes); anything else goes through __init__."""
    data = json.loads(raw)
    data["pages"] = tuple(data["pages"])
    join = data.pop("text_join", None)
    if data.get("text") is None:
        data["text"] = (join or "").join(data["pages"])
    if data.keys() == _FIELD_SET:
        record = _new(PublicRecord)
        record.__dict__.update(data)
        return record
    return PublicRecord(**{k: v for k, v in data.items() if k in _FIELD_SET})


def fast_constructor(cls: type[T], names: tuple[str, ...]) -> Callable[..., T]:
    """A constructor of the frozen dataclass `cls` taking the values of `names` in
    order that sets the instance's attributes straight into its __dict__ (the generated
    __init__ calls object.__setattr__ per field: 0.75 µs for a Hit, 0.48 for a Mark,
    against 0.38 and 0.32 this way; a page makes hundreds of hits, snippets, marks and
    facet values); `cls` itself when its fields are not exactly `names` or it has a
    __post_init__. Made like the dataclass's own __init__: source from the field names
    (identifiers), compiled once."""
    if tuple(f.name for f in dataclass_fields(cls)) != names or hasattr(cls, "__post_init__"):  # type: ignore[arg-type]
        return cls
    assert all(name.isidentifier() for name in names)
    sets = "".join(f"    attributes[{name!r}] = {name}\n" for name in names)
    source = (f"def make({', '.join(names)}):\n    made = new(cls)\n"
              f"    attributes = made.__dict__\n{sets}    return made\n")
    scope: dict[str, object] = {"new": _new, "cls": cls}
    exec(compile(source, f"<fast constructor of {cls.__name__}>", "exec"), scope)  # noqa: S102
    return scope["make"]  # type: ignore[return-value]


def facet_value(record: PublicRecord, field: str) -> str:
    """A record's value of a facet field as indexed and shown ("true"/"false" for bools)."""
    value = getattr(record, field)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def pages(record: PublicRecord) -> list[str]:
    """Per-page text to index (one value per page), falling back to the whole text."""
    if record.pages:
        return list(record.pages)
    return [record.text] if record.text else []


def to_document(record: PublicRecord, swedish: SwedishExtras) -> tantivy.Document:
    """The tantivy document of one PublicRecord (see `schema` for the fields); `swedish`
    derives the compound parts, lemmas and identifiers (none when it is inactive)."""
    doc = tantivy.Document()
    doc.add_text("doc_id", record.doc_id)
    doc.add_bytes("record", record_to_json(record))
    folded: list[str] = []
    for name in TEXT_FIELDS:
        values = pages(record) if name == "text" else [getattr(record, name)]
        for value in values:
            if value:
                doc.add_text(name, value)
                doc.add_text(f"{name}_exact", value)
                folded.append(value)
    for value in folded:
        doc.add_text("folded", value)
    extras = swedish.document_fields("\n".join(folded))
    for name in ("parts", "lemma"):
        if extras.get(name):
            doc.add_text(name, str(extras[name]))
    for identifier in extras.get("identifiers") or ():
        doc.add_text("ident", str(identifier))
    for facet in FACETS:
        value = facet_value(record, facet.field)
        if value:
            doc.add_text(facet.field, value)
            doc.add_text("kw", f"{facet.name}={value.casefold()}")
    doc.add_text("dnr_key", record.dnr_key)
    doc.add_text("dnr_year_serial", record.dnr_key.split("|", 1)[-1])
    doc.add_date("datum", to_datetime(record.datum))
    return doc
