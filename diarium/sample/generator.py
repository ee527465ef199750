"""The sample diary: a deterministic, fictional register of Exempelby kommun.

`plan(size, seed)` decides every case and document (pure data, no files);
`generate(target, size, seed)` writes them: the document files (PDF, DOCX, ODT, .eml,
plus a few deliberately broken ones), `manifest.csv` in the import format, a
`diarium.toml` with each committee's diarienummer format, and `sample.json`, a summary
naming showcase records (a case, a document with a personnummer, a secret document) that
the demo and its tests look for.

The same size and seed give byte-identical files, so re-importing a regenerated sample
changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import shutil
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from diarium.errors import ConfigError
from diarium.sample import meetings as sample_meetings
from diarium.sample import texts
from diarium.sample.writers import render_file

# Bump when the generated sample changes, so that `diarium demo` regenerates it.
GENERATOR_VERSION = 4  # 4: committee meetings (meetings.csv)
DEFAULT_SEED = 2017

# size -> (cases, documents)
SIZES: dict[str, tuple[int, int]] = {
    "small": (40, 250),
    "medium": (300, 2000),
    "large": (3000, 20000),
}

MANIFEST_COLUMNS = (
    "organisation", "diarienummer", "arendemening", "status", "namnd", "enhet",
    "handlaggare", "klassificering", "lopnummer", "datum", "riktning", "handlingstyp",
    "rubrik", "part", "sekretess", "publicerad", "fil",
)
MANIFEST_NAME = "manifest.csv"
SUMMARY_NAME = "sample.json"
CONFIG_NAME = "diarium.toml"
FILES_DIR = "files"

FIRST_DAY = date(2022, 1, 10)
LAST_DAY = date(2026, 11, 20)  # fixed, not today: the sample must not depend on the clock
BROKEN_KINDS = ("truncated_pdf", "not_zip_docx", "empty_odt")


@dataclass
class Person:
    name: str
    address: str
    email: str
    phone: str
    personnummer: str = ""  # written form YYMMDD-NNNC (day + 60: a samordningsnummer)


@dataclass
class SampleDocument:
    """One handling: its register entry and what its file says."""

    step: str
    lopnummer: int
    datum: date
    riktning: str
    handlingstyp: str
    rubrik: str
    part: str
    sekretess: str = ""
    publicerad: bool = True
    format: str = "pdf"          # pdf, docx, odt, eml, none, or one of BROKEN_KINDS
    fil: str = ""                # path relative to files/
    sender: list[str] = field(default_factory=list)     # letter head of an incoming doc
    meta: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    mail_from: str = ""
    mail_to: str = ""
    attachment: tuple[str, str, list[str]] | None = None  # (file name, title, paragraphs)
    personnummer: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All the words of the document's file, for tests and summaries."""
        parts = [self.rubrik, *self.sender, *(f"{k}: {v}" for k, v in self.meta)]
        for heading, paragraphs in self.sections:
            parts.append(heading)
            parts.extend(paragraphs)
        if self.attachment:
            parts.append(self.attachment[1])
            parts.extend(self.attachment[2])
        return "\n".join(p for p in parts if p)


@dataclass
class SampleCase:
    org: dict[str, Any]
    kind: dict[str, Any]
    opened: date
    year: int = 0
    serial: int = 0
    diarienummer: str = ""
    arendemening: str = ""
    status: str = ""
    enhet: str = ""
    handlaggare: str = ""
    slots: dict[str, str] = field(default_factory=dict)
    documents: list[SampleDocument] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


@dataclass
class SamplePlan:
    size: str
    seed: int
    cases: list[SampleCase]

    @property
    def documents(self) -> Iterable[tuple[SampleCase, SampleDocument]]:
        for case in self.cases:
            for doc in case.documents:
                yield case, doc


# --- personnummer -----------------------------------------------------------------------


def luhn_digit(nine_digits: str) -> int:
    """The check digit of YYMMDDNNN (weights 2,1,2,...; digits of products summed)."""
    total = 0
    for i, ch in enumerate(nine_digits):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def make_personnummer(rng: random.Random, samordning: bool = False,
                      born: tuple[int, int] = (1940, 2004)) -> str:
    """A fictional, checksum-valid personnummer YYMMDD-NNNC (day + 60 when samordning)."""
    birth = date(rng.randint(*born), 1, 1) + timedelta(days=rng.randint(0, 364))
    day = birth.day + (60 if samordning else 0)
    nine = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}{rng.randint(0, 999):03d}"
    return f"{nine[:6]}-{nine[6:]}{luhn_digit(nine)}"


