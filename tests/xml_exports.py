"""Writers of XML register exports (FGS 1.0, CITS ERMS, Noark 5) for the import tests and
benchmarks/import_bench.py, from the same rows tests/manifests.py makes for CSV manifests.

Written as text in one pass (no tree), so the benchmark can write a million documents in
bounded memory. Rows of one case must be consecutive (manifests.rows makes them so); an
export has one archive creator, so all rows should share an organisation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

ERMS_NS = "https://DILCIS.eu/XML/ERMS"
FGS_NS = "http://xml.ra.se/e-arkiv/FGS-ERMS"
NOARK_NS = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

ERMS_DIRECTION = {"inkommande": "incoming", "i": "incoming", "utgående": "outgoing",
                  "u": "outgoing", "upprättad": "internal_memo_for_follow-up",
                  "uppr": "internal_memo_for_follow-up"}
ERMS_DATE = {"incoming": "received", "outgoing": "expedited",
             "internal_memo_for_follow-up": "originated"}
SWEDISH_DATE_KIND = {"received": "inkommen", "expedited": "expedierad",
                     "originated": "upprättad"}
ERMS_STATUS = {"avslutat": "closed", "öppet": "open", "pågående": "in_progress",
               "makulerat": "obliterated"}
FGS_STATUS = {"incoming": ("Inkommen", "Inkommen"), "outgoing": ("Expedierad", "Expedierad"),
              "internal_memo_for_follow-up": ("Upprättad", "Upprattad")}
NOARK_TYPE = {"incoming": ("I", "mottattDato"), "outgoing": ("U", "sendtDato"),
              "internal_memo_for_follow-up": ("N", "dokumentetsDato")}


def _e(value: object) -> str:
    return escape(str(value))


def _a(value: object) -> str:
    return quoteattr(str(value))


def _cases(rows: Iterable[dict[str, str]]) -> Iterator[tuple[str, list[dict[str, str]]]]:
    for dnr, group in groupby(rows, key=lambda r: r["diarienummer"]):
        yield dnr, list(group)


def direction(row: dict[str, str]) -> str:
    return ERMS_DIRECTION[row["riktning"].casefold()]


def erms_extra(row: dict[str, str], case_index: int, doc_index: int) -> dict[str, str]:
    """The document metadata the ERMS import keeps for a row written by write_erms (the
    CSV of the same register carries these as extra columns, so both give one store)."""
    extra = {"datumtyp": SWEDISH_DATE_KIND[ERMS_DATE[direction(row)]],
             "record/@systemIdentifier": f"rec-{case_index}-{doc_index}",
             "record/objectId": f"{row['diarienummer']}:{row['lopnummer']}"}
    if row.get("fil"):
        extra["record/additionalInformation/appendix/@name"] = Path(row["fil"]).stem
    return extra


def write_erms(path: Path, rows: Iterable[dict[str, str]], creator: str = "Exempelstad",
               version: str = "3.0.2", running_zero: bool = False,
               date_types: dict[str, str] | None = None) -> Path:
    """A CITS ERMS export (one caseFile aggregation per case) of manifest rows.

    `running_zero` writes every runningNumber as 0 (a valid xs:int, as DILCIS's generated
    example does: the number then comes from the objectId); `date_types` replaces the
    dateType of a direction ({"outgoing": "sent"}: the schema's other date kinds)."""
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- ERMS {version} -->\n'
                  f'<erms xmlns="{ERMS_NS}" xmlns:xsi="{XSI}">\n'
                  '<control><identification identificationType="local">leverans-1'
                  '</identification><maintenanceInformation><maintenanceStatus value="new"/>'
                  f'<maintenanceAgency><agencyName>{_e(creator)}</agencyName>'
                  '</maintenanceAgency></maintenanceInformation></control>\n<aggregations>\n')
        for case_index, (dnr, group) in enumerate(_cases(rows), start=1):
            first = group[0]
            out.write(f'<aggregation systemIdentifier="case-{case_index}" '
                      f'aggregationType="caseFile">\n<objectId>{_e(dnr)}</objectId>\n')
            if first.get("klassificering"):
                out.write(f'<classification classificationCode={_a(first["klassificering"])}/>')
            out.write(f'<title>{_e(first["arendemening"])}</title>\n')
            if first.get("status"):
                status = ERMS_STATUS.get(first["status"], first["status"])
                out.write(f'<status value={_a(status)}/>')
            if first.get("handlaggare"):
                out.write('<agents><agent agentType="responsible_person">'
                          f'<name>{_e(first["handlaggare"])}</name>'
                          + (f'<unitName>{_e(first["enhet"])}</unitName>' if first.get("enhet")
                             else "") + '</agent></agents>\n')
            for doc_index, row in enumerate(group, start=1):
                _erms_record(out, row, case_index, doc_index, running_zero,
                             date_types or {})
            out.write('</aggregation>\n')
        out.write('</aggregations>\n</erms>\n')
    return path


