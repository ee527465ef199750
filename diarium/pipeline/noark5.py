"""Noark 5 `arkivstruktur.xml` (Norway; 5.0 and later), namespace
`http://www.arkivverket.no/standarder/noark5/arkivstruktur`: `arkiv/arkivdel/
klassifikasjonssystem/klasse/mappe[@xsi:type="saksmappe"]` with
`registrering[@xsi:type="journalpost"]` children (mapper may also sit directly in the
arkivdel). Mapping: README, "Noark 5".

Meetings: a `moetemappe` and its registrations (`moeteregistrering`; the names
`moetesaksregistrering` and `moetedokumentregistrering` are read too) are imported as a
case and its documents, as before (case metadata "mappetype" = "moetemappe", document
metadata "registreringstype"), and the folder is also a meeting of the meetings model
(diarium.meetings): committee `utvalg`, date and time `moetedato`, place `moetested`; the
registrations whose moetedokumenttype / moeteregistreringstype is a notice (innkalling,
saksliste) or minutes (møteprotokoll, møtebok) are its kallelse and protokoll; those with a
moetesakstype are its agenda items (number from moetesaksnummer and the like, the case
from saksaar/sakssekvensnummer). The mapper hands the meeting on with the folder's rows
(CaseData.meeting, DocData.meeting); the importer stores it with store_meeting.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from diarium import diarienummer, parties
from diarium.models import Riktning
from diarium.parties import PartyKind
from diarium.pipeline.xml_export import (
    SEKRETESS_UNSPECIFIED,
    Bad,
    CaseData,
    DocData,
    ExportFormat,
    FileRef,
    child_path,
    first,
    first_date,
    flatten,
    index,
    iso_date,
    kids,
    local,
    running_number,
    text,
    typed_parties,
    xsi_type,
)

NAMESPACE = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
CASE_FOLDERS = frozenset({"saksmappe", "moetemappe"})
MEETING_FOLDERS = frozenset({"moetemappe"})
MEETING_RECORDS = frozenset({"moeteregistrering", "moetesaksregistrering",
                             "moetedokumentregistrering"})
# moetedokumenttype / moeteregistreringstype values (casefolded; Noark 5's code list and
# eInnsyn's) that make a registration the meeting's notice or minutes.
MEETING_DOCUMENT_ROLES = {
    **dict.fromkeys(("innkalling", "møteinnkalling", "moeteinnkalling", "mi", "saksliste",
                     "sl", "kallelse"), "kallelse"),
    **dict.fromkeys(("møteprotokoll", "moeteprotokoll", "protokoll", "mp", "møtebok",
                     "moetebok", "mb"), "protokoll"),
}
# moetesakstype (casefolded) as the meetings model's item types; any other is a beslut.
ITEM_TYPES = {
    **dict.fromkeys(("orienteringssak", "orientering", "os", "informasjon",
                     "informasjonssak", "information"), "information"),
    **dict.fromkeys(("referatsak", "referat", "rs", "delegert", "delegert sak",
                     "delegertsak", "delegasjonssak", "ds", "melding", "meldingssak",
                     "anmälan"), "anmälan"),
}
# Where an agenda item's number is written (the first found counts): "45", "§ 45", "45/24"
# (item 45 of 2024), "PS 45/24".
PARAGRAPH_ELEMENTS = ("moetesaksnummer", "moeteregistreringsnummer", "moetesakssekvensnummer",
                      "paragraf")
_ITEM_NUMBER = re.compile(r"(?:[A-Za-zÆØÅæøå]{1,4}\s*)?§?\s*0*(\d{1,6})\s*§?(?:\s*/\s*\d{2,4})?")
_CLOCK = re.compile(r"T(\d{2}):(\d{2})")
JOURNALPOSTTYPE = {
    "i": Riktning.INKOMMANDE, "inngående dokument": Riktning.INKOMMANDE,
    "inngaaende dokument": Riktning.INKOMMANDE,
    "u": Riktning.UTGAENDE, "utgående dokument": Riktning.UTGAENDE,
    "utgaaende dokument": Riktning.UTGAENDE,
    "n": Riktning.UPPRATTAD, "organinternt dokument for oppfølging": Riktning.UPPRATTAD,
    "x": Riktning.UPPRATTAD, "organinternt dokument uten oppfølging": Riktning.UPPRATTAD,
    "s": Riktning.UPPRATTAD, "saksframlegg": Riktning.UPPRATTAD,
}
# saksstatus (Noark 5's code list) as the Swedish statuses of the store; others as written.
SAKSSTATUS = {"opprettet": "öppet", "reservert": "öppet", "under behandling": "pågående",
              "avsluttet": "avslutat", "avskrevet": "avslutat", "utgår": "makulerat"}
DATE_ORDER = (("dokumentetsDato", "upprättad"), ("mottattDato", "inkommen"),
              ("sendtDato", "expedierad"), ("journaldato", "journalförd"),
              ("moetedato", "mötesdatum"), ("opprettetDato", "skapad"))
DATE_ELEMENTS = frozenset({name for name, _ in DATE_ORDER} | {
    "arkivertDato", "avsluttetDato", "saksdato", "offentlighetsvurdertDato",
    "forfallsdato", "utlaantDato", "avskrivningsdato"})


# The correspondence parties of a registration: Noark 5.0-5.4 write korrespondansepart
# (its korrespondanseparttype is a role: Avsender, Mottaker, Intern avsender, ...),
# Noark 5.5 one of three kinds.
CORRESPONDENCE_PARTS = ("korrespondansepart", "korrespondansepartPerson",
                        "korrespondansepartEnhet", "korrespondansepartIntern")
PART_ELEMENT_KINDS = {"korrespondansepartPerson": PartyKind.PERSON,
                      "korrespondansepartEnhet": PartyKind.ORGANISATION,
                      "korrespondansepartIntern": PartyKind.ORGANISATION}
PART_ID_KINDS = {"personID": PartyKind.PERSON, "foedselsnummer": PartyKind.PERSON,
                 "DNummer": PartyKind.PERSON, "personidentifikator": PartyKind.PERSON,
                 "organisasjonsID": PartyKind.ORGANISATION,
                 "organisasjonsnummer": PartyKind.ORGANISATION,
                 "enhetsidentifikator": PartyKind.ORGANISATION}
INTERNAL_PART_TYPES = frozenset({"ia", "im", "ik", "intern avsender", "intern mottaker",
                                 "intern kopimottaker"})


def _first(elem: Any, name: str) -> Any:
    """The first child called `name` (in elem's namespace), or None: lxml's find, in C."""
    tag = elem.tag
    namespace = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
    return elem.find(namespace + name)


def _screening(skjerming: Any, consumed: set[Any] | None) -> str:
    """The skjermingshjemmel of a skjerming element (None: "", not screened)."""
    if skjerming is None:
        return ""
    hjemmel = _first(skjerming, "skjermingshjemmel")
    if hjemmel is not None and text(hjemmel):
        if consumed is not None:
            consumed.add(hjemmel)
        return text(hjemmel)
    restriction = _first(skjerming, "tilgangsrestriksjon")
    return text(restriction) if restriction is not None and text(restriction) else (
        SEKRETESS_UNSPECIFIED)


def _check_dates(idx: dict[str, list[Any]], root: Any) -> dict[str, tuple[str, Any]]:
    found: dict[str, tuple[str, Any]] = {}
    for name in DATE_ELEMENTS.intersection(idx):
        child = idx[name][0]
        if text(child):
            try:
                found[name] = (iso_date(text(child), ""), child)
            except Bad as bad:  # the path only when needed: it costs a walk up the tree
                raise Bad(child_path(child, root), bad.reason) from None
    return found


def _party_kind(part: Any) -> PartyKind | None:
    """Person or organisation, where a korrespondansepart says so: its Noark 5.5 type
    (korrespondansepartPerson; korrespondansepartEnhet or -Intern, the body's own unit),
    an identity number (personID/foedselsnummer; organisasjonsID/organisasjonsnummer), an
    internal korrespondanseparttype (IA, IM, IK: the body's own officer or unit), or a
    korrespondanseparttype that names a kind (older exports: "Privatperson",
    "Virksomhet"); None otherwise (Avsender, Mottaker, ... say the role only)."""
    for name in (local(part), xsi_type(part)):
        if name in PART_ELEMENT_KINDS:
            return PART_ELEMENT_KINDS[name]
    for child in kids(part):
        found = PART_ID_KINDS.get(local(child))
        if found is not None and text(child):
            return found
    role = _first(part, "korrespondanseparttype")
    if role is not None and text(role):
        # A code list value may come as <kode>IA</kode><beskrivelse>..</beskrivelse>.
        written = next((text(c) for c in kids(role) if local(c) == "kode"), text(role))
        if written.casefold() in INTERNAL_PART_TYPES:
            return PartyKind.ORGANISATION
        return parties.parse_kind(written)
    return None


class Noark5(ExportFormat):
    name = "noark5"
    label = "Noark 5 arkivstruktur"
    root = "arkiv"
    namespaces: ClassVar[tuple[str, ...]] = (NAMESPACE,)
    folder_tags: ClassVar[tuple[str, ...]] = ("mappe",)
    record_tags: ClassVar[tuple[str, ...]] = ("registrering",)
    container_tags: ClassVar[tuple[str, ...]] = ("arkivdel", "klassifikasjonssystem", "klasse")

    def is_case(self, elem: Any) -> bool:
        return xsi_type(elem) in CASE_FOLDERS

    @staticmethod
    def is_meeting(case_extra: dict[str, str]) -> bool:
        """Whether a case row came from a meeting folder (the meetings model's hook)."""
        return case_extra.get("mappetype", "") in MEETING_FOLDERS

    def case_context(self, elem: Any) -> dict[str, str]:
        # The klasse a folder sits in is its classification; its klasseID precedes it.
        node = elem.getparent()
        while node is not None:
            if local(node) == "klasse":
                klasse = _first(node, "klasseID")
                return {"klassificering": text(klasse) if klasse is not None else ""}
            node = node.getparent()
        return {}

    def organisation(self, head: dict[str, list[str]]) -> str:
        key = "arkiv/arkivskaper/arkivskaperNavn"
        return head[key][0] if head.get(key) else ""

    def case(self, elem: Any, context: dict[str, str]) -> CaseData:
        consumed: set[Any] = set()
        folder_type = xsi_type(elem) or "mappe"
        consumed.add((elem, "{http://www.w3.org/2001/XMLSchema-instance}type"))
        fields = {"arendemening": "", "status": "", "namnd": "", "enhet": "",
                  "handlaggare": "", "klassificering": context.get("klassificering", "")}
        idx = index(elem)
        mappe_id = first(idx, "mappeID")
        identifier = text(mappe_id) if mappe_id is not None else ""
        year, serial = first(idx, "saksaar"), first(idx, "sakssekvensnummer")
        if diarienummer.try_parse(identifier) is not None or not (
                year is not None and serial is not None and text(year) and text(serial)):
            if mappe_id is not None:
                consumed.add(mappe_id)
        else:
            # mappeID is no case number but saksår/sekvensnummer make one.
            identifier = f"{text(year)}/{text(serial)}"
        if not identifier:
            raise Bad("mappeID", "the folder has no mappeID (its case number)")
        for name, column in (("saksstatus", "status"), ("administrativEnhet", "enhet"),
                             ("saksansvarlig", "handlaggare"), ("utvalg", "namnd"),
                             ("moeteutvalg", "namnd")):
            found = first(idx, name)
            if found is not None:
                fields[column] = text(found)
                consumed.add(found)
        fields["status"] = SAKSSTATUS.get(fields["status"].casefold(), fields["status"])
        title, public = first(idx, "tittel"), first(idx, "offentligTittel")
        secret = _screening(first(idx, "skjerming"), set())
        if public is not None and text(public):
            fields["arendemening"] = text(public)
            consumed.add(public)
        elif title is not None and not secret:
            fields["arendemening"] = text(title)
            consumed.add(title)
        _check_dates(idx, elem)
        idx.pop("registrering", None)
        idx.pop("mappe", None)
        extra = {"mappetype": folder_type}
        meeting = _meeting_folder(idx, fields) if folder_type in MEETING_FOLDERS else None
        flatten(elem, consumed, "mappe", extra, idx)
        return CaseData(identifier, fields, extra, meeting)

    def record(self, elem: Any) -> DocData:
        consumed: set[Any] = set()
        record_type = xsi_type(elem) or "registrering"
        consumed.add((elem, "{http://www.w3.org/2001/XMLSchema-instance}type"))
        fields = {"lopnummer": "", "datum": "", "riktning": "", "handlingstyp": "",
                  "rubrik": "", "part": "", "sekretess": ""}
        idx = index(elem)
        number = first(idx, "journalpostnummer")
        if number is not None:
            fields["lopnummer"] = running_number(text(number), "journalpostnummer")
            if fields["lopnummer"]:
                consumed.add(number)
        reg_id = first(idx, "registreringsID")
        identifier = text(reg_id) if reg_id is not None else ""

        title, public = first(idx, "tittel"), first(idx, "offentligTittel")
        if public is not None and text(public):
            fields["rubrik"] = text(public)
            consumed.add(public)
        elif title is not None:
            fields["rubrik"] = text(title)
            consumed.add(title)

        dates = _check_dates(idx, elem)
        picked = first_date(dates, DATE_ORDER)
        if picked is None:
            raise Bad("journaldato", "the registration has no date (journaldato, "
                                     "dokumentetsDato, mottattDato, sendtDato, opprettetDato)")
        fields["datum"], kind, used = picked
        consumed.add(used)

        kind_elem = first(idx, "journalposttype")
        if kind_elem is not None and text(kind_elem):
            found = JOURNALPOSTTYPE.get(text(kind_elem).casefold())
            if found is None:
                raise Bad("journalposttype",
                          f"unknown journalposttype {text(kind_elem)!r}: use I, U, N, X or S "
                          "(Inngående dokument, Utgående dokument, Organinternt dokument for "
                          "oppfølging / uten oppfølging, Saksframlegg)")
            fields["riktning"] = found.value
            consumed.add(kind_elem)
        else:
            fields["riktning"] = Riktning.UPPRATTAD.value

        parties: list[tuple[str, PartyKind | None]] = []
        written = [c for group in CORRESPONDENCE_PARTS for c in idx.get(group, ())]
        if len(written) > 1:
            written.sort(key=elem.index)  # in the order written, whatever their kinds
        for child in written:
            name = _first(child, "korrespondansepartNavn")
            if name is None:
                name = _first(child, "navn")  # Noark 5.5 korrespondansepartPerson/Enhet
            if name is not None:
                parties.append((text(name), _party_kind(child)))
                consumed.add(name)
        fields["part"], part_typ = typed_parties(parties)

        secret = _screening(first(idx, "skjerming"), consumed)
        descriptions = list(idx.get("dokumentbeskrivelse", ()))
        # The main document first, then the attachments in their order.
        descriptions.sort(key=lambda d: text(_first(d, "tilknyttetRegistreringSom"))
                          .casefold() != "hoveddokument")
        files: list[FileRef] = []
        # Noark 5 v3.1 (arkivstruktur.xsd of 5.0-5.3) also lets a registrering hold its
        # dokumentobjekt without a dokumentbeskrivelse: the variants and versions of one
        # document, stored after the described ones.
        if "dokumentobjekt" in idx:
            descriptions.append(elem)
        for position, description in enumerate(descriptions):
            if position == 0 and description is not elem:
                doc_type = _first(description, "dokumenttype")
                if doc_type is not None:
                    fields["handlingstyp"] = text(doc_type)
                    consumed.add(doc_type)
            if description is not elem:
                secret = secret or _screening(_first(description, "skjerming"), consumed)
            chosen = _archival_object(description)
            if chosen is None:
                continue
            ref = _first(chosen, "referanseDokumentfil")
            if ref is None or not text(ref):
                continue
            checksum, algorithm = _first(chosen, "sjekksum"), _first(chosen, "sjekksumAlgoritme")
            files.append(FileRef(text(ref), text(checksum) if checksum is not None else "",
                                 text(algorithm) if algorithm is not None else ""))
            consumed.update(e for e in (ref, checksum, algorithm) if e is not None)
        fields["sekretess"] = secret
        extra = {"datumtyp": kind, "registreringstype": record_type}
        if part_typ:
            extra["part_typ"] = part_typ
        meeting = (_meeting_record(idx, record_type, fields)
                   if record_type in MEETING_RECORDS else None)
        flatten(elem, consumed, "registrering", extra, idx)
        return DocData(fields, extra, files, identifier, meeting)


def _code(elem: Any) -> str:
    """A code list value as written: the text, or its <kode> when it has one."""
    if elem is None:
        return ""
    return next((text(c) for c in kids(elem) if local(c) == "kode"), text(elem))


def _meeting_folder(idx: dict[str, list[Any]], fields: dict[str, str]) -> dict[str, str] | Bad:
    """The meeting of a moetemappe: committee (utvalg), date and start time (moetedato),
    place (moetested); a Bad when the committee or the date is missing."""
    if not fields["namnd"]:
        return Bad("utvalg", "the meeting folder (moetemappe) names no committee (utvalg); "
                             "its registrations were imported, the meeting was not")
    when = first(idx, "moetedato")
    if when is None or not text(when):
        return Bad("moetedato", "the meeting folder (moetemappe) has no moetedato; its "
                                "registrations were imported, the meeting was not")
    written = text(when)
    datum = iso_date(written, "moetedato")  # _check_dates read it already
    clock = _CLOCK.search(written)
    tid = f"{clock.group(1)}:{clock.group(2)}" if clock else ""
    place = first(idx, "moetested")
    return {"namnd": fields["namnd"], "datum": datum, "tid": "" if tid == "00:00" else tid,
            "plats": text(place) if place is not None else ""}


def _meeting_record(idx: dict[str, list[Any]], record_type: str,
                    fields: dict[str, str]) -> dict[str, Any] | Bad | None:
    """What a registration of a meeting folder is to the meeting: its notice or minutes
    (moetedokumenttype / moeteregistreringstype), an agenda item (a moetesaksregistrering,
    or a registration with a moetesakstype), or nothing (a saksframlegg, ...)."""
    kind = _code(first(idx, "moetedokumenttype")) or _code(first(idx, "moeteregistreringstype"))
    role = MEETING_DOCUMENT_ROLES.get(kind.casefold())
    if role is not None:
        return {"role": role}
    item_kind = first(idx, "moetesakstype")
    if record_type != "moetesaksregistrering" and item_kind is None:
        return None
    paragraf = 0
    for name in PARAGRAPH_ELEMENTS:
        found = first(idx, name)
        if found is not None and text(found):
            match = _ITEM_NUMBER.fullmatch(text(found))
            if match is None or int(match.group(1)) < 1:
                return Bad(name, f"{text(found)!r} is no agenda item number (such as 45, "
                                 "§ 45 or 45/24); the registration was imported, the item "
                                 "was not")
            paragraf = int(match.group(1))
            break
    cases: list[str] = []
    year, serial = first(idx, "saksaar"), first(idx, "sakssekvensnummer")
    if year is not None or serial is not None:
        y, n = text(year), text(serial)
        if not (y.isdigit() and len(y) == 4 and n.isdigit() and int(n) > 0):
            where = "saksaar" if not (y.isdigit() and len(y) == 4) else "sakssekvensnummer"
            return Bad(where, f"saksaar {y!r} / sakssekvensnummer {n!r} name no case (a "
                              "four-digit year and a positive number); the registration "
                              "was imported, the item was not")
        cases.append(f"{y}/{int(n)}")
    decision = next((text(first(idx, name)) for name in ("vedtakstekst", "vedtak")
                     if first(idx, name) is not None), "")
    typ = ITEM_TYPES.get(_code(item_kind).casefold(), "beslut")
    return {"item": {"paragraf": paragraf, "rubrik": fields["rubrik"], "beslut": decision,
                     "typ": typ, "sekretess": fields["sekretess"], "diarienummer": cases}}


def _archival_object(description: Any) -> Any:
    """The dokumentobjekt to store: the archival variant (Arkivformat) of the highest
    version, else the last one given."""
    objects = [c for c in kids(description) if local(c) == "dokumentobjekt"]
    if not objects:
        return None

    def rank(obj: Any) -> tuple[int, int]:
        variant = _first(obj, "variantformat")
        version = _first(obj, "versjonsnummer")
        archival = variant is not None and "arkiv" in text(variant).casefold()
        number = text(version) if version is not None else ""
        return (1 if archival else 0, int(number) if number.isdigit() else 0)

    return max(objects, key=rank)
