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
    first,
    flatten,
    index,
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
# saksstatus (Noark 5's code list) as the Swedish statuses of the store; others as written.
SAKSSTATUS = {"opprettet": "öppet", "reservert": "öppet", "under behandling": "pågående",
              "avsluttet": "avslutat", "avskrevet": "avslutat", "utgår": "makulerat"}
DATE_ORDER = (("dokumentetsDato", "upprättad"), ("mottattDato", "inkommen"),
              ("sendtDato", "expedierad"), ("journaldato", "journalförd"),
              ("moetedato", "mötesdatum"), ("opprettetDato", "skapad"))
DATE_ELEMENTS = frozenset({name for name, _ in DATE_ORDER} | {
    "arkivertDato", "avsluttetDato", "saksdato", "offentlighetsvurdertDato",
    "forfallsdato", "utlaantDato", "avskrivningsdato"})


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
                             ("saksansvarlig", "handlaggare"), ("utvalg", "namnd")):
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
        flatten(elem, consumed, "mappe", extra, idx)
        return CaseData(identifier, fields, extra)

    def record(self, elem: Any) -> DocData:
        consumed: set[Any] = set()
        record_type = xsi_type(elem) or "registrering"
        consumed.add((elem, "{http://www.w3.org/2001/XMLSchema-instance}type"))
        fields = {"lopnummer": "", "datum": "", "riktning": "", "handlingstyp": "",
                  "rubrik": "", "part": "", "sekretess": ""}
        idx = index(elem)
        number = first(idx, "journalpostnummer")
        if number is not None:
            fields["lopnummer"] = _positive(text(number), "journalpostnummer")
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

        parties = []
        for child in idx.get("korrespondansepart", ()):
            name = _first(child, "korrespondansepartNavn")
            if name is not None:
                parties.append(text(name))
                consumed.add(name)
        fields["part"] = join_parties(parties)

        secret = _screening(first(idx, "skjerming"), consumed)
        descriptions = list(idx.get("dokumentbeskrivelse", ()))
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
        flatten(elem, consumed, "registrering", extra, idx)
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
