"""Open data: the dumps equal the public projection, their manifest verifies, a new dump
replaces the old one atomically; the DCAT-AP-SE catalogue passes SHACL shapes written
from the profile's rules (diggsweden/DCAT-AP-SE: 3.0.1 cardinalities, harvesting rules)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from opendata_fixtures import PERSONNUMMER, SECRET_TITLE, build_register
from rdflib import RDF, BNode, Graph, URIRef
from rdflib import namespace as ns

from diarium.config import Settings
from diarium.opendata import dcat
from diarium.opendata.dump import (
    CURRENT,
    DumpError,
    dumps_dir,
    latest_dump,
    read_rows,
    verify_dump,
    write_dump,
)
from diarium.public import public_case, public_records
from diarium.store import Store


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_register(tmp_path_factory.mktemp("opendata") / "data")


@pytest.fixture
def settings_copy(register: Settings, tmp_path: Path) -> Settings:
    """The register's settings with a dumps folder of this test's own."""
    import dataclasses

    root = tmp_path / "data"
    root.mkdir()
    os.symlink(register.store_path, root / "diarium.sqlite")
    os.symlink(register.files_dir, root / "files")
    return dataclasses.replace(register, data_dir=root)


def _all_bytes(folder: Path) -> str:
    text = ""
    for path in sorted(folder.rglob("*.gz")):
        text += gzip.decompress(path.read_bytes()).decode("utf-8")
    return text


def test_dump_equals_the_public_projection(settings_copy: Settings) -> None:
    settings = settings_copy
    with Store(settings.store_path) as store:
        report = write_dump(store, settings)
        records = {int(r.doc_id): r for r in public_records(store, settings)}
        dump = report.dump
        assert report.documents == len(records) == 60
        seen: dict[int, dict[str, object]] = {}
        for entry in dump.files:
            if entry.kind == "documents" and entry.format == "jsonl":
                for row in read_rows(dump, entry):
                    assert row["organisation"] == entry.organisation
                    seen[int(row["id"])] = row
        assert seen.keys() == records.keys()
        assert sum(1 for r in records.values() if r.text) >= 5   # extracted text is dumped
        for doc_id, record in records.items():
            row = seen[doc_id]
            for name in ("diarienummer", "lopnummer", "datum", "riktning", "handlingstyp",
                         "rubrik", "part", "arendemening", "namnd", "secret",
                         "sekretess_text", "has_file", "file_name"):
                assert row[name] == getattr(record, name), (doc_id, name)
            assert row.get("text", "") == record.text
            assert row["url"] == f"https://diarium.exempelby.se/handling/{doc_id}"
        # CSV holds the same documents as JSON Lines.
        for entry in dump.files:
            if entry.kind == "documents" and entry.format == "csv":
                for row in read_rows(dump, entry):
                    assert row["rubrik"] == records[int(row["id"])].rubrik
                    assert row["secret"] in ("ja", "nej")
        # Cases equal diarium.public.public_case, the projection's own view of a case.
        case_rows = [row for entry in dump.files
                     if entry.kind == "cases" and entry.format == "jsonl"
                     for row in read_rows(dump, entry)]
        assert len(case_rows) == report.cases == 12
        for row in case_rows:
            case = public_case(store, settings, int(row["id"]))
            assert case is not None
            assert row["arendemening"] == case.arendemening
            assert row["diarienummer"] == case.diarienummer
            assert row["documents"] == len(case.documents)
            assert row["first_date"] == min(d.datum for d in case.documents)
    everything = _all_bytes(dump.path)
    assert SECRET_TITLE not in everything
    assert "Sekretess enligt 26 kap. 1 § OSL" in everything
    assert PERSONNUMMER not in everything and PERSONNUMMER.replace("-", "") not in everything
    assert "811228-****" in everything
    # Unpublished documents keep their register entry but no text.
    unpublished = [r for r in records.values() if not r.secret and not r.text]
    assert unpublished


def test_manifest_checksums_verify_and_catch_a_changed_file(settings_copy: Settings) -> None:
    with Store(settings_copy.store_path) as store:
        dump = write_dump(store, settings_copy).dump
    verify_dump(dump)
    manifest = json.loads((dump.path / "manifest.json").read_text("utf-8"))
    assert {f["path"] for f in manifest["files"]} == {
        f"{org}/{kind}.{fmt}.gz" for org in ("ks", "sbn")
        for kind in ("cases", "documents") for fmt in ("csv", "jsonl")}
    assert sum(f["records"] for f in manifest["files"]
               if f["kind"] == "documents" and f["format"] == "csv") == 60
    victim = dump.path / "ks" / "documents.csv.gz"
    victim.write_bytes(gzip.compress(b"id\r\n1\r\n", mtime=0))
    with pytest.raises(DumpError, match="ks/documents.csv.gz"):
        verify_dump(dump)


def test_same_register_gives_the_same_checksums(settings_copy: Settings) -> None:
    with Store(settings_copy.store_path) as store:
        first = write_dump(store, settings_copy).dump
        second = write_dump(store, settings_copy).dump
    assert [f.sha256 for f in first.files] == [f.sha256 for f in second.files]


def test_second_dump_replaces_the_first_atomically(settings_copy: Settings) -> None:
    settings = settings_copy
    root = dumps_dir(settings)
    with Store(settings.store_path) as store:
        first = write_dump(store, settings).dump
        # A download of the first dump that is under way when the next one is published.
        reader = (first.path / "ks" / "documents.jsonl.gz").open("rb")
        second = write_dump(store, settings, base_url="https://annan.example.se").dump
        assert os.readlink(root / CURRENT) == second.version
        assert latest_dump(settings) == second
        assert first.path.is_dir()                  # kept one round for running downloads
        third = write_dump(store, settings, base_url="https://tredje.example.se").dump
    assert not first.path.exists()                  # then removed
    assert second.path.is_dir() and latest_dump(settings) == third
    old = gzip.decompress(reader.read()).decode("utf-8")
    reader.close()
    assert "https://diarium.exempelby.se/handling/" in old   # still the complete old file
    assert len(old.splitlines()) == first.file("ks/documents.jsonl.gz").records  # type: ignore[union-attr]
    assert not list(root.glob(".*"))               # no temporary folder or link left


def test_a_failed_dump_leaves_the_published_one(settings_copy: Settings) -> None:
    settings = settings_copy
    with Store(settings.store_path) as store:
        published = write_dump(store, settings).dump

        def boom(_progress: object) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            write_dump(store, settings, progress=boom)
    assert latest_dump(settings) == published
    assert not list(dumps_dir(settings).glob(".*"))
    verify_dump(published)


# --------------------------------------------------------------------------- DCAT-AP-SE

# Our own SHACL reading of DCAT-AP-SE 3.0.1 (the profile's cardinalities) and of the
# portal's harvesting rules: absolute IRIs, no blank nodes for catalogue, dataset,
# distribution, data service, publisher and contact point, publisher IRIs on the
# organisation number, license on the catalogue.
SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix t: <urn:diarium:test:shapes#> .

t:Absolute a sh:NodeShape ; sh:nodeKind sh:IRI ; sh:pattern "^https?://" .

t:Catalog a sh:NodeShape ; sh:targetClass dcat:Catalog ; sh:node t:Absolute ;
  sh:property [ sh:path dcterms:title ; sh:minCount 1 ; sh:datatype rdf:langString ] ;
  sh:property [ sh:path dcterms:description ; sh:minCount 1 ; sh:datatype rdf:langString ] ;
  sh:property [ sh:path dcterms:publisher ; sh:minCount 1 ; sh:maxCount 1 ;
                sh:class foaf:Agent ; sh:node t:Absolute ] ;
  sh:property [ sh:path dcterms:license ; sh:minCount 1 ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path dcterms:issued ; sh:maxCount 1 ] ;
  sh:property [ sh:path dcterms:modified ; sh:maxCount 1 ] ;
  sh:property [ sh:path foaf:homepage ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path dcat:dataset ; sh:minCount 1 ; sh:class dcat:Dataset ;
                sh:node t:Absolute ] ;
  sh:property [ sh:path dcat:service ; sh:class dcat:DataService ; sh:node t:Absolute ] .

t:Dataset a sh:NodeShape ; sh:targetClass dcat:Dataset ; sh:node t:Absolute ;
  sh:property [ sh:path dcterms:title ; sh:minCount 1 ; sh:datatype rdf:langString ] ;
  sh:property [ sh:path dcterms:description ; sh:minCount 1 ; sh:datatype rdf:langString ] ;
  sh:property [ sh:path dcterms:publisher ; sh:minCount 1 ; sh:maxCount 1 ;
                sh:class foaf:Agent ; sh:node t:Absolute ] ;
  sh:property [ sh:path dcat:contactPoint ; sh:minCount 1 ; sh:node t:Absolute ;
                sh:node t:Contact ] ;
  sh:property [ sh:path dcat:keyword ; sh:minCount 1 ; sh:datatype rdf:langString ] ;
  sh:property [ sh:path dcterms:temporal ; sh:minCount 1 ; sh:class dcterms:PeriodOfTime ] ;
  sh:property [ sh:path dcterms:accessRights ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path dcat:distribution ; sh:minCount 1 ; sh:class dcat:Distribution ;
                sh:node t:Absolute ] .

t:Period a sh:NodeShape ; sh:targetClass dcterms:PeriodOfTime ;
  sh:property [ sh:path dcat:startDate ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:date ] ;
  sh:property [ sh:path dcat:endDate ; sh:maxCount 1 ; sh:datatype xsd:date ] .

t:Distribution a sh:NodeShape ; sh:targetClass dcat:Distribution ; sh:node t:Absolute ;
  sh:property [ sh:path dcat:accessURL ; sh:minCount 1 ; sh:maxCount 1 ; sh:node t:Absolute ] ;
  sh:property [ sh:path dcat:downloadURL ; sh:node t:Absolute ] ;
  sh:property [ sh:path dcterms:format ; sh:minCount 1 ; sh:maxCount 1 ;
                sh:nodeKind sh:Literal ;
                sh:pattern "^\\\\w+/[-.\\\\w]+(\\\\+[-.\\\\w]+)?$" ] ;
  sh:property [ sh:path dcterms:license ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path dcat:byteSize ; sh:maxCount 1 ; sh:datatype xsd:nonNegativeInteger ] ;
  sh:property [ sh:path dcat:accessService ; sh:class dcat:DataService ] .

t:DataService a sh:NodeShape ; sh:targetClass dcat:DataService ; sh:node t:Absolute ;
  sh:property [ sh:path dcterms:title ; sh:minCount 1 ; sh:datatype rdf:langString ] ;
  sh:property [ sh:path dcat:endpointURL ; sh:minCount 1 ; sh:node t:Absolute ] ;
  sh:property [ sh:path dcterms:format ; sh:minCount 1 ; sh:maxCount 1 ] ;
  sh:property [ sh:path dcterms:license ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path dcterms:accessRights ; sh:maxCount 1 ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path dcat:servesDataset ; sh:minCount 1 ; sh:class dcat:Dataset ] .

t:Publisher a sh:NodeShape ; sh:targetClass foaf:Agent ;
  sh:nodeKind sh:IRI ;
  sh:pattern "^http://dataportal\\\\.se/organisation/SE[0-9]{10}(-[a-z0-9_-]+)?$" ;
  sh:property [ sh:path foaf:name ; sh:minCount 1 ] ;
  sh:property [ sh:path dcterms:identifier ; sh:minCount 1 ; sh:pattern "^[0-9]{10}$" ] .

t:Contact a sh:NodeShape ;
  sh:nodeKind sh:IRI ;
  sh:property [ sh:path vcard:fn ; sh:minCount 1 ] ;
  sh:property [ sh:path vcard:hasEmail ; sh:minCount 1 ; sh:nodeKind sh:IRI ;
                sh:pattern "^mailto:" ] .
"""
SHAPES = "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n" + SHAPES


