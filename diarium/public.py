"""The public projection: what of the register may be shown.

This module is the ONLY place where privacy rules are applied. Indexes, snippets, facets,
feeds, exports and the API only ever receive PublicRecord objects built here.

Rules (DESIGN.md, "Privacy and secrecy"; README "Privacy"):
- a secret document is only its register entry: date, diarienummer, direction, document
  type and the text "Sekretess enligt <lagrum>"; no title, party, text or file;
- a document not cleared for publication keeps its entry, but not its text or file;
- a sensitive matter (the organisation's `sensitive` lists: classification codes,
  committees, document types) keeps its entry with a neutral title, no party, no text
  and no file;
- a private person among the parties is shown as "Privatperson" (policy `private_names`,
  default "hide"; "show"; or `show_days`: shown for N days after the document's date),
  also where the name is written in the title, the case title, the text and the file
  name; officers' names (handläggare) stay;
- personnummer and samordningsnummer are masked in every public field;
- the original file is not offered for download when its text or its metadata (PDF and
  DOCX properties, e-mail headers, attachment names) holds a personnummer, or the name
  of a hidden private person, or when a hidden person's file has no text to check:
  the original cannot be masked.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any

from diarium import parties, personnummer
from diarium.config import Settings
from diarium.privacy.policy import PRIVATE_PERSON, PrivacyPolicy
from diarium.store import Store

BATCH_SIZE = 500        # documents per SQL round trip (and bound parameters per IN list)
# How the key of a meeting's own folder case begins (diarium.meetings.folder_key). A meeting
# of a register export (Noark 5 moetemappe) is held in a register case instead.
MEETING_KEY_PREFIX = "SAMMANTRÄDE|"


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
    # The committee meeting whose notice or minutes this is, "<nämnd> <YYYY-MM-DD>" (and
    # " <HH:MM>" when the meeting has a start time); "" for every other document.
    sammantrade: str = ""

    @property
    def year(self) -> int:
        return int(self.datum[:4])


@dataclass(frozen=True)
class PublicCase:
    """A case (ärende) as the public may see it: its register data and its documents'
    PublicRecords in löpnummer order. Strings are masked like a record's; `arendemening`
    is "" when every document of the case is secret (the title would tell what they are),
    and the neutral text when the case or one of its documents is a sensitive matter."""

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


@dataclass
class Applied:
    """What the projection did to one document, for the registrar's review
    (`diarium privacy report`). Never holds a masked value, only counts and kinds."""

    doc_id: str
    organisation: str
    personnummer: int = 0          # personnummer/samordningsnummer masked in its fields
    names_hidden: int = 0          # private persons shown as "Privatperson"
    neutralised: bool = False      # a sensitive matter: neutral title, no party or text
    withheld: str = ""             # why the original is not offered: "personnummer",
    #                                "namn", "ingen text" or ""
    hidden_names: list[str] = field(default_factory=list, repr=False)


def sekretess_text(lagrum: str) -> str:
    """The neutral text shown instead of a secret document's title."""
    return f"Sekretess enligt {' '.join(lagrum.split())}"


# ---------------------------------------------------------------------------------------
# Reading the store

