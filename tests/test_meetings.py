"""Meetings (issue 16): the appeal-deadline arithmetic, Swedish public holidays, the
meetings manifest import (CSV and JSON Lines, rejects by line, idempotent), the case link
and the public view (secret items, personnummer masked, minutes held back)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from extraction_fixtures import make_pdf
from manifests import write_csv as write_register_csv
from manifests import write_jsonl

from diarium.config import Settings
from diarium.errors import ManifestError, NotFound
from diarium.meetings import (
    AgendaItem,
    ItemType,
    Meeting,
    appeal_deadline,
    appeal_open,
    case_decisions,
    committees,
    easter_sunday,
    list_meetings,
    meeting_of_case,
    months,
    no_deadline_day,
    parse_paragraf,
    public_holidays,
    public_meeting,
    store_meeting,
)
from diarium.pipeline.importing import import_manifest
from diarium.public import public_record
from diarium.store import Store

# A checksum-valid, fictional personnummer (Skatteverket's test range style).
PNR = "19121212-1212"
PNR_MASKED = "121212-****"


# --- the calendar ---------------------------------------------------------------------


@pytest.mark.parametrize(("year", "easter"), [
    (2019, date(2019, 4, 21)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
    (2026, date(2026, 4, 5)), (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22)),
])
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_public_holidays_2024() -> None:
    days = public_holidays(2024)
    assert days[date(2024, 3, 29)] == "långfredagen"
    assert days[date(2024, 4, 1)] == "annandag påsk"
    assert days[date(2024, 5, 9)] == "Kristi himmelsfärdsdag"
    assert days[date(2024, 5, 19)] == "pingstdagen"
    assert days[date(2024, 6, 6)] == "Sveriges nationaldag"
    assert days[date(2024, 6, 22)] == "midsommardagen"
    assert days[date(2024, 11, 2)] == "alla helgons dag"
    assert date(2024, 5, 20) not in days  # annandag pingst is no holiday since 2005
    assert len(days) == 13


def test_annandag_pingst_before_2005() -> None:
    days = public_holidays(2004)
    assert days[date(2004, 5, 31)] == "annandag pingst"
    assert date(2004, 6, 6) not in days


@pytest.mark.parametrize(("day", "reason"), [
    (date(2024, 6, 21), "midsommarafton"),
    (date(2024, 12, 24), "julafton"),
    (date(2024, 12, 31), "nyårsafton"),
    (date(2024, 6, 1), "lördag"),
    (date(2024, 6, 2), "söndag"),
    (date(2024, 4, 1), "annandag påsk"),
    (date(2024, 6, 3), ""),
    (date(2024, 3, 30), "lördag"),  # påskafton is a Saturday, not a holiday of its own
])
def test_no_deadline_day(day: date, reason: str) -> None:
    assert no_deadline_day(day) == reason


@pytest.mark.parametrize(("posted", "deadline"), [
    # An ordinary weekday: the same weekday three weeks later.
    (date(2024, 5, 13), date(2024, 6, 3)),
    # Ends on a Saturday -> Monday.
    (date(2024, 5, 11), date(2024, 6, 3)),
    # Ends on a Sunday -> Monday.
    (date(2024, 5, 12), date(2024, 6, 3)),
    # Ends on annandag påsk (Monday 2024-04-01) -> Tuesday.
    (date(2024, 3, 11), date(2024, 4, 2)),
    # Ends on långfredagen 2024-03-29: Saturday, påskdagen, annandag påsk follow -> Tuesday.
    (date(2024, 3, 8), date(2024, 4, 2)),
    # Ends on julafton (Tuesday 2024-12-24): juldagen, annandag jul follow -> Friday 27th.
    (date(2024, 12, 3), date(2024, 12, 27)),
    # Ends on nyårsafton (Tuesday 2024-12-31), then nyårsdagen -> Thursday 2 January.
    (date(2024, 12, 10), date(2025, 1, 2)),
    # Ends on midsommarafton (Friday 2024-06-21), then midsommardagen, Sunday -> Monday.
    (date(2024, 5, 31), date(2024, 6, 24)),
    # Ends on nationaldagen (Thursday 2024-06-06) -> Friday.
    (date(2024, 5, 16), date(2024, 6, 7)),
    # Ends on Kristi himmelsfärdsdag (Thursday 2025-05-29) -> Friday.
    (date(2025, 5, 8), date(2025, 5, 30)),
    # Ends on alla helgons dag (Saturday 2025-11-01) -> Monday.
    (date(2025, 10, 11), date(2025, 11, 3)),
])
def test_appeal_deadline(posted: date, deadline: date) -> None:
    assert appeal_deadline(posted) == deadline
    assert not no_deadline_day(deadline)


def test_appeal_open_through_the_last_day() -> None:
    assert appeal_open("2024-06-03", date(2024, 6, 3))
    assert not appeal_open("2024-06-03", date(2024, 6, 4))
    assert not appeal_open("", date(2024, 6, 4))


@pytest.mark.parametrize(("text", "number"), [("45", 45), ("§ 45", 45), ("§45", 45),
                                               ("45 §", 45), (" 7 ", 7)])
def test_parse_paragraf(text: str, number: int) -> None:
    assert parse_paragraf(text) == number


@pytest.mark.parametrize("text", ["", "§", "0", "fyra", "4a", "-3"])
def test_parse_paragraf_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="paragraf"):
        parse_paragraf(text)


def test_item_type() -> None:
    assert ItemType.parse("") is ItemType.BESLUT
    assert ItemType.parse("Anmalan") is ItemType.ANMALAN
    with pytest.raises(ValueError, match="beslut, information or anmälan"):
        ItemType.parse("ajournering")


# --- import ---------------------------------------------------------------------------


def write_csv(path: Path, records: list[dict[str, str]], delimiter: str = ",") -> Path:
    """A CSV with exactly the columns the records use (first seen first)."""
    header = list(dict.fromkeys(k for r in records for k in r))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(records)
    return path


def _register(tmp_path: Path, settings: Settings, store: Store) -> None:
    """A small register: the case the meeting handles, and one it does not."""
    files = tmp_path / "reg"
    files.mkdir()
    base = {"organisation": "sbn", "arendemening": "Bygglov Storgatan 4", "status": "avslutat",
            "namnd": "Samhällsbyggnadsnämnden", "riktning": "Inkommande", "handlingstyp":
            "Ansökan", "rubrik": "Ansökan om bygglov", "publicerad": "ja"}
    write_register_csv(tmp_path / "register.csv", [
        {**base, "diarienummer": "SBN 2024/45", "lopnummer": "1", "datum": "2024-03-02"},
        {**base, "diarienummer": "SBN 2024/46", "lopnummer": "1", "datum": "2024-03-04",
         "arendemening": "Strandskyddsdispens"},
    ])
    report = import_manifest(store, settings, tmp_path / "register.csv", files)
    assert report.rejected == 0


MEETING = {
    "organisation": "sbn", "namnd": "Samhällsbyggnadsnämnden", "datum": "2024-05-06",
    "tid": "18.30", "plats": "Stadshuset, sal A", "justerat": "2024-05-10",
    "anslagsdatum": "2024-05-13", "kallelse": "kallelse.pdf", "protokoll": "protokoll.pdf",
}


def _meeting_rows() -> list[dict[str, str]]:
    return [
        {**MEETING, "paragraf": "§ 45", "rubrik": "Bygglov Storgatan 4",
         "diarienummer": "SBN-2024-0045", "beslut": "Nämnden beviljar bygglov.",
         "typ": "beslut"},
        {**MEETING, "paragraf": "46", "rubrik": f"Ansökan från {PNR}",
         "diarienummer": "SBN 2024/46; SBN 2024/45",
         "beslut": f"Nämnden avslår ansökan från {PNR}.", "typ": "beslut"},
        {**MEETING, "paragraf": "47", "rubrik": "Orosanmälan Storgatan 9",
         "diarienummer": "SBN 2024/46", "beslut": "Hemligt beslut", "typ": "beslut",
         "sekretess": "26 kap. 1 § OSL"},
        {**MEETING, "paragraf": "48", "rubrik": "Delegationsbeslut", "typ": "anmälan"},
    ]


def _files(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    make_pdf(folder / "kallelse.pdf", ["Kallelse till sammanträde 6 maj 2024"])
    make_pdf(folder / "protokoll.pdf", ["Protokoll 6 maj 2024. § 45 Bygglov Storgatan 4."])
    return folder


@pytest.fixture
def store(settings: Settings) -> Store:
    with Store(settings.store_path) as opened:
        yield opened  # type: ignore[misc]


def test_import_csv_links_items_to_cases(tmp_path: Path, settings: Settings,
                                         store: Store) -> None:
    _register(tmp_path, settings, store)
    folder = _files(tmp_path / "mote")
    manifest = write_csv(folder / "meetings.csv", _meeting_rows(), delimiter=";")
    report = import_manifest(store, settings, manifest)
    assert (report.rows_read, report.inserted, report.rejected) == (4, 4, 0)
    assert report.files_stored == 2

    [summary] = list_meetings(store, settings)
    assert (summary.namnd, summary.datum, summary.tid, summary.items) == (
        "Samhällsbyggnadsnämnden", "2024-05-06", "18:30", 4)
    meeting = public_meeting(store, settings, summary.meeting_id)
    assert meeting.appeal_deadline == "2024-06-03"
    assert meeting.kallelse is not None and meeting.kallelse.handlingstyp == "Kallelse"
    assert meeting.protokoll is not None and meeting.protokoll.handlingstyp == "Protokoll"
    items = {i.paragraf: i for i in meeting.items}
    case_45 = store.conn.execute("SELECT id FROM cases WHERE dnr_key = 'SBN|2024|45'"
                                 ).fetchone()[0]
    assert [c.case_id for c in items[45].cases] == [case_45]
    assert [c.diarienummer for c in items[46].cases] == ["SBN 2024/46", "SBN 2024/45"]
    assert items[48].typ == "anmälan" and items[48].cases == ()

    decisions = case_decisions(store, settings, case_45)
    assert [(d.paragraf, d.namnd, d.datum) for d in decisions] == [
        (45, "Samhällsbyggnadsnämnden", "2024-05-06"),
        (46, "Samhällsbyggnadsnämnden", "2024-05-06")]
    assert decisions[0].beslut == "Nämnden beviljar bygglov."
    assert decisions[0].appeal_deadline == "2024-06-03"
    assert meeting.case_id is not None
    assert meeting_of_case(store, meeting.case_id) == meeting.meeting_id
    assert meeting_of_case(store, case_45) is None
    [committee] = committees(store, settings)
    assert (committee.organisation, committee.meetings) == ("sbn", 1)
    assert [m for m, _ in months(list_meetings(store, settings))] == ["2024-05"]


def test_privacy_secret_items_personnummer_and_minutes(tmp_path: Path, settings: Settings,
                                                        store: Store) -> None:
    _register(tmp_path, settings, store)
    folder = _files(tmp_path / "mote")
    import_manifest(store, settings, write_csv(folder / "meetings.csv", _meeting_rows()))
    [summary] = list_meetings(store, settings)
    meeting = public_meeting(store, settings, summary.meeting_id)
    items = {i.paragraf: i for i in meeting.items}
    secret = items[47]
    assert secret.secret and secret.rubrik == "Sekretess enligt 26 kap. 1 § OSL"
    assert secret.beslut == "" and secret.cases == ()
    dumped = repr(meeting)
    assert "Orosanmälan" not in dumped and "Hemligt beslut" not in dumped
    assert PNR not in dumped and "1212-1212" not in dumped
    assert PNR_MASKED in items[46].rubrik and PNR_MASKED in items[46].beslut
    # A secret item is not shown on the case page either.
    case_46 = store.conn.execute("SELECT id FROM cases WHERE dnr_key = 'SBN|2024|46'"
                                 ).fetchone()[0]
    assert [d.paragraf for d in case_decisions(store, settings, case_46)] == [46]
    # Minutes holding a secret item: registered, but file and text held back.
    assert meeting.protokoll is not None
    assert not meeting.protokoll.has_file and meeting.protokoll.text == ""
    assert meeting.kallelse is not None and meeting.kallelse.has_file


def test_redacted_minutes_may_be_published(tmp_path: Path, settings: Settings,
                                           store: Store) -> None:
    folder = _files(tmp_path / "mote")
    rows = [{**r, "protokoll_publicerad": "ja"} for r in _meeting_rows()]
    import_manifest(store, settings, write_csv(folder / "meetings.csv", rows))
    [summary] = list_meetings(store, settings)
    meeting = public_meeting(store, settings, summary.meeting_id)
    assert meeting.protokoll is not None and meeting.protokoll.has_file


def test_import_jsonl_and_reimport_changes_nothing(tmp_path: Path, settings: Settings,
                                                   store: Store) -> None:
    folder = _files(tmp_path / "mote")
    manifest = write_jsonl(folder / "meetings.jsonl", _meeting_rows())
    first = import_manifest(store, settings, manifest)
    assert (first.inserted, first.rejected) == (4, 0)
    changes = store.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    again = import_manifest(store, settings, manifest)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == changes
    # A changed decision updates that item only.
    rows = _meeting_rows()
    rows[0]["beslut"] = "Nämnden beviljar bygglov med villkor."
    changed = import_manifest(store, settings, write_jsonl(manifest, rows))
    assert (changed.updated, changed.unchanged) == (1, 3)


def test_bad_rows_go_to_the_rejects_file_with_their_line(tmp_path: Path, settings: Settings,
                                                         store: Store) -> None:
    folder = _files(tmp_path / "mote")
    rows = _meeting_rows()
    rows += [
        {**MEETING, "paragraf": "45", "rubrik": "Dubblett"},                    # line 6
        {**MEETING, "paragraf": "fyra"},                                        # line 7
        {**MEETING, "paragraf": "50", "datum": "6 maj 2024"},                   # line 8
        {**MEETING, "paragraf": "51", "diarienummer": "2024-05-06"},            # line 9
        {**MEETING, "paragraf": "52", "typ": "ajournering"},                    # line 10
        {**MEETING, "paragraf": "53", "anslagsdatum": "2024-05-01"},            # line 11
        {**MEETING, "paragraf": "54", "protokoll": "saknas.pdf"},               # line 12
        {**MEETING, "paragraf": "55", "organisation": ""},                      # line 13
    ]
    manifest = write_csv(folder / "meetings.csv", rows)
    report = import_manifest(store, settings, manifest)
    assert (report.inserted, report.rejected) == (4, 8)
    reasons = dict(report.rejections)
    assert "duplicate paragraf 45" in reasons[6] and "first on line 2" in reasons[6]
    assert "paragraf 'fyra'" in reasons[7]
    assert "datum '6 maj 2024'" in reasons[8]
    assert "diarienummer '2024-05-06'" in reasons[9]
    assert "ajournering" in reasons[10]
    assert "anslagsdatum 2024-05-01 is before" in reasons[11]
    assert "saknas.pdf" in reasons[12]
    assert reasons[13] == "missing organisation"
    assert report.rejects_path == folder / "meetings.rejects.csv"
    with report.rejects_path.open(encoding="utf-8") as fh:
        written = list(csv.reader(fh))
    assert written[0][:3] == ["line", "reason", "organisation"]
    assert [int(r[0]) for r in written[1:]] == [6, 7, 8, 9, 10, 11, 12, 13]
    # Fixed manifest: the stale rejects file goes away.
    import_manifest(store, settings, write_csv(manifest, _meeting_rows()))
    assert not report.rejects_path.exists()


def test_missing_required_column_is_a_manifest_error(tmp_path: Path, settings: Settings,
                                                     store: Store) -> None:
    rows = [{k: v for k, v in r.items() if k != "namnd"} for r in _meeting_rows()]
    manifest = write_csv(tmp_path / "meetings.csv", rows)
    with pytest.raises(ManifestError, match="missing required column.*namnd"):
        import_manifest(store, settings, manifest)


def test_bad_json_line_is_rejected(tmp_path: Path, settings: Settings, store: Store) -> None:
    folder = _files(tmp_path / "mote")
    manifest = folder / "meetings.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in _meeting_rows()]
    lines.insert(2, "{not json")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_manifest(store, settings, manifest)
    assert report.rejected == 1 and report.rejections[0][0] == 3
    assert report.inserted == 4


def test_store_meeting_for_other_importers(tmp_path: Path, settings: Settings,
                                           store: Store) -> None:
    """The entry point the Noark 5 import calls: a Meeting with its items."""
    protokoll = make_pdf(tmp_path / "p.pdf", ["Protokoll kommunstyrelsen"])
    meeting = Meeting(
        organisation="ks", namnd="Kommunstyrelsen", datum=date(2024, 12, 2),
        anslagsdatum=date(2024, 12, 3), protokoll=protokoll,
        items=(AgendaItem(paragraf=1, rubrik="Budget 2025", diarienummer=("KS 2024/7",),
                          beslut="Kommunstyrelsen föreslår fullmäktige att anta budgeten."),),
    )
    stored = store_meeting(store, settings, meeting)
    assert (stored.inserted, stored.files_stored) == (1, 1)
    assert store_meeting(store, settings, meeting).unchanged == 1
    shown = public_meeting(store, settings, stored.meeting_id)
    assert shown.appeal_deadline == "2024-12-27"   # 24 Dec is julafton
    assert shown.protokoll is not None and shown.protokoll.has_file
    # The minutes are an ordinary document: the public projection reads them.
    record = public_record(store, settings, shown.protokoll.doc_id)
    assert record is not None and record.rubrik == "Protokoll Kommunstyrelsen 2024-12-02"
    with pytest.raises(NotFound):
        public_meeting(store, settings, 999)


def test_sensitive_committee_and_private_names(tmp_path: Path, data_dir: Path) -> None:
    """The organisation's privacy policy holds for items as for documents: a sensitive
    committee's items show its neutral text and no decision; a private party's name hidden
    in a linked case's documents is hidden in the item's title and decision."""
    from diarium.config import load_settings

    (data_dir / "diarium.toml").write_text(
        "[organisations.sbn]\nname = \"Samhällsbyggnad\"\n\n"
        "[organisations.sn]\nname = \"Socialnämnden\"\n\n"
        "[[organisations.sn.sensitive]]\nnamnd = [\"Socialnämnden\"]\n"
        "text = \"Ärende inom socialtjänsten\"\n", encoding="utf-8")
    settings = load_settings(data_dir)
    with Store(settings.store_path) as store:
        write_register_csv(tmp_path / "register.csv", [
            {"organisation": "sbn", "diarienummer": "SBN 2024/50", "arendemening": "Bygglov",
             "namnd": "Samhällsbyggnadsnämnden", "lopnummer": "1", "datum": "2024-03-02",
             "riktning": "Inkommande", "handlingstyp": "Ansökan", "rubrik": "Ansökan",
             "part": "Kalle Andersson"},
        ])
        import_manifest(store, settings, tmp_path / "register.csv")
        folder = _files(tmp_path / "mote")
        rows = [
            {"organisation": "sbn", "namnd": "Samhällsbyggnadsnämnden", "datum": "2024-05-06",
             "paragraf": "1", "rubrik": "Bygglov för Kalle Andersson",
             "diarienummer": "SBN 2024/50", "beslut": "Bygglov beviljas Andersson, Kalle."},
            {"organisation": "sn", "namnd": "Socialnämnden", "datum": "2024-05-07",
             "paragraf": "1", "rubrik": "Bistånd till Lisa Larsson",
             "beslut": "Nämnden beviljar bistånd."},
        ]
        import_manifest(store, settings, write_csv(folder / "meetings.csv", rows))
        shown = {m.namnd: public_meeting(store, settings, m.meeting_id)
                 for m in list_meetings(store, settings)}
        [sbn_item] = shown["Samhällsbyggnadsnämnden"].items
        assert sbn_item.rubrik == "Bygglov för Privatperson"
        assert "Kalle" not in sbn_item.beslut and "Privatperson" in sbn_item.beslut
        [sn_item] = shown["Socialnämnden"].items
        assert (sn_item.rubrik, sn_item.beslut) == ("Ärende inom socialtjänsten", "")
        case_id = store.conn.execute("SELECT id FROM cases WHERE dnr_key = 'SBN|2024|50'"
                                     ).fetchone()[0]
        [decision] = case_decisions(store, settings, case_id)
        assert decision.rubrik == "Bygglov för Privatperson"


def test_cli_import_recognises_a_meetings_manifest(tmp_path: Path, data_dir: Path) -> None:
    from click.testing import CliRunner

    from diarium.cli import main

    folder = _files(tmp_path / "mote")
    rows = _meeting_rows()
    rows.append({**MEETING, "paragraf": "tre"})
    manifest = write_csv(folder / "meetings.csv", rows)
    result = CliRunner().invoke(main, ["--data", str(data_dir), "import", str(manifest)])
    assert result.exit_code == 1, result.output  # one row rejected
    assert "Läste 5 rader: 4 nya" in result.output
    assert "rad 6: paragraf 'tre'" in result.output


def test_unreadable_csv_keeps_the_meetings_before_it(tmp_path: Path, settings: Settings,
                                                     store: Store) -> None:
    """A line the CSV reader cannot get past stops the import with its line number; the
    meetings read before it are stored, and a rerun after the fix finds them unchanged."""
    from diarium.pipeline import importing

    folder = _files(tmp_path / "mote")
    rows = _meeting_rows()
    manifest = write_csv(folder / "meetings.csv", rows)
    good = manifest.read_text(encoding="utf-8")
    later = {**MEETING, "datum": "2024-06-03", "paragraf": "1",
             "rubrik": "x" * (importing._FIELD_LIMIT + 10)}
    with manifest.open("a", encoding="utf-8") as fh:
        csv.DictWriter(fh, fieldnames=list(rows[0]) + ["sekretess"]).writerow(later)
    with pytest.raises(ManifestError, match="line 6: unreadable CSV"):
        import_manifest(store, settings, manifest)
    assert [m.items for m in list_meetings(store, settings)] == [4]
    manifest.write_text(good, encoding="utf-8")
    again = import_manifest(store, settings, manifest)
    assert (again.inserted, again.unchanged) == (0, 4)
