"""The public projection: what of the register may be shown.

This module is the ONLY place where privacy rules are applied. Indexes, snippets, facets,
feeds, exports and the API only ever receive PublicRecord objects built here.

Rules (DESIGN.md, "Privacy and secrecy"):
- a secret document is only its register entry: date, diarienummer, direction, document
  type and the text "Sekretess enligt <lagrum>"; no title, party, text or file;
- a document not cleared for publication keeps its entry, but not its text or file;
- personnummer and samordningsnummer are masked in every public field.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

from diarium import personnummer
from diarium.config import Settings
from diarium.store import Store

BATCH_SIZE = 500        # documents per SQL round trip (and bound parameters per IN list)


@dataclass(frozen=True)
class PublicRecord:
    """One document as the public may see it. Every string here is already safe to publish."""

    doc_id: str                 # the store's document id, as text
    case_id: int
    organisation: str           # slug
    organisation_name: str
    diarienummer: str           # as written
    dnr_key: str                # canonical key PREFIX|YEAR|SERIAL
    lopnummer: int
    datum: str                  # ISO date
    riktning: str
    handlingstyp: str
    rubrik: str                 # "Sekretess enligt ..." for a secret document
    part: str
    arendemening: str           # the case's title (masked); "" for a secret document
    namnd: str
    enhet: str
    handlaggare: str
    status: str
    klassificering: str
    text: str                   # public text; empty when secret or unpublished
    pages: tuple[str, ...]      # per-page public text (same rules as text)
    has_file: bool              # a public original can be downloaded
    secret: bool
    sekretess_text: str         # "Sekretess enligt <lagrum>" or ""
    file_name: str = ""         # download name of the public original, or ""
    media_type: str = ""

    @property
    def year(self) -> int:
        return int(self.datum[:4])


@dataclass(frozen=True)
class PublicCase:
    """A case (ärende) as the public may see it: its register data and its documents'
    PublicRecords in löpnummer order. Strings are masked like a record's; `arendemening`
    is "" when every document of the case is secret (the title would tell what they are)."""

    case_id: int
    organisation: str
    organisation_name: str
    diarienummer: str
    dnr_key: str
    arendemening: str
    status: str
    namnd: str
    enhet: str
    handlaggare: str
    klassificering: str
    documents: tuple[PublicRecord, ...]


def sekretess_text(lagrum: str) -> str:
    """The neutral text shown instead of a secret document's title."""
    return f"Sekretess enligt {' '.join(lagrum.split())}"


# ---------------------------------------------------------------------------------------
# Reading the store

_DOC_COLUMNS = """
    d.id AS doc_id, d.case_id, d.lopnummer, d.datum, d.riktning, d.handlingstyp,
    d.rubrik, d.part, d.sekretess, d.publicerad,
    c.diarienummer, c.dnr_key, c.arendemening, c.status, c.namnd, c.enhet,
    c.handlaggare, c.klassificering,
    o.slug AS org_slug, o.name AS org_name
"""
_DOC_FROM = """
    FROM documents d
    JOIN cases c ON c.id = d.case_id
    JOIN organisations o ON o.id = c.organisation_id
"""


def public_records(
    store: Store, settings: Settings, doc_ids: Iterable[int | str] | None = None
) -> Iterator[PublicRecord]:
    """PublicRecords of the given documents (all documents when None), in document id
    order, read in batches so that a whole register streams in constant memory.

    Ids that do not exist (or are not numbers) are skipped. Raises nothing of its own;
    sqlite3 errors from a broken store propagate.
    """
    conn = store.conn
    if doc_ids is None:
        last = 0
        while True:
            rows = conn.execute(
                f"SELECT {_DOC_COLUMNS} {_DOC_FROM} WHERE d.id > ? ORDER BY d.id LIMIT ?",
                (last, BATCH_SIZE),
            ).fetchall()
            if not rows:
                return
            yield from _project(conn, settings, rows)
            last = int(rows[-1]["doc_id"])
    else:
        wanted = sorted({int(i) for i in doc_ids if str(i).strip().isdigit()})
        for start in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[start:start + BATCH_SIZE]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT {_DOC_COLUMNS} {_DOC_FROM} WHERE d.id IN ({marks}) ORDER BY d.id",
                chunk,
            ).fetchall()
            yield from _project(conn, settings, rows)


