"""A realistic synthetic register for search tests and benchmarks.

Builds PublicRecord objects directly (no files, no store): Swedish register text with
inflected forms, compounds, parties, committees and diarienummer written in the formats
real diaries use (`KS 2023/123`, `KS-2023-0123`, `47/2017`, `2016-000003`). Deterministic
for a given seed, so tests and benchmark runs see the same corpus.

The demo's generator of real document files is a separate thing (it writes PDFs and a
manifest); this one only feeds search engines.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

from diarium.public import PublicRecord


@dataclass(frozen=True)
class SyntheticOrg:
    """An organisation of the synthetic register and how it writes its diarienummer."""

    slug: str
    name: str
    dnr_style: str                 # "prefix-slash", "prefix-dash", "serial/year", "year-padded"
    prefixes: tuple[str, ...] = ()

    @property
    def dnr_order(self) -> str:
        return "serial/year" if self.dnr_style == "serial/year" else "year/serial"


ORGS: tuple[SyntheticOrg, ...] = (
    SyntheticOrg("exkommun", "Exempelkommunen", "prefix-slash", ("KS", "BUN", "SBN", "MN")),
    SyntheticOrg("norrby", "Norrby kommun", "prefix-dash", ("KSN", "TN", "RÄN")),
    SyntheticOrg("hamnstad", "Hamnstads stad", "serial/year"),
    SyntheticOrg("lansstyrelsen", "Länsstyrelsen i Exempellän", "year-padded"),
)

NAMNDER: dict[str, str] = {
    "KS": "Kommunstyrelsen",
    "KSN": "Kommunstyrelsen",
    "BUN": "Barn- och utbildningsnämnden",
    "SBN": "Samhällsbyggnadsnämnden",
    "MN": "Miljönämnden",
    "TN": "Tekniska nämnden",
    "RÄN": "Räddningsnämnden",
    "": "Stadsbyggnadsnämnden",
}
ENHETER = ("Kansliet", "Bygglovsenheten", "Miljöenheten", "Ekonomiavdelningen",
           "Upphandlingsenheten", "Förskoleförvaltningen", "Räddningstjänsten")
HANDLINGSTYPER = ("Beslut", "Skrivelse", "Yttrande", "Remiss", "Tjänsteskrivelse",
                  "Protokoll", "Ansökan", "Avtal", "Delegationsbeslut")
RIKTNINGAR = ("Inkommande", "Utgående", "Upprättad")
STATUSAR = ("öppet", "pågående", "avslutat", "avslutat", "makulerat")
HANDLAGGARE = ("Anna Lindqvist", "Erik Johansson", "Sara Öberg", "Johan Åkesson",
               "Maria Holm", "Lars Ekström")
PARTER = ("Trafikverket", "Länsstyrelsen i Skåne län", "Boverket", "Skolverket",
          "Naturvårdsverket", "Fastighets AB Tallen", "Byggbolaget Öst AB",
          "Föreningen Hamnens vänner", "Region Exempel", "Arbetsmiljöverket",
          "Lantmäteriet", "Privatperson")
FASTIGHETER = ("Tallen 4", "Eken 12", "Hamnen 1:7", "Björken 3", "Åkern 2:14",
               "Ölandet 5", "Kvarnen 9", "Sjöbo 1:22")
LAGRUM = ("26 kap. 1 § OSL", "23 kap. 1 § OSL", "21 kap. 7 § OSL", "31 kap. 16 § OSL")

# Subjects of cases, each with inflected forms used across the register's text: the
# forms are what a search must join (stemmer) or keep apart (å/ä/ö).
SUBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Ansökan om bygglov för nybyggnad av enbostadshus",
     ("bygglov", "bygglovet", "bygglovsansökan", "bygglovsansökningar", "nybyggnad")),
    ("Detaljplan för kvarteret {fastighet}",
     ("detaljplan", "detaljplanen", "detaljplaner", "planarbetet", "samrådet")),
    ("Upphandling av skolskjuts",
     ("upphandling", "upphandlingen", "upphandlingar", "ramavtalet", "anbuden")),
    ("Föreskrifter om avfallshantering",
     ("föreskrift", "föreskriften", "föreskrifter", "avfallshanteringen", "sophämtning")),
    ("Tillsyn enligt miljöbalken",
     ("tillsyn", "tillsynen", "miljöbalken", "inspektionen", "föreläggande")),
    ("Förskoleverksamhet i Norra området",
     ("förskola", "förskolan", "förskoleverksamheten", "förskoleplatser", "barngrupperna")),
    ("Läkemedelsförsörjning inom äldreomsorgen",
     ("läkemedel", "läkemedelsförsörjning", "äldreomsorgen", "hemtjänsten", "vårdplatser")),
    ("Medborgarförslag om ny lekplats",
     ("medborgarförslag", "medborgarförslaget", "lekplats", "lekplatsen", "parkerna")),
    ("Yttrande över remiss om regional transportplan",
     ("remiss", "remissen", "remissvar", "transportplanen", "kollektivtrafiken")),
    ("Avtal om markanvisning",
     ("avtal", "avtalet", "avtalen", "markanvisningen", "exploateringsavtal")),
    ("Ekonomisk uppföljning och budget",
     ("budget", "budgeten", "budgetar", "uppföljningen", "kostnaderna")),
    ("Strandskyddsdispens för brygga",
     ("strandskydd", "strandskyddsdispens", "bryggan", "dispensen", "vattenområdet")),
)

SENTENCES: tuple[str, ...] = (
    "{namnd} beslutade att bevilja {w0} för fastigheten {fastighet}.",
    "Beslutet om {w0} fattades den {datum} och besluten har expedierats.",
    "Sökanden har inkommit med kompletteringar gällande {w1}.",
    "Ansökningar om {w0} hanteras av {enhet} enligt gällande rutin.",
    "Förvaltningen föreslår att nämnden beslutar att godkänna {w2}.",
    "I ärendet har {part} lämnat synpunkter på {w3}.",
    "Handläggaren bedömer att {w4} uppfyller kraven i plan- och bygglagen.",
    "Det finns inga hinder mot att {w1} genomförs under året.",
    "Enligt föreskrifterna ska {w0} redovisas senast den {datum}.",
    "Nämnden får besluta om avgift för {w2} enligt taxan.",
    "Kostnaderna för {w3} beräknas till {belopp} kronor.",
    "Ett beslut om {w4} kan överklagas till förvaltningsrätten.",
    "Samråd har skett med {part} och berörda sakägare.",
    "Protokollet justerades och anslogs på kommunens anslagstavla.",
    "Underlaget visar att {w1} påverkar {w3} i begränsad omfattning.",
    "Beslutade åtgärder följs upp i verksamhetsplanen för {ar}.",
)


def format_dnr(org: SyntheticOrg, prefix: str, year: int, serial: int) -> str:
    """The diarienummer as the organisation writes it."""
    if org.dnr_style == "prefix-slash":
        return f"{prefix} {year}/{serial}"
    if org.dnr_style == "prefix-dash":
        return f"{prefix}-{year}-{serial:04d}"
    if org.dnr_style == "serial/year":
        return f"{serial}/{year}"
    return f"{year}-{serial:06d}"


def dnr_key(prefix: str, year: int, serial: int) -> str:
    """The canonical key PREFIX|YEAR|SERIAL (prefix "" when none)."""
    return f"{prefix}|{year}|{serial}"


def make_record(doc_id: str = "1", **fields: object) -> PublicRecord:
    """A PublicRecord with plausible defaults, overridden by `fields` (for tests).

    When `text` is given without `pages`, the text is one page.
    """
    base = PublicRecord(
        doc_id=doc_id, case_id=int(doc_id) if doc_id.isdigit() else 1,
        organisation="exkommun", organisation_name="Exempelkommunen",
        diarienummer="KS 2023/123", dnr_key="KS|2023|123", lopnummer=1,
        datum="2023-05-12", riktning="Inkommande", handlingstyp="Skrivelse",
        rubrik="", part="", arendemening="", namnd="Kommunstyrelsen", enhet="Kansliet",
        handlaggare="Anna Lindqvist", status="pågående", klassificering="",
        text="", pages=(), has_file=False, secret=False, sekretess_text="",
    )
    record = replace(base, **fields)  # type: ignore[arg-type]
    if record.text and not record.pages:
        record = replace(record, pages=(record.text,))
    return record


def generate_records(n: int, seed: int = 1, pages_per_doc: int = 3,
                     sentences_per_page: int = 6) -> Iterator[PublicRecord]:
    """Yield `n` PublicRecords of a synthetic register: cases of 1-8 documents over
    2015-2025 from the organisations in ORGS; about 3% are secret register entries.

    Raises ValueError when n is negative.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    rng = random.Random(seed)
    doc_id = 0
    case_id = 0
    serials: dict[tuple[str, str, int], int] = {}
    start = date(2015, 1, 1)
    while doc_id < n:
        case_id += 1
        org = ORGS[rng.randrange(len(ORGS))]
        prefix = rng.choice(org.prefixes) if org.prefixes else ""
        opened = start + timedelta(days=rng.randrange(11 * 365))
        counter_key = (org.slug, prefix, opened.year)
        serial = serials.get(counter_key, 0) + rng.randint(1, 3)
        serials[counter_key] = serial
        subject, words = SUBJECTS[rng.randrange(len(SUBJECTS))]
        fastighet = rng.choice(FASTIGHETER)
        arendemening = subject.format(fastighet=fastighet)
        namnd = NAMNDER.get(prefix, NAMNDER[""])
        enhet = rng.choice(ENHETER)
        status = rng.choice(STATUSAR)
        handlaggare = rng.choice(HANDLAGGARE)
        written = format_dnr(org, prefix, opened.year, serial)
        key = dnr_key(prefix, opened.year, serial)
        for lopnummer in range(1, rng.randint(1, 8) + 1):
            if doc_id >= n:
                break
            doc_id += 1
            datum = opened + timedelta(days=rng.randrange(0, 200) * (lopnummer > 1))
            handlingstyp = rng.choice(HANDLINGSTYPER)
            part = rng.choice(PARTER)
            riktning = rng.choice(RIKTNINGAR)
            secret = rng.random() < 0.03
            values = {
                "namnd": namnd, "fastighet": fastighet, "enhet": enhet, "part": part,
                "datum": datum.isoformat(), "ar": str(datum.year),
                "belopp": f"{rng.randint(10, 999)} 000",
            }
            pages: tuple[str, ...] = ()
            if not secret:
                pages = tuple(
                    " ".join(
                        _sentence(rng, words, values) for _ in range(sentences_per_page)
                    )
                    for _ in range(rng.randint(1, pages_per_doc))
                )
            lagrum = rng.choice(LAGRUM)
            yield PublicRecord(
                doc_id=str(doc_id), case_id=case_id, organisation=org.slug,
                organisation_name=org.name, diarienummer=written, dnr_key=key,
                lopnummer=lopnummer, datum=datum.isoformat(), riktning=riktning,
                handlingstyp=handlingstyp,
                rubrik=(f"Sekretess enligt {lagrum}" if secret
                        else f"{handlingstyp}: {arendemening.lower()}"),
                part="" if secret else part,
                arendemening=arendemening, namnd=namnd, enhet=enhet,
                handlaggare=handlaggare, status=status, klassificering="",
                text="\n\n".join(pages), pages=pages,
                has_file=bool(pages) and rng.random() < 0.8, secret=secret,
                sekretess_text=f"Sekretess enligt {lagrum}" if secret else "",
                file_name=f"handling-{doc_id}.pdf" if pages else "",
                media_type="application/pdf" if pages else "",
            )


def _sentence(rng: random.Random, words: tuple[str, ...], values: dict[str, str]) -> str:
    template = SENTENCES[rng.randrange(len(SENTENCES))]
    shuffled = list(words)
    rng.shuffle(shuffled)
    return template.format(**values, **{f"w{i}": w for i, w in enumerate(shuffled)})