def luhn_valid(written: str) -> bool:
    """True when a YYMMDD-NNNC (or 10 digits) carries a valid check digit."""
    digits = "".join(ch for ch in written if ch.isdigit())[-10:]
    return len(digits) == 10 and luhn_digit(digits[:9]) == int(digits[9])


# --- planning -----------------------------------------------------------------------------


class _Slots(dict[str, str]):
    """Template slots; a template naming an unknown slot is a bug in texts.py."""

    def __missing__(self, key: str) -> str:
        raise KeyError(f"sample template uses unknown slot {{{key}}}")


def fill(template: str, slots: dict[str, str]) -> str:
    """Render one template; raises KeyError naming a slot the template lacks."""
    return template.format_map(_Slots(slots))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == ".")


def _long_date(day: date) -> str:
    return f"{day.day} {texts.MONTHS[day.month - 1]} {day.year}"


def _money(rng: random.Random, low: int, high: int) -> str:
    value = rng.randrange(low, high, 50)
    return f"{value:,}".replace(",", " ")


def _person(rng: random.Random, with_pnr: bool) -> Person:
    first, last = rng.choice(texts.FIRST_NAMES), rng.choice(texts.LAST_NAMES)
    place = rng.choice(texts.PLACES)
    address = (f"{rng.choice(texts.STREETS)} {rng.randint(1, 48)}, "
               f"{texts.POSTCODES[place]} {place}")
    pnr = make_personnummer(rng, samordning=rng.random() < 0.12) if with_pnr else ""
    return Person(
        name=f"{first} {last}",
        address=address,
        email=f"{_ascii(first)}.{_ascii(last)}@post.example",
        phone=f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        personnummer=pnr,
    )


def _business_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _weighted(rng: random.Random, items: dict[str, int]) -> str:
    keys = list(items)
    return rng.choices(keys, weights=[items[k] for k in keys])[0]


