"""Noark 5 `arkivstruktur.xml` (Norway; 5.0 and later), namespace
`http://www.arkivverket.no/standarder/noark5/arkivstruktur`: `arkiv/arkivdel/
klassifikasjonssystem/klasse/mappe[@xsi:type="saksmappe"]` with
`registrering[@xsi:type="journalpost"]` children (mapper may also sit directly in the
arkivdel). Mapping: README, "Noark 5".

Meetings: a `moetemappe` and its `moeteregistrering` (also written moetesaksregistrering)
are imported as a case and its documents until meetings have a model of their own. The
hook for that model: `MEETING_FOLDERS` / `MEETING_RECORDS` name them, and every row from
one carries "mappetype" = "moetemappe" in its case metadata and "registreringstype" =
"moeteregistrering" in its document metadata, so a meetings importer can pick them out
(or `Noark5.is_meeting()` can route them) without another pass over the XML.
"""

from __future__ import annotations

from typing import Any, ClassVar

from diarium import diarienummer
from diarium.models import Riktning
from diarium.pipeline.xml_export import (
    SEKRETESS_UNSPECIFIED,
    Bad,
    CaseData,
    DocData,
    ExportFormat,
    FileRef,
    child_path,
    flatten,
    iso_date,
    join_parties,
    kids,
    local,
    text,
    xsi_type,
)

NAMESPACE = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
CASE_FOLDERS = frozenset({"saksmappe", "moetemappe"})
MEETING_FOLDERS = frozenset({"moetemappe"})
MEETING_RECORDS = frozenset({"moeteregistrering", "moetesaksregistrering"})
JOURNALPOSTTYPE = {
    "i": Riktning.INKOMMANDE, "inngående dokument": Riktning.INKOMMANDE,
    "inngaaende dokument": Riktning.INKOMMANDE,
    "u": Riktning.UTGAENDE, "utgående dokument": Riktning.UTGAENDE,
    "utgaaende dokument": Riktning.UTGAENDE,
    "n": Riktning.UPPRATTAD, "organinternt dokument for oppfølging": Riktning.UPPRATTAD,
    "x": Riktning.UPPRATTAD, "organinternt dokument uten oppfølging": Riktning.UPPRATTAD,
    "s": Riktning.UPPRATTAD, "saksframlegg": Riktning.UPPRATTAD,
}
DATE_ORDER = (("dokumentetsDato", "upprättad"), ("mottattDato", "inkommen"),
              ("sendtDato", "expedierad"), ("journaldato", "journalförd"),
              ("moetedato", "mötesdatum"), ("opprettetDato", "skapad"))
DATE_ELEMENTS = frozenset({name for name, _ in DATE_ORDER} | {
    "arkivertDato", "avsluttetDato", "saksdato", "offentlighetsvurdertDato",
    "forfallsdato", "utlaantDato", "avskrivningsdato"})


def _first(elem: Any, name: str) -> Any:
    return next((c for c in kids(elem) if local(c) == name), None)


def _screening(elem: Any, consumed: set[Any] | None) -> str:
    """The skjermingshjemmel of a skjerming child, "" when there is none."""
    skjerming = _first(elem, "skjerming")
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


def _check_dates(elem: Any, root: Any) -> dict[str, tuple[str, Any]]:
    found: dict[str, tuple[str, Any]] = {}
    for child in kids(elem):
        name = local(child)
        if name in DATE_ELEMENTS and text(child):
            found[name] = (iso_date(text(child), child_path(child, root)), child)
    return found


def _positive(value: str, where: str) -> str:
    if not value:
        return ""
    if not (value.isdigit() and int(value) > 0):
        raise Bad(where, f"{value!r} is not a positive whole number")
    return str(int(value))


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
        mappe_id = _first(elem, "mappeID")
        identifier = text(mappe_id) if mappe_id is not None else ""
        year, serial = _first(elem, "saksaar"), _first(elem, "sakssekvensnummer")
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
                             ("saksansvarlig", "handlaggare"), ("utvalg", "namnd")):
            found = _first(elem, name)
            if found is not None:
                fields[column] = text(found)
                consumed.add(found)
        title, public = _first(elem, "tittel"), _first(elem, "offentligTittel")
        secret = _screening(elem, set())
        if public is not None and text(public):
            fields["arendemening"] = text(public)
            consumed.add(public)
        elif title is not None and not secret:
            fields["arendemening"] = text(title)
            consumed.add(title)
        _check_dates(elem, elem)
        for child in kids(elem):
            if local(child) in ("registrering", "mappe"):
                consumed.add(child)
        extra = {"mappetype": folder_type}
        flatten(elem, consumed, "mappe", extra)
        return CaseData(identifier, fields, extra)

    def record(self, elem: Any) -> DocData:
        consumed: set[Any] = set()
        record_type = xsi_type(elem) or "registrering"
        consumed.add((elem, "{http://www.w3.org/2001/XMLSchema-instance}type"))
        fields = {"lopnummer": "", "datum": "", "riktning": "", "handlingstyp": "",
                  "rubrik": "", "part": "", "sekretess": ""}
        number = _first(elem, "journalpostnummer")
        if number is not None:
            fields["lopnummer"] = _positive(text(number), "journalpostnummer")
            consumed.add(number)
        reg_id = _first(elem, "registreringsID")
        identifier = text(reg_id) if reg_id is not None else ""

        title, public = _first(elem, "tittel"), _first(elem, "offentligTittel")
        if public is not None and text(public):
            fields["rubrik"] = text(public)
            consumed.add(public)
        elif title is not None:
            fields["rubrik"] = text(title)
            consumed.add(title)

        dates = _check_dates(elem, elem)
        kind = ""
        for name, swedish in DATE_ORDER:
            if name in dates:
                fields["datum"], used = dates[name]
                kind = swedish
                consumed.add(used)
                break
        if not fields["datum"]:
            raise Bad("journaldato", "the registration has no date (journaldato, "
                                     "dokumentetsDato, mottattDato, sendtDato, opprettetDato)")

        kind_elem = _first(elem, "journalposttype")
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

        parties = []
        for child in kids(elem):
            if local(child) == "korrespondansepart":
                name = _first(child, "korrespondansepartNavn")
                if name is not None:
                    parties.append(text(name))
                    consumed.add(name)
        fields["part"] = join_parties(parties)

        secret = _screening(elem, consumed)
        descriptions = [c for c in kids(elem) if local(c) == "dokumentbeskrivelse"]
        # The main document first, then the attachments in their order.
        descriptions.sort(key=lambda d: text(_first(d, "tilknyttetRegistreringSom"))
                          .casefold() != "hoveddokument")
        files: list[FileRef] = []
        for position, description in enumerate(descriptions):
            if position == 0:
                doc_type = _first(description, "dokumenttype")
                if doc_type is not None:
                    fields["handlingstyp"] = text(doc_type)
                    consumed.add(doc_type)
            secret = secret or _screening(description, consumed)
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
        flatten(elem, consumed, "registrering", extra)
        return DocData(fields, extra, files, identifier)


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
