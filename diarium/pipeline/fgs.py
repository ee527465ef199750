"""FGS Ärendehantering 1.0 (Riksarkivet, schema `Arendehantering.xsd`), namespace
`http://xml.ra.se/e-arkiv/FGS-ERMS` (exports in the wild also omit it):
`Leveransobjekt/ArkivobjektListaArenden/ArkivobjektArende` with
`ArkivobjektListaHandlingar/ArkivobjektHandling` children, or handlings directly under
`Leveransobjekt/ArkivobjektListaHandlingar`. Only ArkivobjektID and Arendemening are
mandatory. Mapping: README, "FGS 1.0".
"""

from __future__ import annotations

from typing import Any, ClassVar

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
    first_date,
    flatten,
    iso_date,
    kids,
    local,
    running_number,
    text,
    typed_parties,
)

NAMESPACE = "http://xml.ra.se/e-arkiv/FGS-ERMS"
# The document's date, in this order of preference, and the kind it was (datumtyp).
DATE_ORDER = (("Upprattad", "upprättad"), ("Inkommen", "inkommen"),
              ("Expedierad", "expedierad"), ("Skapad", "skapad"))
DATE_ELEMENTS = frozenset({"Upprattad", "Inkommen", "Expedierad", "Skapad", "Avslutat",
                           "Arkiverat", "Beslutat", "SistaAnvandandetidpunkt"})
# StatusHandling says where a handling is in its life; some values are a direction.
STATUS_DIRECTION = {
    "inkommen": Riktning.INKOMMANDE, "inkommande": Riktning.INKOMMANDE,
    "mottagen": Riktning.INKOMMANDE,
    "expedierad": Riktning.UTGAENDE, "utgående": Riktning.UTGAENDE,
    "skickad": Riktning.UTGAENDE, "utgaende": Riktning.UTGAENDE,
    "upprättad": Riktning.UPPRATTAD, "upprattad": Riktning.UPPRATTAD,
    "intern": Riktning.UPPRATTAD, "internt": Riktning.UPPRATTAD,
    "fastställd": Riktning.UPPRATTAD, "beslutad": Riktning.UPPRATTAD,
}
# Children of a party (Avsandare, Mottagare, Motpart) that say what it is.
PARTY_KIND_ELEMENTS = {
    "Organisation": PartyKind.ORGANISATION, "Organisationsnamn": PartyKind.ORGANISATION,
    "Organisationsnummer": PartyKind.ORGANISATION, "Personnummer": PartyKind.PERSON,
}
_DATE_KIND_DIRECTION = {"inkommen": Riktning.INKOMMANDE, "expedierad": Riktning.UTGAENDE}
_OFFICER_ROLES = frozenset({"handläggare", "handlaggare", "ansvarig handläggare",
                            "ansvarig", "handläggare/ansvarig"})


def _is_secret(restriction: Any) -> bool:
    kind = (restriction.get("Typ", "") or "").casefold()
    return kind in ("sekretess", "") or "sekretess" in kind


def _restriction(elem: Any, consumed: set[Any] | None) -> str:
    for child in kids(elem):
        if local(child) == "Restriktion" and _is_secret(child):
            lagrum = next((c for c in kids(child) if local(c) == "Lagrum"), None)
            if consumed is not None:
                consumed.add((child, "Typ"))
                if lagrum is not None:
                    consumed.add(lagrum)
            return text(lagrum) if lagrum is not None else SEKRETESS_UNSPECIFIED
    return ""


def _party_kind(elem: Any) -> PartyKind | None:
    """Person or organisation, where an Avsandare/Mottagare/Motpart says so: an
    Organisation (a contact person's Namn beside it acts for the body) or an
    Organisationsnummer makes it an organisation, a Personnummer a person; a Namn alone
    says nothing (None: the heuristic decides)."""
    for child in kids(elem):
        found = PARTY_KIND_ELEMENTS.get(local(child))
        if found is not None and text(child):
            return found
    return None


def _person(elem: Any, consumed: set[Any]) -> str:
    """Namn (and Organisation) of an Avsandare/Mottagare/Motpart; "" for a protected
    identity (SkyddadIdentitet), whose name then stays only in the metadata."""
    protected = any(local(c) == "SkyddadIdentitet" and text(c).casefold() in ("true", "1", "ja")
                    for c in kids(elem))
    if protected:
        return ""
    name = next((c for c in kids(elem) if local(c) == "Namn"), None)
    org = next((c for c in kids(elem) if local(c) == "Organisation"), None)
    parts = []
    for c in (name, org):
        if c is not None and text(c):
            parts.append(text(c))
            consumed.add(c)
    return ", ".join(parts)


def _check_dates(elem: Any) -> dict[str, tuple[str, Any]]:
    found: dict[str, tuple[str, Any]] = {}
    for child in elem:
        name = local(child)
        if name in DATE_ELEMENTS and text(child):
            try:
                found[name] = (iso_date(text(child), ""), child)
            except Bad as bad:  # the path only when needed: it costs a walk up the tree
                raise Bad(child_path(child, elem), bad.reason) from None
    return found


