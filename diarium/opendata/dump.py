"""Bulk dumps of the public register: CSV and JSON Lines, gzipped, with a manifest.

`write_dump()` streams every document through the public projection (diarium.public, the
only place privacy rules apply) and writes, per organisation:

    dumps/<version>/<slug>/documents.csv.gz    one row per document (register fields)
    dumps/<version>/<slug>/documents.jsonl.gz  the same plus the public text
    dumps/<version>/<slug>/cases.csv.gz        one row per case
    dumps/<version>/<slug>/cases.jsonl.gz
    dumps/<version>/<slug>/meetings.csv.gz     where the organisation has meetings
    dumps/<version>/<slug>/meetings.jsonl.gz   the same plus the agenda items
    dumps/<version>/manifest.json              counts, dates, bytes and sha256 per file

A dump is built in a folder of its own and published by replacing the `dumps/current`
symbolic link in one rename, so a reader sees the old dump or the new one, never a mix;
an open download of the previous dump keeps reading its (unlinked) files. Older
versions are removed after the switch. Gzip headers carry no time stamp, so the same
register gives byte-identical files and the same checksums (and HTTP ETags).

A case's public data is aggregated from its documents' PublicRecords: the title is the
one the projection shows on its public documents, "" when every document is secret
(the rule of diarium.public.public_case), so this module applies no privacy rule itself;
meetings come from diarium.meetings' public views (list_meetings, public_meeting).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from diarium.config import Settings
from diarium.errors import DiariumError
from diarium.files import hash_file, process_alive
from diarium.public import PublicRecord, public_records
from diarium.store import Store

FORMAT = "diarium-dump/1"
MANIFEST = "manifest.json"
CURRENT = "current"
_TMP_PID = re.compile(r"[-.](\d+)\.tmp$")
# zlib level 6 (gzip(1)'s default): level 9 costs more CPU for a few per cent less size.
COMPRESSLEVEL = 6
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl"}

DOCUMENT_FIELDS: tuple[str, ...] = (
    "id", "case_id", "organisation", "organisation_name", "diarienummer", "lopnummer",
    "datum", "riktning", "handlingstyp", "rubrik", "part", "arendemening", "namnd",
    "enhet", "handlaggare", "status", "klassificering", "secret", "sekretess_text",
    "has_file", "file_name", "media_type", "url", "file_url",
)
CASE_FIELDS: tuple[str, ...] = (
    "id", "organisation", "organisation_name", "diarienummer", "arendemening", "status",
    "namnd", "enhet", "handlaggare", "klassificering", "documents", "first_date",
    "last_date", "url",
)
MEETING_FIELDS: tuple[str, ...] = (
    "id", "organisation", "organisation_name", "namnd", "datum", "tid", "plats",
    "justerat", "anslagsdatum", "appeal_deadline", "items", "kallelse_id", "protokoll_id",
    "url",
)


class DumpError(DiariumError):
    """A dump cannot be written, or a written one does not match its manifest."""


@dataclass(frozen=True)
class DumpFile:
    """One file of a dump as its manifest lists it; `path` is relative to the dump."""

    path: str
    organisation: str
    kind: str                # "documents" | "cases" | "meetings"
    format: str              # "csv" | "jsonl"
    media_type: str
    records: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class OrgSummary:
    """What a dump holds of one organisation (the catalogue's dataset is built on it)."""

    slug: str
    name: str
    cases: int
    documents: int
    first_date: str
    last_date: str
    committees: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dump:
    """A published dump: its folder and its manifest."""

    path: Path
    version: str
    created: str             # ISO time, UTC, seconds
    files: tuple[DumpFile, ...]
    organisations: tuple[OrgSummary, ...]

    def file(self, relative: str) -> DumpFile | None:
        """The manifest entry of `relative` ("ks/documents.csv.gz"), or None."""
        return next((f for f in self.files if f.path == relative), None)

    def files_of(self, slug: str) -> tuple[DumpFile, ...]:
        return tuple(f for f in self.files if f.organisation == slug)

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.created.replace("Z", "+00:00"))


@dataclass(frozen=True)
class DumpProgress:
    documents: int
    seconds: float


@dataclass
class DumpReport:
    dump: Dump
    documents: int = 0
    cases: int = 0
    bytes: int = 0
    seconds: float = 0.0
    removed: list[str] = field(default_factory=list)


def dumps_dir(settings: Settings) -> Path:
    return settings.data_dir / "dumps"


# ---------------------------------------------------------------------------------------
# Writing


