"""Meetings (sammanträden): a committee's meetings, their agenda items and the cases they
handle, with the appeal deadline that follows from the posted minutes.

A meeting has a notice (kallelse) and minutes (protokoll), stored as documents of the
meeting's folder case (handlingstyp "Kallelse" and "Protokoll"), so they are extracted,
indexed, searched and shown through the public projection like any document (a meeting
of a register export, a Noark 5 moetemappe, is held in the export's own folder case
instead, its notice and minutes being register entries of it). Its agenda
items (paragrafer) each have a number, a title, a decision text, a type (beslut,
information, anmälan), an optional secrecy provision and the diarienummer of the cases they
handle. Items name their cases by canonical key, so meetings and register may be imported
in either order.

Writing: `store_meeting(store, settings, meeting)` stores one meeting with its items (the
meetings manifest import and the Noark 5 import both call it).
Reading: `public_meeting`, `list_meetings`, `committees`, `case_decisions`,
`meeting_of_case` return public views only: every string masked for personnummer, a
secret item reduced to its number and "Sekretess enligt <lagrum>".

Appeal deadline (laglighetsprövning, kommunallagen 13 kap. 5 §): an appeal must come in
within three weeks of the day the approved minutes were announced on the notice board
(anslagsdatum). Under lag (1930:173) om beräkning av lagstadgad tid, when the last day
falls on a Saturday, a Sunday or another public holiday, midsommarafton, julafton or
nyårsafton, the appeal may come in on the next weekday; `appeal_deadline` gives that day.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from diarium import diarienummer, public
from diarium.config import Settings
from diarium.errors import NotFound
from diarium.files import hash_file
from diarium.public import PublicRecord, mask_text, public_record, sekretess_text
from diarium.store import Store

APPEAL_WEEKS = 3
KALLELSE = "Kallelse"
PROTOKOLL = "Protokoll"
# Löpnummer of the notice and the minutes in a meeting's folder case.
KALLELSE_LOPNUMMER = 1
PROTOKOLL_LOPNUMMER = 2
# The folder case's canonical key: never a register key (those are PREFIX|YEAR|SERIAL).
FOLDER_KEY_PREFIX = "SAMMANTRÄDE"


class ItemType(enum.StrEnum):
    """What an agenda item is: a decision, information given, or a notification."""

    BESLUT = "beslut"
    INFORMATION = "information"
    ANMALAN = "anmälan"

    @classmethod
    def parse(cls, text: str) -> ItemType:
        """Read a type as written (any case; anmalan without ä; empty is beslut).

        Raises ValueError naming the accepted values."""
        key = text.strip().casefold()
        found = _ITEM_TYPES.get(key)
        if found is None:
            raise ValueError(f"typ {text!r} must be beslut, information or anmälan")
        return found


_ITEM_TYPES: dict[str, ItemType] = {
    "": ItemType.BESLUT, "beslut": ItemType.BESLUT, "b": ItemType.BESLUT,
    "information": ItemType.INFORMATION, "info": ItemType.INFORMATION,
    "i": ItemType.INFORMATION, "informationsärende": ItemType.INFORMATION,
    "anmälan": ItemType.ANMALAN, "anmalan": ItemType.ANMALAN, "a": ItemType.ANMALAN,
    "anmälningsärende": ItemType.ANMALAN, "delegationsbeslut": ItemType.ANMALAN,
}

_PARAGRAF = re.compile(r"§?\s*(\d{1,6})\s*§?")


def parse_paragraf(text: str) -> int:
    """A paragraph number as written ("45", "§ 45", "§45", "45 §"). Raises ValueError."""
    match = _PARAGRAF.fullmatch(text.strip())
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"paragraf {text!r} is not a paragraph number such as 45 or § 45")
    return int(match.group(1))


# ---------------------------------------------------------------------------------------
# Swedish public holidays and the appeal deadline


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (the anonymous computus of Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _saturday_between(start: date) -> date:
    """The Saturday in the seven days starting at `start`."""
    return start + timedelta(days=(5 - start.weekday()) % 7)


def public_holidays(year: int) -> dict[date, str]:
    """The allmänna helgdagar of a year other than Sundays (lag 1989:253), by date.

    Midsommardagen and alla helgons dag are Saturdays (since 1953); from 2005 nationaldagen
    (6 June) is a holiday and annandag pingst is not. Years before 1953 are computed with
    the current rules."""
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "nyårsdagen",
        date(year, 1, 6): "trettondedag jul",
        easter - timedelta(days=2): "långfredagen",
        easter: "påskdagen",
        easter + timedelta(days=1): "annandag påsk",
        date(year, 5, 1): "första maj",
        easter + timedelta(days=39): "Kristi himmelsfärdsdag",
        easter + timedelta(days=49): "pingstdagen",
        _saturday_between(date(year, 6, 20)): "midsommardagen",
        _saturday_between(date(year, 10, 31)): "alla helgons dag",
        date(year, 12, 25): "juldagen",
        date(year, 12, 26): "annandag jul",
    }
    if year >= 2005:
        days[date(year, 6, 6)] = "Sveriges nationaldag"
    else:
        days[easter + timedelta(days=50)] = "annandag pingst"
    return days


def no_deadline_day(day: date) -> str:
    """Why a time limit cannot end on `day` under lag (1930:173) ("lördag", "söndag", the
    holiday's name, "midsommarafton", "julafton", "nyårsafton"); "" on a weekday."""
    holiday = public_holidays(day.year).get(day)
    if holiday:
        return holiday
    if day.weekday() == 5:
        return "lördag"
    if day.weekday() == 6:
        return "söndag"
    if (day.month, day.day) == (12, 24):
        return "julafton"
    if (day.month, day.day) == (12, 31):
        return "nyårsafton"
    if day.month == 6 and day.weekday() == 4 and 19 <= day.day <= 25:
        return "midsommarafton"
    return ""


def appeal_deadline(anslagsdatum: date) -> date:
    """The last day an appeal of a decision may come in: three weeks after the minutes were
    posted, moved to the next weekday that is no holiday or eve (lag 1930:173)."""
    day = anslagsdatum + timedelta(weeks=APPEAL_WEEKS)
    while no_deadline_day(day):
        day += timedelta(days=1)
    return day


def appeal_open(deadline: str, today: date) -> bool:
    """True while an appeal can still come in (through the deadline day itself)."""
    return bool(deadline) and today <= date.fromisoformat(deadline)


# ---------------------------------------------------------------------------------------
# The model as imported


@dataclass(frozen=True)
class AgendaItem:
    """One paragraph of a meeting as registered (not yet public)."""

    paragraf: int
    rubrik: str = ""
    beslut: str = ""
    typ: ItemType = ItemType.BESLUT
    sekretess: str = ""                       # the provision, "" when public
    diarienummer: tuple[str, ...] = ()        # the cases handled, as written

    @property
    def secret(self) -> bool:
        return bool(self.sekretess.strip())


@dataclass(frozen=True)
class Meeting:
    """A committee meeting as registered, with its files and items.

    `protokoll_publicerad`: None lets the secrecy rule decide (minutes holding a secret item
    are registered but their file and text are not published); True says the file given is
    the public (redacted) version."""

    organisation: str                         # slug
    namnd: str
    datum: date
    tid: str = ""                             # HH:MM
    plats: str = ""
    justerat: date | None = None
    anslagsdatum: date | None = None
    kallelse: Path | None = None
    protokoll: Path | None = None
    protokoll_publicerad: bool | None = None
    items: tuple[AgendaItem, ...] = ()
    # A meeting of a register export (a Noark 5 moetemappe) lives in a case the register
    # import wrote: `folder_case_id` is that case, and `kallelse_lopnummer` /
    # `protokoll_lopnummer` are its documents that are the notice and the minutes (their
    # files, secrecy and publication are the register entries'; kallelse, protokoll and
    # protokoll_publicerad are then not used).
    folder_case_id: int | None = None
    kallelse_lopnummer: int | None = None
    protokoll_lopnummer: int | None = None


@dataclass
class StoredMeeting:
    """What store_meeting did: the meeting's id and items inserted/updated/unchanged."""

    meeting_id: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    files_stored: int = 0


def folder_key(namnd: str, datum: date, tid: str = "") -> str:
    """The canonical key of a meeting's folder case."""
    # The committee as written (spaces collapsed), like the meeting's own key, so two
    # meetings never share one folder case.
    return "|".join((FOLDER_KEY_PREFIX, " ".join(namnd.split()), datum.isoformat(), tid))


def _hash(*values: Any) -> str:
    return hashlib.sha256(repr(values).encode("utf-8")).hexdigest()


def store_meeting(store: Store, settings: Settings, meeting: Meeting) -> StoredMeeting:
    """Store (insert or update) one meeting with its notice, minutes and items in one
    transaction; returns a StoredMeeting. Items missing from `meeting` are kept (exports
    are often partial); an item's case links are replaced by the ones given.

    Files are copied into the file store (content-addressed). Raises InvalidDiarienummer
    for a case number the organisation's rules cannot read, OSError for an unreadable file,
    ValueError for a meeting without organisation or committee.
    """
    namnd = " ".join(meeting.namnd.split())
    if not namnd or not meeting.organisation:
        raise ValueError("a meeting needs its organisation and committee (namnd)")
    meeting = replace(meeting, namnd=namnd)
    org_settings = settings.org(meeting.organisation)
    links: list[list[tuple[str, str]]] = []
    for item in meeting.items:
        keys: list[tuple[str, str]] = []
        for written in item.diarienummer:
            parsed = diarienummer.parse(written, org_settings)
            if all(parsed.key != k for k, _ in keys):
                keys.append((parsed.key, parsed.written))
        links.append(keys)
    files: dict[str, tuple[str, int, str]] = {}
    stored = 0
    for role, path in (("kallelse", meeting.kallelse), ("protokoll", meeting.protokoll)):
        if path is None:
            continue
        sha, size = hash_file(path)
        if not settings.files.has(sha, size):
            settings.files.add_file(path, known=(sha, size))
            stored += 1
        files[role] = (sha, size, path.name)

    conn = store.conn
    with store.transaction():
        org_id = store.organisation_id(meeting.organisation, org_settings.display_name)
        if meeting.folder_case_id is not None:
            case_id = meeting.folder_case_id
            kallelse_id = _register_document(store, case_id, meeting.kallelse_lopnummer)
            protokoll_id = _register_document(store, case_id, meeting.protokoll_lopnummer)
        else:
            case_id = _folder_case(store, org_id, meeting)
            any_secret = any(item.secret for item in meeting.items)
            published = meeting.protokoll_publicerad
            if published is None:
                published = not any_secret
            kallelse_id = _folder_document(
                store, case_id, KALLELSE_LOPNUMMER, KALLELSE, meeting, meeting.datum,
                files.get("kallelse"), True)
            protokoll_id = _folder_document(
                store, case_id, PROTOKOLL_LOPNUMMER, PROTOKOLL, meeting,
                meeting.justerat or meeting.datum, files.get("protokoll"), published)
        values = (
            meeting.plats, _iso(meeting.justerat), _iso(meeting.anslagsdatum), case_id,
            kallelse_id, protokoll_id,
        )
        row_hash = _hash(*values)
        found = conn.execute(
            "SELECT id, row_hash FROM meetings WHERE organisation_id = ? AND namnd = ? "
            "AND datum = ? AND tid = ?",
            (org_id, meeting.namnd, meeting.datum.isoformat(), meeting.tid),
        ).fetchone()
        if found is None:
            cur = conn.execute(
                "INSERT INTO meetings (organisation_id, namnd, datum, tid, plats, justerat, "
                "anslagsdatum, case_id, kallelse_document_id, protokoll_document_id, row_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (org_id, meeting.namnd, meeting.datum.isoformat(), meeting.tid, *values,
                 row_hash),
            )
            meeting_id = int(cur.lastrowid or 0)
        else:
            meeting_id = int(found["id"])
            if found["row_hash"] != row_hash:
                conn.execute(
                    "UPDATE meetings SET plats = ?, justerat = ?, anslagsdatum = ?, "
                    "case_id = ?, kallelse_document_id = ?, protokoll_document_id = ?, "
                    "row_hash = ? WHERE id = ?",
                    (*values, row_hash, meeting_id),
                )
        result = StoredMeeting(meeting_id, files_stored=stored)
        for item, keys in zip(meeting.items, links, strict=True):
            _store_item(store, org_id, meeting_id, item, keys, result)
    return result


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