def _erms_record(out: IO[str], row: dict[str, str], case_index: int, doc_index: int,
                 running_zero: bool = False, date_types: dict[str, str] | None = None
                 ) -> None:
    kind = direction(row)
    date_type = (date_types or {}).get(kind, ERMS_DATE[kind])
    out.write(f'<record systemIdentifier="rec-{case_index}-{doc_index}" '
              f'recordType={_a(row["handlingstyp"])}>'
              f'<objectId>{_e(row["diarienummer"])}:{_e(row["lopnummer"])}</objectId>'
              f'<title>{_e(row["rubrik"])}</title>'
              f'<runningNumber>{"0" if running_zero else _e(row["lopnummer"])}'
              '</runningNumber>')
    if row.get("sekretess"):
        out.write('<restriction restrictionType="confidential">'
                  f'<regulation>{_e(row["sekretess"])}</regulation></restriction>')
    out.write(f'<direction directionDefinition="{kind}"/>')
    if row.get("part"):
        agent = "sender" if kind == "incoming" else "receiver"
        out.write(f'<agents><agent agentType="{agent}"><name>{_e(row["part"])}</name>'
                  '</agent></agents>')
    out.write(f'<dates><date dateType="{date_type}">{_e(row["datum"])}T09:30:00'
              '</date></dates>')
    if row.get("fil"):
        out.write('<additionalInformation><appendix '
                  f'name={_a(Path(row["fil"]).stem)} path={_a(row["fil"])}/>'
                  '</additionalInformation>')
    out.write('</record>\n')