class _Writer:
    """The gzipped CSV and JSON Lines streams of one kind of record of one organisation."""

    def __init__(self, folder: Path, slug: str, kind: str, fields: tuple[str, ...]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.slug, self.kind, self.fields = slug, kind, fields
        self.records = 0
        self.paths = {fmt: folder / f"{kind}.{fmt}.gz" for fmt in ("csv", "jsonl")}
        self._raw: dict[str, IO[bytes]] = {}
        self._text: dict[str, io.TextIOWrapper] = {}
        for fmt, path in self.paths.items():
            raw = path.open("wb")
            # mtime=0 and no file name: the same content gives the same bytes.
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=COMPRESSLEVEL)
            self._raw[fmt] = raw
            self._text[fmt] = io.TextIOWrapper(gz, encoding="utf-8", newline="")
        self._csv = csv.writer(self._text["csv"], lineterminator="\r\n")
        self._csv.writerow(fields)

    def write(self, row: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
        self.records += 1
        self._csv.writerow([_csv_value(row[k]) for k in self.fields])
        data = {**row, **(extra or {})}
        self._text["jsonl"].write(json.dumps(data, ensure_ascii=False) + "\n")

    def close(self, root: Path) -> list[DumpFile]:
        out: list[DumpFile] = []
        for fmt, path in self.paths.items():
            self._text[fmt].close()          # closes the gzip stream, then the file
            self._raw[fmt].close()
            sha, size = hash_file(path)
            out.append(DumpFile(path=path.relative_to(root).as_posix(), organisation=self.slug,
                                kind=self.kind, format=fmt, media_type=MEDIA_TYPES[fmt],
                                records=self.records, bytes=size, sha256=sha))
        return out


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return value


# The case fields of a PublicRecord (the same on every document of a case).
_CASE_KEYS = ("case_id", "organisation", "organisation_name", "diarienummer", "status",
              "namnd", "enhet", "handlaggare", "klassificering")


@dataclass
class _Case:
    """A case as its documents' records show it; only its fields are kept (not a
    record with its text), so a register of a million documents fits in memory."""

    fields: tuple[Any, ...]
    title: str = ""
    documents: int = 0
    first: str = ""
    last: str = ""

    @classmethod
    def of(cls, record: PublicRecord) -> _Case:
        return cls(tuple(getattr(record, k) for k in _CASE_KEYS), first=record.datum,
                   last=record.datum)

    def get(self, name: str) -> Any:
        return self.fields[_CASE_KEYS.index(name)]


def _document_row(record: PublicRecord, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/handling/{record.doc_id}" if base_url else f"/handling/{record.doc_id}"
    return {
        "id": int(record.doc_id), "case_id": record.case_id,
        "organisation": record.organisation, "organisation_name": record.organisation_name,
        "diarienummer": record.diarienummer, "lopnummer": record.lopnummer,
        "datum": record.datum, "riktning": record.riktning,
        "handlingstyp": record.handlingstyp, "rubrik": record.rubrik, "part": record.part,
        "arendemening": record.arendemening, "namnd": record.namnd, "enhet": record.enhet,
        "handlaggare": record.handlaggare, "status": record.status,
        "klassificering": record.klassificering, "secret": record.secret,
        "sekretess_text": record.sekretess_text, "has_file": record.has_file,
        "file_name": record.file_name, "media_type": record.media_type, "url": url,
        "file_url": f"{url}/fil" if record.has_file else "",
    }


def _case_row(case: _Case, base_url: str) -> dict[str, Any]:
    r = dict(zip(_CASE_KEYS, case.fields, strict=True))
    url = f"{base_url}/arende/{r['case_id']}" if base_url else f"/arende/{r['case_id']}"
    return {
        "id": r["case_id"], "organisation": r["organisation"],
        "organisation_name": r["organisation_name"], "diarienummer": r["diarienummer"],
        "arendemening": case.title, "status": r["status"], "namnd": r["namnd"],
        "enhet": r["enhet"], "handlaggare": r["handlaggare"],
        "klassificering": r["klassificering"],
        "documents": case.documents, "first_date": case.first, "last_date": case.last,
        "url": url,
    }


def write_dump(store: Store, settings: Settings, *, base_url: str | None = None,
               keep: int = 1, progress: Callable[[DumpProgress], None] | None = None,
               ) -> DumpReport:
    """Write a new dump of the whole public register and publish it as `dumps/current`;
    returns a DumpReport. `keep`: how many older dumps stay beside it (for downloads
    still running). Raises DumpError when the dumps folder cannot be written; a failed
    run leaves the published dump as it was."""
    started = time.perf_counter()
    base = (base_url if base_url is not None else settings.opendata.base_url).rstrip("/")
    root = dumps_dir(settings)
    now = datetime.now(UTC)
    created = now.replace(microsecond=0)
    # Microseconds keep two dumps of one second apart; versions sort by time.
    version = now.strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"
    building = root / f".{version}.tmp"
    try:
        root.mkdir(parents=True, exist_ok=True)
        building.mkdir()
        files, orgs, documents = _write_files(store, settings, building, base, progress,
                                              started)
        dump = Dump(path=root / version, version=version,
                    created=created.isoformat().replace("+00:00", "Z"),
                    files=tuple(files), organisations=tuple(orgs))
        (building / MANIFEST).write_text(
            json.dumps(_manifest_json(dump), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
        os.replace(building, root / version)
        _publish(root, version)
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise DumpError(f"cannot write the dump under {root}: {exc}") from exc
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    removed = _remove_old(root, version, keep)
    return DumpReport(dump=dump, documents=documents,
                      cases=sum(o.cases for o in orgs),
                      bytes=sum(f.bytes for f in files),
                      seconds=time.perf_counter() - started, removed=removed)


def _write_files(store: Store, settings: Settings, folder: Path, base: str,
                 progress: Callable[[DumpProgress], None] | None, started: float,
                 ) -> tuple[list[DumpFile], list[OrgSummary], int]:
    writers: dict[str, _Writer] = {}
    cases: dict[int, _Case] = {}
    committees: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    done = 0
    for record in public_records(store, settings):
        slug = record.organisation
        writer = writers.get(slug)
        if writer is None:
            writer = writers[slug] = _Writer(folder / slug, slug, "documents",
                                             DOCUMENT_FIELDS)
            names[slug] = record.organisation_name
        writer.write(_document_row(record, base),
                     {"text": record.text} if record.text else None)
        case = cases.get(record.case_id)
        if case is None:
            case = cases[record.case_id] = _Case.of(record)
        case.documents += 1
        if not case.title and record.arendemening:
            case.title = record.arendemening
        case.first, case.last = min(case.first, record.datum), max(case.last, record.datum)
        if record.namnd:
            counts = committees.setdefault(slug, {})
            counts[record.namnd] = counts.get(record.namnd, 0) + 1
        done += 1
        if progress is not None and done % 1000 == 0:
            progress(DumpProgress(done, time.perf_counter() - started))
    files: list[DumpFile] = []
    for writer in writers.values():
        files.extend(writer.close(folder))
    meeting_files, meeting_dates = _write_meetings(store, settings, folder, base, names)
    files.extend(meeting_files)
    orgs: list[OrgSummary] = []
    for slug in sorted(set(writers) | set(meeting_dates)):
        case_writer = _Writer(folder / slug, slug, "cases", CASE_FIELDS)
        org_cases = sorted((c for c in cases.values() if c.get("organisation") == slug),
                           key=lambda c: c.get("case_id"))
        for case in org_cases:
            case_writer.write(_case_row(case, base))
        files.extend(case_writer.close(folder))
        top = sorted(committees.get(slug, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        dates = [d for c in org_cases for d in (c.first, c.last)] + meeting_dates.get(slug, [])
        orgs.append(OrgSummary(
            slug=slug, name=names[slug], cases=len(org_cases),
            documents=writers[slug].records if slug in writers else 0,
            first_date=min(dates), last_date=max(dates),
            committees=tuple(name for name, _ in top[:10])))
    files.sort(key=lambda f: f.path)
    if progress is not None:
        progress(DumpProgress(done, time.perf_counter() - started))
    return files, orgs, done


def _write_meetings(store: Store, settings: Settings, folder: Path, base: str,
                    names: dict[str, str]) -> tuple[list[DumpFile], dict[str, list[str]]]:
    """The meetings files of every organisation that has meetings; returns them and the
    meeting dates per organisation (for the temporal coverage)."""
    from diarium.meetings import list_meetings, public_meeting

    writers: dict[str, _Writer] = {}
    dates: dict[str, list[str]] = {}
    for summary in sorted(list_meetings(store, settings), key=lambda m: m.meeting_id):
        slug = summary.organisation
        writer = writers.get(slug)
        if writer is None:
            writer = writers[slug] = _Writer(folder / slug, slug, "meetings", MEETING_FIELDS)
            names.setdefault(slug, summary.organisation_name)
        meeting = public_meeting(store, settings, summary.meeting_id)
        url = f"{base}/sammantraden/{meeting.meeting_id}"
        row = {
            "id": meeting.meeting_id, "organisation": slug,
            "organisation_name": meeting.organisation_name, "namnd": meeting.namnd,
            "datum": meeting.datum, "tid": meeting.tid, "plats": meeting.plats,
            "justerat": meeting.justerat, "anslagsdatum": meeting.anslagsdatum,
            "appeal_deadline": meeting.appeal_deadline, "items": len(meeting.items),
            "kallelse_id": int(meeting.kallelse.doc_id) if meeting.kallelse else None,
            "protokoll_id": int(meeting.protokoll.doc_id) if meeting.protokoll else None,
            "url": url,
        }
        agenda = [{"paragraf": i.paragraf, "rubrik": i.rubrik, "beslut": i.beslut,
                   "typ": i.typ, "secret": i.secret, "sekretess_text": i.sekretess_text,
                   "cases": [{"diarienummer": c.diarienummer, "case_id": c.case_id}
                             for c in i.cases]}
                  for i in meeting.items]
        writer.write(row, {"agenda": agenda})
        dates.setdefault(slug, []).append(meeting.datum)
    files = [f for writer in writers.values() for f in writer.close(folder)]
    return files, dates


def _manifest_json(dump: Dump) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": dump.version,
        "created": dump.created,
        "organisations": [
            {"slug": o.slug, "name": o.name, "cases": o.cases, "documents": o.documents,
             "first_date": o.first_date, "last_date": o.last_date,
             "committees": list(o.committees)}
            for o in dump.organisations
        ],
        "files": [
            {"path": f.path, "organisation": f.organisation, "kind": f.kind,
             "format": f.format, "media_type": f.media_type, "records": f.records,
             "bytes": f.bytes, "sha256": f.sha256}
            for f in dump.files
        ],
    }


def _publish(root: Path, version: str) -> None:
    """Point `current` at `version` in one rename (a symlink replaced atomically)."""
    link = root / f".{CURRENT}.{os.getpid()}.tmp"
    link.unlink(missing_ok=True)
    os.symlink(version, link)
    os.replace(link, root / CURRENT)


def _versions(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def _remove_old(root: Path, current: str, keep: int) -> list[str]:
    """Remove dumps older than the `keep` newest before `current`, and leftovers of
    killed runs (their `.…tmp` folders, whose process is gone)."""
    older = [v for v in _versions(root) if v != current and v < current]
    doomed = older[:max(0, len(older) - keep)]
    for name in doomed:
        shutil.rmtree(root / name, ignore_errors=True)
    for tmp in root.glob(".*.tmp"):
        found = _TMP_PID.search(tmp.name)
        pid = int(found.group(1)) if found else 0
        if pid and pid != os.getpid() and not process_alive(pid):
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)
    return doomed


# ---------------------------------------------------------------------------------------
# Reading


def latest_dump(settings: Settings) -> Dump | None:
    """The published dump (what `dumps/current` points at), or None when there is none.
    Raises DumpError when its manifest is unreadable."""
    link = dumps_dir(settings) / CURRENT
    try:
        target = link.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None
    return read_dump(target)


def read_dump(folder: Path) -> Dump:
    """The dump in `folder`, from its manifest. Raises DumpError when unreadable."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise DumpError(f"{path}: not a {FORMAT} manifest")
        return Dump(
            path=folder, version=str(data["version"]), created=str(data["created"]),
            files=tuple(DumpFile(**f) for f in data["files"]),
            organisations=tuple(
                OrgSummary(**{**o, "committees": tuple(o.get("committees", ()))})
                for o in data["organisations"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DumpError(f"cannot read the dump manifest {path}: {exc}") from exc


def verify_dump(dump: Dump) -> None:
    """Check every file against the manifest (size, sha256, record count). Raises
    DumpError naming each file that does not match."""
    problems: list[str] = []
    for entry in dump.files:
        path = dump.path / entry.path
        if not path.is_file():
            problems.append(f"{entry.path}: missing")
            continue
        sha, size = hash_file(path)
        if (sha, size) != (entry.sha256, entry.bytes):
            problems.append(f"{entry.path}: checksum or size differs from the manifest")
            continue
        count = sum(1 for _ in read_rows(dump, entry))
        if count != entry.records:
            problems.append(f"{entry.path}: {count} records, the manifest says "
                            f"{entry.records}")
    if problems:
        raise DumpError(f"dump {dump.path} does not match its manifest: "
                        + "; ".join(problems))


def read_rows(dump: Dump, entry: DumpFile) -> Iterator[dict[str, Any]]:
    """The records of one dump file (CSV rows as strings, JSON Lines as written)."""
    with gzip.open(dump.path / entry.path, "rt", encoding="utf-8", newline="") as fh:
        if entry.format == "csv":
            yield from csv.DictReader(fh)
        else:
            for line in fh:
                if line.strip():
                    yield json.loads(line)
