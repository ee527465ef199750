"""Private names and sensitive matters in the public projection (issue 13): the
per-organisation policy in diarium.toml, the `part_typ` column through the real
importer, downloads withheld, cases, the privacy report and `diarium privacy` commands.
Real SQLite stores on tmp_path, real manifests, real CLI."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_public import add_document, valid_number

from diarium.cli import main
from diarium.config import Settings, load_settings
from diarium.errors import ConfigError
from diarium.pipeline.importing import import_manifest
from diarium.privacy.policy import PRIVATE_PERSON
from diarium.privacy.report import check_text, privacy_report
from diarium.public import expiry, names_hidden, public_case, public_record, takes_back
from diarium.store import Store

PNR = valid_number("850709", "123")
SPACED = f"{PNR[:6]} {PNR[6:]}"


def _settings(data_dir: Path, toml: str) -> Settings:
    (data_dir / "diarium.toml").write_text(toml, encoding="utf-8")
    return load_settings(data_dir)


def _set_extra(store: Store, doc_id: int, extra: dict[str, str]) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE documents SET extra = ? WHERE id = ?",
                     (json.dumps(extra, ensure_ascii=False), doc_id))


# ---------------------------------------------------------------------------------------
# Settings


@pytest.mark.parametrize("toml,message", [
    ('private_names = "sometimes"', "private_names is 'sometimes'"),
    ('private_names = "show_days"', "show_days is missing"),
    ("show_days = 0", "show_days is 0"),
    ('show_days = "365"', "show_days is '365'"),
    ('private_names = "hide"\nshow_days = 30', "contradicts private_names"),
    ('own_names = "Bygglovsenheten"', "own_names must be a list"),
    ("[[organisations.ks.sensitive]]\ntext = \"X\"", "lists nothing"),
    ("[[organisations.ks.sensitive]]\nnamnd = [\"SN\"]\nkod = 1", "unknown key 'kod'"),
])
def test_bad_privacy_settings_are_named(data_dir: Path, toml: str, message: str) -> None:
    head = "[organisations.ks]\n"
    body = toml if toml.startswith("[[") else head + toml
    if toml.startswith("[["):
        body = head + body
    with pytest.raises(ConfigError, match=message) as err:
        _settings(data_dir, body)
    assert "organisations.ks" in str(err.value)


def test_privacy_settings_read(data_dir: Path) -> None:
    settings = _settings(data_dir, """
[organisations.ks]
show_days = 365
own_names = ["Lindholmen Norra"]

[[organisations.ks.sensitive]]
klassificering = ["2.5"]
namnd = ["Socialnämnden"]
text = "Ärende inom socialtjänsten"