def public_record(store: Store, settings: Settings, doc_id: int | str) -> PublicRecord | None:
    """The PublicRecord of one document, or None when it does not exist."""
    return next(public_records(store, settings, [doc_id]), None)


def public_case(store: Store, settings: Settings, case_id: int) -> PublicCase | None:
    """A case's public register data and its documents' records in löpnummer order, or
    None when the case does not exist."""
    row = store.conn.execute(
        "SELECT c.*, o.slug AS org_slug, o.name AS org_name FROM cases c "
        "JOIN organisations o ON o.id = c.organisation_id WHERE c.id = ?",
        (int(case_id),),
    ).fetchone()
    if row is None:
        return None
    ids = [
        int(r[0])
        for r in store.conn.execute(
            "SELECT id FROM documents WHERE case_id = ? ORDER BY lopnummer, id", (row["id"],)
        )
    ]
    records = sorted(public_records(store, settings, ids), key=lambda r: (r.lopnummer,
                                                                       int(r.doc_id)))
    all_secret = bool(records) and all(r.secret for r in records)
    return PublicCase(
        case_id=int(row["id"]),
        organisation=row["org_slug"],
        organisation_name=_mask(_org_name(settings, row["org_slug"], row["org_name"])),
        diarienummer=_mask(row["diarienummer"]),
        dnr_key=row["dnr_key"],
        arendemening="" if all_secret else _mask(row["arendemening"]),
        status=_mask(row["status"]),
        namnd=_mask(row["namnd"]),
        enhet=_mask(row["enhet"]),
        handlaggare=_mask(row["handlaggare"]),
        klassificering=_mask(row["klassificering"]),
        documents=tuple(records),
    )


def _org_name(settings: Settings, slug: str, stored: str) -> str:
    configured = settings.org(slug).name
    return configured or stored or slug


# Every personnummer has six digits in a row (same `\d` as personnummer's own pattern), so
# a string without them is returned as it is: a search several times cheaper than the
# masking pattern, and most strings have none.
_SIX_DIGITS = re.compile(r"\d{6}")


def _mask(text: str) -> str:
    if not text or _SIX_DIGITS.search(text) is None:
        return text
    return personnummer.mask(text)


@dataclass
class _Files:
    """What a document's files contribute: text parts in order, the original's name."""

    texts: list[str]
    pages: list[str]
    original_name: str = ""
    original_media_type: str = ""
    has_original: bool = False
    # False only when no text and no page can hold a personnummer (see _files_of).
    may_hold_numbers: bool = False


def _files_of(conn: sqlite3.Connection, doc_ids: list[int]) -> dict[int, _Files]:
    """Files of the documents that may show text, original first then attachments by
    position; extraction text only for files in state 'extracted'."""
    found: dict[int, _Files] = {}
    if not doc_ids:
        return found
    marks = ",".join("?" * len(doc_ids))
    rows = conn.execute(
        f"""
        SELECT df.document_id, df.name, df.role, f.media_type, f.state,
               e.text, e.pages
        FROM document_files df
        JOIN files f ON f.sha256 = df.sha256
        LEFT JOIN extractions e ON e.sha256 = df.sha256 AND f.state = 'extracted'
        WHERE df.document_id IN ({marks})
        ORDER BY df.document_id, df.role != 'original', df.position, df.name
        """,
        doc_ids,
    )
    for r in rows:
        entry = found.setdefault(int(r["document_id"]), _Files([], []))
        if r["role"] == "original" and not entry.has_original:
            entry.has_original = True
            entry.original_name = r["name"]
            entry.original_media_type = r["media_type"] or ""
        text = r["text"] or ""
        if not text.strip():
            continue
        pages = _pages(r["pages"], text)
        entry.texts.append(text)
        entry.pages.extend(pages)
        # One scan instead of three (download check, text, pages): text without six
        # digits in a row holds no personnummer, nor does a page that is part of it.
        if not entry.may_hold_numbers and (
            _SIX_DIGITS.search(text) is not None or not all(p in text for p in pages)
        ):
            entry.may_hold_numbers = True
    return found