def _folder_case(store: Store, org_id: int, meeting: Meeting) -> int:
    """The id of the meeting's folder case, created or brought up to date."""
    conn = store.conn
    key = folder_key(meeting.namnd, meeting.datum, meeting.tid)
    written = " ".join(p for p in (meeting.namnd, meeting.datum.isoformat(), meeting.tid) if p)
    title = f"Sammanträde {written}"
    found = conn.execute(
        "SELECT id, diarienummer, arendemening, namnd FROM cases "
        "WHERE organisation_id = ? AND dnr_key = ?",
        (org_id, key),
    ).fetchone()
    if found is None:
        cur = conn.execute(
            "INSERT INTO cases (organisation_id, diarienummer, dnr_key, arendemening, namnd) "
            "VALUES (?, ?, ?, ?, ?)",
            (org_id, written, key, title, meeting.namnd),
        )
        return int(cur.lastrowid or 0)
    case_id = int(found["id"])
    if (found["diarienummer"], found["arendemening"], found["namnd"]) != (
            written, title, meeting.namnd):
        conn.execute(
            "UPDATE cases SET diarienummer = ?, arendemening = ?, namnd = ? WHERE id = ?",
            (written, title, meeting.namnd, case_id),
        )
        conn.execute(
            "INSERT INTO changes (document_id, kind) "
            "SELECT id, 'upsert' FROM documents WHERE case_id = ? ORDER BY id", (case_id,))
    return case_id


