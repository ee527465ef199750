"""The public projection: secrecy, publication clearance, personnummer masking, text
assembly, batching, cases. Real SQLite stores on tmp_path; rows written as the importer
and the extraction pipeline write them, plus one run through the real importer.

The helpers `add_document` and `personnummer_forms` are used by test_indexing.py and
test_privacy.py as well.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import fields
from pathlib import Path

import pytest

from diarium.config import Settings, load_settings
from diarium.pipeline.importing import import_manifest
from diarium.public import (
    BATCH_SIZE,
    PublicRecord,
    public_case,
    public_record,
    public_records,
)
from diarium.store import Store

# ---------------------------------------------------------------------------------------
# Helpers shared with the indexing and privacy tests


def luhn_digit(nine: str) -> str:
    """The Luhn check digit of nine digits (weights 2,1,2,...)."""
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def valid_number(yymmdd: str, nnn: str) -> str:
    """A valid 10-digit personnummer (or samordningsnummer: day + 60) without separator."""
    return yymmdd + nnn + luhn_digit(yymmdd + nnn)


def personnummer_forms(yymmdd: str, nnn: str, century: str = "19", sep: str = "-") -> list[str]:
    """Every written form of one number: 10/12 digits, with '-', '+' or nothing."""
    ten = valid_number(yymmdd, nnn)
    head, tail = ten[:6], ten[6:]
    return [
        f"{head}{sep}{tail}",
        f"{head}{tail}",
        f"{century}{head}{sep}{tail}",
        f"{century}{head}{tail}",
        f"{head}+{tail}",
        f"{century}{head}+{tail}",
    ]


PERSONNUMMER = personnummer_forms("850709", "123")          # a person born 1985-07-09
SAMORDNINGSNUMMER = personnummer_forms("910375", "456")     # day 15 + 60


def _insert_org_case(store: Store, org: str, dnr: str, dnr_key: str,
                     case: dict[str, str]) -> int:
    conn = store.conn
    org_id = store.organisation_id(org, case.get("org_name", ""))
    row = conn.execute(
        "SELECT id FROM cases WHERE organisation_id = ? AND dnr_key = ?", (org_id, dnr_key)
    ).fetchone()
    if row is not None:
        return int(row[0])
    cur = conn.execute(
        "INSERT INTO cases (organisation_id, diarienummer, dnr_key, arendemening, status, "
        "namnd, enhet, handlaggare, klassificering) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (org_id, dnr, dnr_key, case.get("arendemening", ""), case.get("status", "pågående"),
         case.get("namnd", "Kommunstyrelsen"), case.get("enhet", "Kansliet"),
         case.get("handlaggare", "Anna Lindqvist"), case.get("klassificering", "")),
    )
    return int(cur.lastrowid or 0)


def add_document(
    store: Store,
    *,
    org: str = "exkommun",
    dnr: str = "KS 2023/123",
    dnr_key: str = "KS|2023|123",
    lopnummer: int = 1,
    datum: str = "2023-05-12",
    riktning: str = "Inkommande",
    handlingstyp: str = "Skrivelse",
    rubrik: str = "Ansökan om bygglov",
    part: str = "Trafikverket",
    sekretess: str = "",
    publicerad: bool = True,
    files: list[dict[str, object]] | None = None,
    **case: str,
) -> int:
    """Insert a document (its organisation and case as needed) and its files with their
    extractions, the way the importer and the extraction pipeline leave them; records an
    upsert change. Each file: name, text, pages (list), role, position, state.
    Returns the document id."""
    with store.transaction():
        case_id = _insert_org_case(store, org, dnr, dnr_key, case)
        cur = store.conn.execute(
            "INSERT INTO documents (case_id, lopnummer, datum, riktning, handlingstyp, "
            "rubrik, part, sekretess, publicerad, row_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (case_id, lopnummer, datum, riktning, handlingstyp, rubrik, part, sekretess,
             int(publicerad), f"{case_id}-{lopnummer}"),
        )
        doc_id = int(cur.lastrowid or 0)
        for i, f in enumerate(files or []):
            text = str(f.get("text", ""))
            name = str(f.get("name", f"fil{i}.pdf"))
            sha = hashlib.sha256(f"{doc_id}:{name}:{text}".encode()).hexdigest()
            state = str(f.get("state", "extracted"))
            store.conn.execute(
                "INSERT INTO files (sha256, size, media_type, state) VALUES (?, ?, ?, ?)",
                (sha, len(text), str(f.get("media_type", "application/pdf")), state),
            )
            store.conn.execute(
                "INSERT INTO document_files (document_id, sha256, name, role, position) "
                "VALUES (?, ?, ?, ?, ?)",
                (doc_id, sha, name, str(f.get("role", "original")), int(f.get("position", i))),  # type: ignore[call-overload]
            )
            if state == "extracted":
                pages = f.get("pages", [text])
                store.conn.execute(
                    "INSERT INTO extractions (sha256, extractor, text, pages) VALUES (?,?,?,?)",
                    (sha, "test", text, json.dumps(pages, ensure_ascii=False)),
                )
        store.record_change(doc_id)
    return doc_id


@pytest.fixture
def store(settings: Settings) -> Store:
    s = Store(settings.store_path)
    yield s  # type: ignore[misc]
    s.close()


# ---------------------------------------------------------------------------------------
# Text and files


def test_public_document_has_register_fields_text_and_pages(store: Store,
                                                             settings: Settings) -> None:
    doc = add_document(
        store, arendemening="Bygglov för garage", org_name="Exempelkommunen",
        files=[
            {"name": "bilaga.pdf", "text": "Bilagans text", "pages": ["Bilagans text"],
             "role": "attachment", "position": 1},
            {"name": "ansokan.pdf", "text": "Sida ett\fSida två",
             "pages": ["Sida ett", "Sida två"], "role": "original", "position": 0},
        ],
    )
    record = public_record(store, settings, doc)
    assert record is not None
    assert record.doc_id == str(doc)
    assert (record.organisation, record.organisation_name) == ("exkommun", "Exempelkommunen")
    assert (record.diarienummer, record.dnr_key, record.lopnummer) == (
        "KS 2023/123", "KS|2023|123", 1)
    assert (record.datum, record.year, record.riktning) == ("2023-05-12", 2023, "Inkommande")
    assert (record.rubrik, record.part, record.arendemening) == (
        "Ansökan om bygglov", "Trafikverket", "Bygglov för garage")
    # the original first, then attachments by position
    assert record.text.index("Sida ett") < record.text.index("Bilagans text")
    assert record.pages == ("Sida ett", "Sida två", "Bilagans text")
    assert record.has_file and record.file_name == "ansokan.pdf"
    assert record.media_type == "application/pdf"
    assert not record.secret and record.sekretess_text == ""


def test_only_extracted_files_give_text(store: Store, settings: Settings) -> None:
    doc = add_document(store, files=[
        {"name": "skannad.pdf", "text": "", "state": "needs_ocr"},
        {"name": "bilaga.txt", "text": "Trasig", "state": "failed", "role": "attachment"},
    ])
    record = public_record(store, settings, doc)
    assert record is not None
    assert record.text == "" and record.pages == ()
    assert record.has_file and record.file_name == "skannad.pdf"


def test_extraction_without_pages_is_one_page(store: Store, settings: Settings) -> None:
    doc = add_document(store, files=[{"name": "a.txt", "text": "Hela texten", "pages": []}])
    record = public_record(store, settings, doc)
    assert record is not None and record.pages == ("Hela texten",)


def test_document_without_file(store: Store, settings: Settings) -> None:
    record = public_record(store, settings, add_document(store))
    assert record is not None
    assert not record.has_file and record.file_name == "" and record.text == ""


def test_organisation_name_from_settings_first(data_dir: Path) -> None:
    (data_dir / "diarium.toml").write_text(
        '[organisations.exkommun]\nname = "Exempelkommunen, kommunstyrelsen"\n',
        encoding="utf-8")
    settings = load_settings(data_dir)
    with Store(settings.store_path) as store:
        doc = add_document(store, org_name="Gammalt namn")
        plain = add_document(store, org="annan", dnr="2023/1", dnr_key="|2023|1")
        assert public_record(store, settings, doc).organisation_name == (  # type: ignore[union-attr]
            "Exempelkommunen, kommunstyrelsen")
        assert public_record(store, settings, plain).organisation_name == "annan"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------
# Secrecy and clearance


def test_secret_document_is_only_its_register_entry(store: Store, settings: Settings) -> None:
    doc = add_document(
        store, sekretess="26 kap. 1 § OSL", rubrik="Orosanmälan gällande Kalle Svensson",
        part="Kalle Svensson", arendemening="Utredning barn Kalle",
        files=[{"name": "kalle.pdf", "text": "Kalle Svensson bor på Storgatan 1"}],
    )
    record = public_record(store, settings, doc)
    assert record is not None
    assert record.secret
    assert record.rubrik == "Sekretess enligt 26 kap. 1 § OSL"
    assert record.sekretess_text == "Sekretess enligt 26 kap. 1 § OSL"
    assert (record.part, record.arendemening, record.text, record.pages) == ("", "", "", ())
    assert not record.has_file and record.file_name == "" and record.media_type == ""
    # the entry itself stays: date, number, direction, document type
    assert (record.datum, record.diarienummer, record.riktning, record.handlingstyp) == (
        "2023-05-12", "KS 2023/123", "Inkommande", "Skrivelse")
    everything = json.dumps([getattr(record, f.name) for f in fields(record)],
                            ensure_ascii=False)
    assert "Kalle" not in everything and "Storgatan" not in everything


def test_unpublished_document_keeps_entry_without_text_or_file(store: Store,
                                                                settings: Settings) -> None:
    doc = add_document(store, publicerad=False, rubrik="Yttrande över detaljplan",
                       files=[{"name": "yttrande.pdf", "text": "Inte publicerad text"}])
    record = public_record(store, settings, doc)
    assert record is not None
    assert not record.secret
    assert record.rubrik == "Yttrande över detaljplan" and record.part == "Trafikverket"
    assert record.text == "" and record.pages == ()
    assert not record.has_file and record.file_name == ""


# ---------------------------------------------------------------------------------------
# Personnummer and samordningsnummer


@pytest.mark.parametrize("written", PERSONNUMMER + SAMORDNINGSNUMMER)
def test_personnummer_masked_in_every_field(store: Store, settings: Settings,
                                            written: str) -> None:
    ten = written.replace("-", "").replace("+", "")[-10:]
    say = f"Gäller {written}."
    doc = add_document(
        store, rubrik=say, part=f"Privatperson {written}", arendemening=say,
        handlaggare=say, enhet=say, namnd=say, status=say, klassificering=say,
        org_name=say, dnr=f"KS 2023/123 {written}", handlingstyp=say, riktning=say,
        files=[
            {"name": f"{written}.pdf", "text": f"Sökande {written} ansöker",
             "pages": [f"Sida ett {written}", "Sida två"]},
            {"name": "bilaga.pdf", "text": say, "role": "attachment"},
        ],
    )
    record = public_record(store, settings, doc)
    assert record is not None
    for f in fields(PublicRecord):
        value = getattr(record, f.name)
        texts = value if isinstance(value, tuple) else (value,)
        for text in texts:
            if not isinstance(text, str):
                continue
            assert ten[6:] not in text, f"{f.name} shows the last four digits: {text!r}"
    masked = f"{ten[:6]}{'+' if '+' in written else '-'}****"
    assert masked in record.rubrik and masked in record.text and masked in record.pages[0]
    assert masked in record.part and masked in record.handlaggare


def test_pages_that_differ_from_the_text_are_masked_too(store: Store,
                                                      settings: Settings) -> None:
    # The projection skips scanning pages that are part of a clean text; a page that is
    # not part of it must still be scanned.
    doc = add_document(store, files=[
        {"name": "a.pdf", "text": "Ren text utan nummer", "pages": [f"Sida {PERSONNUMMER[3]}"]},
    ])
    record = public_record(store, settings, doc)
    assert record is not None
    assert record.pages == ("Sida 850709-****",) and record.text == "Ren text utan nummer"
    assert not record.has_file


def test_invalid_numbers_are_left_alone(store: Store, settings: Settings) -> None:
    # a wrong check digit, an impossible date: invoice and phone numbers stay readable
    wrong = valid_number("850709", "123")[:-1] + str((int(PERSONNUMMER[1][-1]) + 1) % 10)
    doc = add_document(store, rubrik=f"Faktura {wrong} och 851332-1234")
    record = public_record(store, settings, doc)
    assert record is not None and wrong in record.rubrik and "851332-1234" in record.rubrik


def test_file_holding_a_personnummer_is_not_offered_for_download(store: Store,
                                                                  settings: Settings) -> None:
    doc = add_document(store, files=[{"name": "a.pdf", "text": f"Av {PERSONNUMMER[0]}"}])
    record = public_record(store, settings, doc)
    assert record is not None
    assert not record.has_file and record.file_name == ""
    assert "850709-****" in record.text     # the masked text stays searchable


# ---------------------------------------------------------------------------------------
# Streaming and cases


def test_public_records_streams_every_document_in_id_order(store: Store,
                                                          settings: Settings) -> None:
    n = BATCH_SIZE * 2 + 7
    with store.transaction():
        org_id = store.organisation_id("exkommun", "Exempelkommunen")
        store.conn.execute(
            "INSERT INTO cases (organisation_id, diarienummer, dnr_key) VALUES (?, ?, ?)",
            (org_id, "KS 2023/1", "KS|2023|1"))
        store.conn.executemany(
            "INSERT INTO documents (case_id, lopnummer, datum, riktning, rubrik, sekretess, "
            "row_hash) VALUES (1, ?, '2023-01-02', 'Inkommande', ?, ?, 'h')",
            [(i, f"Handling {i}", "OSL" if i % 10 == 0 else "") for i in range(1, n + 1)],
        )
    records = list(public_records(store, settings))
    assert len(records) == n
    assert [int(r.doc_id) for r in records] == list(range(1, n + 1))
    assert sum(r.secret for r in records) == n // 10
    some = list(public_records(store, settings, ["3", 700, 999_999, "x", 3]))
    assert [r.doc_id for r in some] == ["3", "700"]
    assert public_record(store, settings, 999_999) is None
    assert list(public_records(store, settings, [])) == []


def test_public_case_in_lopnummer_order(store: Store, settings: Settings) -> None:
    second = add_document(store, lopnummer=2, rubrik="Beslut", arendemening="Bygglov")
    first = add_document(store, lopnummer=1, rubrik="Ansökan")
    secret = add_document(store, lopnummer=3, sekretess="OSL", rubrik="Hemligt")
    case_id = public_record(store, settings, first).case_id  # type: ignore[union-attr]
    case = public_case(store, settings, case_id)
    assert case is not None
    assert case.diarienummer == "KS 2023/123" and case.arendemening == "Bygglov"
    assert [r.doc_id for r in case.documents] == [str(first), str(second), str(secret)]
    assert case.documents[2].rubrik == "Sekretess enligt OSL"
    assert public_case(store, settings, 12345) is None


def test_case_of_only_secret_documents_hides_its_title(store: Store,
                                                       settings: Settings) -> None:
    doc = add_document(store, sekretess="26 kap. 1 § OSL", arendemening="Barnavård Kalle")
    case = public_case(store, settings, public_record(store, settings, doc).case_id)  # type: ignore[union-attr]
    assert case is not None and case.arendemening == ""
    assert case.documents[0].secret


def test_case_title_masked(store: Store, settings: Settings) -> None:
    doc = add_document(store, arendemening=f"Ansökan från {PERSONNUMMER[0]}")
    case = public_case(store, settings, public_record(store, settings, doc).case_id)  # type: ignore[union-attr]
    assert case is not None and case.arendemening == "Ansökan från 850709-****"


# ---------------------------------------------------------------------------------------
# Through the real importer


def test_projection_of_an_imported_manifest(tmp_path: Path, settings: Settings) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "brev.txt").write_text("Ett brev", encoding="utf-8")
    manifest = export / "manifest.csv"
    columns = ["organisation", "diarienummer", "arendemening", "lopnummer", "datum",
               "riktning", "handlingstyp", "rubrik", "part", "sekretess", "publicerad", "fil"]
    rows = [
        ["exkommun", "KS 2023/7", "Bygglov", "1", "2023-02-01", "I", "Ansökan",
         f"Ansökan från {PERSONNUMMER[2]}", "Sökande", "", "ja", "brev.txt"],
        ["exkommun", "KS 2023/7", "Bygglov", "2", "2023-02-03", "UPPR", "Utredning",
         "Utredning om sökanden", "Sökande", "26 kap. 1 § OSL", "ja", ""],
        ["exkommun", "KS 2023/7", "Bygglov", "3", "2023-02-05", "U", "Beslut",
         "Beslut om bygglov", "Sökande", "", "nej", "brev.txt"],
    ]
    with manifest.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, manifest)
        assert (report.inserted, report.rejected) == (3, 0), report.rejections
        records = list(public_records(store, settings))
    assert [r.lopnummer for r in records] == [1, 2, 3]
    first, secret, unpublished = records
    assert first.rubrik == "Ansökan från 850709-****" and first.riktning == "Inkommande"
    assert first.has_file and first.file_name == "brev.txt"
    assert first.text == ""                       # not extracted yet
    assert secret.secret and secret.rubrik == "Sekretess enligt 26 kap. 1 § OSL"
    assert secret.part == "" and not secret.has_file
    assert not unpublished.has_file and unpublished.rubrik == "Beslut om bygglov"
