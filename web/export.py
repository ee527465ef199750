"""CSV and JSON export of a result list, streamed page by page and capped.

The export walks the search's pages (at most MAX_PER_PAGE hits per engine call) and
yields rows as it goes, so memory stays flat whatever the cap. Only PublicRecords are
exported, so nothing secret can leak; the public text itself is left out (it can be long;
the document page and API serve it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from diarium.public import PublicRecord
from diarium.search import MAX_PER_PAGE, Hit, SearchRequest, SearchResult

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
JSON_MEDIA_TYPE = "application/json; charset=utf-8"

# (column header, PublicRecord attribute)
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("diarienummer", "diarienummer"),
    ("löpnummer", "lopnummer"),
    ("datum", "datum"),
    ("riktning", "riktning"),
    ("handlingstyp", "handlingstyp"),
    ("rubrik", "rubrik"),
    ("part", "part"),
    ("ärendemening", "arendemening"),
    ("nämnd", "namnd"),
    ("enhet", "enhet"),
    ("handläggare", "handlaggare"),
    ("ärendestatus", "status"),
    ("organisation", "organisation_name"),
    ("har fil", "has_file"),
    ("sekretess", "sekretess_text"),
    ("sammanträde", "sammantrade"),
)

Searcher = Callable[[SearchRequest], SearchResult]


def iter_hits(search: Searcher, request: SearchRequest, limit: int) -> Iterator[Hit]:
    """Up to `limit` hits of `request`, fetched page by page through `search`."""
    per_page = MAX_PER_PAGE
    page = 1
    sent = 0
    while sent < limit:
        result = search(
            SearchRequest(
                query=request.query, filters=request.filters, date_from=request.date_from,
                date_to=request.date_to, sort=request.sort, page=page, per_page=per_page,
                with_facets=False,
            )
        )
        for hit in result.hits:
            yield hit
            sent += 1
            if sent >= limit:
                return
        if len(result.hits) < per_page or page * per_page >= result.total:
            return
        page += 1


def _cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_rows(hits: Iterator[Hit], document_url: Callable[[str], str]) -> Iterator[str]:
    """CSV text in chunks: a BOM (for spreadsheets), the header, then one line per hit."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for header, _ in CSV_COLUMNS] + ["länk"])
    yield "\ufeff" + buffer.getvalue()
    for hit in hits:
        buffer.seek(0)
        buffer.truncate()
        record = hit.record
        writer.writerow(
            [_cell(getattr(record, attr)) for _, attr in CSV_COLUMNS]
            + [document_url(record.doc_id)]
        )
        yield buffer.getvalue()


def record_json(record: PublicRecord, url: str | None = None) -> dict[str, Any]:
    """A record for export (register data, no text), with its page URL when given."""
    data: dict[str, Any] = {attr: getattr(record, attr) for _, attr in CSV_COLUMNS}
    data["doc_id"] = record.doc_id
    data["case_id"] = record.case_id
    data["organisation"] = record.organisation
    data["dnr_key"] = record.dnr_key
    if url is not None:
        data["url"] = url
    return data


def json_chunks(
    hits: Iterator[Hit], total: int, limit: int, document_url: Callable[[str], str]
) -> Iterator[str]:
    """A JSON object {"total", "limit", "records": [...]} in chunks, one record per chunk."""
    yield json.dumps({"total": total, "limit": limit}, ensure_ascii=False)[:-1]
    yield ', "records": ['
    first = True
    for hit in hits:
        item = json.dumps(record_json(hit.record, document_url(hit.record.doc_id)),
                          ensure_ascii=False)
        yield item if first else ",\n" + item
        first = False
    yield "]}\n"
