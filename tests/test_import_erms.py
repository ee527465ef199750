"""FGS 2.0 / CITS ERMS exports (schema 2.1.x and 3.0.x): end to end through the command
line, the mapping of every field, bad values by XML path, files, idempotence, a SIGKILL
midway, and a random register written as ERMS and as CSV giving the same store."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import manifests
import psutil
import pytest
import xml_exports
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from test_import import dump

from diarium.config import Settings, load_settings
from diarium.errors import ManifestError
from diarium.pipeline.importing import import_manifest
from diarium.store import Store

NS = xml_exports.ERMS_NS


def documents(store: Store) -> list[dict[str, object]]:
    return [dict(r) for r in store.conn.execute(
        "SELECT c.diarienummer, c.dnr_key, c.arendemening, c.status, c.enhet, c.handlaggare,"
        " c.klassificering, c.extra AS case_extra, d.* FROM documents d "
        "JOIN cases c ON c.id = d.case_id ORDER BY d.id")]


@pytest.mark.parametrize("version", ["2.1.2", "3.0.2"])
def test_erms_end_to_end_import_extract_index_search(tmp_path: Path, version: str) -> None:
    export = tmp_path / "leverans"
    rows = xml_exports.register(export / "filer")
    for row in rows:
        if row["fil"]:
            row["fil"] = "filer\\" + row["fil"]  # as a Windows system writes it
    xml = xml_exports.write_erms(export / "erms.xml", rows, creator="Arbetsmiljöverket",
                                 version=version)
    data = tmp_path / "data"
    code, out = xml_exports.cli(data, "import", str(xml), "--organisation", "ks")
    assert code == 0, out
    assert "Format: erms" in out and "5 nya" in out and "3 nya filer" in out
    code, out = xml_exports.cli(data, "import", str(xml), "--organisation", "ks")
    assert code == 0 and "0 nya, 0 ändrade, 5 oförändrade" in out, out
    assert xml_exports.cli(data, "extract")[0] == 0
    code, out = xml_exports.cli(data, "index", "--engine", "embedded")
    assert code == 0, out

    found = xml_exports.search(data, "A2014/2289/DISK")
    assert {h["diarienummer"] for h in found["hits"]} == {"A2014/2289/DISK"}  # type: ignore[index]
    assert found["total"] == 3
    # the same case typed another way
    assert xml_exports.search(data, "a 2014-2289")["total"] == 3
    by_title = xml_exports.search(data, "kulturmiljöprogram")
    assert [h["diarienummer"] for h in by_title["hits"]] == ["Ku2023/00732"]  # type: ignore[index]
    assert xml_exports.search(data, "5531-2026-2")["total"] == 1
    text_hit = xml_exports.search(data, "fallskydd Kiruna")
    assert text_hit["total"] == 1

    secret = [h for h in found["hits"] if h["secret"]]  # type: ignore[union-attr]
    assert len(secret) == 1
    assert secret[0]["rubrik"] == "Sekretess enligt OSL 21 kap. 1 §"
    assert secret[0]["part"] == ""
    assert xml_exports.search(data, "Läkarintyg")["total"] == 0


MAPPING = f"""<?xml version="1.0" encoding="UTF-8"?>
<erms xmlns="{NS}" xmlns:svk="https://xml.svenskakyrkan.se/ERMS-SVK-ARENDE">
 <control>
  <identification identificationType="local">L1</identification>
  <maintenanceInformation><maintenanceStatus value="new"/>
   <maintenanceAgency><agencyName>Kyrkostyrelsen</agencyName></maintenanceAgency>
  </maintenanceInformation>
 </control>
 <aggregations>
  <aggregation systemIdentifier="3b9f" aggregationType="class">
   <objectId>1</objectId><title>Styra verksamheten</title>
   <aggregation systemIdentifier="c1" aggregationType="caseFile">
    <objectId>S 2019-0043</objectId>
    <classification classificationCode="1.2">Styra verksamheten</classification>
    <keywords><keyword>församlingsordning</keyword></keywords>
    <title>Församlingsordning med hemliga detaljer</title>
    <otherTitle titleType="public">Församlingsordning 2019</otherTitle>
    <status value="closed"/>
    <restriction restrictionType="confidential"><regulation>KO 54:2</regulation></restriction>
    <agents>
     <agent agentType="creator"><name>Henrik Vitalis</name></agent>
     <agent agentType="responsible_person"><name>Amanda Handläggare</name>
      <unitName>Kansliet</unitName></agent>
    </agents>
    <dates><date dateType="opened">2019-05-20T00:00:00</date></dates>
    <notes><note noteType="comment">Migrerat ärende</note></notes>
    <record systemIdentifier="r1" recordType="Avtal">
     <objectId>S 2019-0043:1</objectId>
     <title>Avtal med Spanienhuset</title>
     <otherTitle titleType="public">Avtal</otherTitle>
     <restriction restrictionType="confidential">
      <explanatoryText>Sekretess enligt KO</explanatoryText><regulation>KO 54:2</regulation>
     </restriction>
     <direction directionDefinition="other" otherDirectionDefinition="internal"/>
     <agents>
      <agent agentType="sender"><name>Jörgen Avsändare</name></agent>
      <agent agentType="receiver"><name>Skyddad Person</name>
       <protectedIdentity>true</protectedIdentity></agent>
      <agent agentType="responsible_person"><name>Amanda Handläggare</name></agent>
     </agents>
     <dates>
      <date dateType="created">2020-02-05T00:00:00</date>
      <date dateType="received">2020-02-03T00:00:00</date>
      <date dateType="expedited">2020-02-04T00:00:00</date>
     </dates>
     <additionalInformation>
      <appendix name="avtal" path="file:///filer/avtal.txt"/>
      <appendix name="bilaga" path="filer/bilaga.txt"/>
      <additionalXMLData><svk:contractInfo><svk:externalReference>ref3453
      </svk:externalReference></svk:contractInfo></additionalXMLData>
     </additionalInformation>
    </record>
    <record systemIdentifier="r2" recordType="Skrivelse">
     <objectId>S 2019-0043:7</objectId>
     <title>Brev från stiftet</title>
     <direction directionDefinition="incoming"/>
     <dates><date dateType="received">2020-03-01</date></dates>
    </record>
   </aggregation>
   <aggregation systemIdentifier="c2" aggregationType="caseFile">
    <objectId>{{7F3A-0042}}</objectId><title>Ärende utan handlingar</title>
   </aggregation>
  </aggregation>
 </aggregations>