def _register_document(store: Store, case_id: int, lopnummer: int | None) -> int | None:
    """The id of a register entry of the meeting's folder case (None when not given or not
    in the store)."""
    if lopnummer is None:
        return None
    found = store.conn.execute(
        "SELECT id FROM documents WHERE case_id = ? AND lopnummer = ?", (case_id, lopnummer)
    ).fetchone()
    return int(found["id"]) if found is not None else None


def _folder_document(store: Store, case_id: int, lopnummer: int, handlingstyp: str,
                     meeting: Meeting, datum: date, file: tuple[str, int, str] | None,
                     published: bool) -> int | None:
    """Upsert the notice or the minutes of a meeting as a document of its folder case; the
    id, or None when no file was given (an existing document is then kept as it is)."""
    conn = store.conn
    found = conn.execute(
        "SELECT id, row_hash FROM documents WHERE case_id = ? AND lopnummer = ?",
        (case_id, lopnummer),
    ).fetchone()
    if file is None:
        return int(found["id"]) if found is not None else None
    sha, size, name = file
    rubrik = f"{handlingstyp} {meeting.namnd} {meeting.datum.isoformat()}"
    params = (datum.isoformat(), "Upprättad", handlingstyp, rubrik, "", "",
              int(published), name, "{}")
    row_hash = _hash(*params, sha)
    if found is not None and found["row_hash"] == row_hash:
        return int(found["id"])
    conn.execute("INSERT OR IGNORE INTO files (sha256, size) VALUES (?, ?)", (sha, size))
    if found is None:
        cur = conn.execute(
            "INSERT INTO documents (case_id, lopnummer, datum, riktning, handlingstyp, "
            "rubrik, part, sekretess, publicerad, fil, extra, row_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (case_id, lopnummer, *params, row_hash),
        )
        doc_id = int(cur.lastrowid or 0)
    else:
        doc_id = int(found["id"])
        conn.execute(
            "UPDATE documents SET datum = ?, riktning = ?, handlingstyp = ?, rubrik = ?, "
            "part = ?, sekretess = ?, publicerad = ?, fil = ?, extra = ?, row_hash = ? "
            "WHERE id = ?",
            (*params, row_hash, doc_id),
        )
        conn.execute(
            "DELETE FROM document_files WHERE document_id = ? AND role = 'original' "
            "AND sha256 != ?", (doc_id, sha))
    conn.execute(
        "INSERT OR IGNORE INTO document_files (document_id, sha256, name, role, position) "
        "VALUES (?, ?, ?, 'original', 0)", (doc_id, sha, name))
    store.record_change(doc_id)
    return doc_id


