"""Snippets of Elasticsearch/OpenSearch hits: what to highlight, and the Snippet (text,
marks, field, page) rebuilt from the engine's marked fragments.

Highlights are marked with two control characters that never occur in the text (PRE,
POST), so the marks' places are exact in the plain text. A highlight of the folded field
(å, ä → a, ö → o, folded in Python position by position) is mapped back to the original
text by position.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diarium.public import PublicRecord
from diarium.search import SNIPPET_CHARS, Mark, Snippet

PRE, POST = "\u0002", "\u0003"   # highlight markers: control characters never in text


def highlight_request() -> dict[str, Any]:
    """The highlight part of a search body: one fragment per field, marked with PRE/POST."""
    names = []
    for name in ("text", "rubrik", "arendemening", "part"):
        names += [name, f"{name}.exact"]
    names.append("folded")
    return {
        "pre_tags": [PRE], "post_tags": [POST], "encoder": "default",
        "type": "unified", "fragment_size": SNIPPET_CHARS, "number_of_fragments": 1,
        "fields": {name: {} for name in names},
    }


def parse_marked(fragment: str) -> tuple[str, tuple[Mark, ...]]:
    """Plain text and marked ranges of a fragment carrying PRE/POST markers."""
    text: list[str] = []
    marks: list[Mark] = []
    start = 0
    length = 0
    for ch in fragment:
        if ch == PRE:
            start = length
        elif ch == POST:
            marks.append(Mark(start, length))
        else:
            text.append(ch)
            length += 1
    return "".join(text), tuple(marks)


def _page_of(fragment: str, pages: tuple[str, ...]) -> int | None:
    for number, page in enumerate(pages, 1):
        if fragment and fragment in page:
            return number
    return None


def _segments(record: PublicRecord) -> list[tuple[str, str, int | None]]:
    """(field, text, page) lines in the order of documents.free_text."""
    out: list[tuple[str, str, int | None]] = []
    for name in ("rubrik", "part", "arendemening"):
        if getattr(record, name):
            out.append((name, getattr(record, name), None))
    if record.pages:
        out += [("text", page, number) for number, page in enumerate(record.pages, 1)]
    elif record.text:
        out.append(("text", record.text, 1))
    return out


def _folded_snippet(record: PublicRecord, fragment: str, folded: str) -> Snippet | None:
    """A snippet of the original text for a highlight of the folded field.

    fold() keeps every character's position, so a mark's place in the folded text is its
    place in the original free text; the snippet is the original line (field value or
    page) holding the first mark. None when the marks fall only on the folded lemmas.
    """
    text, marks = parse_marked(fragment)
    at = folded.find(text)
    if at < 0 or not marks:
        return None
    first = at + marks[0].start
    offset = 0
    for name, value, page in _segments(record):
        line_end = offset + len(value)
        if offset <= first < line_end:
            lo, hi = max(at, offset), min(at + len(text), line_end)
            kept = tuple(Mark(at + m.start - lo, at + m.end - lo) for m in marks
                         if at + m.start >= lo and at + m.end <= hi)
            return Snippet(value[lo - offset:hi - offset], kept, name, page)
        offset = line_end + 1
    return None


def snippet(record: PublicRecord, highlight: Mapping[str, list[str]],
             folded: str) -> Snippet | None:
    """The best snippet: body text (with its page), else title, case title, party."""
    for name in ("text", "text.exact"):
        if highlight.get(name):
            text, marks = parse_marked(highlight[name][0])
            page = _page_of(text.strip(), record.pages) if record.pages else 1
            return Snippet(text, marks, "text", page)
    if highlight.get("folded") and folded:
        found = _folded_snippet(record, highlight["folded"][0], folded)
        if found is not None:
            return found
    for name in ("rubrik", "arendemening", "part"):
        for key in (name, f"{name}.exact"):
            if highlight.get(key):
                text, marks = parse_marked(highlight[key][0])
                return Snippet(text, marks, name, None)
    return None