def _pages(raw: str | None, text: str) -> list[str]:
    """The per-page texts of one extraction; its whole text as one page when it has none."""
    try:
        pages = json.loads(raw) if raw else []
    except ValueError:
        pages = []
    if not isinstance(pages, list) or not pages:
        return [text]
    return [p if isinstance(p, str) else str(p) for p in pages]


def _project(
    conn: sqlite3.Connection, settings: Settings, rows: list[sqlite3.Row]
) -> Iterator[PublicRecord]:
    # Text is read only for documents that may show it: a secret or unpublished
    # document's extraction never even leaves the database.
    shown = [int(r["doc_id"]) for r in rows if r["publicerad"] and not r["sekretess"].strip()]
    files = _files_of(conn, shown)
    for r in rows:
        yield _record(settings, r, files.get(int(r["doc_id"])))


def _record(settings: Settings, r: sqlite3.Row, files: _Files | None) -> PublicRecord:
    lagrum = r["sekretess"].strip()
    secret = bool(lagrum)
    published = bool(r["publicerad"])
    base: dict[str, Any] = dict(
        doc_id=str(r["doc_id"]),
        case_id=int(r["case_id"]),
        organisation=r["org_slug"],
        organisation_name=_org_name(settings, r["org_slug"], r["org_name"]),
        diarienummer=r["diarienummer"],
        dnr_key=r["dnr_key"],
        lopnummer=int(r["lopnummer"]),
        datum=r["datum"],
        riktning=r["riktning"],
        handlingstyp=r["handlingstyp"],
        namnd=r["namnd"],
        enhet=r["enhet"],
        handlaggare=r["handlaggare"],
        status=r["status"],
        klassificering=r["klassificering"],
        secret=secret,
    )
    if secret:
        # Only the register entry: the title, parties, case title, text and file never
        # leave this function.
        text = sekretess_text(lagrum)
        record = PublicRecord(
            **base, rubrik=text, part="", arendemening="", text="", pages=(),
            has_file=False, sekretess_text=text,
        )
    else:
        shown = files if published and files is not None else _Files([], [])
        body = "\n\n".join(shown.texts)
        # The original cannot be masked: a file whose text holds a personnummer is not
        # offered for download (its masked text stays searchable).
        downloadable = published and shown.has_original and not (
            shown.may_hold_numbers
            and (personnummer.find(body) or any(personnummer.find(p) for p in shown.pages)))
        record = PublicRecord(
            **base,
            rubrik=r["rubrik"],
            part=r["part"],
            arendemening=r["arendemening"],
            text=body,
            pages=tuple(shown.pages),
            has_file=downloadable,
            sekretess_text="",
            file_name=shown.original_name if downloadable else "",
            media_type=shown.original_media_type if downloadable else "",
        )
        return mask_record(record, text_clean=not shown.may_hold_numbers)
    return mask_record(record)


_STR_FIELDS = tuple(f.name for f in fields(PublicRecord) if f.type in ("str", str))


def mask_record(record: PublicRecord, text_clean: bool = False) -> PublicRecord:
    """The record with every personnummer and samordningsnummer masked in every string
    field and every page (personnummer.mask: "YYMMDD-****"). `text_clean`: the caller
    has already established that `text` and `pages` hold none (they are then not read)."""
    changes: dict[str, Any] = {}
    for name in _STR_FIELDS:
        if text_clean and name == "text":
            continue
        value = getattr(record, name)
        masked = _mask(value)
        if masked != value:
            changes[name] = masked
    if not text_clean:
        pages = tuple(_mask(p) for p in record.pages)
        if pages != record.pages:
            changes["pages"] = pages
    return replace(record, **changes) if changes else record
