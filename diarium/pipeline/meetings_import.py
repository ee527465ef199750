"""Import a meetings manifest: committee meetings with their notice, minutes and items.

A meetings manifest is CSV (header row; `,` or `;`) or JSON Lines with one row per agenda
item; `diarium import` recognises it by its `paragraf` column (see README, "Meetings
(sammanträden)"). Columns:

    organisation, namnd, datum, paragraf                      (required)
    tid, plats, justerat, anslagsdatum, kallelse, protokoll,
    protokoll_publicerad                                      (the meeting's; first row wins)
    rubrik, diarienummer, beslut, typ, sekretess              (the item's)

`diarienummer` may name several cases, separated by `;`, `,` or line breaks. The rows of
one meeting (organisation, namnd, datum, tid) need not be next to each other; the first row
of a meeting decides its meeting columns. Every row is validated on its own and a bad row
goes to the rejects file with its line and reason, exactly as for the documents manifest
(the same reader and RejectsFile). Each meeting is stored in one transaction by
`diarium.meetings.store_meeting`, so a rerun after a crash or a fix finds what was stored
unchanged.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from diarium import diarienummer
from diarium.config import Settings
from diarium.errors import InvalidDiarienummer, InvalidRow, ManifestError
from diarium.meetings import AgendaItem, ItemType, Meeting, parse_paragraf, store_meeting
from diarium.pipeline.importing import (
    _NO,
    _SURROGATE,
    _YES,
    ImportProgress,
    ImportReport,
    RejectsFile,
    _encoding_hint,
    _open_csv,
    _open_jsonl,
    _Validator,
)
from diarium.store import Store

REQUIRED_COLUMNS: tuple[str, ...] = ("organisation", "namnd", "datum", "paragraf")
MEETING_COLUMNS: tuple[str, ...] = (
    "tid", "plats", "justerat", "anslagsdatum", "kallelse", "protokoll",
    "protokoll_publicerad",
)
ITEM_COLUMNS: tuple[str, ...] = ("rubrik", "diarienummer", "beslut", "typ", "sekretess")
# Other spellings seen in exports.
_ALIASES = {
    "nämnd": "namnd", "justerad": "justerat", "justeringsdatum": "justerat",
    "anslagen": "anslagsdatum", "anslag": "anslagsdatum", "lokal": "plats",
    "ärende": "diarienummer", "arende": "diarienummer", "dnr": "diarienummer",
    "beslutstext": "beslut", "§": "paragraf", "starttid": "tid",
}
_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")
_DNR_SPLIT = re.compile(r"[;,\n]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

MeetingKey = tuple[str, str, str, str]


@dataclass
class _ItemRow:
    line: int
    key: MeetingKey
    meeting: Meeting          # the meeting columns as this row gives them (items empty)
    item: AgendaItem


class _MeetingValidator:
    def __init__(self, settings: Settings, files_root: Path) -> None:
        self.settings = settings
        # The documents importer's checks (organisation slug, secrecy words, file paths).
        self.base = _Validator(settings, files_root)
        self.seen: dict[tuple[MeetingKey, int], int] = {}

    def row(self, line: int, values: dict[str, str]) -> _ItemRow:
        """A validated item row. Raises InvalidRow with the first problem found."""
        if "\0bad" in values:
            raise InvalidRow(line, values["\0bad"])
        if "\0width" in values:
            raise InvalidRow(line, values["\0width"])
        clean: dict[str, str] = {}
        for name, value in values.items():
            if _SURROGATE.search(value):
                raise InvalidRow(line, f"{name} is not UTF-8 ({_encoding_hint(value)}); "
                                       "save the manifest as UTF-8")
            clean[_ALIASES.get(name, name)] = unicodedata.normalize("NFC", value.strip())
        for column in REQUIRED_COLUMNS:
            if not clean.get(column):
                raise InvalidRow(line, f"missing {column}")
        org = self.base.org_slugs.get(clean["organisation"]) or self.base._org_slug(
            line, clean["organisation"])
        namnd = " ".join(clean["namnd"].split())
        datum = self._date(line, "datum", clean["datum"])
        assert datum is not None
        tid = self._time(line, clean.get("tid", ""))
        justerat = self._date(line, "justerat", clean.get("justerat", ""))
        anslag = self._date(line, "anslagsdatum", clean.get("anslagsdatum", ""))
        if justerat is not None and justerat < datum:
            raise InvalidRow(line, f"justerat {justerat} is before the meeting ({datum})")
        if anslag is not None and anslag < (justerat or datum):
            raise InvalidRow(line, f"anslagsdatum {anslag} is before the minutes were "
                                   f"{'approved' if justerat else 'taken'} "
                                   f"({justerat or datum})")
        try:
            paragraf = parse_paragraf(clean["paragraf"])
            typ = ItemType.parse(clean.get("typ", ""))
        except ValueError as exc:
            raise InvalidRow(line, str(exc)) from None
        org_settings = self.settings.org(org)
        numbers = []
        for written in _DNR_SPLIT.split(clean.get("diarienummer", "")):
            written = written.strip()
            if not written:
                continue
            try:
                diarienummer.parse(written, org_settings)
            except InvalidDiarienummer as exc:
                raise InvalidRow(line, f"diarienummer {written!r}: {exc}") from None
            numbers.append(written)
        key: MeetingKey = (org, namnd, datum.isoformat(), tid)  # as the store keys it
        first = self.seen.get((key, paragraf))
        if first is not None:
            raise InvalidRow(line, f"duplicate paragraf {paragraf} in the meeting of {namnd} "
                                   f"{datum} (first on line {first})")
        meeting = Meeting(
            organisation=org, namnd=namnd, datum=datum, tid=tid,
            plats=clean.get("plats", ""), justerat=justerat, anslagsdatum=anslag,
            kallelse=self.base._file(line, clean.get("kallelse", "")),
            protokoll=self.base._file(line, clean.get("protokoll", "")),
            protokoll_publicerad=self._yes_no(line, clean.get("protokoll_publicerad", "")),
        )
        item = AgendaItem(
            paragraf=paragraf, rubrik=clean.get("rubrik", ""), beslut=clean.get("beslut", ""),
            typ=typ, sekretess=self.base._sekretess(clean.get("sekretess", "")),
            diarienummer=tuple(numbers),
        )
        self.seen[(key, paragraf)] = line
        return _ItemRow(line, key, meeting, item)

    @staticmethod
    def _date(line: int, column: str, text: str) -> date | None:
        if not text:
            return None
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError
            day = date.fromisoformat(text)
        except ValueError:
            raise InvalidRow(line, f"{column} {text!r} is not a date written YYYY-MM-DD") \
                from None
        if not 1900 <= day.year <= 2100:
            raise InvalidRow(line, f"{column} {text!r} is outside 1900-2100")
        return day

    @staticmethod
    def _time(line: int, text: str) -> str:
        if not text:
            return ""
        match = _TIME.fullmatch(text)
        if match is None:
            raise InvalidRow(line, f"tid {text!r} is not a time written HH:MM")
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    @staticmethod
    def _yes_no(line: int, text: str) -> bool | None:
        value = text.casefold()
        if not value:
            return None
        if value in _YES:
            return True
        if value in _NO:
            return False
        raise InvalidRow(line, f"protokoll_publicerad {text!r} must be ja or nej")


def import_meetings(
    store: Store,
    settings: Settings,
    manifest: Path,
    kind: str,
    files_root: Path,
    rejects: Path,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportReport:
    """Import a meetings manifest (`kind` "csv" or "jsonl"); called by
    `diarium.pipeline.importing.import_manifest`, which has checked the paths. Returns an
    ImportReport counting agenda items. Raises ManifestError when the manifest as a whole
    cannot be read; the meetings before an unreadable CSV line are stored."""
    started = time.perf_counter()
    source = (_open_csv(manifest, REQUIRED_COLUMNS) if kind == "csv"
              else _open_jsonl(manifest, REQUIRED_COLUMNS))
    report = ImportReport(manifest=manifest)
    validator = _MeetingValidator(settings, files_root.resolve())
    rejected_rows = RejectsFile(rejects, source.header)
    originals: dict[int, tuple[str, ...]] = {}
    meetings: dict[MeetingKey, list[_ItemRow]] = {}

    def reject(line: int | str, reason: str, original: tuple[str, ...]) -> None:
        report.rejected += 1
        report.rejections.append((line, reason))
        rejected_rows.add(line, reason, original)

    unreadable: ManifestError | None = None
    try:
        for line, values, original in source.rows:
            report.rows_read += 1
            try:
                row = validator.row(line, values)
            except InvalidRow as exc:
                reject(exc.line, exc.reason, original)
                continue
            originals[line] = original
            meetings.setdefault(row.key, []).append(row)
    except ManifestError as exc:
        # The rest cannot be read: store the meetings read so far, so that "the rows
        # before it were imported" is true (a rerun after the fix finds them unchanged).
        unreadable = exc
    finally:
        source.handle.close()
    done = 0
    try:
        for rows in meetings.values():
            first = rows[0].meeting
            meeting = replace(first, items=tuple(r.item for r in rows))
            try:
                stored = store_meeting(store, settings, meeting)
            except (OSError, InvalidDiarienummer) as exc:
                for r in rows:
                    reject(r.line, f"meeting {first.namnd} {first.datum}: {exc}",
                           originals[r.line])
                continue
            report.inserted += stored.inserted
            report.updated += stored.updated
            report.unchanged += stored.unchanged
            report.files_stored += stored.files_stored
            done += len(rows)
            if progress is not None:
                progress(ImportProgress(done + report.rejected, report.rejected,
                                        time.perf_counter() - started))
    finally:
        report.rejects_path = rejected_rows.close()
    if unreadable is not None:
        raise unreadable
    rejected_rows.remove_stale()
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(ImportProgress(report.rows_read, report.rejected, report.seconds))
    return report
