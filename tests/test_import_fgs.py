"""FGS Ärendehantering 1.0 exports (with and without the namespace): end to end, the
mapping, checksums, file paths, bad values by XML path."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
import xml_exports

from diarium.config import Settings
from diarium.pipeline.importing import import_manifest
from diarium.store import Store

NS = xml_exports.FGS_NS


@pytest.mark.parametrize("namespace", [True, False])
def test_fgs_end_to_end_import_extract_index_search(tmp_path: Path, namespace: bool) -> None:
    export = tmp_path / "leverans"
    rows = xml_exports.register(export)
    xml = xml_exports.write_fgs(export / "Arendehantering.xml", rows, creator="Exempelstad",
                                namespace=namespace, checksums=export)
    data = tmp_path / "data"
    code, out = xml_exports.cli(data, "import", str(xml))
    assert code == 0, out
    assert "Format: fgs1" in out and "5 nya" in out and "3 nya filer" in out
    assert xml_exports.cli(data, "import", str(xml))[1].count("0 nya, 0 ändrade") == 1
    assert xml_exports.cli(data, "extract")[0] == 0
    assert xml_exports.cli(data, "index", "--engine", "embedded")[0] == 0

    found = xml_exports.search(data, "Ku2023/00732")
    assert [h["diarienummer"] for h in found["hits"]] == ["Ku2023/00732"]  # type: ignore[index]
    assert found["hits"][0]["riktning"] == "Utgående"  # type: ignore[index]
    assert found["hits"][0]["part"] == "Region Västerbotten"  # type: ignore[index]
    assert xml_exports.search(data, "ku 2023/732")["total"] == 1
    assert xml_exports.search(data, "fritidshus")["total"] == 1
    assert xml_exports.search(data, "Åkern")["total"] == 1  # the file's text
    secret = xml_exports.search(data, "A2014/2289/DISK")
    assert secret["total"] == 3
    assert "Sekretess enligt OSL 21 kap. 1 §" in {
        h["rubrik"] for h in secret["hits"]}  # type: ignore[union-attr]


MAPPING = """<?xml version="1.0" encoding="utf-8"?>
<Leveransobjekt xmlns="{ns}">
  <ArkivbildarStruktur><Arkivbildare><Namn>Svenska kyrkan i Exempelby</Namn>
  </Arkivbildare></ArkivbildarStruktur>
  <ArkivobjektListaArenden>
    <ArkivobjektArende Systemidentifierare="a-1">
      <ArkivobjektID>S 2019-0043</ArkivobjektID>
      <ExtraID ExtraIDTyp="deliveringSystemId">34565</ExtraID>
      <Avslutat>2019-11-01T06:36:46+01:00</Avslutat>
      <Agent><Roll>Handläggare</Roll><Namn>Karin Berg</Namn>
        <Enhetsnamn>Kansliet</Enhetsnamn></Agent>
      <Agent><Roll>Registrator</Roll><Namn>Erik Gustavsson</Namn></Agent>
      <Klass>1.2</Klass>
      <Motpart><Namn>Försäkringskassan</Namn></Motpart>
      <Skapad>2019-06-10T20:33:25+02:00</Skapad>
      <StatusArande>Avslutat</StatusArande>
      <Arendemening>Församlingsordning</Arendemening>
      <ArkivobjektListaHandlingar>
        <ArkivobjektHandling Systemidentifierare="h-1">
          <ArkivobjektID>S 2019-0043:1</ArkivobjektID>
          <Handlingstyp>Skrivelse</Handlingstyp>
          <Avsandare><Namn>Anna Andersson</Namn><SkyddadIdentitet>true</SkyddadIdentitet>
          </Avsandare>
          <Mottagare><Namn>Stiftet</Namn><Organisation>Strängnäs stift</Organisation>
          </Mottagare>
          <Expedierad>2019-06-11T10:11:35</Expedierad>
          <Inkommen>2019-06-10+02:00</Inkommen>
          <Notering>Kom med posten</Notering>
          <Rubrik>Brev om ordningen</Rubrik>
          <StatusHandling>Inkommen</StatusHandling>
          <Restriktion Typ="Sekretess"><ForklarandeText>Skyddad</ForklarandeText>
            <Lagrum>KO 54:2</Lagrum></Restriktion>
          <Bilaga Namn="brev.txt" Lank="filer\\brev.txt" Checksumma="{good}"
                  ChecksummaMetod="SHA-256" Storlek="6"/>
          <Bilaga Namn="fel.txt" Lank="filer/fel.txt" Checksumma="{bad}"
                  ChecksummaMetod="MD5"/>
          <Bilaga Namn="ut.txt" Lank="..\\..\\hemligt.txt"/>
          <Bilaga Namn="abs.txt" Lank="/etc/passwd"/>
        </ArkivobjektHandling>
        <ArkivobjektHandling Systemidentifierare="h-2">
          <ArkivobjektID>S 2019-0043:2</ArkivobjektID>
          <Upprattad>2019-07-01</Upprattad>
          <Rubrik>Tjänsteanteckning</Rubrik>
          <StatusHandling>Makulerad</StatusHandling>
        </ArkivobjektHandling>
        <ArkivobjektHandling Systemidentifierare="h-3">
          <ArkivobjektID>S 2019-0043:3</ArkivobjektID>
          <Inkommen>2019-02-30</Inkommen>
          <Rubrik>Trasigt datum</Rubrik>
        </ArkivobjektHandling>
      </ArkivobjektListaHandlingar>
    </ArkivobjektArende>
  </ArkivobjektListaArenden>