def write_fgs(path: Path, rows: Iterable[dict[str, str]], creator: str = "Exempelstad",
              namespace: bool = True, checksums: Path | None = None,
              zero_lopnummer: bool = False) -> Path:
    """An FGS Ärendehantering 1.0 export of manifest rows. With `checksums` (the files
    folder), each Bilaga carries the SHA-256 of its file; `zero_lopnummer` writes every
    Lopnummer as 0 (the number is then the one of the ArkivobjektID)."""
    ns = f' xmlns="{FGS_NS}"' if namespace else ""
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Leveransobjekt{ns}>\n'
                  '<ArkivbildarStruktur><Arkivbildare>'
                  f'<Namn>{_e(creator)}</Namn></Arkivbildare></ArkivbildarStruktur>\n'
                  '<ArkivobjektListaArenden>\n')
        for case_index, (dnr, group) in enumerate(_cases(rows), start=1):
            first = group[0]
            out.write(f'<ArkivobjektArende Systemidentifierare="a{case_index}">'
                      f'<ArkivobjektID>{_e(dnr)}</ArkivobjektID>')
            if first.get("handlaggare"):
                out.write(f'<Agent><Roll>Handläggare</Roll><Namn>{_e(first["handlaggare"])}'
                          f'</Namn><Enhetsnamn>{_e(first.get("enhet", ""))}</Enhetsnamn></Agent>')
            if first.get("klassificering"):
                out.write(f'<Klass>{_e(first["klassificering"])}</Klass>')
            out.write(f'<StatusArande>{_e(first.get("status", ""))}</StatusArande>'
                      f'<Arendemening>{_e(first["arendemening"])}</Arendemening>'
                      '<ArkivobjektListaHandlingar>\n')
            for doc_index, row in enumerate(group, start=1):
                status, date_element = FGS_STATUS[direction(row)]
                out.write(f'<ArkivobjektHandling Systemidentifierare="h{case_index}-{doc_index}">'
                          f'<ArkivobjektID>{_e(dnr)}:{_e(row["lopnummer"])}</ArkivobjektID>'
                          f'<Handlingstyp>{_e(row["handlingstyp"])}</Handlingstyp>')
                if row.get("part"):
                    tag = "Avsandare" if status == "Inkommen" else "Mottagare"
                    out.write(f'<{tag}><Namn>{_e(row["part"])}</Namn></{tag}>')
                out.write(f'<{date_element}>{_e(row["datum"])}T10:00:00+01:00</{date_element}>'
                          f'<Lopnummer>{"0" if zero_lopnummer else _e(row["lopnummer"])}'
                          '</Lopnummer>'
                          f'<Rubrik>{_e(row["rubrik"])}</Rubrik>'
                          f'<StatusHandling>{status}</StatusHandling>')
                if row.get("sekretess"):
                    out.write('<Restriktion Typ="Sekretess">'
                              f'<Lagrum>{_e(row["sekretess"])}</Lagrum></Restriktion>')
                if row.get("fil"):
                    checksum = ""
                    if checksums is not None and (checksums / row["fil"]).is_file():
                        digest = hashlib.sha256((checksums / row["fil"]).read_bytes())
                        checksum = (f' Checksumma="{digest.hexdigest()}" '
                                    'ChecksummaMetod="SHA-256"')
                    out.write(f'<Bilaga Namn={_a(Path(row["fil"]).name)} '
                              f'Lank={_a(row["fil"])}{checksum}/>')
                out.write('</ArkivobjektHandling>\n')
            out.write('</ArkivobjektListaHandlingar></ArkivobjektArende>\n')
        out.write('</ArkivobjektListaArenden>\n</Leveransobjekt>\n')
    return path


def write_noark5(path: Path, rows: Iterable[dict[str, str]], creator: str = "Eksempel kommune",
                 meetings: Iterable[dict[str, Any]] = (), bare_objects: bool = False,
                 notes: Iterable[tuple[str, str]] = (), zero_numbers: bool = False) -> Path:
    """A Noark 5 arkivstruktur.xml of manifest rows: one klasse per classification, a
    saksmappe per case (its own fields after its registrations, as the schema orders them),
    and a moetemappe for each of `meetings` ({mappeID, tittel, utvalg, moetedato, sak,
    moetested, items, dokumenter}: see _noark_meeting).

    Shapes seen in real extractions: `bare_objects` writes each file's dokumentobjekt
    directly in the registrering, without a dokumentbeskrivelse (Noark 5 v3.1's schema
    allows it); `notes`, (diarienummer, lopnummer) pairs, writes those rows as an
    arkivnotat with an opaque registreringsID and no journalpostnummer (noark5-tester's
    extraction); `zero_numbers` writes journalpostnummer 0."""
    shapes = {"bare_objects": bare_objects, "notes": set(notes), "zero": zero_numbers}
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="utf-8"?>\n<arkiv xmlns="{NOARK_NS}" '
                  f'xmlns:xsi="{XSI}"><systemID>arkiv-1</systemID><tittel>Arkiv</tittel>'
                  f'<arkivskaper><arkivskaperID>1</arkivskaperID><arkivskaperNavn>{_e(creator)}'
                  '</arkivskaperNavn></arkivskaper><arkivdel><systemID>del-1</systemID>'
                  '<tittel>Sakarkiv</tittel><klassifikasjonssystem><systemID>k</systemID>'
                  '<tittel>Ordning</tittel>\n')
        cases = list(_cases(rows))
        by_class: dict[str, list[tuple[str, list[dict[str, str]]]]] = {}
        for dnr, group in cases:
            by_class.setdefault(group[0].get("klassificering", ""), []).append((dnr, group))
        for class_index, (klasse, members) in enumerate(by_class.items(), start=1):
            out.write(f'<klasse><systemID>kl-{class_index}</systemID><klasseID>{_e(klasse)}'
                      f'</klasseID><tittel>Klasse {_e(klasse)}</tittel>\n')
            for dnr, group in members:
                _noark_case(out, dnr, group, shapes)
            out.write('</klasse>\n')
        for index, meeting in enumerate(meetings, start=1):
            _noark_meeting(out, index, meeting)
        out.write('</klassifikasjonssystem></arkivdel></arkiv>\n')
    return path