def _case_slots(rng: random.Random, org: dict[str, Any], kind: dict[str, Any],
                opened: date, applicant: Person, other: Person) -> dict[str, str]:
    """Every slot a template of this case may use."""
    place = rng.choice(texts.PLACES)
    remiss_from, remiss_subject = rng.choice(texts.REMISS_SUBJECTS)
    if kind["key"] == "skolinspektion":
        remiss_from, remiss_subject = "Skolinspektionen", "Beslut efter tillsyn"
    elif kind["key"] == "ivo":
        remiss_from, remiss_subject = "Inspektionen för vård och omsorg", "Begäran om yttrande"
    handlaggare = rng.choice(org["handlaggare"])
    slots = {
        "kommun": texts.KOMMUN,
        "ort": place,
        "namnd": org["namnd"],
        "namnd_lower": org["namnd"][0].lower() + org["namnd"][1:],
        "enhet": kind["enhet"],
        "handlaggare": handlaggare,
        "handlaggare_fornamn": handlaggare.split()[0],
        "titel": rng.choice(texts.TITLAR),
        "mejl": f"{org['mailbox']}@{texts.MAIL_DOMAIN}",
        "telefon_kommun": f"0123-{rng.randint(10000, 99999)}",
        "overinstans": texts.OVERINSTANS[org["slug"]],
        "ordforande": f"{rng.choice(texts.FIRST_NAMES)} {rng.choice(texts.LAST_NAMES)}",
        "fastighet": (f"{texts.KOMMUN_ORT} {rng.choice(texts.TRAKTER)} "
                      f"{rng.randint(1, 12)}:{rng.randint(1, 240)}"),
        "adress": applicant.address,
        "sokande": applicant.name,
        "telefon": applicant.phone,
        "avsandare": other.name,
        "remissinstans": rng.choice(texts.AUTHORITIES),
        "myndighet": remiss_from,
        "remissamne": remiss_subject,
        "remissamne_lower": remiss_subject[0].lower() + remiss_subject[1:],
        "foretag": rng.choice(texts.COMPANIES),
        "tjanst": rng.choice(texts.SERVICES),
        "verksamhet": rng.choice(texts.BUSINESSES),
        "byggnad": rng.choice(texts.BUILDINGS),
        "tillbyggnad": rng.choice(texts.EXTENSIONS),
        "andring": rng.choice(texts.CHANGES),
        "omrade": rng.choice(texts.AREAS),
        "skola": rng.choice(texts.SCHOOLS),
        "forskola": rng.choice(texts.PRESCHOOLS),
        "amne": rng.choice(texts.SUBJECTS),
        "parti": rng.choice(texts.PARTIES),
        "politiker": f"{rng.choice(texts.FIRST_NAMES)} {rng.choice(texts.LAST_NAMES)}",
        "bullerkalla": rng.choice(texts.NOISE_SOURCES),
        "inomhusproblem": rng.choice(texts.INDOOR_PROBLEMS),
        "area": str(rng.randint(60, 420)),
        "area_liten": str(rng.randint(8, 45)),
        "avstand": f"{rng.randint(2, 30)},{rng.randint(0, 9)}",
        "avvikelse": f"0,{rng.randint(1, 9)}",
        "plan_ar": str(rng.randint(1968, 2019)),
        "antal": str(rng.randint(5, 140)),
        "arskurs": str(rng.randint(1, 9)),
        "km": f"{rng.randint(2, 14)},{rng.randint(0, 9)}",
        "kg": f"{rng.randint(1, 4)},{rng.randint(0, 9)}",
        "belopp": _money(rng, 1200, 480000),
        "ar": str(opened.year),
        "nasta_ar": str(opened.year + 1),
        "ar_bott": str(rng.randint(1975, opened.year - 1)),
        "beslut_verb": rng.choice(texts.BESLUT_VERB),
        "ansokan_ord": kind["ansokan_ord"],
        "ref_dnr": "",   # filled once every case has its number
        "dnr": "",
    }
    if kind["key"] in ("upphandling", "markanvisning"):
        slots["sokande"] = slots["foretag"]
    elif kind["key"] in ("motion",):
        slots["sokande"] = slots["politiker"]
    elif kind["key"] in ("livsmedel", "miljotillsyn", "serveringstillstand"):
        slots["sokande"] = slots["verksamhet"]
    if kind["key"] in ("orosanmalan", "krankande_behandling"):
        slots["avsandare"] = slots["skola"]
    return slots


def _distribute(rng: random.Random, cases: list[SampleCase], total: int) -> None:
    """Give each case its steps so that the documents add up to `total` exactly."""
    for case in cases:
        case.steps = list(case.kind["steps"])
    extra = total - sum(len(c.steps) for c in cases)
    if extra < 0:
        raise ConfigError(f"sample size too small: {total} documents for {len(cases)} cases")
    # Skewed: most cases get a few extra documents, some get many (as in real diaries).
    weights = [rng.paretovariate(1.6) for _ in cases]
    for case in rng.choices(cases, weights=weights, k=extra):
        extras = case.kind["extras"]
        pos = rng.randint(1, max(1, len(case.steps) - 1))
        case.steps.insert(pos, rng.choice(extras))