def _validate(graph: Graph) -> None:
    from pyshacl import validate

    shapes = Graph().parse(data=SHAPES, format="turtle")
    conforms, _report, text = validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text


@pytest.fixture
def published(settings_copy: Settings):  # type: ignore[no-untyped-def]
    with Store(settings_copy.store_path) as store:
        return write_dump(store, settings_copy).dump


@pytest.mark.parametrize("fmt", ["rdf-xml", "turtle", "json-ld"])
def test_catalogue_conforms_in_every_serialization(settings_copy: Settings, published,  # type: ignore[no-untyped-def]
                                                   fmt: str) -> None:
    graph = dcat.build_catalogue(settings_copy, published)
    data = dcat.serialize(graph, fmt)
    parsed = Graph().parse(data=data, format=dcat.FORMATS[fmt][1])
    assert len(parsed) == len(graph)
    _validate(parsed)


def test_catalogue_content(settings_copy: Settings, published) -> None:  # type: ignore[no-untyped-def]
    g = dcat.build_catalogue(settings_copy, published)
    # No blank node anywhere (the portal needs IRIs for the main classes; we give all).
    assert not [t for t in g if any(isinstance(x, BNode) for x in t)]
    datasets = set(g.subjects(RDF.type, ns.DCAT.Dataset))
    assert len(datasets) == 2                              # one per organisation
    services = set(g.subjects(RDF.type, ns.DCAT.DataService))
    assert services == {URIRef("https://diarium.exempelby.se/data/service/api")}
    ks = URIRef("https://diarium.exempelby.se/data/dataset/ks")
    sbn = URIRef("https://diarium.exempelby.se/data/dataset/sbn")
    # ks has its own number; sbn shares the municipality's with a suffix.
    assert g.value(ks, ns.DCTERMS.publisher) == URIRef(
        "http://dataportal.se/organisation/SE2120005678")
    assert g.value(sbn, ns.DCTERMS.publisher) == URIRef(
        "http://dataportal.se/organisation/SE2120001234-sbn")
    catalogue = URIRef("https://diarium.exempelby.se/data/catalog")
    assert g.value(catalogue, ns.DCTERMS.publisher) == URIRef(
        "http://dataportal.se/organisation/SE2120001234")
    assert g.value(catalogue, ns.DCTERMS.license) == URIRef(
        "http://creativecommons.org/publicdomain/zero/1.0/")
    downloads = {str(u) for u in g.objects(None, ns.DCAT.downloadURL)}
    assert downloads == {f"https://diarium.exempelby.se/data/{f.path}" for f in published.files}
    # Five distributions per dataset: four dump files and the API.
    assert len(set(g.objects(ks, ns.DCAT.distribution))) == 5
    period = g.value(ks, ns.DCTERMS.temporal)
    ks_org = next(o for o in published.organisations if o.slug == "ks")
    assert str(g.value(period, ns.DCAT.startDate)) == ks_org.first_date
    keywords = {str(k) for k in g.objects(ks, ns.DCAT.keyword)}
    assert {"diarium", "allmänna handlingar", "Kommunstyrelsen"} <= keywords


