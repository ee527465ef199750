"""FGS Ärendehantering 2.0 = E-ARK CITS ERMS (schema 2.1.x and 3.0.x), namespace
`https://DILCIS.eu/XML/ERMS`: `erms/aggregations/aggregation[@aggregationType="caseFile"]`
with `record` children (or `erms/records/record` without cases). Mapping: README,
"FGS 2.0 / CITS ERMS".
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
    first,
    first_date,
    flatten,
    index,
    iso_date,
    local,
    running_number,
    text,
    typed_parties,
)

NAMESPACE = "https://DILCIS.eu/XML/ERMS"

DIRECTIONS = {
    "incoming": Riktning.INKOMMANDE,
    "outgoing": Riktning.UTGAENDE,
    "internal_memo_for_follow-up": Riktning.UPPRATTAD,
    "internal_memo_without_follow-up": Riktning.UPPRATTAD,
    "case_draft": Riktning.UPPRATTAD,
}
_OTHER_INTERNAL = frozenset({"internal", "intern", "internt", "upprättad", "memo"})
# The document's date, in this order of preference, and the kind it was (datumtyp).
# The schema's list (ERMS 2.1 and 3.0) also has prepared, sent, dispatch and captured
# (the registration); aggregated, closed, appraisal, ... are no document's date.
DATE_ORDER = (("originated", "upprättad"), ("prepared", "upprättad"),
              ("received", "inkommen"), ("expedited", "expedierad"),
              ("sent", "expedierad"), ("dispatch", "expedierad"),
              ("captured", "journalförd"), ("created", "skapad"))
_DATE_KIND_DIRECTION = {"inkommen": Riktning.INKOMMANDE, "expedierad": Riktning.UTGAENDE}
# status/@value of a case (the schema's list, and spellings seen beside it).
STATUS = {"closed": "avslutat", "ad_acta": "avslutat", "open": "öppet", "opened": "öppet",
          "initiated": "öppet", "in_progress": "pågående", "on_hold": "pågående",
          "ongoing": "pågående", "obliterated": "makulerat", "cancelled": "makulerat",
          "canceled": "makulerat"}
# A record's status that says its direction, when it has no direction element.
_STATUS_DIRECTION = {"received": Riktning.INKOMMANDE, "expedited": Riktning.UTGAENDE,
                     "prepared": Riktning.UPPRATTAD}
PARTY_AGENTS = ("sender", "receiver", "counterpart", "recipient")
# idNumber/@idNumberType values (casefolded; "_" and "-" read as spaces) that tell a
# person from an organisation; the schema leaves the list open, these are the ones seen.
ID_NUMBER_KINDS: dict[str, PartyKind] = {
    **dict.fromkeys(("personnummer", "samordningsnummer", "personal identity number",
                     "personal id", "personid", "person", "ssn", "pnr"), PartyKind.PERSON),
    **dict.fromkeys(("organisationsnummer", "orgnr", "org nr", "organisation number",
                     "organization number", "organisation", "organization", "orgno",
                     "organisation id", "vat", "vat number"), PartyKind.ORGANISATION),
}


def _public_title(idx: dict[str, list[Any]], consumed: set[Any]) -> tuple[str, Any, Any]:
    """(public title, its element, the title element): otherTitle[@titleType="public"]
    when given, and the title."""
    title = first(idx, "title")
    public = next((t for t in idx.get("otherTitle", ()) if t.get("titleType") == "public"),
                  None)
    if public is not None:
        consumed.add(public)
    return (text(public) if public is not None else ""), public, title


def _confidential(idx: dict[str, list[Any]], consumed: set[Any]) -> str:
    """The provision of a restriction[@restrictionType="confidential"], "" when none."""
    for restriction in idx.get("restriction", ()):
        if restriction.get("restrictionType") == "confidential":
            regulation = None
            for c in restriction:
                if local(c) == "regulation":
                    regulation = c
                    break
            consumed.add((restriction, "restrictionType"))
            if regulation is not None and text(regulation):
                consumed.add(regulation)
                return text(regulation)
            return SEKRETESS_UNSPECIFIED
    return ""


def _agents(idx: dict[str, list[Any]]) -> list[Any]:
    found: list[Any] = list(idx.get("agent", ()))
    for group in idx.get("agents", ()):
        found.extend(a for a in group if local(a) == "agent")
    return found


def _agent_parts(agent: Any) -> dict[str, list[Any]]:
    return index(agent)


def _agent_kind(parts: dict[str, list[Any]]) -> PartyKind | None:
    """Person or organisation, where an agent says so; None when it does not (agentType
    is a role: sender, receiver, counterpart). An agent with an `organisation` or a
    `unitName` acts for a body (a contact person's name included: no private person);
    an `idNumber` says which by its idNumberType (organisationsnummer; personnummer)."""
    for name in ("organisation", "unitName"):
        found = first(parts, name)
        if found is not None and text(found):
            return PartyKind.ORGANISATION
    for number in parts.get("idNumber", ()):
        kind = " ".join(str(number.get("idNumberType", "")).casefold().replace("_", " ")
                        .replace("-", " ").split())
        if kind in ID_NUMBER_KINDS and text(number):
            return ID_NUMBER_KINDS[kind]
    return None


def _protected(parts: dict[str, list[Any]]) -> bool:
    flag = first(parts, "protectedIdentity")
    return flag is not None and text(flag).lower() in ("true", "1")


def _dates(idx: dict[str, list[Any]], root: Any) -> dict[str, tuple[str, Any]]:
    """dateType -> (YYYY-MM-DD, element) of the element's dates/date children.

    Raises Bad for a date that is not one.
    """
    found: dict[str, tuple[str, Any]] = {}
    for group in idx.get("dates", ()):
        for d in group:
            value = d.text
            if not value or not value.strip() or not isinstance(d.tag, str):
                continue
            try:
                day = iso_date(value, "")
            except Bad as bad:
                raise Bad(child_path(d, root), bad.reason) from None
            found.setdefault(d.get("dateType", ""), (day, d))
    return found


class Erms(ExportFormat):
    name = "erms"
    label = "FGS 2.0 / CITS ERMS"
    root = "erms"
    namespaces: ClassVar[tuple[str, ...]] = (NAMESPACE,)
    folder_tags: ClassVar[tuple[str, ...]] = ("aggregation",)
    record_tags: ClassVar[tuple[str, ...]] = ("record",)

    def is_case(self, elem: Any) -> bool:
        return elem.get("aggregationType") == "caseFile"

    def organisation(self, head: dict[str, list[str]]) -> str:
        for key in ("erms/control/maintenanceInformation/maintenanceAgency/agencyName",
                    "erms/control/systemInformation/agents/agent/organisation"):
            if head.get(key):
                return head[key][0]
        return ""

    def case(self, elem: Any, context: dict[str, str]) -> CaseData:
        consumed: set[Any] = set()
        idx = index(elem)
        fields = {"arendemening": "", "status": "", "namnd": "", "enhet": "",
                  "handlaggare": "", "klassificering": ""}
        object_id = first(idx, "objectId")
        identifier = text(object_id)
        if not identifier:
            raise Bad("objectId", "the case has no objectId (its diarienummer)")
        consumed.add(object_id)
        status = first(idx, "status")
        if status is not None:
            value = status.get("value", "") or text(status)
            fields["status"] = STATUS.get(value.casefold(), value)
            consumed.add((status, "value"))
        classification = first(idx, "classification")
        if classification is not None:
            code = classification.get("classificationCode", "")
            fields["klassificering"] = code or text(classification)
            consumed.add((classification, "classificationCode") if code else classification)
        public, _public, title = _public_title(idx, consumed)
        # A case has no secrecy field: its restriction stays metadata, and only decides
        # that a secret case without a public title shows no title.
        secret = _confidential(idx, set())
        if public:
            fields["arendemening"] = public
        elif title is not None and not secret:
            fields["arendemening"] = text(title)
            consumed.add(title)
        # (Otherwise the protected title is kept as metadata, never as the case title.)
        for agent in _agents(idx):
            if agent.get("agentType") == "responsible_person":
                parts = _agent_parts(agent)
                name, unit = first(parts, "name"), first(parts, "unitName")
                if name is not None:
                    fields["handlaggare"] = text(name)
                    consumed.update((name, (agent, "agentType")))
                if unit is not None:
                    fields["enhet"] = text(unit)
                    consumed.add(unit)
                break
        _dates(idx, elem)  # a case date that is no date makes the case unreadable
        idx.pop("record", None)
        idx.pop("aggregation", None)
        extra: dict[str, str] = {}
        flatten(elem, consumed, "aggregation", extra, idx)
        return CaseData(identifier, fields, extra)

    def record(self, elem: Any) -> DocData:
        consumed: set[Any] = set()
        idx = index(elem)
        fields = {"lopnummer": "", "datum": "", "riktning": "", "handlingstyp": "",
                  "rubrik": "", "part": "", "sekretess": ""}
        identifier = text(first(idx, "objectId"))
        running = first(idx, "runningNumber")
        if running is not None:
            # 0 (valid xs:int) numbers nothing: kept as metadata, the id or place decides.
            fields["lopnummer"] = running_number(text(running), "runningNumber")
            if fields["lopnummer"]:
                consumed.add(running)
        fields["handlingstyp"] = elem.get("recordType", "")
        consumed.add((elem, "recordType"))
        public, _public, title = _public_title(idx, consumed)
        if public:
            fields["rubrik"] = public      # the protected title stays metadata
        elif title is not None:
            fields["rubrik"] = text(title)
            consumed.add(title)
        fields["sekretess"] = _confidential(idx, consumed)

        dates = _dates(idx, elem)
        picked = first_date(dates, DATE_ORDER)
        if picked is None:
            raise Bad("dates", "the record has no originated, prepared, received, "
                               "expedited, sent, dispatch, captured or created date")
        fields["datum"], kind, used = picked
        consumed.add(used)

        direction = first(idx, "direction")
        if direction is not None:
            fields["riktning"] = self._direction(direction.get("directionDefinition", ""),
                                                 direction)
            consumed.add((direction, "directionDefinition"))
        else:
            status = first(idx, "status")
            by_status = _STATUS_DIRECTION.get(status.get("value", "")) if status is not None \
                else None
            fields["riktning"] = (by_status or _DATE_KIND_DIRECTION.get(
                kind, Riktning.UPPRATTAD)).value

        parties: list[tuple[str, PartyKind | None]] = []
        for agent in _agents(idx):
            if agent.get("agentType") in PARTY_AGENTS:
                parts = _agent_parts(agent)
                name = first(parts, "name")
                if name is not None and not _protected(parts):
                    parties.append((text(name), _agent_kind(parts)))
                    consumed.update((name, (agent, "agentType")))
        fields["part"], part_typ = typed_parties(parties)

        files: list[FileRef] = []
        if "additionalInformation" in idx:
            for appendix in elem.iter("{*}appendix"):
                path = appendix.get("path", "")
                if path:
                    files.append(FileRef(path))
                    consumed.add((appendix, "path"))
        extra: dict[str, str] = {"datumtyp": kind}
        if part_typ:
            extra["part_typ"] = part_typ
        flatten(elem, consumed, "record", extra, idx)
        return DocData(fields, extra, files, identifier)

    @staticmethod
    def _direction(value: str, elem: Any) -> str:
        found = DIRECTIONS.get(value)
        if found is not None:
            return found.value
        if value == "other":
            other = elem.get("otherDirectionDefinition", "") or text(elem)
            if other.casefold() in _OTHER_INTERNAL:
                return Riktning.UPPRATTAD.value
            try:
                return Riktning.parse(other).value
            except ValueError:
                raise Bad("direction/@otherDirectionDefinition",
                          f"unknown direction {other!r}") from None
        raise Bad("direction/@directionDefinition",
                  f"unknown direction {value!r}: use incoming, outgoing, "
                  "internal_memo_for_follow-up, internal_memo_without_follow-up, case_draft "
                  "or other")