def plan(size: str = "medium", seed: int = DEFAULT_SEED) -> SamplePlan:
    """Decide every case and document of a sample diary; returns the plan (no files).

    Raises ConfigError for an unknown size.
    """
    if size not in SIZES:
        raise ConfigError(f"unknown sample size {size!r}; use one of {', '.join(SIZES)}")
    n_cases, n_docs = SIZES[size]
    rng = random.Random(f"diarium-sample-{seed}-{size}")
    orgs = texts.ORGANISATIONS
    span = (LAST_DAY - timedelta(days=20) - FIRST_DAY).days

    cases: list[SampleCase] = []
    for _ in range(n_cases):
        org = rng.choices(orgs, weights=[o["weight"] for o in orgs])[0]
        kinds = texts.CASE_KINDS[org["slug"]]
        kind = rng.choices(kinds, weights=[k["weight"] for k in kinds])[0]
        opened = _business_day(FIRST_DAY + timedelta(days=rng.randint(0, span)))
        cases.append(SampleCase(org=org, kind=kind, opened=opened))
    cases.sort(key=lambda c: (c.opened, c.org["slug"]))

    # Serials run per committee and year in opening order, with gaps: the demo holds only
    # a part of each diary, as a public diary does.
    counters: dict[tuple[str, int], int] = {}
    for case in cases:
        key = (case.org["slug"], case.opened.year)
        counters[key] = counters.get(key, rng.randint(1, 60)) + rng.randint(1, 9)
        case.year, case.serial = case.opened.year, counters[key]
        case.diarienummer = case.org["pattern"].format(
            prefix=case.org["prefix"], year=case.year, serial=case.serial
        )

    by_org: dict[str, list[SampleCase]] = {}
    for case in cases:
        by_org.setdefault(case.org["slug"], []).append(case)

    _distribute(rng, cases, n_docs)
    for case in cases:
        applicant = _person(rng, with_pnr=True)
        other = _person(rng, with_pnr=rng.random() < 0.3)
        case.slots = _case_slots(rng, case.org, case.kind, case.opened, applicant, other)
        case.slots["dnr"] = case.diarienummer
        peers = by_org[case.org["slug"]]
        others = [c.diarienummer for c in peers if c is not case]
        case.slots["ref_dnr"] = rng.choice(others) if others else ""
        case.arendemening = fill(rng.choice(case.kind["arendemening"]), case.slots)
        case.slots["arendemening"] = case.arendemening
        case.slots["arende_kort"] = fill(rng.choice(case.kind["arende_kort"]), case.slots)
        case.enhet = case.slots["enhet"]
        case.handlaggare = case.slots["handlaggare"]
        _plan_documents(rng, case, applicant, other)
        case.status = _status(rng, case)

    _mark_special(rng, cases, size)
    return SamplePlan(size=size, seed=seed, cases=cases)


def _status(rng: random.Random, case: SampleCase) -> str:
    last = case.documents[-1]
    if rng.random() < 0.01:
        return "makulerat"
    if (LAST_DAY - case.opened).days < 21:
        return "öppet"
    if last.step in ("beslut", "protokollsutdrag", "avtal", "yttrande_ut", "epost_ut") and (
        LAST_DAY - last.datum
    ).days > 45:
        return "avslutat"
    return "pågående"


def _plan_documents(rng: random.Random, case: SampleCase, applicant: Person,
                    other: Person) -> None:
    day = case.opened
    secret = case.kind["secret"]
    for number, step in enumerate(case.steps, start=1):
        kind = texts.DOC_KINDS[step]
        if number > 1:
            day = min(_business_day(day + timedelta(days=rng.randint(1, 24))), LAST_DAY)
        slots = dict(case.slots)
        slots.update(
            datum=day.isoformat(),
            datum_lang=_long_date(day),
            frist=_long_date(day + timedelta(days=21)),
            paragraf=str(rng.randint(1, 180)),
        )
        part_slot = str(kind["part"])
        doc = SampleDocument(
            step=step,
            lopnummer=number,
            datum=day,
            riktning=str(kind["riktning"]),
            handlingstyp=str(kind["handlingstyp"]),
            rubrik=fill(rng.choice(kind["rubrik"]), slots),
            part=slots[part_slot] if part_slot else "",
            format=_weighted(rng, kind["formats"]),
        )
        if secret is not None and step in secret[1]:
            doc.sekretess = secret[0]
        _write_content(rng, case, doc, kind, slots, applicant, other)
        case.documents.append(doc)