def test_catalogue_without_base_url_or_number_is_refused(settings_copy: Settings,
                                                         published) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from diarium.errors import ConfigError

    no_base = dataclasses.replace(settings_copy, opendata=dataclasses.replace(
        settings_copy.opendata, base_url=""))
    with pytest.raises(ConfigError, match="base_url"):
        dcat.build_catalogue(no_base, published)
    # A base URL given by the caller (the web uses the request's host) is enough.
    _validate(dcat.build_catalogue(no_base, published, base_url="http://localhost:8000"))


def test_shapes_catch_a_blank_node_publisher() -> None:
    """The shapes are not vacuous: a catalogue with a blank-node publisher fails."""
    from pyshacl import validate

    bad = Graph().parse(format="turtle", data="""
        @prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dcterms: <http://purl.org/dc/terms/> .
        @prefix foaf: <http://xmlns.com/foaf/0.1/> .
        <https://x.example/catalog> a dcat:Catalog ; dcterms:title "T"@sv ;
          dcterms:description "D"@sv ;
          dcterms:license <http://creativecommons.org/publicdomain/zero/1.0/> ;
          dcterms:publisher [ a foaf:Agent ; foaf:name "Kommunen" ] .
    """)
    conforms, _g, text = validate(bad, shacl_graph=Graph().parse(data=SHAPES, format="turtle"))
    assert not conforms
    assert "dataset" in text.lower() and "IRI" in text


