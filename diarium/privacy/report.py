"""The registrar's privacy review: what the public projection does, per organisation.

`privacy_report` projects every document (as `diarium index` would today) and counts,
per organisation, the personnummer masked, the private names hidden, the sensitive
matters neutralised and the originals withheld from download, each with the ids of the
documents concerned. It never holds a masked value, a hidden name or a title: the report
is meant to be read, mailed and kept beside the register.

`check_text` says what the projection would do with one text: which personnummer it
masks (and how they are shown) and, read as a party field, which parties it takes for
private persons.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from diarium import parties, personnummer
from diarium.config import Settings
from diarium.privacy.policy import PRIVATE_PERSON, PrivacyPolicy
from diarium.public import names_hidden, project
from diarium.store import Store


@dataclass
class OrganisationPrivacy:
    """One organisation's figures; the lists hold document ids (as text), in id order."""

    organisation: str
    name: str
    private_names: str              # "hide", "show" or "show_days"
    show_days: int
    sensitive_rules: int
    documents: int = 0
    personnummer: int = 0           # numbers masked, all fields together
    personnummer_documents: list[str] = field(default_factory=list)
    names_hidden: int = 0           # parties shown as "Privatperson"
    names_documents: list[str] = field(default_factory=list)
    neutralised: int = 0            # sensitive matters shown with their neutral text
    neutralised_documents: list[str] = field(default_factory=list)
    withheld: dict[str, list[str]] = field(default_factory=dict)   # reason -> ids


@dataclass
class PrivacyReport:
    """Every organisation's figures, by slug, and the day the projection was made for."""

    day: str
    organisations: list[OrganisationPrivacy]

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (`diarium privacy report --json`)."""
        return {"day": self.day, "organisations": [asdict(o) for o in self.organisations]}


def privacy_report(store: Store, settings: Settings, today: date | None = None) -> PrivacyReport:
    """Project every document for `today` (default: the current date) and count what the
    privacy rules did, per organisation (module doc). Reads the whole store once, in
    batches; raises nothing of its own."""
    day = today or date.today()
    orgs: dict[str, OrganisationPrivacy] = {}
    for slug, stored_name in store.conn.execute(
            "SELECT slug, name FROM organisations ORDER BY slug"):
        org = settings.org(slug)
        policy = org.privacy
        orgs[slug] = OrganisationPrivacy(
            organisation=slug, name=org.name or stored_name or slug,
            private_names=policy.private_names, show_days=policy.show_days,
            sensitive_rules=len(policy.sensitive))
    for record, applied in project(store, settings, today=day):
        entry = orgs[record.organisation]
        entry.documents += 1
        if applied.personnummer:
            entry.personnummer += applied.personnummer
            entry.personnummer_documents.append(record.doc_id)
        if applied.names_hidden:
            entry.names_hidden += applied.names_hidden
            entry.names_documents.append(record.doc_id)
        if applied.neutralised:
            entry.neutralised += 1
            entry.neutralised_documents.append(record.doc_id)
        if applied.withheld:
            entry.withheld.setdefault(applied.withheld, []).append(record.doc_id)
    return PrivacyReport(day=day.isoformat(), organisations=list(orgs.values()))


@dataclass(frozen=True)
class PartyCheck:
    name: str
    kind: str                    # person, organisation or placeholder
    source: str                  # heuristic or placeholder
    shown_as: str                # what the public sees under the policy


@dataclass(frozen=True)
class TextCheck:
    """What the projection would do with one text."""

    masked: str                              # the text with every personnummer masked
    numbers: list[personnummer.Found]
    parties: list[PartyCheck]
    policy: str                              # the policy the parties were judged by

    def to_json(self) -> dict[str, Any]:
        return {"masked": self.masked, "policy": self.policy,
                "personnummer": [asdict(f) for f in self.numbers],
                "parties": [asdict(p) for p in self.parties]}


def check_text(text: str, settings: Settings | None = None, organisation: str = "",
               today: date | None = None) -> TextCheck:
    """What would be masked in `text`: its personnummer, and (read as a party field) the
    parties taken for private persons, judged by `organisation`'s policy and own names
    (the default policy when none is given). A show_days policy is judged for a document
    dated `today`, whose name is then still shown."""
    policy = settings.org(organisation).privacy if settings and organisation else (
        PrivacyPolicy())
    own: tuple[str, ...] = policy.own_names
    if settings and organisation:
        own = (*own, settings.org(organisation).display_name)
    day = today or date.today()
    hide = names_hidden(policy, day.isoformat(), day)
    checked = []
    for party in parties.classify_field(text, None, own):
        shown = PRIVATE_PERSON if party.kind == parties.PartyKind.PERSON and hide else (
            personnummer.mask(party.name))
        checked.append(PartyCheck(party.name, party.kind.value, party.source, shown))
    label = policy.private_names + (f" ({policy.show_days} days)" if policy.show_days else "")
    return TextCheck(masked=personnummer.mask(text), numbers=personnummer.explain(text),
                     parties=checked, policy=label)