def _store_item(store: Store, org_id: int, meeting_id: int, item: AgendaItem,
                keys: list[tuple[str, str]], result: StoredMeeting) -> None:
    conn = store.conn
    values = (item.rubrik, item.beslut, item.typ.value, item.sekretess.strip())
    row_hash = _hash(*values, tuple(keys))
    found = conn.execute(
        "SELECT id, row_hash FROM meeting_items WHERE meeting_id = ? AND paragraf = ?",
        (meeting_id, item.paragraf),
    ).fetchone()
    if found is None:
        cur = conn.execute(
            "INSERT INTO meeting_items (meeting_id, paragraf, rubrik, beslut, typ, sekretess, "
            "row_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (meeting_id, item.paragraf, *values, row_hash),
        )
        item_id = int(cur.lastrowid or 0)
        result.inserted += 1
    elif found["row_hash"] != row_hash:
        item_id = int(found["id"])
        conn.execute(
            "UPDATE meeting_items SET rubrik = ?, beslut = ?, typ = ?, sekretess = ?, "
            "row_hash = ? WHERE id = ?",
            (*values, row_hash, item_id),
        )
        conn.execute("DELETE FROM meeting_item_cases WHERE item_id = ?", (item_id,))
        result.updated += 1
    else:
        result.unchanged += 1
        return
    conn.executemany(
        "INSERT INTO meeting_item_cases (item_id, organisation_id, dnr_key, diarienummer, "
        "position) VALUES (?, ?, ?, ?, ?)",
        [(item_id, org_id, key, written, n) for n, (key, written) in enumerate(keys)],
    )