_DOC_COLUMNS = """
    d.id AS doc_id, d.case_id, d.lopnummer, d.datum, d.riktning, d.handlingstyp,
    d.rubrik, d.part, d.sekretess, d.publicerad, d.extra,
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
    store: Store, settings: Settings, doc_ids: Iterable[int | str] | None = None,
    today: date | None = None,
) -> Iterator[PublicRecord]:
    """PublicRecords of the given documents (all documents when None), in document id
    order, read in batches so that a whole register streams in constant memory.
    `today` (default: the current date) decides which show_days windows are open.

    Ids that do not exist (or are not numbers) are skipped. Raises nothing of its own;
    sqlite3 errors from a broken store propagate.
    """
    for record, _applied in project(store, settings, doc_ids, today):
        yield record


def project(
    store: Store, settings: Settings, doc_ids: Iterable[int | str] | None = None,
    today: date | None = None,
) -> Iterator[tuple[PublicRecord, Applied]]:
    """As public_records, each record with what the privacy rules did to it."""
    conn = store.conn
    day = today or date.today()
    if doc_ids is None:
        last = 0
        while True:
            rows = conn.execute(
                f"SELECT {_DOC_COLUMNS} {_DOC_FROM} WHERE d.id > ? ORDER BY d.id LIMIT ?",
                (last, BATCH_SIZE),
            ).fetchall()
            if not rows:
                return
            yield from _project(conn, settings, rows, day)
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
            yield from _project(conn, settings, rows, day)


def public_record(store: Store, settings: Settings, doc_id: int | str,
                  today: date | None = None) -> PublicRecord | None:
    """The PublicRecord of one document, or None when it does not exist."""
    return next(public_records(store, settings, [doc_id], today), None)


def public_case(store: Store, settings: Settings, case_id: int,
                today: date | None = None) -> PublicCase | None:
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
    projected = sorted(project(store, settings, ids, today),
                       key=lambda ra: (ra[0].lopnummer, int(ra[0].doc_id)))
    records = [r for r, _ in projected]
    all_secret = bool(records) and all(r.secret for r in records)
    policy = settings.org(row["org_slug"]).privacy
    neutral = policy.sensitive_text(row["klassificering"], row["namnd"], "") or next(
        (r.arendemening for r, a in projected if a.neutralised), "")
    title = row["arendemening"]
    for _record, applied in projected:
        title = hide_names(title, applied.hidden_names)
    return PublicCase(
        case_id=int(row["id"]),
        organisation=row["org_slug"],
        organisation_name=_mask(_org_name(settings, row["org_slug"], row["org_name"])),
        diarienummer=_mask(row["diarienummer"]),
        dnr_key=row["dnr_key"],
        arendemening="" if all_secret else neutral or _mask(title),
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


def mask_text(text: str) -> str:
    """`text` with every personnummer and samordningsnummer masked ("YYMMDD-****"), for
    public views built outside a PublicRecord (meetings, open data)."""
    return _mask(text)


def _mask_count(text: str) -> tuple[str, int]:
    if not text or _SIX_DIGITS.search(text) is None:
        return text, 0
    return personnummer.mask_count(text)


@dataclass
class _Files:
    """What a document's files contribute: text parts in order, the original's name,
    and the metadata of every file (properties, e-mail headers, attachment names) as one
    text, which is never shown but decides whether the original may be downloaded."""

    texts: list[str]
    pages: list[str]
    original_name: str = ""
    original_media_type: str = ""
    has_original: bool = False
    # False only when no text and no page can hold a personnummer (see _files_of).
    may_hold_numbers: bool = False
    metadata: list[str] = field(default_factory=list)


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
               e.text, e.pages, e.metadata
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
        elif r["role"] != "original":
            entry.metadata.append(r["name"] or "")
        meta = _metadata_text(r["metadata"])
        if meta:
            entry.metadata.append(meta)
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


def _metadata_text(raw: str | None) -> str:
    """Every string value of an extraction's metadata JSON, one per line."""
    if not raw or raw == "{}":
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(data)
    return "\n".join(out)


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
    conn: sqlite3.Connection, settings: Settings, rows: list[sqlite3.Row], today: date
) -> Iterator[tuple[PublicRecord, Applied]]:
    # Text is read only for documents that may show it: a secret or unpublished
    # document's extraction never even leaves the database, nor a sensitive matter's.
    shown = [int(r["doc_id"]) for r in rows if r["publicerad"] and not r["sekretess"].strip()
             and not settings.org(r["org_slug"]).privacy.sensitive_text(
                 r["klassificering"], r["namnd"], r["handlingstyp"])]
    files = _files_of(conn, shown)
    meetings = _meetings_of(conn, rows)
    for r in rows:
        doc_id = int(r["doc_id"])
        yield _record(settings, r, files.get(doc_id), today, meetings.get(doc_id, ""))