def test_negotiation() -> None:
    assert dcat.negotiate("text/turtle") == "turtle"
    assert dcat.negotiate("application/ld+json;q=0.9, text/turtle;q=0.5") == "json-ld"
    assert dcat.negotiate("*/*") == "rdf-xml"
    assert dcat.negotiate("") == "rdf-xml"


def test_meetings_are_dumped_through_their_public_view(settings_copy: Settings,
                                                       tmp_path: Path) -> None:
    import dataclasses
    import shutil
    from datetime import date

    from diarium.meetings import AgendaItem, Meeting, public_meeting, store_meeting

    # A store of this test's own (the module's register is shared).
    root = tmp_path / "own"
    root.mkdir()
    shutil.copyfile(settings_copy.store_path, root / "diarium.sqlite")
    os.symlink(settings_copy.files_dir, root / "files")
    settings = dataclasses.replace(settings_copy, data_dir=root)
    with Store(settings.store_path) as store:
        stored = store_meeting(store, settings, Meeting(
            organisation="ks", namnd="Kommunstyrelsen", datum=date(2024, 3, 12),
            tid="13:00", plats="Stadshuset", justerat=date(2024, 3, 14),
            anslagsdatum=date(2024, 3, 15), items=(
                AgendaItem(1, "Budget 2025", "Kommunstyrelsen beslutar att anta budgeten.",
                           diarienummer=("KS 2015/2",)),
                AgendaItem(2, f"Ärende om {SECRET_TITLE}", sekretess="26 kap. 1 § OSL"),
                AgendaItem(3, f"Skrivelse från {PERSONNUMMER}"))))
        report = write_dump(store, settings)
        meeting = public_meeting(store, settings, stored.meeting_id)
    dump = report.dump
    verify_dump(dump)
    entry = dump.file("ks/meetings.jsonl.gz")
    assert entry is not None and entry.records == 1 and dump.file("sbn/meetings.csv.gz") is None
    (row,) = list(read_rows(dump, entry))
    assert row["appeal_deadline"] == meeting.appeal_deadline == "2024-04-05"
    assert [a["rubrik"] for a in row["agenda"]] == [i.rubrik for i in meeting.items]
    assert row["agenda"][1]["secret"] and row["agenda"][1]["beslut"] == ""
    everything = _all_bytes(dump.path)
    assert SECRET_TITLE not in everything and PERSONNUMMER not in everything
    ks = next(o for o in dump.organisations if o.slug == "ks")
    assert ks.last_date >= "2024-03-12"
    g = dcat.build_catalogue(settings, dump)
    _validate(g)
    assert URIRef("https://diarium.exempelby.se/data/dataset/ks/meetings-csv") in set(
        g.objects(URIRef("https://diarium.exempelby.se/data/dataset/ks"), ns.DCAT.distribution))


@pytest.mark.parametrize("table, message", [
    ('base_url = "diarium.example.se"', "absolute"),
    ('organisation_number = "21200-1234"', "ten digits"),
    ('license = "CC0"', "IRI"),
    ('contact_email = "registrator"', "e-mail"),
])
def test_bad_opendata_settings_are_refused(tmp_path: Path, table: str, message: str) -> None:
    from diarium.config import load_settings
    from diarium.errors import ConfigError

    (tmp_path / "diarium.toml").write_text(f"[opendata]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


def test_opendata_settings_defaults_and_numbers(tmp_path: Path) -> None:
    from diarium.config import CC0, load_settings

    assert load_settings(tmp_path).opendata.license == CC0
    (tmp_path / "diarium.toml").write_text(
        '[opendata]\nbase_url = "https://d.example.se/"\norganisation_number = "212000-1234"\n'
        '[organisations.ks]\norganisation_number = "2120005678"\n', encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.opendata.base_url == "https://d.example.se"
    assert settings.opendata.organisation_number == "2120001234"
    assert settings.org("ks").organisation_number == "2120005678"
    assert settings.opendata.license == CC0 and not settings.opendata.dump_on_sync