# ---------------------------------------------------------------------------------------
# The public views


def _mask(text: str) -> str:
    return mask_text(text)


class _ItemPrivacy:
    """The privacy rules of the public projection as they bear on agenda items: an item of
    a sensitive matter (the committee's, or a linked case's classification or committee in
    the organisation's `sensitive` lists) gets the neutral text as its title and no
    decision; the names of private persons hidden in a linked case's documents are hidden
    in the item too; personnummer are masked. The rules themselves are diarium.public's
    and the organisation's PrivacyPolicy; this only gathers what they need per case."""

    def __init__(self, store: Store, settings: Settings, org_slug: str, namnd: str) -> None:
        self.store = store
        self.settings = settings
        self.policy = settings.org(org_slug).privacy
        self.committee_text = self.policy.sensitive_text("", namnd, "")
        self.cases: dict[int, tuple[str, list[str]]] = {}

    def prefetch(self, case_ids: Sequence[int]) -> None:
        """Gather what the rules need for these cases: one projection of all their
        documents instead of one per case."""
        wanted = sorted({c for c in case_ids if c not in self.cases})
        if not wanted:
            return
        conn = self.store.conn
        found: dict[int, tuple[str, list[str]]] = {}
        ids: list[int] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                    f"SELECT id, klassificering, namnd FROM cases WHERE id IN ({marks})", chunk):
                found[int(row["id"])] = (
                    self.policy.sensitive_text(row["klassificering"], row["namnd"], ""), [])
            ids += [int(r[0]) for r in conn.execute(
                f"SELECT id FROM documents WHERE case_id IN ({marks})", chunk)]
        for record, applied in public.project(self.store, self.settings, ids):
            neutral, names = found.setdefault(record.case_id, ("", []))
            if applied.neutralised and not neutral:
                # A sensitive matter's title is its neutral text.
                found[record.case_id] = (record.rubrik, names)
            names.extend(n for n in applied.hidden_names if n not in names)
        for case_id in wanted:
            self.cases[case_id] = found.get(case_id, ("", []))

    def item(self, rubrik: str, beslut: str, case_ids: Sequence[int]) -> tuple[str, str]:
        """(title, decision) of a public item handling these cases (ids in the store)."""
        neutral = self.committee_text
        names: list[str] = []
        self.prefetch(case_ids)
        for case_id in case_ids:
            case_neutral, case_names = self.cases[case_id]
            neutral = neutral or case_neutral
            names.extend(case_names)
        if neutral:
            return _mask(neutral), ""
        if names:
            rubrik = public.hide_names(rubrik, names)
            beslut = public.hide_names(beslut, names)
        return _mask(rubrik), _mask(beslut)


