"""Noark 5 arkivstruktur.xml: end to end, the mapping (offentligTittel, skjerming,
journalposttype, klasse, case fields after the registrations), meeting folders as cases
(until meetings have a model of their own), checksums, bad values by XML path."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import xml_exports

from diarium.config import Settings
from diarium.pipeline.importing import import_manifest
from diarium.pipeline.noark5 import Noark5
from diarium.store import Store

NS = xml_exports.NOARK_NS
XSI = xml_exports.XSI


def test_noark5_end_to_end_import_extract_index_search(tmp_path: Path) -> None:
    export = tmp_path / "uttrekk"
    rows = xml_exports.register(export / "dokumenter")
    for row in rows:
        row["fil"] = f"dokumenter/{row['fil']}" if row["fil"] else ""
    xml = xml_exports.write_noark5(export / "arkivstruktur.xml", rows, meetings=[{
        "mappeID": "KS-møte 2026-03", "tittel": "Kommunestyrets møte mars",
        "utvalg": "Kommunestyret", "moetedato": "2026-03-12", "sak": "Budsjett for 2027"}, {
        "mappeID": "{7F3A-0042}", "tittel": "Formannskapets møte", "utvalg": "Formannskapet",
        "moetedato": "2026-04-02", "sak": "Økonomiplan"}])
    data = tmp_path / "data"
    code, out = xml_exports.cli(data, "import", str(xml), "--format", "noark5")
    assert code == 0, out
    assert "Format: noark5" in out and "7 nya" in out and "3 nya filer" in out
    assert "0 nya, 0 ändrade" in xml_exports.cli(data, "import", str(xml))[1]
    assert xml_exports.cli(data, "extract")[0] == 0
    assert xml_exports.cli(data, "index", "--engine", "embedded")[0] == 0

    found = xml_exports.search(data, "5531-2026")
    (hit,) = found["hits"]  # type: ignore[misc]
    assert (hit["diarienummer"], hit["lopnummer"], hit["arendemening"]) == (
        "5531-2026", 2, "Ansökan om bygglov för fritidshus")  # offentligTittel
    assert xml_exports.search(data, "kulturmiljöprogrammet")["total"] == 1
    assert xml_exports.search(data, "intern")["total"] == 0  # the protected tittel
    assert xml_exports.search(data, "Budsjett")["total"] == 1  # the meeting's registration
    disk = xml_exports.search(data, "dnr:A2014/2289/DISK")
    assert disk["total"] == 3
    # identifiers that are no diarienummer: found as written and in other spellings
    assert xml_exports.search(data, 'dnr:"KS-møte 2026-03"')["total"] == 1
    for typed in ("{7F3A-0042}", "7f3a-42", "dnr:7F3A/0042"):
        found = xml_exports.search(data, typed)
        assert [h["rubrik"] for h in found["hits"]] == ["Økonomiplan"], typed  # type: ignore[index]


MAPPING = f"""<?xml version="1.0" encoding="utf-8"?>
<arkiv xmlns="{NS}" xmlns:xsi="{XSI}">
 <systemID>a</systemID><tittel>Arkiv</tittel>
 <arkivskaper><arkivskaperID>974</arkivskaperID><arkivskaperNavn>Eksempel kommune
 </arkivskaperNavn></arkivskaper>
 <arkivdel><systemID>d</systemID><tittel>Sakarkiv</tittel>
  <klassifikasjonssystem><systemID>k</systemID><tittel>Ordning</tittel>
   <klasse><systemID>k1</systemID><klasseID>614</klasseID><tittel>Byggesaker</tittel>
    <mappe xsi:type="saksmappe">
     <systemID>m1</systemID><mappeID>2019/123</mappeID>
     <tittel>Søknad fra Ola Nordmann om dispensasjon</tittel>
     <offentligTittel>Søknad fra ***** om dispensasjon</offentligTittel>
     <opprettetDato>2019-01-02T08:00:00</opprettetDato><opprettetAv>Kari</opprettetAv>
     <skjerming><tilgangsrestriksjon>13</tilgangsrestriksjon>
      <skjermingshjemmel>Offl. § 13</skjermingshjemmel>
      <skjermingMetadata>tittel</skjermingMetadata></skjerming>
     <registrering xsi:type="journalpost">
      <systemID>r1</systemID><opprettetDato>2019-01-02T08:00:00</opprettetDato>
      <skjerming><tilgangsrestriksjon>13</tilgangsrestriksjon>
       <skjermingshjemmel>Offl. § 13</skjermingshjemmel>
       <skjermingMetadata>korrespondansepart</skjermingMetadata></skjerming>
      <dokumentbeskrivelse><systemID>db2</systemID><dokumenttype>Vedlegg</dokumenttype>
       <tittel>Kart</tittel><tilknyttetRegistreringSom>Vedlegg</tilknyttetRegistreringSom>
       <dokumentnummer>2</dokumentnummer>
       <dokumentobjekt><versjonsnummer>1</versjonsnummer><variantformat>Arkivformat
        </variantformat><referanseDokumentfil>dokumenter/kart.txt</referanseDokumentfil>
        <sjekksum>{{kart}}</sjekksum><sjekksumAlgoritme>SHA256</sjekksumAlgoritme>
       </dokumentobjekt></dokumentbeskrivelse>
      <dokumentbeskrivelse><systemID>db1</systemID><dokumenttype>Søknad</dokumenttype>
       <tittel>Søknad</tittel>
       <tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom>
       <dokumentnummer>1</dokumentnummer>
       <dokumentobjekt><versjonsnummer>1</versjonsnummer><variantformat>Produksjonsformat
        </variantformat><referanseDokumentfil>dokumenter/soknad.docx</referanseDokumentfil>
       </dokumentobjekt>
       <dokumentobjekt><versjonsnummer>1</versjonsnummer><variantformat>Arkivformat
        </variantformat><referanseDokumentfil>dokumenter/soknad.txt</referanseDokumentfil>
        <sjekksum>{{soknad}}</sjekksum><sjekksumAlgoritme>SHA256</sjekksumAlgoritme>
       </dokumentobjekt></dokumentbeskrivelse>
      <registreringsID>2019/123-1</registreringsID>
      <tittel>Søknad om dispensasjon fra Ola Nordmann</tittel>
      <offentligTittel>Søknad om dispensasjon fra *****</offentligTittel>
      <korrespondansepart><korrespondanseparttype>Avsender</korrespondanseparttype>
       <korrespondansepartNavn>Ola Nordmann</korrespondansepartNavn></korrespondansepart>
      <journalaar>2019</journalaar><journalsekvensnummer>45</journalsekvensnummer>
      <journalpostnummer>1</journalpostnummer>
      <journalposttype>Inngående dokument</journalposttype>
      <journalstatus>Journalført</journalstatus><journaldato>2019-01-03</journaldato>
      <mottattDato>2019-01-02</mottattDato>
     </registrering>
     <registrering xsi:type="journalpost">
      <systemID>r2</systemID><opprettetDato>2019-01-10</opprettetDato>
      <registreringsID>2019/123-2</registreringsID><tittel>Vedtak</tittel>
      <journalposttype>U</journalposttype><journaldato>2019-01-10</journaldato>
      <sendtDato>2019-01-11</sendtDato>
     </registrering>
     <registrering xsi:type="journalpost">
      <systemID>r3</systemID><opprettetDato>2019-01-12</opprettetDato>
      <tittel>Ukjent type</tittel><journalpostnummer>3</journalpostnummer>
      <journalposttype>Q</journalposttype><journaldato>2019-01-12</journaldato>
     </registrering>
     <saksaar>2019</saksaar><sakssekvensnummer>123</sakssekvensnummer>
     <saksdato>2019-01-02</saksdato><administrativEnhet>Byggesak</administrativEnhet>
     <saksansvarlig>Kari Nordmann</saksansvarlig><saksstatus>Avsluttet</saksstatus>
    </mappe>
   </klasse>
  </klassifikasjonssystem>
 </arkivdel>
