"""Import a register export (manifest) and its document files into the store.

A manifest is CSV (UTF-8, header row; `,` or `;` between fields) or JSON Lines, one row per
document carrying its case's fields. Columns (see README, "Manifest format"):

    organisation, diarienummer, arendemening, status, namnd, enhet, handlaggare,
    klassificering, lopnummer, datum, riktning, handlingstyp, rubrik, part, sekretess,
    publicerad, fil

XML register exports (FGS 1.0, FGS 2.0 / CITS ERMS, Noark 5; see
diarium.pipeline.xml_export) are read as a stream of the same rows and imported by the same
code; their rows are located by XML path instead of line, a case's own metadata goes to
`cases.extra`, several files per document are kept, and a missing or mismatching file is
reported without losing the register entry.

Any other column is kept in the document's `extra` JSON object. One of them is checked:
`part_typ`, the kind of each party (`person`/`organisation`, see diarium.parties), which
the public projection reads to decide whose names it hides.

How it stays correct:
- Every row is validated on its own; an invalid row is written to a rejects file with its
  line number and reason, and the valid rows still import.
- Rows are written in batches, one transaction per batch, with upserts keyed on
  (organisation, diarienummer key, löpnummer). Each document stores a hash of its row
  (row_hash, which covers the file's sha256): an unchanged row writes nothing, so importing
  the same manifest twice changes nothing, and an import killed at any moment and run again
  ends in the same store as an uninterrupted run.
- Files are hashed (sha256) and COPIED to `settings.file_path(sha)`. Copied, not
  referenced: the data folder must stay complete and self-sufficient when the export folder
  is moved, cleaned up or edited in place (a reference or hard link would silently change
  the content behind a content address). Each copy is written under a temporary name and
  renamed, so a killed import never leaves a half file under a final name.
- A row whose file content changed gets a new files row (state pending), so extraction
  picks it up, and its document is marked changed for indexing.
- The first row of a case in a manifest decides the case's fields (title, status, ...),
  so a manifest whose rows disagree still imports the same way every time.
- Import never deletes: a document missing from a manifest stays (exports are often partial).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import time
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, Protocol

from diarium import diarienummer, parties
from diarium.config import OrgSettings, Settings
from diarium.errors import InvalidDiarienummer, InvalidRow, ManifestError
from diarium.files import hash_file
from diarium.models import Riktning
from diarium.pipeline.export_meetings import ExportMeetings
from diarium.store import Store

COLUMNS: tuple[str, ...] = (
    "organisation",
    "diarienummer",
    "arendemening",
    "status",
    "namnd",
    "enhet",
    "handlaggare",
    "klassificering",
    "lopnummer",
    "datum",
    "riktning",
    "handlingstyp",
    "rubrik",
    "part",
    "sekretess",
    "publicerad",
    "fil",
)
_COLUMN_SET = frozenset(COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "organisation", "diarienummer", "lopnummer", "datum", "riktning",
)
CASE_FIELDS: tuple[str, ...] = (
    "arendemening", "status", "namnd", "enhet", "handlaggare", "klassificering",
)
BATCH_SIZE = 1000

_YES = frozenset({"ja", "j", "yes", "y", "true", "1", "x"})
_NO = frozenset({"nej", "n", "no", "false", "0"})
# A sekretess cell that only says "yes" names no provision; the entry is still secret.
SEKRETESS_UNSPECIFIED = "OSL"
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SURROGATE = re.compile(r"[\udc80-\udcff]")
# Long free-text columns (descriptions) exceed the csv module's 128 KiB default.
_FIELD_LIMIT = 16 * 1024 * 1024
# One encoder for every row's extras (json.dumps with options builds one per call).
_EXTRA_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


@dataclass(frozen=True)
class Rejection:
    """One rejected row: its line in the manifest, why, and its original values."""

    line: int
    reason: str
    values: tuple[str, ...]


@dataclass
class ImportReport:
    """What an import did. `changes` is inserted + updated."""

    manifest: Path
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    files_stored: int = 0
    seconds: float = 0.0
    rejects_path: Path | None = None
    rejections: list[tuple[int | str, str]] = field(default_factory=list)
    # XML exports: the format read, and files the export names that were not stored
    # (missing, outside the folder, checksum mismatch) as (XML path, problem), the first
    # FILE_PROBLEMS_KEPT of them (an export imported without its files would otherwise
    # hold one per document in memory), and how many there were; the register entries
    # themselves were imported.
    format: str = ""
    file_problems: list[tuple[str, str]] = field(default_factory=list)
    file_problem_count: int = 0
    # XML exports with meeting folders (Noark 5 moetemappe): the meetings stored (new,
    # changed or unchanged) and their agenda items inserted or changed.
    meetings: int = 0
    meeting_changes: int = 0

    @property
    def changes(self) -> int:
        return self.inserted + self.updated + self.meeting_changes

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class ImportProgress:
    """Passed to the progress callback after each batch."""

    rows_read: int
    rejected: int
    seconds: float


@dataclass
class _Row:
    """A validated row, ready to write."""

    line: int | str
    org: str
    dnr: diarienummer.Diarienummer
    lopnummer: int
    values: dict[str, str]
    publicerad: int
    sekretess: str
    extra: str
    file: Path | None
    sha256: str = ""
    size: int = 0
    row_hash: str = ""
    # XML exports: the case's own metadata (JSON; None leaves cases.extra alone), a case
    # without documents, and the files after the first as (sha256, size, name).
    case_extra: str | None = None
    case_only: bool = False
    more_files: list[tuple[str, int, str]] = field(default_factory=list)
    keep_files: bool = False        # a file the export names is missing: keep stored links


# ---------------------------------------------------------------------------------------
# Reading manifests


class _Closable(Protocol):
    def close(self) -> None: ...


@dataclass
class _Source:
    """A manifest being read: its header (for rejects) and its rows with line numbers."""

    header: tuple[str, ...]
    rows: Iterator[tuple[Any, dict[str, str], tuple[str, ...]]]
    handle: _Closable               # the open file; for an XML export, the row stream
    location: str = "line"          # what locates a row: its line, or its XML path


def _check_encoding(path: Path) -> None:
    """Stop before writing anything when the manifest as a whole is in another encoding:
    its first 256 KiB hold bytes that are not UTF-8 and not one UTF-8 letter beyond ASCII.
    (A few bad rows in a UTF-8 file are rejected one by one instead.)"""
    with path.open("rb") as fh:
        sample = fh.read(256 * 1024)
    if len(sample) == 256 * 1024 and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n")]  # do not cut a character in two
    text = sample.decode("utf-8", errors="surrogateescape")
    bad = len(_SURROGATE.findall(text))
    good = sum(1 for ch in text if ord(ch) > 127 and not 0xDC80 <= ord(ch) <= 0xDCFF)
    if bad and not good:
        raise ManifestError(
            f"{path} is not UTF-8 ({_encoding_hint(text)}); nothing was imported. "
            "Save it as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 in.csv > out.csv"
        )


def _detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return "xml"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    return "jsonl" if head.startswith(b"{") else "csv"


def _open_csv(path: Path, required: tuple[str, ...] = REQUIRED_COLUMNS) -> _Source:
    # surrogateescape: bytes that are not UTF-8 survive decoding, so the row holding them
    # can be rejected with its line number instead of the whole manifest failing.
    handle = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    sample = handle.readline()
    handle.seek(0)
    if sample.lstrip("\ufeff").strip() == "":
        handle.close()
        raise ManifestError(f"{path}: empty manifest (the first line must be the header)")
    if _SURROGATE.search(sample):
        handle.close()
        raise ManifestError(
            f"{path}: the header is not UTF-8 ({_encoding_hint(sample)}); "
            "save the manifest as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8"
        )
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.reader(handle, delimiter=delimiter)
    header = tuple(_column_name(name) for name in next(reader))
    _check_header(path, header, required)
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        handle.close()
        raise ManifestError(f"{path}: column(s) {', '.join(dupes)} appear more than once")

    def rows() -> Iterator[tuple[int, dict[str, str], tuple[str, ...]]]:
        line = reader.line_num + 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # The parser cannot find the next row reliably; batches before it are kept
                # and a rerun after the fix skips them as unchanged.
                raise ManifestError(
                    f"{path}: line {line}: unreadable CSV ({exc}); the rows before it were "
                    "imported, fix the line and import again"
                ) from exc
            start, line = line, reader.line_num + 1
            if not record or all(not v.strip() for v in record):
                continue
            values = dict(zip(header, record, strict=False))
            if len(record) != len(header):
                values["\0width"] = f"{len(record)} fields, the header has {len(header)}"
            yield start, values, tuple(record)

    return _Source(header, rows(), handle)


def _open_jsonl(path: Path, required: tuple[str, ...] = REQUIRED_COLUMNS) -> _Source:
    handle = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")

    def rows() -> Iterator[tuple[int, dict[str, str], tuple[str, ...]]]:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            raw = (text.rstrip("\r\n"),)
            if _SURROGATE.search(text):
                yield number, {"\0bad": f"not UTF-8 ({_encoding_hint(text)})"}, raw
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, {"\0bad": f"not valid JSON: {exc.msg} at column {exc.colno}"}, raw
                continue
            if not isinstance(obj, dict):
                yield number, {"\0bad": "not a JSON object"}, raw
                continue
            values: dict[str, str] = {}
            for key, value in obj.items():
                converted = _json_value(value)
                if converted is None:
                    values["\0bad"] = f"{key}: nested values are not allowed"
                    break
                values[_column_name(str(key))] = converted
            yield number, values, raw

    first = _first_json_object(path)
    if first is not None:
        _check_header(path, tuple(_column_name(str(k)) for k in first), required)
    return _Source(("json",), rows(), handle)


def _first_json_object(path: Path) -> dict[str, Any] | None:
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        for text in fh:
            if text.strip():
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError:
                    return None
                return obj if isinstance(obj, dict) else None
    raise ManifestError(f"{path}: empty manifest")


def _json_value(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


_FOLD = str.maketrans("åäö", "aao")


def _column_name(name: str) -> str:
    """A header name as a column: trimmed, lower-case; the Swedish spelling of a known
    column (löpnummer, nämnd, ärendemening, handläggare) is read as the ASCII one."""
    key = unicodedata.normalize("NFC", name).strip().lstrip("\ufeff").lower()
    folded = key.translate(_FOLD)
    return folded if folded in _COLUMN_SET else key


def _check_header(path: Path, header: tuple[str, ...],
                  required: tuple[str, ...] = REQUIRED_COLUMNS) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise ManifestError(
            f"{path}: missing required column(s) {', '.join(missing)}; "
            f"found {', '.join(h for h in header if h) or 'none'}. "
            f"Required: {', '.join(required)}"
        )


def _encoding_hint(text: str) -> str:
    raw = text.encode("utf-8", "surrogateescape")
    bad = _SURROGATE.search(text)
    byte = ord(bad.group(0)) - 0xDC00 if bad else 0
    guess = raw.decode("cp1252", errors="replace").strip()
    if len(guess) > 60:
        guess = guess[:57] + "..."
    return f"byte 0x{byte:02X}; as Windows-1252 it reads {guess!r}"


# ---------------------------------------------------------------------------------------
# Validation


class _Validator:
    def __init__(self, settings: Settings, files_dir: Path, opaque_ids: bool = False) -> None:
        self.settings = settings
        self.files_dir = files_dir
        # XML exports: a case identifier that is no diarienummer is kept as written, and
        # a case's rows come together, so duplicates are looked for within the case only
        # (memory stays bounded by one case, not by the export).
        self.opaque_ids = opaque_ids
        self.contiguous = opaque_ids
        self.current_case: tuple[str, str] | None = None
        self.cases_seen: set[tuple[str, str]] = set()
        self.seen: dict[tuple[str, str, int], int | str] = {}
        # A case has several rows: parse its diarienummer once per organisation.
        self.dnrs: dict[tuple[str, str], diarienummer.Diarienummer] = {}
        self.orgs: dict[str, OrgSettings] = {}
        self.found_files: dict[str, Path] = {}
        # Organisations, dates and directions repeat across rows: check each spelling once.
        self.org_slugs: dict[str, str] = {}
        self.good_dates: set[str] = set()
        self.riktningar: dict[str, str] = {}
        self.extra_names: dict[tuple[str, ...], tuple[str, ...]] = {}

    def row(self, line: int | str, values: dict[str, str], has_publicerad: bool) -> _Row:
        """A validated row. Raises InvalidRow with the first problem found."""
        if "\0case_only" in values and "\0bad" not in values:
            return self._case_row(line, values)
        if "\0bad" in values:
            raise InvalidRow(line, values["\0bad"])
        if "\0width" in values:
            raise InvalidRow(line, values["\0width"])
        if _SURROGATE.search("".join(values.values())):  # one scan for the common case
            key, value = next((k, v) for k, v in values.items() if _SURROGATE.search(v))
            raise InvalidRow(
                line,
                f"{key} is not UTF-8 ({_encoding_hint(value)}); save the manifest as UTF-8",
            )
        # NFC: exports from some systems write å as a + ring; search and display want one.
        clean = {
            k: v.strip() if v.isascii() else unicodedata.normalize("NFC", v.strip())
            for k, v in values.items()
        }
        for column in REQUIRED_COLUMNS:
            if not clean.get(column):
                raise InvalidRow(line, f"missing {column}")

        org, dnr = self._case_key(line, clean)
        lop_text = clean["lopnummer"]
        if not lop_text.isdigit() or int(lop_text) < 1:
            raise InvalidRow(line, f"lopnummer {lop_text!r} is not a positive whole number")
        lopnummer = int(lop_text)
        datum = clean["datum"]
        if datum not in self.good_dates:
            self._check_date(line, datum)
        riktning = self.riktningar.get(clean["riktning"])
        if riktning is None:
            try:
                riktning = Riktning.parse(clean["riktning"]).value
            except ValueError as exc:
                raise InvalidRow(line, str(exc)) from None
            self.riktningar[clean["riktning"]] = riktning
        publicerad = self._publicerad(line, clean.get("publicerad", ""), has_publicerad)
        sekretess = self._sekretess(clean.get("sekretess", ""))
        file = self._file(line, clean.get("fil", ""))

        if self.contiguous:
            self._enter_case(line, org, dnr)
        seen_key = (org, dnr.key, lopnummer)
        first = self.seen.get(seen_key)
        if first is not None:
            raise InvalidRow(
                line,
                f"duplicate lopnummer {lopnummer} in case {dnr.written} "
                + (f"(first on line {first})" if isinstance(first, int) else f"(first at {first})"),
            )
        self.seen[seen_key] = line

        normalized = {c: clean.get(c, "") for c in COLUMNS}
        normalized.update(
            organisation=org,
            lopnummer=str(lopnummer),
            riktning=riktning,
            publicerad=str(publicerad),
            sekretess=sekretess,
        )
        encoded = clean.get("\0extra")
        if encoded is not None:
            # An XML export's reader encoded the metadata already (sorted keys, no empty
            # values: what the lines below make of extra columns).
            extras = {}
        else:
            names = tuple(values)
            extra_names = self.extra_names.get(names)
            if extra_names is None:
                extra_names = tuple(k for k in names
                                    if k and k not in _COLUMN_SET and k[0] != "\0")
                self.extra_names[names] = extra_names
            extras = {k: clean[k] for k in extra_names if clean[k]}
            encoded = _EXTRA_JSON(extras) if extras else "{}"
        if "part_typ" in extras:
            # Party kinds (person/organisation, one per party) decide which names the
            # public projection hides (diarium.parties); a typo must not publish a name.
            try:
                parties.parse_kinds(extras["part_typ"])
            except ValueError as exc:
                raise InvalidRow(line, str(exc)) from None
        return _Row(
            line=line,
            org=org,
            dnr=dnr,
            lopnummer=lopnummer,
            values=normalized,
            publicerad=publicerad,
            sekretess=sekretess,
            extra=encoded,
            file=file,
            case_extra=clean.get("\0case_extra"),
        )

    def _case_key(self, line: int | str, clean: dict[str, str]
                  ) -> tuple[str, diarienummer.Diarienummer]:
        org = self.org_slugs.get(clean["organisation"])
        if org is None:
            org = self._org_slug(line, clean["organisation"])
        dnr = self.dnrs.get((org, clean["diarienummer"]))
        if dnr is None:
            org_settings = self.orgs.get(org)
            if org_settings is None:
                org_settings = self.orgs[org] = self.settings.org(org)
            read = diarienummer.identifier if self.opaque_ids else diarienummer.parse
            try:
                dnr = read(clean["diarienummer"], org_settings)
            except InvalidDiarienummer as exc:
                raise InvalidRow(line, f"diarienummer: {exc}") from exc
            self.dnrs[(org, clean["diarienummer"])] = dnr
        return org, dnr

    def _enter_case(self, line: int | str, org: str, dnr: diarienummer.Diarienummer) -> None:
        case = (org, dnr.key)
        if case == self.current_case:
            return
        if case in self.cases_seen:
            raise InvalidRow(line, f"case {dnr.written} appears a second time in the export "
                                   "(its documents must sit in one case element)")
        self.cases_seen.add(case)
        self.current_case = case
        self.seen.clear()
        self.dnrs = {(org, dnr.written): dnr}

    def _case_row(self, line: int | str, values: dict[str, str]) -> _Row:
        """A case without documents (XML exports): only its own fields are written."""
        clean = {k: unicodedata.normalize("NFC", v.strip()) for k, v in values.items()}
        for column in ("organisation", "diarienummer"):
            if not clean.get(column):
                raise InvalidRow(line, f"missing {column}")
        org, dnr = self._case_key(line, clean)
        if self.contiguous:
            self._enter_case(line, org, dnr)
        return _Row(line=line, org=org, dnr=dnr, lopnummer=0,
                    values={c: clean.get(c, "") for c in COLUMNS}, publicerad=1, sekretess="",
                    extra="{}", file=None, case_extra=clean.get("\0case_extra"),
                    case_only=True)

    def _org_slug(self, line: int | str, written: str) -> str:
        org = written.lower()
        if not _SLUG.fullmatch(org):
            raise InvalidRow(line, f"organisation {written!r} is not a slug (a-z, 0-9, - and _)")
        known = self.settings.organisations
        if known and org not in known:
            raise InvalidRow(
                line,
                f"unknown organisation {org!r}: diarium.toml names {', '.join(sorted(known))}",
            )
        self.org_slugs[written] = org
        return org

    def _check_date(self, line: int | str, datum: str) -> None:
        try:
            if not _ISO_DATE.fullmatch(datum):
                raise ValueError
            day = date.fromisoformat(datum)
        except ValueError:
            raise InvalidRow(line, f"datum {datum!r} is not a date written YYYY-MM-DD") from None
        if not 1800 <= day.year <= 2100:
            raise InvalidRow(line, f"datum {datum!r} is outside 1800-2100")
        self.good_dates.add(datum)

    @staticmethod
    def _publicerad(line: int | str, text: str, has_column: bool) -> int:
        # No column at all: the export knows nothing of clearance, so the register's
        # default (cleared) applies. A column with an empty cell means "not cleared": the
        # entry is listed, its text and file are withheld. Privacy errs on the safe side.
        if not has_column:
            return 1
        value = text.casefold()
        if value in _YES:
            return 1
        if value in _NO or value == "":
            return 0
        raise InvalidRow(line, f"publicerad {text!r} must be ja or nej")

    @staticmethod
    def _sekretess(text: str) -> str:
        value = text.casefold()
        if value in _NO or value in ("", "-"):
            return ""
        if value in _YES:
            return SEKRETESS_UNSPECIFIED
        return text

    def export_file(self, name: str) -> Path | str:
        """The path of a file named by an XML export, or the problem with it: outside the
        files folder, or missing. `\\` reads as `/`; a file: URI starts at the folder."""
        value = name.strip().replace("\\", "/")
        if value.lower().startswith("file:"):
            value = urllib.parse.unquote(value[5:]).lstrip("/")
        relative = os.path.normpath(value) if value else ""
        if not relative or os.path.isabs(relative) or relative.split(os.sep)[0] == "..":
            return f"file {name!r} is outside the files folder; not stored"
        path = self.files_dir / relative
        try:
            inside = path.resolve().is_relative_to(self.files_dir)
        except OSError:
            inside = False
        if not inside:
            return f"file {name!r} leads outside the files folder; not stored"
        if not path.is_file():
            return (f"file {name!r} not found in {self.files_dir}; the register entry was "
                    "imported without it (import again once the file is there)")
        return path

    def _file(self, line: int | str, name: str) -> Path | None:
        if not name:
            return None
        path = self.found_files.get(name)
        if path is None:
            relative = os.path.normpath(name.replace("\\", "/"))
            # A manifest row must not pull in files from elsewhere on the machine (whatever
            # is imported may be published): no absolute paths, no way out with "..".
            if os.path.isabs(relative) or relative.split(os.sep)[0] == "..":
                raise InvalidRow(line, f"file {name!r} is outside the files folder")
            path = self.files_dir / relative
            if not path.is_file():
                raise InvalidRow(line, f"file {name!r} not found in {self.files_dir}")
            self.found_files[name] = path
        return path


# ---------------------------------------------------------------------------------------
# Files


class _FileStore:
    """Hashes manifest files and copies them to their content address."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hashed: dict[Path, tuple[str, int]] = {}
        self.present: set[str] = set()
        self.stored = 0
        self._remove_orphans()

    def _remove_orphans(self) -> None:
        """Delete half-copied files left by a killed import (their process is gone)."""
        self.settings.files.remove_orphans()

    def hash(self, path: Path) -> tuple[str, int]:
        """(sha256, size) of the file, read once per import."""
        cached = self.hashed.get(path)
        if cached is None:
            cached = self.hashed[path] = hash_file(path)
        return cached

    def add(self, path: Path) -> tuple[str, int]:
        """(sha256, size) of the file, copied into the store if not there yet."""
        sha, size = self.hash(path)
        if sha not in self.present:
            if not self.settings.files.has(sha, size):
                self.settings.files.add_file(path, known=(sha, size))
                self.stored += 1
            self.present.add(sha)
        return sha, size