@dataclass(frozen=True)
class CaseLink:
    """A case an item handles: its number as written, and its id when it is in the store."""

    diarienummer: str
    case_id: int | None


@dataclass(frozen=True)
class PublicItem:
    """An agenda item as the public may see it; a secret item has only its number, type
    and "Sekretess enligt <lagrum>" as its title (no decision, no cases)."""

    paragraf: int
    rubrik: str
    beslut: str
    typ: str
    secret: bool
    sekretess_text: str
    cases: tuple[CaseLink, ...]


@dataclass(frozen=True)
class MeetingSummary:
    """A meeting in a list: where and when, how many items, whether minutes are out."""

    meeting_id: int
    organisation: str
    organisation_name: str
    namnd: str
    datum: str
    tid: str
    plats: str
    justerat: str
    anslagsdatum: str
    items: int
    has_protokoll: bool


@dataclass(frozen=True)
class PublicMeeting:
    """A meeting as the public may see it. `appeal_deadline` is the ISO date through which
    its decisions can be appealed ("" until the minutes are posted)."""

    meeting_id: int
    organisation: str
    organisation_name: str
    namnd: str
    datum: str
    tid: str
    plats: str
    justerat: str
    anslagsdatum: str
    appeal_deadline: str
    case_id: int | None
    kallelse: PublicRecord | None
    protokoll: PublicRecord | None
    items: tuple[PublicItem, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CaseDecision:
    """How a case was handled at a meeting: "Behandlad i <nämnd> <datum> § N"."""

    meeting_id: int
    namnd: str
    datum: str
    paragraf: int
    rubrik: str
    beslut: str
    typ: str
    anslagsdatum: str
    appeal_deadline: str


def deadline_of(anslagsdatum: str) -> str:
    """The ISO appeal deadline for an ISO posting date; "" when there is none."""
    return appeal_deadline(date.fromisoformat(anslagsdatum)).isoformat() if anslagsdatum \
        else ""


_MEETING_COLUMNS = """
    m.id, m.namnd, m.datum, m.tid, m.plats, m.justerat, m.anslagsdatum, m.case_id,
    m.kallelse_document_id, m.protokoll_document_id,
    o.slug AS org_slug, o.name AS org_name,
    (SELECT count(*) FROM meeting_items i WHERE i.meeting_id = m.id) AS n_items
"""


def _org_name(settings: Settings, slug: str, stored: str) -> str:
    return _mask(settings.org(slug).name or stored or slug)


def _summary(settings: Settings, r: Any) -> MeetingSummary:
    return MeetingSummary(
        meeting_id=int(r["id"]), organisation=r["org_slug"],
        organisation_name=_org_name(settings, r["org_slug"], r["org_name"]),
        namnd=_mask(r["namnd"]), datum=r["datum"], tid=r["tid"], plats=_mask(r["plats"]),
        justerat=r["justerat"], anslagsdatum=r["anslagsdatum"], items=int(r["n_items"]),
        has_protokoll=r["protokoll_document_id"] is not None,
    )


def list_meetings(store: Store, settings: Settings, organisation: str | None = None,
                  namnd: str | None = None, year: int | None = None,
                  limit: int | None = None, minutes_only: bool = False,
                  ) -> list[MeetingSummary]:
    """Meetings, newest first, optionally of one organisation, committee (as written,
    case-insensitive) and year; `minutes_only` keeps those with minutes."""
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if organisation:
        where.append("o.slug = ?")
        params.append(organisation)
    if namnd:
        where.append("lower(m.namnd) = lower(?)")
        params.append(namnd)
    if year is not None:
        where.append("substr(m.datum, 1, 4) = ?")
        params.append(f"{year:04d}")
    if minutes_only:
        where.append("m.protokoll_document_id IS NOT NULL")
    order = ("coalesce(nullif(m.anslagsdatum, ''), nullif(m.justerat, ''), m.datum) DESC"
             if minutes_only else "m.datum DESC, m.tid DESC")
    sql = (f"SELECT {_MEETING_COLUMNS} FROM meetings m "
           "JOIN organisations o ON o.id = m.organisation_id "
           f"WHERE {' AND '.join(where)} ORDER BY {order}, m.id DESC")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_summary(settings, r) for r in store.conn.execute(sql, params)]