def _meetings_of(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> dict[int, str]:
    """The meeting (sammantrade) of each notice and minutes among these documents, by
    document id: one query for the batch (by the index on meetings.case_id; a meeting of
    a register export, a Noark 5 moetemappe, is held in a register case, so any case may
    be a meeting's), none when the store has no meetings."""
    case_ids = sorted({int(r["case_id"]) for r in rows})
    if not case_ids or conn.execute("SELECT 1 FROM meetings LIMIT 1").fetchone() is None:
        return {}
    marks = ",".join("?" * len(case_ids))
    found: dict[int, str] = {}
    for m in conn.execute(
            "SELECT kallelse_document_id, protokoll_document_id, namnd, datum, tid "
            f"FROM meetings WHERE case_id IN ({marks})", case_ids):
        name = " ".join(p for p in (m["namnd"], m["datum"], m["tid"]) if p)
        for doc_id in (m["kallelse_document_id"], m["protokoll_document_id"]):
            if doc_id is not None:
                found[int(doc_id)] = name
    return found


# ---------------------------------------------------------------------------------------
# Private names


def names_hidden(policy: PrivacyPolicy, datum: str, today: date) -> bool:
    """Whether private persons' names of a document dated `datum` are hidden on `today`:
    always under "hide", never under "show", and under "show_days" from the day
    `datum` + show_days on (README "Privacy")."""
    if policy.private_names == "show":
        return False
    if policy.private_names == "show_days":
        return today >= expiry(datum, policy.show_days)
    return True


def expiry(datum: str, show_days: int) -> date:
    """The first day a show_days name of a document dated `datum` is hidden."""
    try:
        start = date.fromisoformat(datum[:10])
    except ValueError:
        return date.min        # no readable date: hidden at once
    return start + timedelta(days=show_days)


def _part_kinds(extra: str | None) -> list[parties.PartyKind | None] | None:
    """The export's party kinds (`part_typ` kept in the document's extra columns)."""
    if not extra or extra == "{}" or "part_typ" not in extra:
        return None
    try:
        value = json.loads(extra).get("part_typ", "")
        return parties.parse_kinds(str(value))
    except (ValueError, AttributeError):
        return None        # the importer rejects a bad value; an old row counts as none


@functools.lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str] | None:
    """A pattern for a private person's name as it may be written in a text: its words in
    order or surname first ("Svensson, Sven"), any white space, any case, also in the
    genitive ("Sven Svenssons ansökan"); None when the name has no word of at least two
    letters."""
    words = [w for w in parties.words(name) if len(w) >= 2]
    if not words:
        return None
    # Between the words: white space, or what file names use instead (_ - .).
    gap = r"(?:\s+|[_.\-]|\s*,\s*)"
    forms = [gap.join(map(re.escape, words))]
    if len(words) >= 2:
        forms.append(re.escape(words[-1]) + r"\s*,?\s*" + gap.join(map(re.escape, words[:-1])))
    return re.compile(rf"(?<!\w)(?:{'|'.join(forms)}){_GENITIVE}(?!\w)", re.IGNORECASE)


# The Swedish genitive: "Svenssons", "Berg:s", "Alex's".
_GENITIVE = r"(?P<gen>s|:s|['\u2019]s)?"


@functools.lru_cache(maxsize=4096)
def _written_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(name)}{_GENITIVE}(?!\w)", re.IGNORECASE)


def _placeholder(match: re.Match[str]) -> str:
    return PRIVATE_PERSON + ("s" if match.group("gen") else "")