</erms>
"""


def test_erms_mapping_of_every_field(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "filer").mkdir()
    (tmp_path / "filer" / "avtal.txt").write_text("Avtalet.\n", encoding="utf-8")
    (tmp_path / "filer" / "bilaga.txt").write_text("Bilagan.\n", encoding="utf-8")
    xml = tmp_path / "export.xml"
    xml.write_text(MAPPING, encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert (report.format, report.inserted, report.rejected) == ("erms", 2, 0)
        assert report.file_problems == []
        first, second = documents(store)
        org = store.conn.execute("SELECT slug, name FROM organisations").fetchone()
        assert tuple(org) == ("kyrkostyrelsen", "kyrkostyrelsen")  # from the agency's name
        assert first["diarienummer"] == "S 2019-0043" and first["dnr_key"] == "S|2019|43"
        # the public title, never the protected one (kept as metadata only)
        assert first["arendemening"] == "Församlingsordning 2019"
        case_extra = json.loads(str(first["case_extra"]))
        assert case_extra["aggregation/title"] == "Församlingsordning med hemliga detaljer"
        assert case_extra["aggregation/keywords/keyword"] == "församlingsordning"
        assert case_extra["aggregation/notes/note"] == "Migrerat ärende"
        assert case_extra["aggregation/restriction/regulation"] == "KO 54:2"
        assert case_extra["aggregation/dates/date"] == "2019-05-20T00:00:00"
        assert (first["status"], first["handlaggare"], first["enhet"],
                first["klassificering"]) == ("avslutat", "Amanda Handläggare", "Kansliet", "1.2")

        assert first["lopnummer"] == 1  # from the objectId "S 2019-0043:1"
        assert first["rubrik"] == "Avtal" and first["handlingstyp"] == "Avtal"
        assert first["riktning"] == "Upprättad"
        assert first["sekretess"] == "KO 54:2"
        assert first["datum"] == "2020-02-03"  # received before expedited and created
        assert first["part"] == "Jörgen Avsändare"  # the protected identity is left out
        extra = json.loads(str(first["extra"]))
        assert extra["datumtyp"] == "inkommen"
        assert extra["record/title"] == "Avtal med Spanienhuset"
        assert extra["record/objectId"] == "S 2019-0043:1"
        assert extra["record/agents/agent[2]/name"] == "Skyddad Person"
        assert "ref3453" in extra[
            "record/additionalInformation/additionalXMLData/contractInfo/externalReference"]
        assert first["fil"] == "file:///filer/avtal.txt"
        names = [r[0] for r in store.conn.execute(
            "SELECT name FROM document_files WHERE document_id = ? ORDER BY position",
            (first["id"],))]
        assert names == ["avtal.txt", "bilaga.txt"]

        assert (second["lopnummer"], second["riktning"], second["datum"]) == (
            7, "Inkommande", "2020-03-01")

        # a case without documents is kept, its opaque id as written
        case = store.conn.execute(
            "SELECT diarienummer, dnr_key, arendemening FROM cases WHERE dnr_key LIKE '#%'"
        ).fetchone()
        assert tuple(case) == ("{7F3A-0042}", "#7F3A-42", "Ärende utan handlingar")
        again = import_manifest(store, settings, xml)
        assert again.changes == 0 and again.unchanged == 2


BAD = f"""<?xml version="1.0" encoding="UTF-8"?>
<erms xmlns="{NS}"><control><maintenanceInformation><maintenanceAgency>
<agencyName>Exempelstad</agencyName></maintenanceAgency></maintenanceInformation></control>
<aggregations>
 <aggregation systemIdentifier="a" aggregationType="caseFile"><objectId>KS 2023/1</objectId>
  <title>Ärende ett</title>
  <record systemIdentifier="r1" recordType="Brev"><objectId>KS 2023/1:1</objectId>
   <title>Bra</title><direction directionDefinition="incoming"/>
   <dates><date dateType="received">2023-01-02</date></dates></record>
  <record systemIdentifier="r2" recordType="Brev"><objectId>KS 2023/1:2</objectId>
   <title>Fel datum</title><direction directionDefinition="incoming"/>
   <dates><date dateType="created">2023-01-02</date><date dateType="received">2023-13-45</date>
   </dates></record>
  <record systemIdentifier="r3" recordType="Brev"><objectId>KS 2023/1:3</objectId>
   <title>Fel riktning</title><direction directionDefinition="sideways"/>
   <dates><date dateType="received">2023-01-03</date></dates></record>
  <record systemIdentifier="r4" recordType="Brev"><objectId>KS 2023/1:4</objectId>
   <title>Fel löpnummer</title><runningNumber>fyra</runningNumber>
   <dates><date dateType="received">2023-01-03</date></dates></record>
 </aggregation>