@dataclass(frozen=True)
class Committee:
    """A committee that has meetings: organisation, name, count, first and last date."""

    organisation: str
    organisation_name: str
    namnd: str
    meetings: int
    first: str
    last: str


def committees(store: Store, settings: Settings) -> list[Committee]:
    """Every committee with meetings, by organisation and name."""
    rows = store.conn.execute(
        "SELECT o.slug, o.name, m.namnd, count(*) AS n, min(m.datum) AS first, "
        "max(m.datum) AS last FROM meetings m JOIN organisations o "
        "ON o.id = m.organisation_id GROUP BY o.slug, m.namnd ORDER BY o.slug, m.namnd"
    )
    return [Committee(r["slug"], _org_name(settings, r["slug"], r["name"]), _mask(r["namnd"]),
                      int(r["n"]), r["first"], r["last"]) for r in rows]


def public_meeting(store: Store, settings: Settings, meeting_id: int) -> PublicMeeting:
    """A meeting with its notice, minutes and items as the public may see them.

    Raises NotFound when there is no such meeting."""
    conn = store.conn
    r = conn.execute(
        f"SELECT {_MEETING_COLUMNS} FROM meetings m JOIN organisations o "
        "ON o.id = m.organisation_id WHERE m.id = ?", (int(meeting_id),)).fetchone()
    if r is None:
        raise NotFound(f"no meeting {meeting_id}")
    items = _public_items(store, int(r["id"]),
                          _ItemPrivacy(store, settings, r["org_slug"], r["namnd"]))

    def document(doc_id: int | None) -> PublicRecord | None:
        return public_record(store, settings, doc_id) if doc_id is not None else None

    return PublicMeeting(
        meeting_id=int(r["id"]), organisation=r["org_slug"],
        organisation_name=_org_name(settings, r["org_slug"], r["org_name"]),
        namnd=_mask(r["namnd"]), datum=r["datum"], tid=r["tid"], plats=_mask(r["plats"]),
        justerat=r["justerat"], anslagsdatum=r["anslagsdatum"],
        appeal_deadline=deadline_of(r["anslagsdatum"]),
        case_id=int(r["case_id"]) if r["case_id"] is not None else None,
        kallelse=document(r["kallelse_document_id"]),
        protokoll=document(r["protokoll_document_id"]),
        items=items,
    )


def _public_items(store: Store, meeting_id: int,
                  privacy: _ItemPrivacy) -> tuple[PublicItem, ...]:
    conn = store.conn
    links: dict[int, list[CaseLink]] = {}
    for link in conn.execute(
        "SELECT l.item_id, l.diarienummer, c.id AS case_id FROM meeting_item_cases l "
        "JOIN meeting_items i ON i.id = l.item_id "
        "LEFT JOIN cases c ON c.organisation_id = l.organisation_id AND c.dnr_key = l.dnr_key "
        "WHERE i.meeting_id = ? ORDER BY l.item_id, l.position", (meeting_id,)
    ):
        case_id = int(link["case_id"]) if link["case_id"] is not None else None
        links.setdefault(int(link["item_id"]), []).append(
            CaseLink(_mask(link["diarienummer"]), case_id))
    privacy.prefetch([c.case_id for cases in links.values() for c in cases
                      if c.case_id is not None])
    items = []
    for i in conn.execute(
        "SELECT id, paragraf, rubrik, beslut, typ, sekretess FROM meeting_items "
        "WHERE meeting_id = ? ORDER BY paragraf", (meeting_id,)
    ):
        lagrum = i["sekretess"].strip()
        if lagrum:
            # Only the number and the provision: the title, the decision and the cases
            # (whose titles would tell what the item is about) never leave this function.
            text = sekretess_text(lagrum)
            items.append(PublicItem(int(i["paragraf"]), text, "", i["typ"], True, text, ()))
        else:
            cases = tuple(links.get(int(i["id"]), ()))
            rubrik, beslut = privacy.item(i["rubrik"], i["beslut"],
                                          [c.case_id for c in cases if c.case_id is not None])
            items.append(PublicItem(int(i["paragraf"]), rubrik, beslut, i["typ"], False, "",
                                    cases))
    return tuple(items)


