"""Atom feeds for any search (bevakning): a journalist subscribes to new matching records.

Built with ElementTree, so every document-derived string is XML-escaped by the serializer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from diarium.search import Hit

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def _timestamp(iso_date: str) -> str:
    """An Atom timestamp for a register date (midnight UTC; the register has no time)."""
    return f"{iso_date[:10]}T00:00:00Z"


def build_feed(
    *,
    title: str,
    feed_url: str,
    search_url: str,
    hits: Sequence[Hit],
    document_url: Callable[[str], str],
    feed_id: str,
) -> bytes:
    """An Atom document with one entry per hit (newest first as given); returns UTF-8 XML.

    `document_url(doc_id)` gives the absolute URL of a document page; it is also the
    entry's id, which stays stable as long as the document exists.
    """
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": "sv"})
    _text(feed, "title", title)
    _text(feed, "id", feed_id)
    newest = max((hit.record.datum for hit in hits), default="")
    updated = _timestamp(newest) if newest else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _text(feed, "updated", updated)
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", {"rel": "self", "href": feed_url,
                                               "type": "application/atom+xml"})
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", {"rel": "alternate", "href": search_url,
                                               "type": "text/html"})
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _text(author, "name", "diarium")
    _text(feed, "generator", "diarium")
    for hit in hits:
        record = hit.record
        entry = ET.SubElement(feed, f"{{{ATOM_NS}}}entry")
        url = document_url(record.doc_id)
        heading = record.rubrik or record.handlingstyp or "Handling"
        _text(entry, "title", f"{record.diarienummer}:{record.lopnummer} {heading}")
        _text(entry, "id", url)
        _text(entry, "updated", _timestamp(record.datum))
        _text(entry, "published", _timestamp(record.datum))
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", {"rel": "alternate", "href": url,
                                                    "type": "text/html"})
        summary = " · ".join(
            part for part in (
                record.riktning, record.handlingstyp, record.part, record.arendemening,
                record.organisation_name or record.organisation,
            ) if part
        )
        _text(entry, "summary", summary)
        for term in (record.handlingstyp, record.riktning):
            if term:
                ET.SubElement(entry, f"{{{ATOM_NS}}}category", {"term": term})
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}")
    element.text = _xml_safe(text)
    return element


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry at all (escaping cannot help those)."""
    return "".join(
        ch for ch in text
        if ch in "\t\n\r" or 0x20 <= ord(ch) <= 0xD7FF or 0xE000 <= ord(ch) <= 0xFFFD
        or 0x10000 <= ord(ch) <= 0x10FFFF
    )