</Leveransobjekt>
"""


def test_fgs_mapping_checksums_and_paths(tmp_path: Path, settings: Settings) -> None:
    export = tmp_path / "export"
    (export / "filer").mkdir(parents=True)
    (export / "filer" / "brev.txt").write_text("Brevet\n", encoding="utf-8")
    (export / "filer" / "fel.txt").write_text("Ändrad efter export\n", encoding="utf-8")
    (tmp_path / "hemligt.txt").write_text("hemligt\n", encoding="utf-8")
    good = hashlib.sha256(b"Brevet\n").hexdigest()
    xml = export / "export.xml"
    xml.write_text(MAPPING.format(ns=NS, good=good.upper(), bad="0" * 32), encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert (report.format, report.inserted, report.rejected) == ("fgs1", 2, 1)
        assert store.conn.execute("SELECT slug FROM organisations").fetchone()[0] == (
            "svenska-kyrkan-i-exempelby")
        problems = [p for _w, p in report.file_problems]
        where = {w for w, _p in report.file_problems}
        assert where == {"/Leveransobjekt/ArkivobjektListaArenden/ArkivobjektArende[1]/"
                         "ArkivobjektListaHandlingar/ArkivobjektHandling[1]"}
        assert "md5 checksum mismatch" in problems[0]
        assert "'..\\\\..\\\\hemligt.txt' is outside the files folder" in problems[1]
        assert "'/etc/passwd' is outside the files folder" in problems[2]
        rows = store.conn.execute(
            "SELECT c.diarienummer, c.arendemening, c.status, c.handlaggare, c.enhet, "
            "c.klassificering, c.extra AS case_extra, d.* FROM documents d "
            "JOIN cases c ON c.id = d.case_id ORDER BY d.id").fetchall()
        first, second = (dict(r) for r in rows)
        assert (first["diarienummer"], first["arendemening"], first["status"],
                first["handlaggare"], first["enhet"], first["klassificering"]) == (
            "S 2019-0043", "Församlingsordning", "Avslutat", "Karin Berg", "Kansliet", "1.2")
        case_extra = json.loads(first["case_extra"])
        assert case_extra["ArkivobjektArende/Motpart/Namn"] == "Försäkringskassan"
        assert case_extra["ArkivobjektArende/Agent[2]/Namn"] == "Erik Gustavsson"
        assert case_extra["ArkivobjektArende/ExtraID/@ExtraIDTyp"] == "deliveringSystemId"
        # Upprattad, Inkommen, Expedierad, Skapad in that order: here Inkommen
        assert (first["lopnummer"], first["datum"], first["riktning"]) == (
            1, "2019-06-10", "Inkommande")
        assert first["part"] == "Stiftet, Strängnäs stift"  # the protected sender left out
        assert first["sekretess"] == "KO 54:2"
        assert first["fil"] == "filer\\brev.txt"
        extra = json.loads(first["extra"])
        assert extra["ArkivobjektHandling/Avsandare/Namn"] == "Anna Andersson"
        assert extra["ArkivobjektHandling/Notering"] == "Kom med posten"
        assert extra["ArkivobjektHandling/Expedierad"] == "2019-06-11T10:11:35"
        assert extra["datumtyp"] == "inkommen"
        assert [r[0] for r in store.conn.execute("SELECT name FROM document_files")] == [
            "brev.txt"]
        # a status that is no direction: the date says it (Upprattad: drawn up)
        assert (second["lopnummer"], second["riktning"], second["handlingstyp"]) == (
            2, "Upprättad", "")
        assert json.loads(second["extra"])["ArkivobjektHandling/StatusHandling"] == "Makulerad"
        with report.rejects_path.open(encoding="utf-8", newline="") as fh:  # type: ignore[union-attr]
            (rejected,) = list(csv.DictReader(fh))
        assert rejected["path"] == (
            "/Leveransobjekt/ArkivobjektListaArenden/ArkivobjektArende[1]/"
            "ArkivobjektListaHandlingar/ArkivobjektHandling[3]/Inkommen")
        assert rejected["reason"] == "'2019-02-30' is not a date (no such day)"
        # nothing changed: the same problems, no changes
        again = import_manifest(store, settings, xml)
        assert (again.changes, again.unchanged, again.rejected) == (0, 2, 1)


def test_fgs_handlings_outside_cases(tmp_path: Path, settings: Settings) -> None:
    xml = tmp_path / "h.xml"
    xml.write_text("""<Leveransobjekt><ArkivobjektListaHandlingar>
      <ArkivobjektHandling><ArkivobjektID>KS 2019/0001/0009</ArkivobjektID>
        <Inkommen>2019-01-02</Inkommen><Rubrik>Lös handling</Rubrik></ArkivobjektHandling>
      </ArkivobjektListaHandlingar></Leveransobjekt>""", encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        assert report.inserted == 1, report.rejections
        row = store.conn.execute("SELECT c.diarienummer, c.dnr_key, d.lopnummer FROM documents"
                                 " d JOIN cases c ON c.id = d.case_id").fetchone()
        assert tuple(row) == ("KS 2019/0001", "KS|2019|1", 9)


def test_files_folder_given_with_files_overrides_the_xml_folder(tmp_path: Path) -> None:
    files = tmp_path / "handlingar"
    rows = xml_exports.register(files)
    (tmp_path / "xml").mkdir()
    xml = xml_exports.write_fgs(tmp_path / "xml" / "export.xml", rows, checksums=files)
    data = tmp_path / "data"
    code, out = xml_exports.cli(data, "import", str(xml))
    assert code == 0 and "3 filer kunde inte lagras" in out, out  # not beside the XML
    code, out = xml_exports.cli(data, "import", str(xml), "--files", str(files))
    assert code == 0 and "3 ändrade" in out and "3 nya filer" in out, out
    assert "kunde inte lagras" not in out


def test_party_data_decides_whose_name_is_hidden(tmp_path: Path, settings: Settings) -> None:
    """Issue 13: a party's Personnummer makes it a person, its Organisation a body (the
    contact person's Namn beside it included), whatever the heuristic would say."""
    xml = xml_exports.write_fgs(tmp_path / "fgs.xml", xml_exports.party_rows())
    text = xml.read_text(encoding="utf-8")
    person, contact = (f"<Namn>{xml_exports.PERSON_NAME}</Namn>",
                       f"<Namn>{xml_exports.CONTACT_NAME}</Namn>")
    text = text.replace(person, person + "<Personnummer>19121212-1212</Personnummer>")
    text = text.replace(contact, contact + "<Organisation>Ek Konsult AB</Organisation>")
    xml.write_text(text, encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        assert (report.inserted, report.rejected) == (2, 0)
        # under the default policy (private_names = "hide")
        assert xml_exports.public_parties(store, settings) == {
            "Ansökan från en privatperson": "Privatperson",
            "Yttrande från en firma": f"{xml_exports.CONTACT_NAME}, Ek Konsult AB"}


def test_lopnummer_zero_numbers_by_the_document_id(tmp_path: Path, settings: Settings) -> None:
    """A Lopnummer 0 is no running number: the one after ':' in the ArkivobjektID
    counts, the 0 stays as metadata, and nothing is rejected."""
    rows = xml_exports.register(tmp_path)
    xml = xml_exports.write_fgs(tmp_path / "export.xml", rows, zero_lopnummer=True)
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml)
        assert (report.inserted, report.rejected) == (len(rows), 0)
        got = [tuple(r) for r in store.conn.execute(
            "SELECT c.diarienummer, d.lopnummer, d.extra FROM documents d "
            "JOIN cases c ON c.id = d.case_id ORDER BY d.id")]
        assert [(dnr, lop) for dnr, lop, _extra in got] == [
            (r["diarienummer"], int(r["lopnummer"])) for r in rows]
        assert all(json.loads(extra)["ArkivobjektHandling/Lopnummer"] == "0"
                   for _dnr, _lop, extra in got)
