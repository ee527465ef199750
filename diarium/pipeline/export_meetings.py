"""Meetings of XML register exports into the meetings model (issue 16).

A Noark 5 `moetemappe` is imported as a case with its registrations like any folder
(diarium.pipeline.noark5), and it is also a meeting: the XML reader hands the meeting on
as one row after the folder's rows (a "\\0meeting" JSON object: namnd, datum, tid, plats,
the lopnummer of the notice and of the minutes, the agenda items with their XML paths).
`ExportMeetings` collects those rows and, once the batch holding the folder's register
entries is written, stores each meeting with `diarium.meetings.store_meeting`, held in the
folder's own case (its notice and minutes are the register entries, not copies).

A value that cannot be used (an item's case reference the organisation's rules cannot
read, a repeated item number, a folder whose register entries were all rejected) goes to
the rejects file with its XML path; the rest of the meeting is stored. Storing is an
upsert keyed on (organisation, committee, date, time), so a second import changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from diarium import diarienummer
from diarium.config import Settings
from diarium.errors import InvalidDiarienummer, InvalidRow
from diarium.meetings import AgendaItem, ItemType, Meeting, store_meeting
from diarium.store import Store

# reject(XML path, reason, the row's values): the importer's rejects file and report.
Reject = Callable[[str, str, dict[str, str]], None]


@dataclass
class _Pending:
    location: str
    values: dict[str, str]


class ExportMeetings:
    """The meetings of one XML import, stored batch by batch (see the module docstring)."""

    def __init__(self, store: Store, settings: Settings, case_key: Callable[
            [str, dict[str, str]], tuple[str, diarienummer.Diarienummer]],
                 reject: Reject) -> None:
        self.store = store
        self.settings = settings
        self.case_key = case_key        # the importer's validator: (organisation, case key)
        self.reject = reject
        self.pending: list[_Pending] = []
        self.stored = 0                 # meetings stored (new, changed or unchanged)
        self.changes = 0                # agenda items inserted or changed

    def add(self, location: str, values: dict[str, str]) -> None:
        """A meeting row of the XML reader; stored at the next flush()."""
        self.pending.append(_Pending(location, values))

    def flush(self) -> None:
        """Store the meetings collected so far; their folders' rows must be written."""
        pending, self.pending = self.pending, []
        for found in pending:
            self._store(found)

    def _store(self, found: _Pending) -> None:
        values = found.values
        try:
            org, dnr = self.case_key(found.location, values)
        except InvalidRow as exc:
            self.reject(found.location, exc.reason, values)
            return
        row = self.store.conn.execute(
            "SELECT c.id FROM cases c JOIN organisations o ON o.id = c.organisation_id "
            "WHERE o.slug = ? AND c.dnr_key = ?", (org, dnr.key)).fetchone()
        if row is None:
            self.reject(found.location, "the meeting folder's case was not imported (its "
                                        "registrations were rejected), so neither was the "
                                        "meeting", values)
            return
        payload: dict[str, Any] = json.loads(values["\0meeting"])
        items = self._items(org, payload.get("items", []), values)
        meeting = Meeting(
            organisation=org, namnd=payload["namnd"],
            datum=date.fromisoformat(payload["datum"]), tid=payload.get("tid", ""),
            plats=payload.get("plats", ""), items=tuple(items),
            folder_case_id=int(row[0]), kallelse_lopnummer=payload.get("kallelse"),
            protokoll_lopnummer=payload.get("protokoll"),
        )
        try:
            stored = store_meeting(self.store, self.settings, meeting)
        except (InvalidDiarienummer, ValueError) as exc:
            self.reject(found.location, f"meeting {meeting.namnd} {meeting.datum}: {exc}",
                        values)
            return
        self.stored += 1
        self.changes += stored.inserted + stored.updated

    def _items(self, org: str, written: list[dict[str, Any]],
               values: dict[str, str]) -> list[AgendaItem]:
        """The agenda items of a meeting row: numbered by their own number, else by their
        place among the items; a repeated number and an unreadable case reference are
        rejected by path (the item without the reference is kept)."""
        rules = self.settings.org(org)
        items: list[AgendaItem] = []
        first_at: dict[int, str] = {}
        for position, item in enumerate(written, start=1):
            path = str(item.get("path", ""))
            number = int(item.get("paragraf") or 0) or position
            if number in first_at:
                self.reject(path, f"agenda item number {number} appears twice in the "
                                  f"meeting (first at {first_at[number]}); the registration "
                                  "was imported, the item was not", values)
                continue
            first_at[number] = path
            cases: list[str] = []
            for reference in item.get("diarienummer", []):
                try:
                    diarienummer.parse(reference, rules)
                except InvalidDiarienummer as exc:
                    self.reject(f"{path}/sakssekvensnummer",
                                f"the item's case {reference!r}: {exc}; the item was "
                                "stored without it", values)
                    continue
                cases.append(reference)
            items.append(AgendaItem(
                paragraf=number, rubrik=str(item.get("rubrik", "")),
                beslut=str(item.get("beslut", "")), typ=ItemType.parse(str(item.get("typ", ""))),
                sekretess=str(item.get("sekretess", "")), diarienummer=tuple(cases)))
        return items