# ---------------------------------------------------------------------------------------
# Writing


class _Writer:
    """Upserts validated rows; caches organisation and case ids for the run."""

    def __init__(self, store: Store, settings: Settings, report: ImportReport) -> None:
        self.store = store
        self.settings = settings
        self.report = report
        self.orgs: dict[str, int] = {}
        self.cases: dict[tuple[int, str], int] = {}

    def write(self, rows: list[_Row]) -> None:
        """Upsert one batch in one transaction. New documents go in with executemany; their
        ids are assigned here (max + 1, ...), which is safe because the transaction holds
        the write lock and is what SQLite would assign itself."""
        conn = self.store.conn
        with self.store.transaction():
            case_ids = [self._case(row) for row in rows]
            existing = self._existing(case_ids)
            next_id = int(conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM documents").fetchone()[0])
            inserts: list[tuple[Any, ...]] = []
            new_files: list[tuple[str, int]] = []
            links: list[tuple[int, str, str, int]] = []
            changed: list[tuple[int]] = []
            for row, case_id in zip(rows, case_ids, strict=True):
                if row.case_only:
                    continue  # a case without documents: _case wrote it
                found = existing.get((case_id, row.lopnummer))
                v = row.values
                params = (
                    v["datum"], v["riktning"], v["handlingstyp"], v["rubrik"], v["part"],
                    row.sekretess, row.publicerad, v["fil"], row.extra, row.row_hash,
                )
                if found is None:
                    doc_id = next_id
                    next_id += 1
                    inserts.append((doc_id, case_id, row.lopnummer, *params))
                    if row.file is not None:
                        new_files.append((row.sha256, row.size))
                        links.append((doc_id, row.sha256, row.file.name, 0))
                        for position, (sha, size, name) in enumerate(row.more_files, 1):
                            new_files.append((sha, size))
                            links.append((doc_id, sha, name, position))
                    self.report.inserted += 1
                elif found[1] != row.row_hash:
                    doc_id = int(found[0])
                    conn.execute(
                        "UPDATE documents SET datum = ?, riktning = ?, handlingstyp = ?, "
                        "rubrik = ?, part = ?, sekretess = ?, publicerad = ?, fil = ?, "
                        "extra = ?, row_hash = ? WHERE id = ?",
                        (*params, doc_id),
                    )
                    self._attach_file(doc_id, row)
                    self.report.updated += 1
                else:
                    self.report.unchanged += 1
                    continue
                changed.append((doc_id,))
            # A new content gets its own files row in state pending: extraction picks it up.
            conn.executemany("INSERT OR IGNORE INTO files (sha256, size) VALUES (?, ?)",
                             new_files)
            conn.executemany(
                "INSERT INTO documents (id, case_id, lopnummer, datum, riktning, "
                "handlingstyp, rubrik, part, sekretess, publicerad, fil, extra, row_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO document_files (document_id, sha256, name, role, "
                "position) VALUES (?, ?, ?, 'original', ?)",
                links,
            )
            # The same statement as Store.record_change, once per batch.
            conn.executemany(
                "INSERT INTO changes (document_id, kind) VALUES (?, 'upsert')", changed
            )

    def _existing(self, case_ids: list[int]) -> dict[tuple[int, int], tuple[int, str]]:
        """(case id, löpnummer) -> (document id, row_hash) for the batch's cases: one query
        per 500 cases instead of one per row."""
        unique = sorted(set(case_ids))
        found: dict[tuple[int, int], tuple[int, str]] = {}
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for case_id, lopnummer, doc_id, row_hash in self.store.conn.execute(
                "SELECT case_id, lopnummer, id, row_hash FROM documents "
                f"WHERE case_id IN ({marks})",
                chunk,
            ):
                found[(case_id, lopnummer)] = (doc_id, row_hash)
        return found

    def _org(self, slug: str) -> int:
        org_id = self.orgs.get(slug)
        if org_id is None:
            name = self.settings.org(slug).display_name
            org_id = self.store.organisation_id(slug, name)
            # diarium.toml may have named the organisation since it was first imported.
            self.store.conn.execute(
                "UPDATE organisations SET name = ? WHERE id = ? AND name != ?",
                (name, org_id, name),
            )
            self.orgs[slug] = org_id
        return org_id

    def _case(self, row: _Row) -> int:
        org_id = self._org(row.org)
        key = (org_id, row.dnr.key)
        case_id = self.cases.get(key)
        if case_id is not None:
            return case_id  # the case's first row in this manifest already set its fields
        conn = self.store.conn
        fields = tuple(row.values[c] for c in CASE_FIELDS)
        found = conn.execute(
            "SELECT id, diarienummer, " + ", ".join(CASE_FIELDS) + ", extra FROM cases "
            "WHERE organisation_id = ? AND dnr_key = ?",
            key,
        ).fetchone()
        if found is None:
            cur = conn.execute(
                "INSERT INTO cases (organisation_id, diarienummer, dnr_key, "
                + ", ".join(CASE_FIELDS) + ", extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (org_id, row.dnr.written, row.dnr.key, *fields, row.case_extra or "{}"),
            )
            case_id = int(cur.lastrowid or 0)
        else:
            case_id = int(found[0])
            # A CSV row carries no case metadata (case_extra None): it leaves extra alone.
            extra = found[-1] if row.case_extra is None else row.case_extra
            if tuple(found[1:]) != (row.dnr.written, *fields, extra):
                conn.execute(
                    "UPDATE cases SET diarienummer = ?, "
                    + ", ".join(f"{c} = ?" for c in CASE_FIELDS) + ", extra = ? WHERE id = ?",
                    (row.dnr.written, *fields, extra, case_id),
                )
                # The case's title and officer are part of every document's public record.
                conn.execute(
                    "INSERT INTO changes (document_id, kind) "
                    "SELECT id, 'upsert' FROM documents WHERE case_id = ? ORDER BY id",
                    (case_id,),
                )
        self.cases[key] = case_id
        return case_id

    def _attach_file(self, doc_id: int, row: _Row) -> None:
        """Point an existing document at its (possibly new) file, or at none."""
        conn = self.store.conn
        if row.file is None:
            if not row.keep_files:
                conn.execute(
                    "DELETE FROM document_files WHERE document_id = ? AND role = 'original'",
                    (doc_id,),
                )
            return
        if row.more_files or row.keep_files:
            # An XML export's document with several files (or one missing this time):
            # link each; drop only links the export no longer names, unless one is missing.
            wanted = [(row.sha256, row.size, row.file.name), *row.more_files]
            for position, (sha, size, name) in enumerate(wanted):
                conn.execute("INSERT OR IGNORE INTO files (sha256, size) VALUES (?, ?)",
                             (sha, size))
                conn.execute(
                    "INSERT OR IGNORE INTO document_files (document_id, sha256, name, role, "
                    "position) VALUES (?, ?, ?, 'original', ?)",
                    (doc_id, sha, name, position),
                )
            if not row.keep_files:
                marks = ",".join("?" * len(wanted))
                conn.execute(
                    "DELETE FROM document_files WHERE document_id = ? AND role = 'original' "
                    f"AND sha256 NOT IN ({marks})",
                    (doc_id, *(w[0] for w in wanted)),
                )
            return
        # A new content gets its own files row in state pending: extraction picks it up.
        conn.execute(
            "INSERT OR IGNORE INTO files (sha256, size) VALUES (?, ?)", (row.sha256, row.size)
        )
        conn.execute(
            "DELETE FROM document_files WHERE document_id = ? AND role = 'original' "
            "AND sha256 != ?",
            (doc_id, row.sha256),
        )
        conn.execute(
            "INSERT OR IGNORE INTO document_files (document_id, sha256, name, role, position) "
            "VALUES (?, ?, ?, 'original', 0)",
            (doc_id, row.sha256, row.file.name),
        )


def manifest_header(path: Path, kind: str) -> tuple[str, ...]:
    """The column names of a manifest as read (CSV header row, or the keys of the first
    JSON Lines object); () when there is none. Used to recognise the manifest's kind."""
    if kind == "jsonl":
        try:
            first = _first_json_object(path)
        except ManifestError:
            return ()
        return tuple(_column_name(str(k)) for k in first) if first else ()
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        sample = fh.readline()
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return tuple(_column_name(name) for name in next(csv.reader([sample], delimiter=delimiter),
                                                       []))


class RejectsFile:
    """The rejects file of one import: opened at the first rejected row under a temporary
    name, moved into place by close(); each row is (line, reason, original values)."""

    def __init__(self, path: Path, header: tuple[str, ...], location: str = "line") -> None:
        self.path = path
        self.header = header
        self.location = location
        self._tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._out: IO[str] | None = None
        self._writer: Any = None
        self.count = 0

    def add(self, line: int | str, reason: str, original: tuple[str, ...]) -> None:
        if self._out is None:
            self._out = self._tmp.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._out)
            self._writer.writerow((self.location, "reason", *self.header))
        self._writer.writerow((line, reason, *(_printable(v) for v in original)))
        self.count += 1

    def close(self) -> Path | None:
        """Move the written rejects into place; returns their path, or None when no row
        was rejected."""
        if self._out is None:
            return None
        self._out.close()
        self._out = None
        os.replace(self._tmp, self.path)
        return self.path

    def remove_stale(self) -> None:
        """Delete a rejects file from an earlier run when this run rejected nothing."""
        if not self.count and self.path.exists():
            self.path.unlink()