def _noark_meeting(out: IO[str], index: int, meeting: dict[str, Any]) -> None:
    """A moetemappe: `sak`, a saksframlegg registration (no agenda item); `items`, agenda
    items ({nummer, tittel, moetesakstype, saksaar, sakssekvensnummer, vedtak, form}: form
    "moetesaksregistrering" writes that xsi:type, else a moeteregistrering with a
    moetesakstype); `dokumenter` ({type, tittel, fil}: a moetedokumentregistrering with its
    moetedokumenttype, or with "form": "moeteregistrering" a moeteregistreringstype).
    Without `utvalg` the folder names no committee; `moetested` is the place."""
    day = str(meeting["moetedato"])[:10]
    out.write(f'<mappe xsi:type="moetemappe"><systemID>m-{index}</systemID>'
              f'<mappeID>{_e(meeting["mappeID"])}</mappeID>'
              f'<tittel>{_e(meeting["tittel"])}</tittel>')
    number = 0

    def registration(kind: str, title: str, inner: str, fil: str = "") -> None:
        nonlocal number
        number += 1
        out.write(f'<registrering xsi:type="{kind}"><systemID>m-{index}-r{number}</systemID>'
                  f'<opprettetDato>{day}</opprettetDato>')
        if fil:
            out.write('<dokumentbeskrivelse><systemID>d</systemID><dokumenttype>Møtedokument'
                      '</dokumenttype><tilknyttetRegistreringSom>Hoveddokument'
                      '</tilknyttetRegistreringSom><dokumentobjekt><versjonsnummer>1'
                      '</versjonsnummer><variantformat>Arkivformat</variantformat>'
                      f'<referanseDokumentfil>{_e(fil)}</referanseDokumentfil>'
                      '</dokumentobjekt></dokumentbeskrivelse>')
        out.write(f'<tittel>{_e(title)}</tittel>{inner}</registrering>\n')

    if meeting.get("sak"):
        registration("moeteregistrering", meeting["sak"],
                     '<moeteregistreringstype>Saksframlegg</moeteregistreringstype>')
    for item in meeting.get("items", ()):
        inner = "".join(f'<{name}>{_e(item[name])}</{name}>' for name in (
            "moetesaksnummer", "moetesakstype", "saksaar", "sakssekvensnummer", "vedtak")
            if item.get(name))
        if item.get("form") == "moetesaksregistrering":
            registration("moetesaksregistrering", item["tittel"], inner)
        else:
            registration("moeteregistrering", item["tittel"],
                         '<moeteregistreringstype>Saksframlegg</moeteregistreringstype>'
                         + inner)
    for doc in meeting.get("dokumenter", ()):
        if doc.get("form") == "moeteregistrering":
            registration("moeteregistrering", doc["tittel"], '<moeteregistreringstype>'
                         f'{_e(doc["type"])}</moeteregistreringstype>', doc.get("fil", ""))
        else:
            registration("moetedokumentregistrering", doc["tittel"], '<moetedokumenttype>'
                         f'{_e(doc["type"])}</moetedokumenttype>', doc.get("fil", ""))
    out.write(f'<moetenummer>{index}</moetenummer>')
    if meeting.get("utvalg"):
        out.write(f'<utvalg>{_e(meeting["utvalg"])}</utvalg>')
    out.write(f'<moetedato>{meeting["moetedato"]}</moetedato>')
    if meeting.get("moetested"):
        out.write(f'<moetested>{_e(meeting["moetested"])}</moetested>')
    out.write('</mappe>\n')


