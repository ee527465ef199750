"""Hostile and broken XML exports: entity expansion (billion laughs), external entities
(XXE reading a local file, a remote DTD), malformed XML, undeclared entities, roots that
are no export. Each stops with a clear message and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import xml_exports

from diarium.config import Settings
from diarium.errors import ManifestError
from diarium.pipeline.importing import import_manifest
from diarium.pipeline.xml_safety import DoctypeRefused
from diarium.store import Store

NS = xml_exports.ERMS_NS

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE erms [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<erms xmlns="{NS}"><control/><aggregations>
 <aggregation systemIdentifier="a" aggregationType="caseFile"><objectId>KS 2023/1</objectId>
  <title>&lol9;</title>
  <record systemIdentifier="r" recordType="Brev"><objectId>KS 2023/1:1</objectId>
   <title>&lol9;</title><dates><date dateType="received">2023-01-02</date></dates></record>
 </aggregation></aggregations></erms>
"""


def _xxe(target: Path) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE erms [<!ENTITY secret SYSTEM "file://{target}">]>
<erms xmlns="{NS}"><control/><aggregations>
 <aggregation systemIdentifier="a" aggregationType="caseFile"><objectId>KS 2023/1</objectId>
  <title>&secret;</title>
  <record systemIdentifier="r" recordType="Brev"><objectId>KS 2023/1:1</objectId>
   <title>&secret;</title><dates><date dateType="received">2023-01-02</date></dates></record>
 </aggregation></aggregations></erms>