@functools.lru_cache(maxsize=8192)
def _persons(part: str, extra: str, own: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    """How many parties of a party field are taken for private persons
    (parties.classify_field), and the names to hide for them (a couple's names one by
    one too). Party fields repeat across a register, so the answers are kept."""
    found = parties.classify_field(part, _part_kinds(extra), own)
    names: list[str] = []
    count = 0
    for party in found:
        if party.kind == parties.PartyKind.PERSON:
            count += 1
            names.append(party.name)
            names.extend(_couple(party.name))
    return count, tuple(names)


_AND = re.compile(r"\s+(?:och|&|samt)\s+", re.IGNORECASE)


def _couple(name: str) -> list[str]:
    """The persons of a party naming two: "Sven och Karin Svensson" is also "Sven
    Svensson" and "Karin Svensson"; "Sven Berg och Karin Ek" is "Sven Berg", "Karin Ek"."""
    pieces = _AND.split(name)
    if len(pieces) != 2:
        return []
    first, second = (p.split() for p in pieces)
    if len(first) == 1 and len(second) >= 2:
        return [f"{first[0]} {' '.join(second[1:])}", " ".join(second)]
    if len(first) >= 2 and len(second) >= 2:
        return [" ".join(first), " ".join(second)]
    return []


def hide_names(text: str, names: list[str]) -> str:
    """`text` with each hidden private name (as written, and its common variants) replaced
    by "Privatperson"; for records here and for views outside them (meeting items)."""
    if not text or not names:
        return text
    for name in names:
        if name and name.casefold() in text.casefold():
            text = _written_pattern(name).sub(_placeholder, text)
        pattern = _name_pattern(name)
        if pattern is not None:
            text = pattern.sub(_placeholder, text)
    return text


def _name_in(texts: Iterable[str], names: list[str]) -> bool:
    """Whether a hidden name, or its surname alone, is written in any of the texts."""
    checks = []
    for name in names:
        pattern = _name_pattern(name)
        if pattern is not None:
            checks.append(pattern)
        words = [w for w in parties.words(name) if len(w) >= 3]
        if words:
            checks.append(_written_pattern(words[-1]))
    return any(p.search(t) for t in texts if t for p in checks)


# ---------------------------------------------------------------------------------------
# One record


def _record(settings: Settings, r: sqlite3.Row, files: _Files | None,
            today: date, sammantrade: str = "") -> tuple[PublicRecord, Applied]:
    org = settings.org(r["org_slug"])
    policy = org.privacy
    applied = Applied(doc_id=str(r["doc_id"]), organisation=r["org_slug"])
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
        sammantrade=sammantrade,
    )
    neutral = "" if secret else policy.sensitive_text(
        r["klassificering"], r["namnd"], r["handlingstyp"])
    if secret or neutral:
        # Only the register entry: the title, parties, case title, text and file never
        # leave this function. A sensitive matter gets its neutral text as its titles.
        text = sekretess_text(lagrum) if secret else neutral
        record = PublicRecord(
            **base, rubrik=text, part="", arendemening=neutral, text="", pages=(),
            has_file=False, sekretess_text=text if secret else "",
        )
        applied.neutralised = bool(neutral)
        return mask_record(record, applied=applied), applied

    shown = files if published and files is not None else _Files([], [])
    part = r["part"]
    rubrik, arendemening = r["rubrik"], r["arendemening"]
    texts, pages, file_name = shown.texts, shown.pages, shown.original_name
    withheld = ""
    if part and names_hidden(policy, r["datum"], today):
        own = (*policy.own_names, org.display_name, r["org_name"] or "")
        count, names = _persons(part, r["extra"] or "", own)
        hidden = list(names)
        if hidden:
            applied.names_hidden = count
            applied.hidden_names = hidden
            part = hide_names(part, hidden)
            rubrik = hide_names(rubrik, hidden)
            arendemening = hide_names(arendemening, hidden)
            file_name = hide_names(file_name, hidden)
            if published and shown.has_original:
                if not shown.texts:
                    withheld = "ingen text"    # nothing to check the file against
                elif _name_in([*shown.texts, *shown.metadata, shown.original_name], hidden):
                    withheld = "namn"
            texts = [hide_names(t, hidden) for t in texts]
            pages = [hide_names(p, hidden) for p in pages]
    body = "\n\n".join(texts)
    # The original cannot be masked: a file whose text or metadata holds a personnummer
    # is not offered for download (its masked text stays searchable).
    if not withheld and published and shown.has_original and (
            (shown.may_hold_numbers and (
                personnummer.find(body) or any(personnummer.find(p) for p in pages)))
            or any(_SIX_DIGITS.search(m) and personnummer.find(m) for m in shown.metadata)):
        withheld = "personnummer"
    downloadable = published and shown.has_original and not withheld
    applied.withheld = withheld if published and shown.has_original else ""
    record = PublicRecord(
        **base,
        rubrik=rubrik,
        part=part,
        arendemening=arendemening,
        text=body,
        pages=tuple(pages),
        has_file=downloadable,
        sekretess_text="",
        file_name=file_name if downloadable else "",
        media_type=shown.original_media_type if downloadable else "",
    )
    return mask_record(record, text_clean=not shown.may_hold_numbers, applied=applied), applied