def _noark_case(out: IO[str], dnr: str, group: list[dict[str, str]],
                shapes: dict[str, Any] | None = None) -> None:
    shapes = shapes or {}
    first = group[0]
    out.write(f'<mappe xsi:type="saksmappe"><systemID>{_e(dnr)}</systemID>'
              f'<mappeID>{_e(dnr)}</mappeID><tittel>{_e(first["arendemening"])} (intern)'
              f'</tittel><offentligTittel>{_e(first["arendemening"])}</offentligTittel>\n')
    for row in group:
        code, date_element = NOARK_TYPE[direction(row)]
        note = (dnr, row["lopnummer"]) in shapes.get("notes", ())
        reg_kind = "arkivnotat" if note else "journalpost"
        out.write(f'<registrering xsi:type="{reg_kind}"><systemID>{_e(dnr)}-{row["lopnummer"]}'
                  '</systemID><opprettetDato>' + row["datum"] + 'T08:00:00</opprettetDato>')
        if row.get("sekretess"):
            out.write('<skjerming><tilgangsrestriksjon>13</tilgangsrestriksjon>'
                      f'<skjermingshjemmel>{_e(row["sekretess"])}</skjermingshjemmel>'
                      '<skjermingMetadata>tittel</skjermingMetadata></skjerming>')
        if row.get("fil") and shapes.get("bare_objects"):
            out.write('<dokumentobjekt><versjonsnummer>1</versjonsnummer><variantformat>'
                      'Produksjonsformat</variantformat><referanseDokumentfil>'
                      f'{_e(row["fil"])}.docx</referanseDokumentfil></dokumentobjekt>'
                      '<dokumentobjekt><versjonsnummer>1</versjonsnummer><variantformat>'
                      'Arkivformat</variantformat><referanseDokumentfil>'
                      f'{_e(row["fil"])}</referanseDokumentfil></dokumentobjekt>')
        elif row.get("fil"):
            out.write('<dokumentbeskrivelse><systemID>d</systemID>'
                      f'<dokumenttype>{_e(row["handlingstyp"])}</dokumenttype>'
                      '<dokumentstatus>Dokumentet er ferdigstilt</dokumentstatus>'
                      '<tittel>Dokument</tittel>'
                      '<tilknyttetRegistreringSom>Hoveddokument</tilknyttetRegistreringSom>'
                      '<dokumentnummer>1</dokumentnummer><dokumentobjekt>'
                      '<versjonsnummer>1</versjonsnummer><variantformat>Arkivformat'
                      f'</variantformat><referanseDokumentfil>{_e(row["fil"])}'
                      '</referanseDokumentfil></dokumentobjekt></dokumentbeskrivelse>')
        reg_id = f"notat-{row['lopnummer']}" if note else f"{dnr}-{row['lopnummer']}"
        out.write(f'<registreringsID>{_e(reg_id)}</registreringsID>'
                  f'<tittel>{_e(row["rubrik"])}</tittel>')
        if row.get("part"):
            kind = "Avsender" if code == "I" else "Mottaker"
            out.write(f'<korrespondansepart><korrespondanseparttype>{kind}'
                      f'</korrespondanseparttype><korrespondansepartNavn>{_e(row["part"])}'
                      '</korrespondansepartNavn></korrespondansepart>')
        if not note:
            number = "0" if shapes.get("zero") else row["lopnummer"]
            out.write(f'<journalpostnummer>{number}</journalpostnummer>'
                      f'<journalposttype>{code}</journalposttype>'
                      f'<journaldato>{row["datum"]}</journaldato>')
        out.write(f'<{date_element}>{row["datum"]}</{date_element}></registrering>\n')
    out.write(f'<saksstatus>{_e(first.get("status", ""))}</saksstatus>'
              f'<administrativEnhet>{_e(first.get("enhet", ""))}</administrativEnhet>'
              f'<saksansvarlig>{_e(first.get("handlaggare", ""))}</saksansvarlig></mappe>\n')


# ---------------------------------------------------------------------------------------
# End to end through the command line (import, extract, index, search)


def cli(data: Path, *args: str) -> tuple[int, str]:
    """Run `diarium --data DATA ARGS...`; (exit code, stdout and stderr)."""
    from click.testing import CliRunner

    from diarium.cli import main

    result = CliRunner().invoke(main, ["--data", str(data), *args])
    return result.exit_code, result.output