class Fgs(ExportFormat):
    name = "fgs1"
    label = "FGS Ärendehantering 1.0"
    root = "Leveransobjekt"
    namespaces: ClassVar[tuple[str, ...]] = (NAMESPACE, "")
    folder_tags: ClassVar[tuple[str, ...]] = ("ArkivobjektArende",)
    record_tags: ClassVar[tuple[str, ...]] = ("ArkivobjektHandling",)

    def organisation(self, head: dict[str, list[str]]) -> str:
        key = "Leveransobjekt/ArkivbildarStruktur/Arkivbildare/Namn"
        return head[key][0] if head.get(key) else ""

    def case(self, elem: Any, context: dict[str, str]) -> CaseData:
        consumed: set[Any] = set()
        identifier = ""
        fields = {"arendemening": "", "status": "", "namnd": "", "enhet": "",
                  "handlaggare": "", "klassificering": ""}
        title = None
        for child in kids(elem):
            name = local(child)
            if name == "ArkivobjektID":
                identifier = text(child)
                consumed.add(child)
            elif name == "Arendemening":
                title = child
            elif name == "StatusArande":
                fields["status"] = text(child)
                consumed.add(child)
            elif name in ("Klass", "KlassReferens") and not fields["klassificering"]:
                fields["klassificering"] = text(child)
                consumed.add(child)
            elif name == "Agent":
                role = next((text(c) for c in kids(child) if local(c) == "Roll"), "")
                if role.casefold() in _OFFICER_ROLES and not fields["handlaggare"]:
                    for c in kids(child):
                        if local(c) == "Namn":
                            fields["handlaggare"] = text(c)
                            consumed.add(c)
                        elif local(c) == "Enhetsnamn":
                            fields["enhet"] = text(c)
                            consumed.add(c)
        if not identifier:
            raise Bad("ArkivobjektID", "the case has no ArkivobjektID (its diarienummer)")
        secret = _restriction(elem, None)
        if title is not None and not secret:
            # FGS 1.0 has no public title: a secret case shows none (kept as metadata).
            fields["arendemening"] = text(title)
            consumed.add(title)
        _check_dates(elem)
        for child in kids(elem):
            if local(child) == "ArkivobjektListaHandlingar":
                consumed.add(child)
        extra: dict[str, str] = {}
        flatten(elem, consumed, "ArkivobjektArende", extra)
        return CaseData(identifier, fields, extra)

    def record(self, elem: Any) -> DocData:
        consumed: set[Any] = set()
        fields = {"lopnummer": "", "datum": "", "riktning": "", "handlingstyp": "",
                  "rubrik": "", "part": "", "sekretess": ""}
        identifier = ""
        status = ""
        parties: list[tuple[str, PartyKind | None]] = []
        files: list[FileRef] = []
        for child in kids(elem):
            name = local(child)
            if name == "ArkivobjektID":
                identifier = text(child)
            elif name == "Lopnummer":
                fields["lopnummer"] = running_number(text(child), "Lopnummer")
                if fields["lopnummer"]:
                    consumed.add(child)
            elif name == "Handlingstyp":
                fields["handlingstyp"] = text(child)
                consumed.add(child)
            elif name == "Rubrik":
                fields["rubrik"] = text(child)
                consumed.add(child)
            elif name == "StatusHandling":
                status = text(child)
            elif name in ("Avsandare", "Mottagare", "Motpart"):
                parties.append((_person(child, consumed), _party_kind(child)))
            elif name == "Bilaga":
                link = child.get("Lank", "")
                if link:
                    files.append(FileRef(link, child.get("Checksumma", ""),
                                         child.get("ChecksummaMetod", "")))
                    for attr in ("Lank", "Checksumma", "ChecksummaMetod"):
                        consumed.add((child, attr))
        fields["part"], part_typ = typed_parties(parties)
        fields["sekretess"] = _restriction(elem, consumed)

        dates = _check_dates(elem)
        picked = first_date(dates, DATE_ORDER)
        if picked is None:
            raise Bad("Inkommen", "the handling has no Upprattad, Inkommen, Expedierad or "
                                  "Skapad date")
        fields["datum"], kind, used = picked
        consumed.add(used)
        direction = STATUS_DIRECTION.get(status.casefold())
        if direction is None:
            # A status that is no direction (Makulerad, Arkiverad): the date says it.
            direction = _DATE_KIND_DIRECTION.get(kind, Riktning.UPPRATTAD)
        fields["riktning"] = direction.value
        extra: dict[str, str] = {"datumtyp": kind}
        if part_typ:
            extra["part_typ"] = part_typ
        flatten(elem, consumed, "ArkivobjektHandling", extra)
        return DocData(fields, extra, files, identifier)