</aggregations></erms>
"""


def test_bad_values_go_to_the_rejects_file_with_their_xml_path(tmp_path: Path,
                                                               settings: Settings) -> None:
    xml = tmp_path / "export.xml"
    xml.write_text(BAD, encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert (report.inserted, report.rejected) == (1, 3)
        assert report.rejects_path is not None
        with report.rejects_path.open(encoding="utf-8", newline="") as fh:
            rejected = list(csv.DictReader(fh))
        case = "/erms/aggregations/aggregation[1]"
        assert [(r["path"], r["reason"]) for r in rejected] == [
            (f"{case}/record[2]/dates/date[2]",
             "'2023-13-45' is not a date (no such day)"),
            (f"{case}/record[3]/direction/@directionDefinition",
             "unknown direction 'sideways': use incoming, outgoing, internal_memo_for_follow-up,"
             " internal_memo_without_follow-up, case_draft or other"),
            (f"{case}/record[4]/runningNumber", "'fyra' is not a whole number"),
        ]
        assert rejected[0]["diarienummer"] == "KS 2023/1"
        assert [r["rubrik"] for r in store.conn.execute("SELECT rubrik FROM documents")] == [
            "Bra"]
    code, out = xml_exports.cli(settings.data_dir, "import", str(xml))
    assert code == 1 and "record[3]/direction/@directionDefinition: unknown direction" in out


def test_records_without_cases_take_their_case_from_the_document_id(
        tmp_path: Path, settings: Settings) -> None:
    xml = tmp_path / "records.xml"
    xml.write_text(f"""<erms xmlns="{NS}"><control/><records>
      <record systemIdentifier="x" recordType="Protokoll"><objectId>S 2010-0034:1</objectId>
       <title>Protokoll</title><dates><date dateType="originated">2010-04-29</date></dates>
      </record></records></erms>""", encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="svk")
        assert report.inserted == 1
        (doc,) = documents(store)
        assert (doc["diarienummer"], doc["dnr_key"], doc["lopnummer"], doc["riktning"]) == (
            "S 2010-0034", "S|2010|34", 1, "Upprättad")


def test_missing_file_keeps_the_entry_and_a_later_import_adds_the_file(
        tmp_path: Path, settings: Settings) -> None:
    rows = xml_exports.register(tmp_path / "filer")
    for row in rows:
        row["fil"] = f"filer/{row['fil']}" if row["fil"] else ""
    (tmp_path / "filer" / "svar.txt").rename(tmp_path / "svar.txt")
    xml = xml_exports.write_erms(tmp_path / "erms.xml", rows)
    with Store(settings.store_path) as store:
        first = import_manifest(store, settings, xml, organisation="ks")
        assert (first.inserted, first.rejected, first.files_stored) == (5, 0, 2)
        assert len(first.file_problems) == first.file_problem_count == 1
        where, problem = first.file_problems[0]
        assert where == "/erms/aggregations/aggregation[2]/record[1]"
        assert "'filer/svar.txt' not found" in problem and "imported without it" in problem
        (tmp_path / "svar.txt").rename(tmp_path / "filer" / "svar.txt")
        second = import_manifest(store, settings, xml, organisation="ks")
        assert (second.updated, second.unchanged, second.files_stored) == (1, 4, 1)
        assert second.file_problems == []
        assert store.conn.execute("SELECT count(*) FROM document_files").fetchone()[0] == 3
        assert import_manifest(store, settings, xml, organisation="ks").changes == 0


def test_an_unknown_archive_creator_needs_organisation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "diarium.toml").write_text('[organisations.av]\nname = "Arbetsmiljöverket"\n',
                                       encoding="utf-8")
    settings = load_settings(data)
    rows = xml_exports.register(tmp_path / "filer")
    known = xml_exports.write_erms(tmp_path / "a.xml", rows, creator="arbetsmiljöverket")
    unknown = xml_exports.write_erms(tmp_path / "b.xml", rows, creator="Okänd myndighet")
    with Store(settings.store_path) as store:
        assert import_manifest(store, settings, known).inserted == 5
        assert store.conn.execute("SELECT slug FROM organisations").fetchone()[0] == "av"
        with pytest.raises(ManifestError, match="'Okänd myndighet' is none of the "
                                                "organisations in diarium.toml"):
            import_manifest(store, settings, unknown)
        assert import_manifest(store, settings, unknown, organisation="av").unchanged == 5
        with pytest.raises(ManifestError, match="--organisation 'ks' is none of the"):
            import_manifest(store, settings, unknown, organisation="ks")


# ---------------------------------------------------------------------------------------
# The same register as ERMS and as CSV


_TEXT = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")),
                min_size=1, max_size=30).map(str.strip).filter(bool)
_CASE = st.tuples(st.sampled_from(["KS", "SBN", "Ku", "A"]), st.integers(2000, 2030),
                  st.integers(1, 99999), st.sampled_from(["{p} {y}/{s}", "{p}{y}/{s:05d}",
                                                          "{p}-{y}-{s:04d}"]))


@st.composite
def _registers(draw: st.DrawFn) -> list[dict[str, str]]:
    cases = draw(st.lists(_CASE, min_size=1, max_size=5,
                          unique_by=lambda c: (c[0].upper(), c[1], c[2])))
    rows = []
    for prefix, year, serial, style in cases:
        dnr = style.format(p=prefix, y=year, s=serial)
        title, officer = draw(_TEXT), draw(_TEXT)
        status = draw(st.sampled_from(["pågående", "avslutat", ""]))
        for lop in draw(st.lists(st.integers(1, 500), min_size=1, max_size=4, unique=True)):
            rows.append({
                "organisation": "ks", "diarienummer": dnr, "arendemening": title,
                "status": status, "namnd": "",
                "enhet": "", "handlaggare": officer, "klassificering": "",
                "lopnummer": str(lop),
                "datum": f"{year}-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}",
                "riktning": draw(st.sampled_from(["Inkommande", "Utgående", "Upprättad"])),
                "handlingstyp": draw(_TEXT), "rubrik": draw(_TEXT),
                "part": draw(st.one_of(st.just(""), _TEXT)),
                "sekretess": draw(st.sampled_from(["", "OSL 21 kap. 1 §"])),
                "publicerad": "ja", "fil": "",
            })
    return rows


@hsettings(max_examples=25, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(register=_registers())
def test_a_register_as_erms_and_as_csv_gives_the_same_store(
        tmp_path_factory: pytest.TempPathFactory, register: list[dict[str, str]]) -> None:
    work = tmp_path_factory.mktemp("same")
    xml = xml_exports.write_erms(work / "export.xml", register)
    manifest = manifests.write_csv(work / "register.csv", register)
    stores, extras = [], []
    for name, source in (("xml", xml), ("csv", manifest)):
        settings = load_settings(work / name)
        with Store(settings.store_path) as store:
            report = import_manifest(store, settings, source,
                                     organisation="ks" if name == "xml" else None)
            assert report.rejected == 0, report.rejections
            stores.append(_register_dump(store))
            extras.append([json.loads(r[0]) for r in store.conn.execute(
                "SELECT extra FROM documents ORDER BY id")])
    assert stores[0] == stores[1]
    # What the CSV has no column for is kept as the documents' metadata.
    expected, case_index, previous = [], 0, None
    for row in register:
        if row["diarienummer"] != previous:
            case_index, doc_index, previous = case_index + 1, 0, row["diarienummer"]
        doc_index += 1
        expected.append(xml_exports.erms_extra(row, case_index, doc_index))
    assert extras == [expected, [{}] * len(register)]


def _register_dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """test_import.dump without the documents' metadata and row hash (the ERMS import
    keeps metadata that the CSV has no column for; compared separately)."""
    found = dump(store.conn)
    columns = [r[1] for r in store.conn.execute("PRAGMA table_info(documents)")]
    keep = [i for i, c in enumerate(columns) if c not in ("extra", "row_hash")]
    found["documents"] = [tuple(row[i] for i in keep) for row in found["documents"]]
    return found


# ---------------------------------------------------------------------------------------
# Killed midway

CHILD = """
import sys
from pathlib import Path
from diarium.config import load_settings
from diarium.pipeline.importing import import_manifest
from diarium.store import Store
settings = load_settings(sys.argv[1])
with Store(settings.store_path) as store:
    import_manifest(store, settings, Path(sys.argv[2]), organisation="ks",
                    progress=lambda p: print(p.rows_read, flush=True))