def _write_content(rng: random.Random, case: SampleCase, doc: SampleDocument,
                   kind: dict[str, Any], slots: dict[str, str], applicant: Person,
                   other: Person) -> None:
    """The letter head, register data and paragraphs of one document."""
    incoming = doc.riktning == "Inkommande"
    author = applicant if kind["part"] == "sokande" else other
    mailbox = slots["mejl"]
    from_person = not doc.part or doc.part == author.name
    if incoming and not from_person:
        # An authority, a company or a school writes: its name, a contact, no personnummer.
        domain = _ascii(doc.part.split()[0]) or "avsandare"
        doc.sender = [doc.part, f"Kontaktperson: {author.name}", f"E-post: info@{domain}.example"]
        doc.mail_from, doc.mail_to = f"{doc.part} <info@{domain}.example>", mailbox
    elif incoming:
        doc.sender = [author.name, author.address]
        if author.personnummer and (rng.random() < 0.5 or case.kind["key"] == "fardtjanst"):
            label = "Samordningsnummer" if int(author.personnummer[4:6]) > 31 else "Personnummer"
            doc.sender.append(f"{label}: {author.personnummer}")
            doc.personnummer.append(author.personnummer)
        doc.sender.append(f"Telefon: {author.phone}")
        doc.mail_from, doc.mail_to = f"{author.name} <{author.email}>", mailbox
    else:
        who = doc.part or author.name
        doc.mail_from = f"{case.handlaggare} <{mailbox}>"
        doc.mail_to = f"{who} <{author.email}>"
    doc.meta = [("Diarienummer", case.diarienummer), ("Datum", doc.datum.isoformat())]
    if not incoming:
        doc.meta.append(("Handläggare", case.handlaggare))
    if "{fastighet}" in "".join(case.kind["arendemening"]):
        doc.meta.append(("Fastighet", slots["fastighet"]))
    if doc.part:
        doc.meta.append(("Mottagare" if doc.riktning == "Utgående" else "Avsändare", doc.part))

    facts = list(case.kind["facts"])
    if incoming:
        # A resident's letter does not speak with the committee's voice.
        facts = [f for f in facts if not any(w in f for w in _OFFICIAL_VOICE)] or facts[:1]
    rng.shuffle(facts)
    generic = list(texts.GENERIC[doc.riktning])
    rng.shuffle(generic)
    n_facts = rng.randint(2, 4)
    body = [fill(rng.choice(kind["opening"]), slots)]
    body += [fill(t, slots) for t in facts[:n_facts]]
    body += [fill(t, slots) for t in generic[: rng.randint(1, 3)] if slots["ref_dnr"] or
             "{ref_dnr}" not in t]
    closing = [fill(rng.choice(kind["closing"]), slots)]

    key = case.kind["key"]
    if key in ("skolskjuts", "tillaggsbelopp") and doc.step == "ansokan":
        child = make_personnummer(rng, born=(2010, 2019))
        body.insert(1, f"Elevens personnummer: {child}. Vårdnadshavare: {applicant.name}.")
        doc.personnummer.append(child)
        if key == "skolskjuts" and rng.random() < 0.3:
            # Some registrars write the pupil's number into the register entry itself.
            doc.rubrik = f"Ansökan om skolskjuts för elev {child}"
    if doc.step == "beslut" and applicant.personnummer and rng.random() < 0.3:
        body.insert(1, f"Sökande: {applicant.name}, {applicant.personnummer}.")
        doc.personnummer.append(applicant.personnummer)

    if doc.handlingstyp in ("Tjänsteskrivelse", "Protokollsutdrag", "Rapport"):
        # Longer documents in sections; a few span more than one page.
        rest = [fill(t, slots) for t in facts[n_facts:]]
        doc.sections = [
            ("Sammanfattning", body[:2]),
            ("Bakgrund", body[2:] + rest[: len(rest) // 2]),
            ("Bedömning", rest[len(rest) // 2:] + [fill(t, slots) for t in generic[3:6]]),
            ("Förslag till beslut" if doc.handlingstyp == "Tjänsteskrivelse" else "Beslut",
             [f"{case.org['namnd']} beslutar att {slots['beslut_verb']} "
              f"{slots['arende_kort']}."] + closing),
        ]
    else:
        doc.sections = [("", body + closing)]

    if doc.format == "eml" and rng.random() < 0.45:
        title = rng.choice(("Situationsplan", "Fotografier", "Underlag", "Ritningar",
                            "Skrivelse", "Kostnadsberäkning"))
        paragraphs = [
            f"Bilaga till ärende {case.diarienummer}: {title.lower()}.",
            fill(rng.choice(case.kind["facts"]), slots),
            f"Upprättad av {author.name}, {_long_date(doc.datum)}.",
        ]
        ext = rng.choice(("pdf", "pdf", "docx"))
        doc.attachment = (f"{_ascii(title)}.{ext}", f"Bilaga: {title}", paragraphs)


_OFFICIAL_VOICE = ("ämnden", "Förvaltningen", "bedöm", "föreslår", "beslut", "Beslut",
                   "Huvudmannen", "konstaterades", "Utredningen", "avslås")


def _mark_special(rng: random.Random, cases: list[SampleCase], size: str) -> None:
    """Unpublished documents, broken files and the showcase personnummer document."""
    ordinary = [
        (c, d) for c in cases for d in c.documents
        if not d.sekretess and d.format in ("pdf", "docx", "odt", "eml")
    ]
    rng.shuffle(ordinary)
    n_broken = {"small": 3, "medium": 6, "large": 24}[size]
    n_unpublished = max(3, len(ordinary) // 60)
    for i, (_, doc) in enumerate(ordinary[:n_broken]):
        # One empty file only: every empty file has the same content address, so a second
        # one would be the same stored file and the same single failure.
        doc.format = BROKEN_KINDS[i % len(BROKEN_KINDS)] if i < len(BROKEN_KINDS) \
            else BROKEN_KINDS[i % 2]
    for _, doc in ordinary[n_broken:n_broken + n_unpublished]:
        doc.publicerad = False
    # Every sample, even the smallest, shows a masked personnummer in a public PDF.
    for case, doc in ordinary[n_broken + n_unpublished:]:
        if (doc.riktning == "Inkommande" and case.org["slug"] == "sbn" and doc.sender
                and not doc.sender[1].startswith("Kontaktperson")):
            if not doc.personnummer:
                pnr = make_personnummer(rng)
                doc.sender.insert(2, f"Personnummer: {pnr}")
                doc.personnummer.append(pnr)
            doc.format = "pdf"
            break
    for case in cases:
        for doc in case.documents:
            if doc.format == "none":
                continue
            safe = "".join(ch if ch.isalnum() else "-" for ch in case.diarienummer)
            ext = {"truncated_pdf": "pdf", "not_zip_docx": "docx",
                   "empty_odt": "odt"}.get(doc.format, doc.format)
            doc.fil = f"{case.org['slug']}/{case.year}/{safe}-{doc.lopnummer:02d}.{ext}"


# --- writing --------------------------------------------------------------------------------


def config_toml() -> str:
    """The diarium.toml of the sample: one organisation per committee and its dnr format."""
    lines = [
        "# diarium settings of the sample diary (diarium demo). " + texts.SAMPLE_NOTE,
        "# Each committee keeps its own diary series and writes its diarienummer its own way.",
        "",
        "[search]",
        'engine = "embedded"',
        "",
        "# Semantic search (README \"Semantic search\"): the demo embeds each document's title",
        "# only, so `diarium demo` stays quick; a register would embed text passages too.",
        "[semantic]",
        "max_passages = 0",
        "",
    ]
    for org in texts.ORGANISATIONS:
        prefixes = f'["{org["prefix"]}"]' if org["prefix"] else "[]"
        example = org["pattern"].format(prefix=org["prefix"], year=2024, serial=47)
        lines += [
            f"[organisations.{org['slug']}]",
            f'name = "{org["name"]}"',
            f'dnr_order = "{org["dnr_order"]}"   # e.g. {example}',
            f"dnr_prefixes = {prefixes}",
            f'registry_email = "registrator@{texts.MAIL_DOMAIN}"',
            "",
        ]
    return "\n".join(lines)


def manifest_rows(sample: SamplePlan) -> Iterable[dict[str, str]]:
    """The manifest rows (import format of `diarium import`), one per document."""
    for case, doc in sample.documents:
        yield {
            "organisation": case.org["slug"],
            "diarienummer": case.diarienummer,
            "arendemening": case.arendemening,
            "status": case.status,
            "namnd": case.org["namnd"],
            "enhet": case.enhet,
            "handlaggare": case.handlaggare,
            "klassificering": case.kind["klass"],
            "lopnummer": str(doc.lopnummer),
            "datum": doc.datum.isoformat(),
            "riktning": doc.riktning,
            "handlingstyp": doc.handlingstyp,
            "rubrik": doc.rubrik,
            "part": doc.part,
            "sekretess": doc.sekretess,
            "publicerad": "ja" if doc.publicerad else "nej",
            "fil": doc.fil,
        }


def summary(sample: SamplePlan) -> dict[str, Any]:
    """Counts and showcase records of a sample (what sample.json holds)."""
    docs = [d for _, d in sample.documents]
    formats = Counter(d.format for d in docs)
    bygglov = sum(
        1 for c, d in sample.documents
        if "bygglov" in (d.rubrik + " " + c.arendemening).lower()
    )

    def first(pred: Callable[[SampleCase, SampleDocument], bool]) -> dict[str, Any]:
        for case, doc in sample.documents:
            if pred(case, doc):
                return {
                    "organisation": case.org["slug"],
                    "diarienummer": case.diarienummer,
                    "lopnummer": doc.lopnummer,
                    "rubrik": doc.rubrik,
                    "sekretess": doc.sekretess,
                    "personnummer": doc.personnummer[0] if doc.personnummer else "",
                    "masked": (doc.personnummer[0][:6] + "-****") if doc.personnummer else "",
                }
        return {}

    sbn = next(c for c in sample.cases if c.org["slug"] == "sbn" and "bygglov" in
               c.arendemening.lower())
    return {
        "generator_version": GENERATOR_VERSION,
        "size": sample.size,
        "seed": sample.seed,
        "note": texts.SAMPLE_NOTE,
        "cases": len(sample.cases),
        "documents": len(docs),
        "formats": dict(sorted(formats.items())),
        "secret": sum(1 for d in docs if d.sekretess),
        "unpublished": sum(1 for d in docs if not d.publicerad),
        "with_personnummer": sum(1 for d in docs if d.personnummer),
        "bygglov_entries": bygglov,
        "organisations": {o["slug"]: o["name"] for o in texts.ORGANISATIONS},
        "showcase": {
            "case": {
                "organisation": "sbn",
                "diarienummer": sbn.diarienummer,
                # the same number as a visitor might type it
                "typed": f"sbn {sbn.year}/{sbn.serial}",
                "arendemening": sbn.arendemening,
            },
            "personnummer": first(lambda c, d: bool(
                d.personnummer and d.format == "pdf" and d.publicerad and not d.sekretess
                and d.personnummer[0] in "\n".join(d.sender)
            )),
            "secret": first(lambda c, d: bool(d.sekretess and d.format != "none")),
        },
    }


def generate(target: str | os.PathLike[str], size: str = "medium",
             seed: int = DEFAULT_SEED, workers: int = 1) -> dict[str, Any]:
    """Write a sample diary into `target` (replacing it); returns its summary.

    The folder is built beside the target and moved into place at the end, so an
    interrupted run never leaves a half-written sample. Raises ConfigError for a bad size.
    """
    target = Path(target).resolve()
    sample = plan(size, seed)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".sample-", dir=target.parent))
    try:
        files = work / FILES_DIR
        jobs = [(case.org["name"], case.org["namnd"], doc) for case, doc in sample.documents
                if doc.fil]
        meetings = sample_meetings.plan_meetings(sample.cases, size, seed, LAST_DAY, _long_date)
        jobs += [(m.org["name"], m.org["namnd"], doc) for m in meetings
                 for doc in sample_meetings.meeting_documents(m, _long_date, SampleDocument)]
        for folder in sorted({str(Path(doc.fil).parent) for _, _, doc in jobs}):
            (files / folder).mkdir(parents=True, exist_ok=True)
        if workers > 1 and len(jobs) > 200:
            from concurrent.futures import ProcessPoolExecutor

            chunk = max(1, len(jobs) // (workers * 8))
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for name, blob in pool.map(_render_job, jobs, chunksize=chunk):
                    (files / name).write_bytes(blob)
        else:
            for job in jobs:
                name, blob = _render_job(job)
                (files / name).write_bytes(blob)
        with (work / MANIFEST_NAME).open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(manifest_rows(sample))
        with (work / sample_meetings.MEETINGS_NAME).open("w", encoding="utf-8",
                                                         newline="") as out:
            writer = csv.DictWriter(out, fieldnames=sample_meetings.MEETING_COLUMNS,
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(sample_meetings.meeting_rows(meetings))
        (work / CONFIG_NAME).write_text(config_toml(), encoding="utf-8")
        info = summary(sample)
        info["meetings"] = len(meetings)
        info["meeting_items"] = sum(len(m.items) for m in meetings)
        info["meeting_documents"] = sum(1 + bool(m.protokoll_fil) for m in meetings)
        (work / SUMMARY_NAME).write_text(
            json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return info


def _render_job(job: tuple[str, str, SampleDocument]) -> tuple[str, bytes]:
    org_name, namnd, doc = job
    return doc.fil, render_file(doc, org_name=org_name, namnd=namnd)


def file_digest(path: Path) -> str:
    """sha256 of a file (tests compare two generations with it)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