[[organisations.ks.sensitive]]
handlingstyp = ["Elevhälsojournal"]
text = "Ärende inom elevhälsan"
""")
    policy = settings.org("ks").privacy
    assert (policy.private_names, policy.show_days) == ("show_days", 365)
    assert policy.own_names == ("Lindholmen Norra",)
    assert policy.sensitive_text("2.5.1 Utredning", "", "") == "Ärende inom socialtjänsten"
    assert policy.sensitive_text("2.50", "", "") == ""
    assert policy.sensitive_text("", "socialnämnden", "") == "Ärende inom socialtjänsten"
    assert policy.sensitive_text("", "", "ELEVHÄLSOJOURNAL") == "Ärende inom elevhälsan"
    default = settings.org("annan").privacy
    assert default.private_names == "hide" and default.sensitive == ()


def test_show_days_window() -> None:
    from diarium.privacy.policy import PrivacyPolicy
    policy = PrivacyPolicy(private_names="show_days", show_days=30)
    assert expiry("2026-01-01", 30) == date(2026, 1, 31)
    assert not names_hidden(policy, "2026-01-01", date(2026, 1, 30))
    assert names_hidden(policy, "2026-01-01", date(2026, 1, 31))
    assert names_hidden(policy, "inte ett datum", date(2026, 1, 1))
    assert names_hidden(PrivacyPolicy(), "2026-01-01", date(2026, 1, 1))
    assert not names_hidden(PrivacyPolicy(private_names="show"), "2000-01-01", date.today())


# ---------------------------------------------------------------------------------------
# Private names in the projection


def test_private_person_hidden_everywhere_by_default(settings: Settings) -> None:
    with Store(settings.store_path) as store:
        doc = add_document(
            store, part="Sven Svensson; Byggbolaget i Norr AB",
            rubrik="Ansökan om bygglov från Sven Svensson", handlaggare="Anna Lindqvist",
            arendemening="Bygglov Storgatan 1, Svensson, Sven",
            files=[{"name": "Ansokan_Sven_Svensson.pdf",
                    "text": "Jag, sven  svensson, ansöker om bygglov.",
                    "pages": ["Jag, sven  svensson, ansöker om bygglov."]}])
        record = public_record(store, settings, doc)
        case = public_case(store, settings, record.case_id)  # type: ignore[union-attr]
    assert record is not None and case is not None
    assert record.part == f"{PRIVATE_PERSON}; Byggbolaget i Norr AB"
    assert record.rubrik == f"Ansökan om bygglov från {PRIVATE_PERSON}"
    assert record.arendemening == f"Bygglov Storgatan 1, {PRIVATE_PERSON}"
    assert record.text == f"Jag, {PRIVATE_PERSON}, ansöker om bygglov."
    assert record.pages == (record.text,)
    assert record.handlaggare == "Anna Lindqvist"          # officers stay public
    # the original holds the name: not offered, and its name is not shown either
    assert not record.has_file and record.file_name == ""
    assert case.arendemening == f"Bygglov Storgatan 1, {PRIVATE_PERSON}"
    flat = json.dumps(record.__dict__, ensure_ascii=False).casefold()
    assert "svensson" not in flat and "sven " not in flat


def test_show_policy_shows_names(data_dir: Path) -> None:
    settings = _settings(data_dir, '[organisations.exkommun]\nprivate_names = "show"\n')
    with Store(settings.store_path) as store:
        doc = add_document(store, part="Sven Svensson", rubrik="Från Sven Svensson",
                           files=[{"name": "a.pdf", "text": "Sven Svensson skriver"}])
        record = public_record(store, settings, doc)
    assert record is not None
    assert (record.part, record.rubrik) == ("Sven Svensson", "Från Sven Svensson")
    assert record.has_file


def test_show_days_shows_then_hides(data_dir: Path) -> None:
    settings = _settings(data_dir, "[organisations.exkommun]\nshow_days = 30\n")
    with Store(settings.store_path) as store:
        doc = add_document(store, datum="2026-01-01", part="Sven Svensson",
                           files=[{"name": "a.pdf", "text": "Sven Svensson skriver"}])
        before = public_record(store, settings, doc, today=date(2026, 1, 30))
        after = public_record(store, settings, doc, today=date(2026, 1, 31))
    assert before is not None and after is not None
    assert before.part == "Sven Svensson" and before.has_file
    assert after.part == PRIVATE_PERSON and not after.has_file
    assert "Svensson" not in after.text
    assert takes_back(before, after) and not takes_back(after, after)


def test_part_typ_from_the_export_decides(settings: Settings) -> None:
    with Store(settings.store_path) as store:
        company = add_document(store, lopnummer=1, part="Byggfirma Karlsson")
        person = add_document(store, lopnummer=2, part="Byggfirma Karlsson")
        _set_extra(store, company, {"part_typ": "organisation"})
        _set_extra(store, person, {"part_typ": "person"})
        org = add_document(store, lopnummer=3, part="Lindholmen Norra; Trafikverket")
        _set_extra(store, org, {"part_typ": "person; organisation"})
        shown = [public_record(store, settings, d) for d in (company, person, org)]
    assert [r.part for r in shown if r] == [
        "Byggfirma Karlsson", PRIVATE_PERSON, f"{PRIVATE_PERSON}; Trafikverket"]


def test_placeholders_and_own_names_stay(data_dir: Path) -> None:
    settings = _settings(data_dir, '[organisations.exkommun]\nname = "Exempelkommunen"\n'
                                   'own_names = ["Lindholmen Norra"]\n')
    with Store(settings.store_path) as store:
        docs = [add_document(store, lopnummer=i + 1, part=part) for i, part in enumerate(
            ["Personuppgift", "Lindholmen Norra", "Exempelkommunen", "Anna Berg"])]
        parts = [public_record(store, settings, d).part for d in docs]  # type: ignore[union-attr]
    assert parts == ["Personuppgift", "Lindholmen Norra", "Exempelkommunen", PRIVATE_PERSON]


def test_hidden_person_with_unextracted_file_offers_no_download(settings: Settings) -> None:
    with Store(settings.store_path) as store:
        doc = add_document(store, part="Sven Svensson",
                           files=[{"name": "skannad.pdf", "text": "", "state": "needs_ocr"}])
        company = add_document(store, lopnummer=2, part="Trafikverket",
                               files=[{"name": "brev.pdf", "text": "", "state": "pending"}])
        assert not public_record(store, settings, doc).has_file  # type: ignore[union-attr]
        assert public_record(store, settings, company).has_file  # type: ignore[union-attr]
        report = privacy_report(store, settings)
    entry = report.organisations[0]
    assert entry.withheld == {"ingen text": [str(doc)]}


def test_personnummer_in_metadata_or_attachment_name_withholds_the_original(
        settings: Settings) -> None:
    with Store(settings.store_path) as store:
        doc = add_document(store, files=[
            {"name": "brev.pdf", "text": "Ett brev utan nummer"},
            {"name": f"bilaga {SPACED}.pdf", "text": "Bilaga", "role": "attachment"}])
        meta = add_document(store, lopnummer=2, files=[
            {"name": "yttrande.pdf", "text": "Ett yttrande"}])
        clean = add_document(store, lopnummer=3, files=[
            {"name": "beslut.pdf", "text": "Ett beslut"}])
        with store.transaction() as conn:
            conn.execute(
                "UPDATE extractions SET metadata = ? WHERE sha256 = (SELECT sha256 FROM "
                "document_files WHERE document_id = ?)",
                (json.dumps({"author": f"Sven {PNR}", "title": "Yttrande"}), meta))
        records = {d: public_record(store, settings, d) for d in (doc, meta, clean)}
    assert not records[doc].has_file and not records[meta].has_file  # type: ignore[union-attr]
    assert records[clean].has_file  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------
# Sensitive matters


SENSITIVE = """
[organisations.exkommun]
[[organisations.exkommun.sensitive]]
namnd = ["Socialnämnden"]
klassificering = ["IFO"]
text = "Ärende inom socialtjänsten"
[[organisations.exkommun.sensitive]]
handlingstyp = ["Elevhälsojournal"]
text = "Ärende inom elevhälsan"
"""


def test_sensitive_matters_are_neutralised(data_dir: Path) -> None:
    settings = _settings(data_dir, SENSITIVE)
    with Store(settings.store_path) as store:
        social = add_document(
            store, dnr="SN 2023/4", dnr_key="SN|2023|4", namnd="Socialnämnden",
            rubrik="Ansökan om försörjningsstöd, Lisa Ek", part="Lisa Ek",
            arendemening="Försörjningsstöd Lisa Ek",
            files=[{"name": "ansokan.pdf", "text": "Lisa Ek ansöker om stöd"}])
        school = add_document(
            store, dnr="BUN 2023/9", dnr_key="BUN|2023|9", namnd="Barn- och utbildningsnämnden",
            handlingstyp="Elevhälsojournal", rubrik="Journal Kalle", part="Skolsköterskan",
            arendemening="Elevärende Kalle")
        other = add_document(
            store, dnr="BUN 2023/9", dnr_key="BUN|2023|9", lopnummer=2,
            handlingstyp="Skrivelse", rubrik="Skrivelse om skolskjuts", part="Trafikverket")
        plain = add_document(store, dnr="KS 2023/1", dnr_key="KS|2023|1",
                             rubrik="Remiss om översiktsplan")
        records = {d: public_record(store, settings, d) for d in (social, school, other, plain)}
        case = public_case(store, settings, records[school].case_id)  # type: ignore[union-attr]
        report = privacy_report(store, settings)
    s = records[social]
    assert s is not None
    assert (s.rubrik, s.part, s.arendemening, s.text, s.has_file) == (
        "Ärende inom socialtjänsten", "", "Ärende inom socialtjänsten", "", False)
    assert (s.diarienummer, s.datum, s.riktning, s.namnd) == (
        "SN 2023/4", "2023-05-12", "Inkommande", "Socialnämnden")   # the entry stays
    assert not s.secret and s.sekretess_text == ""
    assert records[school].rubrik == "Ärende inom elevhälsan"  # type: ignore[union-attr]
    assert records[other].rubrik == "Skrivelse om skolskjuts"  # type: ignore[union-attr]
    assert records[plain].rubrik == "Remiss om översiktsplan"  # type: ignore[union-attr]
    assert case is not None and case.arendemening == "Ärende inom elevhälsan"
    entry = report.organisations[0]
    assert entry.neutralised == 2
    assert entry.neutralised_documents == [str(social), str(school)]


def test_sensitive_matters_are_off_by_default(settings: Settings) -> None:
    with Store(settings.store_path) as store:
        doc = add_document(store, namnd="Socialnämnden", rubrik="Remiss om taxor")
        assert public_record(store, settings, doc).rubrik == "Remiss om taxor"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------
# part_typ through the real importer


def _manifest(path: Path, rows: list[list[str]]) -> Path:
    columns = ["organisation", "diarienummer", "lopnummer", "datum", "riktning", "rubrik",
               "part", "part_typ"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def test_part_typ_column_through_the_importer(tmp_path: Path, settings: Settings) -> None:
    manifest = _manifest(tmp_path / "m.csv", [
        ["exkommun", "KS 2023/7", "1", "2023-02-01", "I", "Ansökan", "Byggfirma Karlsson",
         "person"],
        ["exkommun", "KS 2023/7", "2", "2023-02-02", "I", "Yttrande", "Ica Maxi Stormarknad",
         "organisation"],
        ["exkommun", "KS 2023/7", "3", "2023-02-03", "I", "Brev", "Anna Berg", "kanske"],
        ["exkommun", "KS 2023/7", "4", "2023-02-04", "I", "Brev", "Anna Berg; SKR",
         "Privatperson;Juridisk person"],
    ])
    with Store(settings.store_path) as store:
        report = import_manifest(store, settings, manifest)
        parts = [r.part for r in (public_record(store, settings, i) for i in (1, 2, 3)) if r]
    assert (report.inserted, report.rejected) == (3, 1)
    assert report.rejections == [(4, "part_typ 'kanske' is not a party type: use person or "
                                     "organisation (one per party, separated by ';')")]
    assert parts == [PRIVATE_PERSON, "Ica Maxi Stormarknad", f"{PRIVATE_PERSON}; SKR"]


# ---------------------------------------------------------------------------------------
# Report and check, library and CLI


def test_report_counts_with_ids_and_never_values(data_dir: Path) -> None:
    settings = _settings(data_dir, SENSITIVE)
    with Store(settings.store_path) as store:
        masked = add_document(store, rubrik=f"Gäller {SPACED} och {PNR}",
                              files=[{"name": "a.pdf", "text": f"Nr {SPACED}"}])
        named = add_document(store, lopnummer=2, part="Sven Svensson")
        neutral = add_document(store, dnr="SN 2023/2", dnr_key="SN|2023|2",
                               namnd="Socialnämnden", rubrik="Lisa Ek")
        add_document(store, org="norrby", dnr="KS 2023/1", dnr_key="KS|2023|1")
    runner = CliRunner()
    result = runner.invoke(main, ["--data", str(data_dir), "privacy", "report", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ex, norrby = data["organisations"]
    assert ex["organisation"] == "exkommun" and norrby["organisation"] == "norrby"
    assert (ex["personnummer"], ex["personnummer_documents"]) == (3, [str(masked)])
    assert (ex["names_hidden"], ex["names_documents"]) == (1, [str(named)])
    assert (ex["neutralised"], ex["neutralised_documents"]) == (1, [str(neutral)])
    assert ex["withheld"] == {"personnummer": [str(masked)]}
    assert (norrby["documents"], norrby["personnummer"]) == (1, 0)
    for output in (result.output, runner.invoke(
            main, ["--data", str(data_dir), "privacy", "report"]).output):
        assert PNR[6:] not in output and "Svensson" not in output and "Lisa" not in output
    text = runner.invoke(main, ["--data", str(data_dir), "privacy", "report"]).output
    assert "personnummer maskerade: 3" in text and f"handlingar {masked}" in text


def test_check_prints_what_would_be_masked(data_dir: Path) -> None:
    sam = valid_number("910375", "456")
    text = f"Sven Svensson {SPACED}; 19{sam[:6]} - {sam[6:]}; Trafikverket 556036-0793"
    found = check_text(text)
    assert found.masked == (f"Sven Svensson {PNR[:6]}-****; {sam[:6]}-****; "
                            "Trafikverket 556036-0793")
    assert [(f.written, f.samordningsnummer) for f in found.numbers] == [
        (SPACED, False), (f"19{sam[:6]} - {sam[6:]}", True)]
    # a bare number is no name: it is shown, masked
    assert [p.kind for p in found.parties] == ["person", "placeholder", "organisation"]
    result = CliRunner().invoke(main, ["--data", str(data_dir), "privacy", "check", text])
    assert result.exit_code == 0, result.output
    assert f"'{SPACED}'" in result.output and f"-> {PNR[:6]}-****" in result.output
    assert "'Trafikverket 556036-0793': organisation -> Trafikverket 556036-0793" in (
        result.output)
    assert "-> Privatperson" in result.output
    clean = CliRunner().invoke(main, ["--data", str(data_dir), "privacy", "check",
                                      "Faktura 556036-0793"])
    assert "Inga personnummer" in clean.output


def test_names_in_the_genitive_and_file_names_are_hidden(settings: Settings) -> None:
    with Store(settings.store_path) as store:
        doc = add_document(
            store, part="Svensson, Sven", rubrik="Sven Svenssons ansökan om bygglov",
            files=[{"name": "Sven_Svensson_ansokan.pdf",
                    "text": "Svensson Sven:s ritning. Familjen Svenssonska gården."}])
        record = public_record(store, settings, doc)
    assert record is not None
    assert record.rubrik == f"{PRIVATE_PERSON}s ansökan om bygglov"
    assert record.text == f"{PRIVATE_PERSON}s ritning. Familjen Svenssonska gården."
    assert not record.has_file          # the surname is still in the file


def test_a_couple_is_hidden_one_by_one(settings: Settings) -> None:
    with Store(settings.store_path) as store:
        doc = add_document(store, part="Sven och Karin Svensson; Trafikverket",
                           rubrik="Yttrande från Karin Svensson och Sven Svensson")
        record = public_record(store, settings, doc)
        report = privacy_report(store, settings)
    assert record is not None
    assert record.part == f"{PRIVATE_PERSON}; Trafikverket"
    assert record.rubrik == f"Yttrande från {PRIVATE_PERSON} och {PRIVATE_PERSON}"
    assert report.organisations[0].names_hidden == 1