print("done", flush=True)
"""
ROWS = 30_000


@pytest.mark.slow
def test_sigkill_midway_then_rerun_equals_uninterrupted(tmp_path: Path) -> None:
    files = manifests.make_files(tmp_path / "files", 100)
    register = [{**row, "organisation": "ks"} for row in manifests.rows(ROWS, files)]
    xml = xml_exports.write_erms(tmp_path / "files" / "export.xml", register)
    whole = load_settings(tmp_path / "whole")
    with Store(whole.store_path) as store:
        assert import_manifest(store, whole, xml, organisation="ks").inserted == ROWS
        expected = dump(store.conn)
    killed = load_settings(tmp_path / "killed")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(killed.data_dir), str(xml)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "done" or int(line) >= ROWS * 2 // 5:
            break
    # the export is large enough to be parsed by a reader process beside the writer
    readers = psutil.Process(child.pid).children()
    assert len(readers) == (1 if (os.cpu_count() or 1) >= 2 else 0)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    # ... which ends once the importer is gone (its pipe closed)
    _gone, alive = psutil.wait_procs(readers, timeout=30)
    assert not alive
    with Store(killed.store_path) as store:
        partial = store.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert 0 < partial < ROWS, "the kill must land midway"
        rerun = import_manifest(store, killed, xml, organisation="ks")
        assert (rerun.unchanged, rerun.inserted) == (partial, ROWS - partial)
        assert dump(store.conn) == expected


def test_parsing_beside_the_writer_gives_the_same_rows_and_rejects(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from diarium.pipeline import xml_export

    xml = tmp_path / "export.xml"
    xml.write_text(BAD, encoding="utf-8")
    results = []
    for threshold in (1 << 40, 0):  # inline, then in a reader process
        monkeypatch.setattr(xml_export, "PIPELINE_MIN_BYTES", threshold)
        settings = load_settings(tmp_path / f"data-{threshold}")
        with Store(settings.store_path) as store:
            report = import_manifest(store, settings, xml)
            results.append((report.inserted, report.rejections, dump(store.conn)))
    assert results[0] == results[1]
    assert results[0][0] == 1 and len(results[0][1]) == 3


def test_agent_data_decides_whose_name_is_hidden(tmp_path: Path, settings: Settings) -> None:
    """Issue 13: an agent's idNumber (personnummer) makes it a person, an agent with an
    organisation a body's contact, whatever the name looks like to the heuristic."""
    xml = xml_exports.write_erms(tmp_path / "erms.xml", xml_exports.party_rows())
    text = xml.read_text(encoding="utf-8")
    person, contact = (f"<name>{xml_exports.PERSON_NAME}</name>",
                       f"<name>{xml_exports.CONTACT_NAME}</name>")
    text = text.replace(person, person + '<idNumber idNumberType="personnummer">'
                                         "19121212-1212</idNumber>")
    text = text.replace(contact, contact + "<organisation>Ek Konsult AB</organisation>")
    xml.write_text(text, encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        assert (report.inserted, report.rejected) == (2, 0)
        # under the default policy (private_names = "hide")
        assert xml_exports.public_parties(store, settings) == {
            "Ansökan från en privatperson": "Privatperson",
            "Yttrande från en firma": xml_exports.CONTACT_NAME}


def test_running_number_zero_and_the_schemas_other_date_kinds(tmp_path: Path,
                                                             settings: Settings) -> None:
    """DILCIS's generated ERMS 2.1 example writes runningNumber 0 (a valid xs:int) and
    dates of kinds beside originated/received/expedited/created: such records are
    imported, numbered by their objectId, dated by the sent, prepared or captured date."""
    rows = xml_exports.register(tmp_path)
    xml = xml_exports.write_erms(tmp_path / "export.xml", rows, running_zero=True,
                                 date_types={"outgoing": "sent", "incoming": "captured",
                                             "internal_memo_for_follow-up": "prepared"})
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert (report.inserted, report.rejected) == (len(rows), 0)
        got = documents(store)
        assert [(d["diarienummer"], d["lopnummer"], d["datum"], d["riktning"]) for d in got] \
            == [(r["diarienummer"], int(r["lopnummer"]), r["datum"], r["riktning"])
                for r in rows]
        kinds = {r["riktning"]: json.loads(str(d["extra"])) for r, d in zip(rows, got,
                                                                             strict=True)}
        assert {k: e["datumtyp"] for k, e in kinds.items()} == {
            "Upprättad": "upprättad", "Inkommande": "journalförd", "Utgående": "expedierad"}
        # the 0 is kept as written, as every value without a field
        assert all(e["record/runningNumber"] == "0" for e in kinds.values())