_STR_FIELDS = tuple(f.name for f in fields(PublicRecord) if f.type in ("str", str))


def mask_record(record: PublicRecord, text_clean: bool = False,
                applied: Applied | None = None) -> PublicRecord:
    """The record with every personnummer and samordningsnummer masked in every string
    field and every page (personnummer.mask: "YYMMDD-****"). `text_clean`: the caller
    has already established that `text` and `pages` hold none (they are then not read).
    `applied`: where to count the numbers masked (the text's and pages' once)."""
    changes: dict[str, Any] = {}
    count = 0
    for name in _STR_FIELDS:
        if text_clean and name == "text":
            continue
        value = getattr(record, name)
        masked, n = _mask_count(value)
        if n:
            changes[name] = masked
            count += n
    if not text_clean:
        masked_pages = [_mask_count(p) for p in record.pages]
        pages = tuple(p for p, _ in masked_pages)
        if pages != record.pages:
            changes["pages"] = pages
            if not record.text:
                count += sum(n for _, n in masked_pages)
    if applied is not None:
        applied.personnummer += count
    return replace(record, **changes) if changes else record


# ---------------------------------------------------------------------------------------
# Taking back published content (for the indexer's purge)

_MARKS = ("-****", "+****", PRIVATE_PERSON)


def may_take_back(record: PublicRecord) -> bool:
    """Cheap test: could writing `record` take back something an earlier version of it
    published? Then the indexer compares it with the indexed version (takes_back)."""
    return (record.secret or not record.text or not record.part or not record.has_file
            or any(m in record.part or m in record.rubrik or m in record.arendemening
                   or m in record.text for m in _MARKS))


def _word_set(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"\w+", text)}


def takes_back(old: PublicRecord, new: PublicRecord) -> bool:
    """Whether `new` withdraws content `old` published: it became secret, lost its text
    or its file, a word of its party, title, case title or file name is gone (a private
    name hidden, a number masked, a sensitive matter neutralised), or its text has more
    masked numbers or hidden names than before. The indexer then purges the old version
    from the index files, as for any withdrawn content."""
    if new.secret and not old.secret:
        return True
    if old.text and not new.text:
        return True
    if old.has_file and not new.has_file:
        return True
    for name in ("part", "rubrik", "arendemening", "file_name"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after and _word_set(before) - _word_set(after):
            return True
    # A text published for the first time (the register entry was indexed before its
    # file was extracted) withdraws nothing, however many masks it has.
    return bool(old.text) and new.text != old.text and any(
        new.text.count(m) > old.text.count(m) for m in _MARKS)