</arkiv>
"""


def test_noark5_mapping(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "dokumenter").mkdir()
    texts = {"kart.txt": "Kartet\n", "soknad.txt": "Søknaden\n"}
    sums = {}
    for name, body in texts.items():
        (tmp_path / "dokumenter" / name).write_text(body, encoding="utf-8")
        sums[name.split(".")[0]] = hashlib.sha256(body.encode()).hexdigest()
    xml = tmp_path / "arkivstruktur.xml"
    xml.write_text(MAPPING.replace("{kart}", sums["kart"]).replace("{soknad}",
                                                                   sums["soknad"]),
                   encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert (report.format, report.inserted, report.rejected) == ("noark5", 2, 1)
        assert report.file_problems == []
        assert store.conn.execute("SELECT slug FROM organisations").fetchone()[0] == (
            "eksempel-kommune")
        rows = [dict(r) for r in store.conn.execute(
            "SELECT c.diarienummer, c.dnr_key, c.arendemening, c.status, c.enhet, "
            "c.handlaggare, c.klassificering, c.extra AS case_extra, d.* FROM documents d "
            "JOIN cases c ON c.id = d.case_id ORDER BY d.id")]
        first, second = rows
        # the case's own fields come after its registrations in the XML
        assert (first["diarienummer"], first["dnr_key"], first["arendemening"],
                first["status"], first["enhet"], first["handlaggare"],
                first["klassificering"]) == (
            "2019/123", "|2019|123", "Søknad fra ***** om dispensasjon", "avslutat",
            "Byggesak", "Kari Nordmann", "614")
        case_extra = json.loads(first["case_extra"])
        assert case_extra["mappe/tittel"] == "Søknad fra Ola Nordmann om dispensasjon"
        assert case_extra["mappetype"] == "saksmappe"
        assert not Noark5.is_meeting(case_extra)
        assert (first["lopnummer"], first["riktning"], first["datum"], first["handlingstyp"],
                first["rubrik"], first["part"], first["sekretess"]) == (
            1, "Inkommande", "2019-01-02", "Søknad", "Søknad om dispensasjon fra *****",
            "Ola Nordmann", "Offl. § 13")
        extra = json.loads(first["extra"])
        assert extra["datumtyp"] == "inkommen"
        assert extra["registrering/journaldato"] == "2019-01-03"
        assert extra["registrering/tittel"] == "Søknad om dispensasjon fra Ola Nordmann"
        assert extra["registrering/registreringsID"] == "2019/123-1"
        assert extra["registreringstype"] == "journalpost"
        files = [tuple(r) for r in store.conn.execute(
            "SELECT name, position FROM document_files WHERE document_id = ? "
            "ORDER BY position", (first["id"],))]
        assert files == [("soknad.txt", 0), ("kart.txt", 1)]  # main document first
        # no journalpostnummer: the number after the case in registreringsID
        assert (second["lopnummer"], second["riktning"], second["datum"]) == (
            2, "Utgående", "2019-01-11")
        with report.rejects_path.open(encoding="utf-8", newline="") as fh:  # type: ignore[union-attr]
            (rejected,) = list(csv.DictReader(fh))
        assert rejected["path"] == (
            "/arkiv/arkivdel[1]/klassifikasjonssystem[1]/klasse[1]/mappe[1]/registrering[3]/"
            "journalposttype")
        assert rejected["reason"].startswith("unknown journalposttype 'Q': use I, U, N, X or S")
        assert import_manifest(store, settings, xml).changes == 0


def test_noark5_checksum_mismatch_is_reported_and_the_entry_kept(
        tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "dokumenter").mkdir()
    for name in ("kart.txt", "soknad.txt"):
        (tmp_path / "dokumenter" / name).write_text("endret\n", encoding="utf-8")
    xml = tmp_path / "arkivstruktur.xml"
    xml.write_text(MAPPING.replace("{kart}", "a" * 64).replace("{soknad}", "b" * 64),
                   encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert report.inserted == 2
        assert [p.split(":")[1].strip() for _w, p in report.file_problems] == [
            "sha256 checksum mismatch (the export says " + "b" * 64 + ", the file has "
            + hashlib.sha256(b"endret\n").hexdigest() + "); not stored",
            "sha256 checksum mismatch (the export says " + "a" * 64 + ", the file has "
            + hashlib.sha256(b"endret\n").hexdigest() + "); not stored"]
        assert store.conn.execute("SELECT count(*) FROM document_files").fetchone()[0] == 0


def test_meeting_folders_are_cases_with_a_hook(tmp_path: Path, settings: Settings) -> None:
    xml = xml_exports.write_noark5(tmp_path / "a.xml", [], meetings=[{
        "mappeID": "Møte 12", "tittel": "Formannskapet", "utvalg": "Formannskapet",
        "moetedato": "2024-05-02", "sak": "Økonomiplan"}])
    with Store(settings.store_path) as store:
        assert import_manifest(store, settings, xml, organisation="ks").inserted == 1
        case = store.conn.execute("SELECT diarienummer, dnr_key, namnd, extra FROM cases"
                                  ).fetchone()
        assert tuple(case)[:3] == ("Møte 12", "#MØTE-12", "Formannskapet")
        assert Noark5.is_meeting(json.loads(case["extra"]))
        doc = store.conn.execute("SELECT datum, riktning, rubrik, extra FROM documents"
                                 ).fetchone()
        assert tuple(doc)[:3] == ("2024-05-02", "Upprättad", "Økonomiplan")
        assert json.loads(doc["extra"])["registreringstype"] == "moeteregistrering"


# ---------------------------------------------------------------------------------------
# Meeting folders into the meetings model (issue 16)

MEETING = {
    "mappeID": "SBN-møte 2026-05", "tittel": "Samhällsbyggnadsnämndens møte",
    "utvalg": "Samhällsbyggnadsnämnden", "moetedato": "2026-05-12T18:00:00",
    "moetested": "Rådhuset", "sak": "Saksframlegg budsjett",
    "items": [
        {"form": "moetesaksregistrering", "tittel": "Bygglov Storgatan 4",
         "moetesaksnummer": "45/26", "moetesakstype": "Politisk sak", "saksaar": "2026",
         "sakssekvensnummer": "17", "vedtak": "Bygglov beviljas."},
        {"tittel": "Information om budgetläget", "moetesaksnummer": "§ 46",
         "moetesakstype": "Orienteringssak"},
        {"tittel": "Delegationsbeslut bygglov", "moetesaksnummer": "47",
         "moetesakstype": "Referatsak", "saksaar": "2026", "sakssekvensnummer": "18"},
    ],
    "dokumenter": [
        {"type": "Møteinnkalling", "tittel": "Kallelse 12 maj", "fil": "moete/kallelse.txt"},
        {"form": "moeteregistrering", "type": "Møteprotokoll", "tittel": "Protokoll 12 maj",
         "fil": "moete/protokoll.txt"},
    ],
}


def _meeting_export(folder: Path, meetings: list[dict[str, object]]) -> Path:
    (folder / "moete").mkdir(parents=True, exist_ok=True)
    (folder / "moete" / "kallelse.txt").write_text("Kallelse till sammanträde.\n",
                                                   encoding="utf-8")
    (folder / "moete" / "protokoll.txt").write_text("Protokoll: bygglov Storgatan 4.\n",
                                                    encoding="utf-8")
    base = {"organisation": "ks", "arendemening": "Bygglov Storgatan 4", "status": "pågående",
            "namnd": "", "enhet": "Bygg", "handlaggare": "Karin Berg", "klassificering": "2.1",
            "datum": "2026-03-01", "riktning": "Inkommande", "handlingstyp": "Ansökan",
            "part": "Bygg och Betong AB", "sekretess": "", "publicerad": "ja", "fil": ""}
    rows = [{**base, "diarienummer": "2026/17", "lopnummer": "1", "rubrik": "Ansökan"},
            {**base, "diarienummer": "2026/18", "lopnummer": "1", "arendemening":
             "Bygglov Lillgatan 2", "rubrik": "Ansökan Lillgatan"}]
    return xml_exports.write_noark5(folder / "arkivstruktur.xml", rows, meetings=meetings)


def test_meeting_folder_is_stored_as_a_meeting(tmp_path: Path, settings: Settings) -> None:
    from diarium.meetings import case_decisions, public_meeting
    from diarium.public import public_records

    xml = _meeting_export(tmp_path / "uttrekk", [MEETING])
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        assert (report.rejected, report.meetings, report.meeting_changes) == (0, 1, 3)
        # Every registration is kept as a register entry, as before: 2 cases + 6.
        assert report.inserted == 8
        (meeting_id, case_id, kallelse, protokoll) = store.conn.execute(
            "SELECT id, case_id, kallelse_document_id, protokoll_document_id FROM meetings"
        ).fetchone()
        folder = store.conn.execute("SELECT diarienummer, extra FROM cases WHERE id = ?",
                                    (case_id,)).fetchone()
        assert folder["diarienummer"] == "SBN-møte 2026-05"  # the moetemappe itself
        assert Noark5.is_meeting(json.loads(folder["extra"]))
        titles = dict(store.conn.execute("SELECT id, rubrik FROM documents"))
        assert (titles[kallelse], titles[protokoll]) == ("Kallelse 12 maj", "Protokoll 12 maj")

        found = public_meeting(store, settings, meeting_id)
        assert (found.namnd, found.datum, found.tid, found.plats) == (
            "Samhällsbyggnadsnämnden", "2026-05-12", "18:00", "Rådhuset")
        assert found.protokoll is not None and found.protokoll.rubrik == "Protokoll 12 maj"
        items = [(i.paragraf, i.rubrik, i.beslut, i.typ, [c.diarienummer for c in i.cases])
                 for i in found.items]
        assert items == [
            (45, "Bygglov Storgatan 4", "Bygglov beviljas.", "beslut", ["2026/17"]),
            (46, "Information om budgetläget", "", "information", []),
            (47, "Delegationsbeslut bygglov", "", "anmälan", ["2026/18"])]
        # The items are linked to the register's cases.
        storgatan = store.conn.execute(
            "SELECT id FROM cases WHERE diarienummer = '2026/17'").fetchone()[0]
        assert found.items[0].cases[0].case_id == storgatan
        (decision,) = case_decisions(store, settings, storgatan)
        assert (decision.namnd, decision.datum, decision.paragraf) == (
            "Samhällsbyggnadsnämnden", "2026-05-12", 45)
        # The notice and the minutes are the meeting's in the public projection.
        tagged = {r.rubrik: r.sammantrade for r in public_records(store, settings)}
        assert tagged["Protokoll 12 maj"] == "Samhällsbyggnadsnämnden 2026-05-12 18:00"
        assert tagged["Saksframlegg budsjett"] == "" and tagged["Ansökan"] == ""

        again = import_manifest(store, settings, xml, organisation="ks")
        assert (again.changes, again.meetings, again.rejected) == (0, 1, 0)
        assert store.conn.execute("SELECT count(*) FROM meetings").fetchone()[0] == 1


def test_meeting_page_shows_a_noark_meeting(tmp_path: Path, settings: Settings) -> None:
    from bs4 import BeautifulSoup

    from diarium.indexer.embedded import EmbeddedBackend
    from diarium.web.app import create_app

    xml = _meeting_export(tmp_path / "uttrekk", [MEETING])
    with Store(settings.store_path) as store:
        import_manifest(store, settings, xml, organisation="ks")
        meeting_id = store.conn.execute("SELECT id FROM meetings").fetchone()[0]
        storgatan = store.conn.execute(
            "SELECT id FROM cases WHERE diarienummer = '2026/17'").fetchone()[0]
    app = create_app(settings, backend=EmbeddedBackend(settings.index_dir / "embedded"))
    app.config["TESTING"] = True
    with app.test_client() as client:
        response = client.get(f"/sammantraden/{meeting_id}")
        assert response.status_code == 200
        page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert page.h1.get_text(" ", strip=True) == "Samhällsbyggnadsnämnden 2026-05-12"
        text = page.get_text(" ", strip=True)
        assert "Rådhuset" in text and "kl. 18:00" in text
        assert [h.get_text(" ", strip=True) for h in page.select(".agenda h3")] == [
            "§ 45 Bygglov Storgatan 4", "§ 46 Information om budgetläget",
            "§ 47 Delegationsbeslut bygglov"]
        assert page.select_one("#p45 a")["href"] == f"/arende/{storgatan}"
        assert "Protokoll 12 maj" in text and "Kallelse 12 maj" in text
        case_page = client.get(f"/arende/{storgatan}").get_data(as_text=True)
        assert "Behandlad i Samhällsbyggnadsnämnden 2026-05-12 § 45" in " ".join(
            BeautifulSoup(case_page, "html.parser").get_text(" ", strip=True).split())


def test_bad_meeting_values_are_rejected_by_path(tmp_path: Path, settings: Settings) -> None:
    no_committee = {**MEETING, "mappeID": "Møte uten utvalg", "utvalg": "",
                    "items": [], "dokumenter": []}
    bad_items = {**MEETING, "mappeID": "Møte 2", "moetedato": "2026-06-02", "sak": "",
                 "dokumenter": [], "items": [
                     {"tittel": "Ett", "moetesaksnummer": "femtio", "moetesakstype": "PS"},
                     {"tittel": "Två", "moetesaksnummer": "7", "moetesakstype": "PS"},
                     {"tittel": "Tre", "moetesaksnummer": "7/26", "moetesakstype": "PS"},
                     {"tittel": "Fyra", "moetesaksnummer": "8", "moetesakstype": "PS",
                      "saksaar": "26", "sakssekvensnummer": "17"}]}
    xml = _meeting_export(tmp_path / "uttrekk", [no_committee, bad_items])
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        # Nothing lost: every registration is a register entry (2 cases, 1 + 4).
        assert report.inserted == 7
        assert report.meetings == 1
        with report.rejects_path.open(encoding="utf-8", newline="") as fh:  # type: ignore[union-attr]
            rejected = {r["path"]: r["reason"] for r in csv.DictReader(fh)}
        root = "/arkiv/arkivdel[1]/klassifikasjonssystem[1]"
        assert set(rejected) == {
            f"{root}/mappe[1]/utvalg", f"{root}/mappe[2]/registrering[1]/moetesaksnummer",
            f"{root}/mappe[2]/registrering[3]", f"{root}/mappe[2]/registrering[4]/saksaar"}
        assert rejected[f"{root}/mappe[1]/utvalg"].startswith(
            "the meeting folder (moetemappe) names no committee (utvalg)")
        assert "'femtio' is no agenda item number" in rejected[
            f"{root}/mappe[2]/registrering[1]/moetesaksnummer"]
        assert rejected[f"{root}/mappe[2]/registrering[3]"].startswith(
            "agenda item number 7 appears twice in the meeting (first at "
            f"{root}/mappe[2]/registrering[2])")
        numbers = [r[0] for r in store.conn.execute(
            "SELECT paragraf FROM meeting_items ORDER BY paragraf")]
        assert numbers == [7]


# ---------------------------------------------------------------------------------------
# Party kinds (issue 13): the export's korrespondansepart data decides, not the heuristic


def test_korrespondansepart_kinds_decide_whose_name_is_hidden(
        tmp_path: Path, settings: Settings) -> None:
    xml = xml_exports.write_noark5(tmp_path / "arkivstruktur.xml", xml_exports.party_rows())
    person = (f"<korrespondansepartNavn>{xml_exports.PERSON_NAME}</korrespondansepartNavn>")
    contact = (f"<korrespondansepartNavn>{xml_exports.CONTACT_NAME}</korrespondansepartNavn>")
    text = xml.read_text(encoding="utf-8")
    text = text.replace(person, person + "<personID>12345678901</personID>")
    # Noark 5.5 writes the kind as its own element; an internal party (IA) is the body's own.
    text = text.replace(f"<korrespondansepart><korrespondanseparttype>Avsender"
                        f"</korrespondanseparttype>{contact}</korrespondansepart>",
                        f"<korrespondansepartEnhet><navn>{xml_exports.CONTACT_NAME}</navn>"
                        "</korrespondansepartEnhet><korrespondansepart><korrespondanseparttype>"
                        "<kode>IA</kode><beskrivelse>Intern avsender</beskrivelse>"
                        "</korrespondanseparttype><korrespondansepartNavn>Per Holm"
                        "</korrespondansepartNavn></korrespondansepart>")
    xml.write_text(text, encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        assert (report.inserted, report.rejected) == (2, 0)
        kinds = [json.loads(e[0]).get("part_typ") for e in store.conn.execute(
            "SELECT extra FROM documents ORDER BY lopnummer")]
        assert kinds == ["person", "organisation; organisation"]
        # under the default policy (private_names = "hide")
        assert xml_exports.public_parties(store, settings) == {
            "Ansökan från en privatperson": "Privatperson",
            "Yttrande från en firma": f"{xml_exports.CONTACT_NAME}; Per Holm"}
        assert import_manifest(store, settings, xml, organisation="ks").changes == 0


def test_a_meeting_whose_registrations_are_all_rejected_is_rejected_too(
        tmp_path: Path, settings: Settings) -> None:
    only = {**MEETING, "sak": "", "dokumenter": [], "items": MEETING["items"][:1]}
    xml = _meeting_export(tmp_path / "uttrekk", [only])
    # The one registration's date is no date: the entry is rejected, so is its folder.
    xml.write_text(xml.read_text(encoding="utf-8").replace(
        "<opprettetDato>2026-05-12</opprettetDato>", "<opprettetDato>2026-05-32"
        "</opprettetDato>"), encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        assert (report.inserted, report.meetings) == (2, 0)
        reasons = [reason for _where, reason in report.rejections]
        assert len(reasons) == 2 and "is not a date" in reasons[0]
        assert reasons[1].startswith("the meeting folder's case was not imported")
        assert store.conn.execute("SELECT count(*) FROM meetings").fetchone()[0] == 0


def _documents(store: Store) -> list[dict[str, object]]:
    return [dict(r) for r in store.conn.execute(
        "SELECT c.diarienummer, d.* FROM documents d JOIN cases c ON c.id = d.case_id "
        "ORDER BY d.id")]


def test_an_arkivnotat_without_number_beside_numbered_journalposts(
        tmp_path: Path, settings: Settings) -> None:
    """noark5-tester's extraction: journalpost 2 first, then an arkivnotat with no
    journalpostnummer and an opaque registreringsID. Its place (2) is the journalpost's
    number, so it takes the next free one instead of being rejected as a duplicate."""
    rows = xml_exports.register(tmp_path / "dokumenter")
    case = [r for r in rows if r["diarienummer"] == "A2014/2289/DISK"]
    rest = [r for r in rows if r["diarienummer"] != "A2014/2289/DISK"]
    ordered = [case[1], {**case[0], "riktning": "Upprättad"}, case[2], *rest]
    for row in ordered:
        row["fil"] = f"dokumenter/{row['fil']}" if row["fil"] else ""
    xml = xml_exports.write_noark5(tmp_path / "arkivstruktur.xml", ordered,
                                   notes=[("A2014/2289/DISK", "1")])
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert (report.inserted, report.rejected) == (len(rows), 0)
        got = {(d["diarienummer"], d["rubrik"]): d for d in _documents(store)}
        note = got[("A2014/2289/DISK", case[0]["rubrik"])]
        assert (note["lopnummer"], note["riktning"]) == (4, "Upprättad")
        assert json.loads(str(note["extra"]))["registreringstype"] == "arkivnotat"
        assert json.loads(str(note["extra"]))["registrering/registreringsID"] == "notat-1"
        assert [got[("A2014/2289/DISK", r["rubrik"])]["lopnummer"] for r in case[1:]] == [2, 3]
        assert import_manifest(store, settings, xml).changes == 0


def test_dokumentobjekt_directly_in_the_registrering_and_journalpostnummer_zero(
        tmp_path: Path, settings: Settings) -> None:
    """Noark 5 v3.1's schema lets a registrering hold its dokumentobjekt without a
    dokumentbeskrivelse: the archival variant is stored (the production variant kept as
    metadata). A journalpostnummer 0 (a valid xs:integer) numbers nothing: the
    registreringsID or the place does, and the 0 is kept as metadata."""
    rows = xml_exports.register(tmp_path / "dokumenter")
    for row in rows:
        row["fil"] = f"dokumenter/{row['fil']}" if row["fil"] else ""
    xml = xml_exports.write_noark5(tmp_path / "arkivstruktur.xml", rows, bare_objects=True,
                                   zero_numbers=True)
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert (report.inserted, report.rejected) == (len(rows), 0)
        assert report.file_problems == []
        by_key = {(d["diarienummer"], d["rubrik"]): d for d in _documents(store)}
        # the writer groups the cases by klasse: compared by case and title, not order
        assert {k: d["lopnummer"] for k, d in by_key.items()} == {
            (r["diarienummer"], r["rubrik"]): int(r["lopnummer"]) for r in rows}
        for row in rows:
            doc = by_key[(row["diarienummer"], row["rubrik"])]
            extra = json.loads(str(doc["extra"]))
            assert extra["registrering/journalpostnummer"] == "0"
            names = [r[0] for r in store.conn.execute(
                "SELECT name FROM document_files WHERE document_id = ?", (doc["id"],))]
            assert names == ([Path(row["fil"]).name] if row["fil"] else [])
            if row["fil"]:
                assert extra["registrering/dokumentobjekt[1]/referanseDokumentfil"] == (
                    row["fil"] + ".docx")