"""


REMOTE_DTD = f"""<?xml version="1.0"?>
<!DOCTYPE erms SYSTEM "http://127.0.0.1:9/evil.dtd">
<erms xmlns="{NS}"><control/><aggregations/></erms>
"""


def _nothing_written(settings: Settings, xml: Path) -> None:
    with Store(settings.store_path) as store:
        for table in ("organisations", "cases", "documents", "files", "changes"):
            assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert not xml.with_name(xml.stem + ".rejects.csv").exists()


def test_billion_laughs_is_refused_and_nothing_written(tmp_path: Path,
                                                       settings: Settings) -> None:
    xml = tmp_path / "laughs.xml"
    xml.write_text(BILLION_LAUGHS, encoding="utf-8")
    with Store(settings.store_path) as store, pytest.raises(DoctypeRefused,
                                                            match="declares a DOCTYPE 'erms'"):
        import_manifest(store, settings, xml, organisation="ks")
    _nothing_written(settings, xml)
    code, out = xml_exports.cli(settings.data_dir, "import", str(xml), "--organisation", "ks")
    assert code == 2 and "DOCTYPE" in out and "refused" in out


def test_xxe_reading_a_local_file_is_refused(tmp_path: Path, settings: Settings) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("lösenord: hunter2\n", encoding="utf-8")
    xml = tmp_path / "xxe.xml"
    xml.write_text(_xxe(secret), encoding="utf-8")
    with Store(settings.store_path) as store, pytest.raises(DoctypeRefused) as caught:
        import_manifest(store, settings, xml, organisation="ks")
    assert "hunter2" not in str(caught.value)
    _nothing_written(settings, xml)
    # forcing the format does not open another way in
    with Store(settings.store_path) as store, pytest.raises(DoctypeRefused):
        import_manifest(store, settings, xml, fmt="erms", organisation="ks")


def test_external_dtd_is_refused_without_network(tmp_path: Path, settings: Settings) -> None:
    xml = tmp_path / "remote.xml"
    xml.write_text(REMOTE_DTD, encoding="utf-8")
    with Store(settings.store_path) as store, pytest.raises(DoctypeRefused,
                                                            match="evil.dtd"):
        import_manifest(store, settings, xml, organisation="ks")
    _nothing_written(settings, xml)


def test_malformed_xml_at_the_end_stops_with_line_and_column_and_writes_nothing(
        tmp_path: Path, settings: Settings) -> None:
    rows = [{**row, "organisation": "ks"} for row in xml_exports.register(tmp_path / "f")]
    xml = xml_exports.write_erms(tmp_path / "broken.xml", rows * 1)
    text = xml.read_text(encoding="utf-8")
    # many good records first, then a broken one near the end
    lines = text.splitlines()
    lines.insert(len(lines) - 3, "<record><title>Trasig</titel></record>")
    xml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broken_line = len(lines) - 3
    with Store(settings.store_path) as store, pytest.raises(ManifestError) as caught:
        import_manifest(store, settings, xml, organisation="ks")
    message = str(caught.value)
    assert str(xml) in message and f"line {broken_line}, column" in message
    assert "Opening and ending tag mismatch" in message and "nothing was imported" in message
    _nothing_written(settings, xml)
    code, out = xml_exports.cli(settings.data_dir, "import", str(xml), "--organisation", "ks")
    assert code == 2 and f"line {broken_line}" in out


@pytest.mark.parametrize(("body", "expected"), [
    (f'<erms xmlns="{NS}"><control/><aggregations>&undefined;</aggregations></erms>',
     "Entity 'undefined' not defined"),
    (f'<erms xmlns="{NS}"><control/><aggregations>', "line 1, column"),
    ("", "the file is empty"),
    ("  \n", "the file is empty"),
    (f'<erms xmlns="{NS}"><control/></erms><erms/>', "Extra content at the end"),
])
def test_broken_documents_are_refused(tmp_path: Path, settings: Settings, body: str,
                                      expected: str) -> None:
    xml = tmp_path / "x.xml"
    xml.write_text(body, encoding="utf-8")
    with Store(settings.store_path) as store, pytest.raises(ManifestError, match=expected):
        import_manifest(store, settings, xml, organisation="ks")
    _nothing_written(settings, xml)


@pytest.mark.parametrize(("body", "expected"), [
    ("<html><body>Inte en export</body></html>",
     "root element 'html' is no register export"),
    ('<erms xmlns="urn:other"><control/></erms>',
     "root element 'erms' in namespace 'urn:other', but FGS 2.0 / CITS ERMS uses"),
])
def test_roots_that_are_no_export(tmp_path: Path, settings: Settings, body: str,
                                  expected: str) -> None:
    xml = tmp_path / "x.xml"
    xml.write_text(body, encoding="utf-8")
    with Store(settings.store_path) as store, pytest.raises(ManifestError, match=expected):
        import_manifest(store, settings, xml, organisation="ks")
    _nothing_written(settings, xml)


def test_file_references_cannot_leave_the_files_folder(tmp_path: Path,
                                                       settings: Settings) -> None:
    outside = tmp_path / "utanfor.txt"
    outside.write_text("hemligt\n", encoding="utf-8")
    export = tmp_path / "export"
    (export / "filer").mkdir(parents=True)
    (export / "filer" / "länk.txt").symlink_to(outside)
    references = ["../utanfor.txt", str(outside), "filer/../../utanfor.txt",
                  "filer\\..\\..\\utanfor.txt", "filer/länk.txt", "file:///../utanfor.txt"]
    appendices = "".join(f'<appendix name="a{i}" path="{ref}"/>'
                         for i, ref in enumerate(references))
    xml = export / "export.xml"
    xml.write_text(f"""<erms xmlns="{NS}"><control/><aggregations>
     <aggregation systemIdentifier="a" aggregationType="caseFile"><objectId>KS 2023/1</objectId>
      <record systemIdentifier="r" recordType="Brev"><objectId>KS 2023/1:1</objectId>
       <dates><date dateType="received">2023-01-02</date></dates>
       <additionalInformation>{appendices}</additionalInformation></record>
     </aggregation></aggregations></erms>""", encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        assert report.inserted == 1  # the register entry, without any of the files
        assert len(report.file_problems) == len(references)
        assert all("outside the files folder" in p or "not found" in p
                   for _w, p in report.file_problems), report.file_problems
        assert store.conn.execute("SELECT count(*) FROM files").fetchone()[0] == 0
    stored = list(settings.files_dir.rglob("*")) if settings.files_dir.exists() else []
    assert [p for p in stored if p.is_file()] == []


def test_forcing_a_format_reads_an_unexpected_namespace_but_not_another_format(
        tmp_path: Path, settings: Settings) -> None:
    other_ns = tmp_path / "export.txt"
    other_ns.write_text(
        '<erms xmlns="https://DILCIS.eu/XML/ERMS/2"><control/><aggregations>'
        '<aggregation systemIdentifier="a" aggregationType="caseFile"><objectId>KS 2023/9'
        '</objectId><record systemIdentifier="r" recordType="Brev"><objectId>KS 2023/9:1'
        '</objectId><dates><date dateType="received">2023-01-02</date></dates></record>'
        '</aggregation></aggregations></erms>', encoding="utf-8")
    with Store(settings.store_path) as store:
        with pytest.raises(ManifestError, match="force the format with --format erms"):
            import_manifest(store, settings, other_ns, fmt="xml", organisation="ks")
        assert import_manifest(store, settings, other_ns, fmt="erms",
                               organisation="ks").inserted == 1
        with pytest.raises(ManifestError, match="the root element is 'erms', not FGS "
                                                "Ärendehantering 1.0's 'Leveransobjekt'"):
            import_manifest(store, settings, other_ns, fmt="fgs1", organisation="ks")


def test_a_case_without_its_number_rejects_its_documents_by_path(
        tmp_path: Path, settings: Settings) -> None:
    xml = tmp_path / "x.xml"
    xml.write_text(
        f'<erms xmlns="{NS}"><control/><aggregations>'
        '<aggregation systemIdentifier="a" aggregationType="caseFile"><objectId>KS 2023/9'
        '</objectId><record systemIdentifier="r" recordType="Brev"><objectId>KS 2023/9:1'
        '</objectId><dates><date dateType="received">2023-01-02</date></dates></record>'
        '</aggregation><aggregation systemIdentifier="b" aggregationType="caseFile">'
        '<title>Utan nummer</title>'
        '<record systemIdentifier="r2" recordType="Brev"><dates><date dateType="received">'
        '2023-01-02</date></dates></record><record systemIdentifier="r3" recordType="Brev">'
        '<dates><date dateType="received">2023-01-03</date></dates></record>'
        '</aggregation></aggregations></erms>', encoding="utf-8")
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, xml, organisation="ks")
        assert report.inserted == 1
        assert report.rejections == [
            ("/erms/aggregations/aggregation[2]/objectId",
             "the case has no objectId (its diarienummer)")] * 2