# ---------------------------------------------------------------------------------------
# The import


def default_rejects_path(manifest: Path) -> Path:
    """Where rejects go unless told: next to the manifest, `<name>.rejects.csv`."""
    return manifest.with_name(manifest.stem + ".rejects.csv")


def import_manifest(
    store: Store,
    settings: Settings,
    manifest: Path,
    files_dir: Path | None = None,
    rejects_path: Path | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    batch_size: int = BATCH_SIZE,
    fmt: str | None = None,
    organisation: str | None = None,
) -> ImportReport:
    """Import a CSV or JSON Lines manifest, or an XML register export (FGS 1.0, FGS 2.0 /
    CITS ERMS, Noark 5), and its files into the store.

    `files_dir` is where the `fil` paths start (default: the manifest's folder). Rejected
    rows go to `rejects_path` (default: next to the manifest); a stale rejects file there
    is removed when every row is accepted. `fmt` forces a format (csv, jsonl, or one of
    xml_export.FORMAT_NAMES) instead of recognising it; `organisation` names the
    organisation of an XML export's rows (default: its archive creator, matched by name).
    Returns an ImportReport.
    Raises ManifestError when the manifest as a whole cannot be read (missing, empty,
    missing required columns, header not UTF-8; malformed XML, a DOCTYPE) before anything
    is written.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise ManifestError(f"manifest {manifest} not found")
    files_root = Path(files_dir) if files_dir is not None else manifest.parent
    if not files_root.is_dir():
        raise ManifestError(f"files folder {files_root} not found")
    rejects = Path(rejects_path) if rejects_path is not None else default_rejects_path(manifest)
    if rejects.resolve() == manifest.resolve():
        raise ManifestError("the rejects file cannot be the manifest itself")
    if batch_size < 1:
        raise ManifestError("batch size must be at least 1")

    kind = _detect_format(manifest) if fmt is None else ("xml" if fmt not in ("csv", "jsonl")
                                                          else fmt)
    if kind == "xml":
        from diarium.pipeline import xml_export

        export = xml_export.open_export(manifest, settings, None if fmt in (None, "xml")
                                        else fmt, organisation)
        rows = xml_export.stream(export)
        # Closing the stream closes the XML file and ends its reader process.
        return _import_rows(store, settings, manifest, "xml",
                            _Source(COLUMNS, rows, rows, location="path"),
                            files_root, rejects, progress, batch_size, export.fmt.name)
    _check_encoding(manifest)
    header = manifest_header(manifest, kind)
    if "paragraf" in header and "lopnummer" not in header:
        # A meetings manifest (one row per agenda item): see diarium.pipeline.meetings_import.
        from diarium.pipeline.meetings_import import import_meetings

        return import_meetings(store, settings, manifest, kind, files_root, rejects, progress)
    if organisation:
        raise ManifestError("--organisation is for XML exports; a manifest names the "
                            "organisation in its organisation column")
    source = _open_csv(manifest) if kind == "csv" else _open_jsonl(manifest)
    return _import_rows(store, settings, manifest, kind, source, files_root, rejects,
                        progress, batch_size)


def _import_rows(store: Store, settings: Settings, manifest: Path, kind: str,
                 source: _Source, files_root: Path, rejects: Path,
                 progress: Callable[[ImportProgress], None] | None, batch_size: int,
                 format_name: str = "") -> ImportReport:
    """Validate, hash and write the rows of an opened manifest or export (see
    import_manifest)."""
    started = time.perf_counter()
    xml = kind == "xml"
    # An XML export knows nothing of web clearance: the register's default (cleared).
    has_publicerad = kind == "jsonl" or (not xml and "publicerad" in source.header)
    report = ImportReport(manifest=manifest, format=format_name or kind)
    validator = _Validator(settings, files_root.resolve(), opaque_ids=xml)
    files = _FileStore(settings)
    writer = _Writer(store, settings, report)
    rejected_rows = RejectsFile(rejects, source.header, source.location)
    batch: list[_Row] = []

    def reject(where: str, reason: str, values: dict[str, str]) -> None:
        report.rejected += 1
        report.rejections.append((where, reason))
        rejected_rows.add(where, reason, tuple(values.get(c, "") for c in COLUMNS))

    # Meeting folders of an XML export: stored once their register entries are written.
    meetings = ExportMeetings(store, settings, validator._case_key, reject) if xml else None
    try:
        for line, values, original in source.rows:
            if meetings is not None and "\0meeting" in values:
                meetings.add(str(line), values)
                continue
            report.rows_read += 1
            # JSON Lines rows each carry their own keys; a CSV has one header for all.
            row_has_publicerad = "publicerad" in values if kind == "jsonl" else has_publicerad
            try:
                refs = values.pop("\0files", "") if xml else ""
                row = validator.row(line, values, row_has_publicerad)
                if refs:
                    _export_files(row, json.loads(refs), validator, files, report)
                elif row.file is not None:
                    try:
                        row.sha256, row.size = files.add(row.file)
                    except OSError as exc:
                        raise InvalidRow(line, f"file {row.values['fil']!r}: {exc}") from exc
            except InvalidRow as exc:
                report.rejected += 1
                report.rejections.append((exc.line, exc.reason))
                rejected_rows.add(exc.line, exc.reason,
                                  original or tuple(values.get(c, "") for c in COLUMNS))
                continue
            row.row_hash = _row_hash(row)
            batch.append(row)
            if len(batch) >= batch_size:
                writer.write(batch)
                batch = []
                if meetings is not None:
                    meetings.flush()
                if progress is not None:
                    progress(ImportProgress(report.rows_read, report.rejected,
                                            time.perf_counter() - started))
        if meetings is not None:
            # The meetings need their folders' rows in the store: write the last batch
            # here, while the rejects file is still open for the meetings' rejects.
            if batch:
                writer.write(batch)
                batch = []
            meetings.flush()
    except ManifestError:
        # The rest of the manifest cannot be read: keep the good rows read so far, so the
        # message "the rows before it were imported" is true.
        if batch:
            writer.write(batch)
            batch = []
        if meetings is not None:
            meetings.flush()
        raise
    finally:
        source.handle.close()
        if meetings is not None:
            report.meetings, report.meeting_changes = meetings.stored, meetings.changes
        report.rejects_path = rejected_rows.close()
    if batch:
        writer.write(batch)
    rejected_rows.remove_stale()  # from an earlier run of this manifest; no longer true
    report.files_stored = files.stored
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(ImportProgress(report.rows_read, report.rejected, report.seconds))
    return report


_CHECKSUM_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
FILE_PROBLEMS_KEPT = 1000


def _export_files(row: _Row, refs: list[dict[str, str]], validator: _Validator,
                  files: _FileStore, report: ImportReport) -> None:
    """Store the files an XML export names for a row: each relative to the files folder
    (or a file: URI), checked against the export's checksum, copied into the FileStore.
    A file that is missing, outside the folder or not matching its checksum is reported in
    report.file_problems and left out; the register entry is imported all the same."""
    location = str(row.line)
    stored: list[tuple[Path, str, int]] = []
    for ref in refs:
        name = ref.get("path", "")
        problem = ""
        found = validator.export_file(name)
        if isinstance(found, str):
            problem = found
        else:
            path = found
            try:
                sha, size = files.hash(path)
                problem = _checksum_problem(path, sha, ref)
                if not problem:
                    files.add(path)
            except OSError as exc:
                problem = f"file {name!r}: {exc}"
        if problem:
            report.file_problem_count += 1
            if len(report.file_problems) < FILE_PROBLEMS_KEPT:
                report.file_problems.append((location, problem))
            continue
        if all(sha != s for _p, s, _n in stored):
            stored.append((path, sha, size))
    row.values["fil"] = refs[0].get("path", "") if refs else ""
    row.keep_files = len(stored) < len(refs)
    if stored:
        row.file, row.sha256, row.size = stored[0]
        row.more_files = [(sha, size, p.name) for p, sha, size in stored[1:]]


def _checksum_problem(path: Path, sha256: str, ref: dict[str, str]) -> str:
    """"" when the export gives no checksum or the file matches it, else the mismatch."""
    given = ref.get("checksum", "").strip().lower()
    if not given:
        return ""
    algorithm = ref.get("algorithm", "").strip().lower().replace("-", "").replace("_", "")
    algorithm = algorithm or _CHECKSUM_LENGTHS.get(len(given), "")
    if algorithm == "sha256":
        actual = sha256
    elif algorithm in hashlib.algorithms_available:
        digest = hashlib.new(algorithm)
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        actual = digest.hexdigest()
    else:
        return (f"file {ref.get('path', '')!r}: checksum algorithm {ref.get('algorithm')!r} "
                "unknown, so the file was not stored unverified")
    if actual != given:
        return (f"file {ref.get('path', '')!r}: {algorithm} checksum mismatch (the export "
                f"says {given}, the file has {actual}); not stored")
    return ""


def _printable(value: str) -> str:
    if _SURROGATE.search(value):
        return value.encode("utf-8", "surrogateescape").decode("cp1252", errors="replace")
    return value


def _row_hash(row: _Row) -> str:
    # The repr of a tuple of strings in fixed column order: unambiguous whatever the values
    # hold (each is quoted and escaped), and computed in C.
    values = row.values
    payload = repr((*(values[c] for c in COLUMNS), row.extra, row.dnr.written, row.sha256)
                   + ((tuple(row.more_files),) if row.more_files else ()))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