def case_decisions(store: Store, settings: Settings, case_id: int) -> list[CaseDecision]:
    """The public items that handled a case, oldest meeting first. Secret items are left
    out: the link between a secret paragraph and a named case is itself protected."""
    org = store.conn.execute(
        "SELECT o.slug FROM cases c JOIN organisations o ON o.id = c.organisation_id "
        "WHERE c.id = ?", (int(case_id),)).fetchone()
    if org is None:
        return []
    privacy: dict[str, _ItemPrivacy] = {}
    rows = store.conn.execute(
        "SELECT m.id AS meeting_id, m.namnd, m.datum, m.anslagsdatum, i.paragraf, i.rubrik, "
        "i.beslut, i.typ FROM cases c "
        "JOIN meeting_item_cases l ON l.organisation_id = c.organisation_id "
        "AND l.dnr_key = c.dnr_key "
        "JOIN meeting_items i ON i.id = l.item_id JOIN meetings m ON m.id = i.meeting_id "
        "WHERE c.id = ? AND i.sekretess = '' ORDER BY m.datum, m.tid, i.paragraf",
        (int(case_id),),
    )
    decisions = []
    for r in rows:
        rules = privacy.get(r["namnd"])
        if rules is None:
            rules = privacy[r["namnd"]] = _ItemPrivacy(store, settings, org[0], r["namnd"])
        rubrik, beslut = rules.item(r["rubrik"], r["beslut"], [int(case_id)])
        decisions.append(CaseDecision(
            meeting_id=int(r["meeting_id"]), namnd=_mask(r["namnd"]), datum=r["datum"],
            paragraf=int(r["paragraf"]), rubrik=rubrik, beslut=beslut,
            typ=r["typ"], anslagsdatum=r["anslagsdatum"],
            appeal_deadline=deadline_of(r["anslagsdatum"]) if r["typ"] == "beslut" else "",
        ))
    return decisions


def meeting_of_case(store: Store, case_id: int) -> int | None:
    """The meeting whose folder case this is (it holds the notice and minutes), or None."""
    row = store.conn.execute(
        "SELECT id FROM meetings WHERE case_id = ?", (int(case_id),)).fetchone()
    return int(row[0]) if row is not None else None


def months(meetings: Sequence[MeetingSummary]) -> list[tuple[str, list[MeetingSummary]]]:
    """Meetings grouped by month ("2024-05"), in the order given (newest first)."""
    grouped: dict[str, list[MeetingSummary]] = {}
    for meeting in meetings:
        grouped.setdefault(meeting.datum[:7], []).append(meeting)
    return list(grouped.items())


def meeting_years(store: Store, organisation: str | None = None,
                  namnd: str | None = None) -> list[int]:
    """The years that have meetings (newest first), optionally of one committee."""
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if organisation:
        where.append("o.slug = ?")
        params.append(organisation)
    if namnd:
        where.append("lower(m.namnd) = lower(?)")
        params.append(namnd)
    rows = store.conn.execute(
        "SELECT DISTINCT substr(m.datum, 1, 4) FROM meetings m JOIN organisations o "
        f"ON o.id = m.organisation_id WHERE {' AND '.join(where)} ORDER BY 1 DESC", params)
    return [int(r[0]) for r in rows]