def search(data: Path, query: str) -> dict[str, object]:
    """`diarium search QUERY --json` on the embedded engine, parsed."""
    import json

    code, out = cli(data, "search", query, "--json", "--engine", "embedded")
    assert code == 0, out
    return dict(json.loads(out))


def register(files_dir: Path) -> list[dict[str, str]]:
    """A small register with case numbers as real registers write them, a secret document
    and document files (text, so extraction needs no tool)."""
    files_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        "tillsyn.txt": "Inspektionsmeddelande om fallskydd på byggarbetsplatsen i Kiruna.",
        "svar.txt": "Svar på remiss om kulturmiljöprogrammet för Västerbotten.",
        "beslut.txt": "Beslut om bygglov för fritidshus på fastigheten Åkern 1:12.",
    }
    for name, body in texts.items():
        (files_dir / name).write_text(body + "\n", encoding="utf-8")

    def row(dnr: str, title: str, lop: int, datum: str, riktning: str, rubrik: str,
            **more: str) -> dict[str, str]:
        base = {"organisation": "ks", "diarienummer": dnr, "arendemening": title,
                "status": "pågående", "namnd": "", "enhet": "Inspektion",
                "handlaggare": "Karin Berg", "klassificering": "2.3", "lopnummer": str(lop),
                "datum": datum, "riktning": riktning, "handlingstyp": "Skrivelse",
                "rubrik": rubrik, "part": "", "sekretess": "", "publicerad": "ja", "fil": ""}
        base.update(more)
        return base

    return [
        row("A2014/2289/DISK", "Tillsyn av fallskydd vid nybygge", 1, "2014-03-04",
            "Upprättad", "Inspektionsmeddelande fallskydd", fil="tillsyn.txt"),
        row("A2014/2289/DISK", "Tillsyn av fallskydd vid nybygge", 2, "2014-03-20",
            "Inkommande", "Svar från byggherren", part="Bygg och Betong AB"),
        row("A2014/2289/DISK", "Tillsyn av fallskydd vid nybygge", 3, "2014-04-01",
            "Inkommande", "Läkarintyg för skadad arbetstagare", part="Anna Andersson",
            sekretess="OSL 21 kap. 1 §"),
        row("Ku2023/00732", "Remiss av kulturmiljöprogram", 1, "2023-05-02", "Utgående",
            "Remissvar kulturmiljöprogrammet", part="Region Västerbotten", fil="svar.txt",
            handlaggare="Per Ek", enhet="Kulturenheten", klassificering="4.1"),
        row("5531-2026", "Ansökan om bygglov för fritidshus", 2, "2026-01-15", "Utgående",
            "Beslut om bygglov Åkern 1:12", fil="beslut.txt", handlingstyp="Beslut",
            status="avslutat"),
    ]


# ---------------------------------------------------------------------------------------
# Party kinds from the export (issue 13)

# Names the heuristic gets wrong (diarium.parties.classify): a person whose name reads as
# a firm, and a firm's contact person whose name reads as a person's. Only the export's
# own party data tells them apart.
PERSON_NAME = "Svensson Bygg"
CONTACT_NAME = "Lisa Ek"


def party_rows() -> list[dict[str, str]]:
    """One case, two incoming documents: the first from PERSON_NAME, the second from
    CONTACT_NAME (a writer's caller adds what says which is which)."""
    base = {"organisation": "ks", "diarienummer": "2026/31", "arendemening": "Bygglov",
            "status": "pågående", "namnd": "", "enhet": "Bygg", "handlaggare": "Karin Berg",
            "klassificering": "2.1", "datum": "2026-02-03", "riktning": "Inkommande",
            "handlingstyp": "Skrivelse", "sekretess": "", "publicerad": "ja", "fil": ""}
    return [{**base, "lopnummer": "1", "rubrik": "Ansökan från en privatperson",
             "part": PERSON_NAME},
            {**base, "lopnummer": "2", "rubrik": "Yttrande från en firma",
             "part": CONTACT_NAME}]


def public_parties(store: object, settings: object) -> dict[str, str]:
    """rubrik -> the party field as the public projection shows it."""
    from diarium.public import public_records

    return {r.rubrik: r.part for r in public_records(store, settings)}  # type: ignore[arg-type]
