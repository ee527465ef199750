"""Parties of a register entry: private person or organisation/authority.

A register's party field (avsändare, mottagare, motpart) holds one or more names. The
public projection must know which of them are private persons, whose names a diary
hides by default (DOMAIN.md, "Personal data in web diaries"), and which are companies,
associations and public bodies, whose names stay.

The classification, in order of trust:

1. what the export says: a `part_typ` value per party (`person`/`organisation`, and the
   spellings of FGS/ERMS agent types and Noark 5 correspondence parties, see KIND_WORDS);
2. a placeholder the register already wrote instead of a name (`Personuppgift`,
   `Privatperson`, `Sekretess`, ...): nothing to hide, shown as it is;
3. a heuristic (`classify`): an organisation number, a company form (AB, HB, KB,
   ek. för., ...), a word of public administration or association life (kommun, region,
   länsstyrelse, nämnd, -verket, myndighet, förening, stiftelse, ...), the
   organisation's own configured names, an acronym, a single word; otherwise a string
   that looks like a personal name (two to five capitalised words, `Efternamn, Förnamn`)
   is a person. What is neither (a role such as "Sökande", an address) counts as a
   person too: hiding a role word costs little, publishing a name cannot be undone. Only
   a string without one capital letter and with signs no name is written with (a colon,
   quotes, markup) is taken for no name at all, and shown (kind ORGANISATION, which
   means "not a private person").

Its precision and recall on a list of 200 written party strings are measured by
tests/test_parties.py (printed with `pytest tests/test_parties.py -s`).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


class PartyKind(enum.StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACEHOLDER = "placeholder"        # the register already wrote no name


# How exports name a party's kind (casefolded). FGS 1.0/ERMS agent data and CITS ERMS
# write e.g. "person"/"organisation"; Noark 5 writes korrespondansepartPerson /
# korrespondansepartEnhet (and older exports a `korrespondanseparttype` with
# "privatperson"/"virksomhet"); Swedish systems "privatperson", "juridisk person", ...
KIND_WORDS: dict[str, PartyKind] = {
    **dict.fromkeys(
        ("person", "p", "privatperson", "privat", "privatperson/enskild", "enskild",
         "enskild person", "individ", "fysisk person", "fysisk", "natural person",
         "korrespondansepartperson", "korrespondansepart person", "personperson",
         "sokande privatperson", "naturlig person"), PartyKind.PERSON),
    **dict.fromkeys(
        ("organisation", "organization", "org", "o", "juridisk person", "juridisk",
         "foretag", "företag", "myndighet", "kommun", "forening", "förening",
         "korrespondansepartenhet", "korrespondansepart enhet", "enhet", "virksomhet",
         "legal person", "company", "authority", "bolag", "organisationsnummer"),
        PartyKind.ORGANISATION),
    **dict.fromkeys(("placeholder", "anonym", "anonymiserad", "skyddad"),
                    PartyKind.PLACEHOLDER),
}

# A party whose kind the export does not say, in a `part_typ` of several parties
# ("organisation; okänd"): the heuristic decides it (the XML mappers write "okänd").
UNKNOWN = "okänd"
UNKNOWN_WORDS = frozenset({"okänd", "okand", "unknown", "?"})

# What registers write instead of a private person's name (casefolded, whole string).
PLACEHOLDERS = frozenset({
    "personuppgift", "personuppgifter", "privatperson", "privatpersoner", "enskild",
    "enskild person", "sekretess", "sekretessbelagd", "skyddad identitet",
    "skyddade personuppgifter", "anonym", "anonymiserad", "uppgift saknas",
    "namn borttaget", "se handling", "x", "xx", "xxx", "-", "–", "*", "***",
})

# Separators between several parties in one field. A comma is not one: it also
# separates surname and first name ("Svensson, Sven").
_SPLIT = re.compile(r"\s*(?:;|\n|\r|\s\|\s)\s*")

# Organisation numbers: ten digits, the third at least 2 (so never a valid date), with
# or without "16" in front and a dash.
_ORGNR = re.compile(r"(?<!\d)(?:16)?\d{2}[2-9]\d{3}[-\u2013]?\d{4}(?!\d)")

# Company forms and foreign equivalents, as whole words (casefolded, dots dropped).
_FORMS = frozenset({
    "ab", "abp", "publ", "hb", "kb", "ekför", "ekf", "brf", "hsb", "riksbyggen",
    "aktiebolag", "aktiebolaget", "handelsbolag", "handelsbolaget", "kommanditbolag",
    "kommanditbolaget", "ltd", "limited", "gmbh", "inc", "llc", "plc", "as", "asa", "a/s",
    "aps", "oy", "oyj", "bv", "nv", "sa", "sarl", "srl", "ag", "kg", "co", "corp",
    "corporation", "company", "group", "holding", "holdings", "firma",
})

# Whole words of public administration, business and association life (casefolded).
_ORG_WORDS = frozenset({
    "kommun", "kommunen", "stad", "staden", "stads", "region", "regionen", "landsting",
    "landstinget", "länsstyrelsen", "länsstyrelse", "nämnd", "nämnden", "styrelse",
    "styrelsen", "förvaltning", "förvaltningen", "myndighet", "myndigheten", "verket",
    "verk", "förening", "föreningen", "stiftelse", "stiftelsen", "förbund", "förbundet",
    "bolag", "bolaget", "koncern", "koncernen", "departement", "departementet",
    "regeringskansliet", "regeringen", "riksdagen", "riksarkivet", "domstol",
    "domstolen", "polisen", "åklagarmyndigheten", "försäkringskassan", "skatteverket",
    "kronofogden", "arbetsförmedlingen", "lantmäteriet", "smhi", "kammarkollegiet",
    "räddningstjänst", "räddningstjänsten", "församling", "församlingen", "pastorat",
    "kyrkan", "stift", "stiftet", "skola", "skolan", "gymnasium", "gymnasiet",
    "förskola", "förskolan", "universitet", "universitetet", "högskola", "högskolan",
    "institut", "institutet", "sjukhus", "sjukhuset", "vårdcentral", "vårdcentralen",
    "klinik", "kliniken", "apotek", "apoteket", "enhet", "enheten", "avdelning",
    "avdelningen", "kontor", "kontoret", "byrå", "byrån", "advokatbyrå",
    "fastigheter", "fastighet", "fastighets", "bostäder", "bostad", "bostads", "hem",
    "energi", "vatten", "avfall", "elnät", "nät", "bygg", "byggnads",
    "entreprenad", "entreprenör", "entreprenader", "konsult", "konsulter", "consulting",
    "consult", "arkitekter", "arkitektkontor", "ingenjörer", "service", "services",
    "teknik", "partner", "partners", "center", "centrum", "centret", "klubb", "klubben",
    "sällskap", "sällskapet", "samfällighet", "samfälligheten", "samfällighetsförening",
    "vägförening", "intresseförening", "hyresgästföreningen", "sverige", "svenska",
    "svensk", "sweden", "swedish", "nordic", "nordiska", "scandinavia", "europe",
    "international", "trafik", "transport", "transporter", "logistik", "media",
    "förlag", "förlaget", "tidning", "tidningen", "tidningar", "redaktion",
    "redaktionen", "radio", "tv", "television", "nyheter", "bank", "banken",
    "försäkring", "försäkringar", "revision", "redovisning", "juridik", "advokater",
    "advokatfirma", "advokatfirman", "handel", "industri", "industrier", "gruppen", "lag", "fond",
    "fonden", "trust", "kooperativ", "kooperativet", "facket", "ombudsman",
    "ombudsmannen", "inspektion", "inspektionen", "nämnds", "kollektivtrafik",
    "hamn", "hamnen", "flygplats", "airport", "miljö", "hälsa", "omsorg", "vård",
    "utbildning", "projekt", "kommuns", "regions", "läns", "län",
    "kommunal", "kommunala", "statens", "statliga", "riks", "rikspolisstyrelsen",
    "akademi", "akademin", "museum", "museet", "bibliotek", "biblioteket", "teater",
    "teatern", "arena", "hotell", "hotel", "restaurang", "café", "kafé", "gård",
    "gården", "åkeri", "måleri", "snickeri", "rör", "vvs", "däck", "bil", "bilar",
    "maskin", "maskiner", "anläggning", "fritid", "idrott", "idrottsförening",
    "ik", "if", "fk", "bk", "ff", "sk", "gif", "aif", "scoutkår", "naturskydd", "club",
    "allehanda", "posten", "kuriren", "dagblad", "dagbladet", "korrespondenten",
})

# Word endings of Swedish compounds that name bodies: Trafikverket, Socialnämnden,
# Naturvårdsverket, Lärarförbundet, Byggnadsnämnden, Miljöförvaltningen ...
_ORG_SUFFIXES = (
    "verket", "nämnden", "nämnd", "styrelsen", "myndigheten", "förvaltningen",
    "föreningen", "förening", "förbundet", "förbund", "stiftelsen", "bolaget",
    "inspektionen", "kansliet", "kollegiet", "rätten", "rätt", "departementet",
    "enheten", "avdelningen", "kontoret", "byrån", "institutet", "sjukhuset",
    "skolan", "gymnasiet", "universitetet", "högskolan", "församlingen", "tjänsten",
    "centralen", "centrum", "fastigheter", "bostäder", "kommun", "kommunen",
    "regionen", "polisen", "banken", "tidningen", "förlaget", "sällskapet",
    "akademien", "akademin", "museet", "biblioteket", "teatern", "gruppen",
    "kooperativet", "fonden", "staden", "byggen", "bygg", "entreprenad",
    "konsult", "service", "teknik", "huset", "hemmet", "gården", "åkeri",
    "ombudsmannen", "kåren", "klubben", "lauget", "giller", "stiftet", "kyrkan",
    "partiet", "parti", "ningen", "hamnen", "verken", "industrier", "energi",
    "församling", "vården", "arna", "erna", "firma", "firman", "marknad", "marknaden",
    "bladet", "posten", "kuriren",
)

# Particles of personal names written in lower case: "Ebba von Sydow".
_PARTICLES = frozenset({"von", "af", "de", "van", "der", "den", "la", "le", "di", "da",
                        "del", "bin", "ibn", "al", "el", "zu", "och"})

_NOT_NAME = re.compile(r'[:"<>={}\\\[\]#%*|]')
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Party:
    """One party of a party field: the name as written and what it is."""

    name: str
    kind: PartyKind
    source: str         # "export", "placeholder" or "heuristic"


def words(name: str) -> list[str]:
    """The words of a name: runs of letters, with inner hyphens and apostrophes
    ("Karl-Erik", "O'Brien"); digits and signs dropped."""
    return _WORD.findall(name)


def split(field: str) -> list[str]:
    """The parties of one party field, in order (separated by `;`, a line break or
    ` | `); empty pieces dropped."""
    return [p.strip() for p in _SPLIT.split(field or "") if p.strip()]


def parse_kind(text: str) -> PartyKind | None:
    """The PartyKind an export's party-type value names, or None when it names none.
    Accents and case do not matter ("Privatperson", "ORGANISATION", "företag")."""
    key = " ".join(text.strip().casefold().replace("_", " ").split())
    if not key:
        return None
    found = KIND_WORDS.get(key)
    if found is None:
        found = KIND_WORDS.get(_strip_accents(key))
    return found


def parse_kinds(text: str) -> list[PartyKind | None]:
    """The kinds of a `part_typ` cell, one per party (split like the party field, and
    also on commas, since no kind word holds one); an UNKNOWN_WORDS value ("okänd") is
    None, so the heuristic decides that party while the others keep their place. Raises
    ValueError naming a value that is not a kind word."""
    pieces = [p.strip() for p in re.split(r"[;,\n|]", text or "") if p.strip()]
    kinds: list[PartyKind | None] = []
    for piece in pieces:
        if piece.casefold() in UNKNOWN_WORDS:
            kinds.append(None)
            continue
        kind = parse_kind(piece)
        if kind is None:
            raise ValueError(
                f"part_typ {piece!r} is not a party type: use person or organisation "
                "(one per party, separated by ';')")
        kinds.append(kind)
    return kinds


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if unicodedata.category(ch) != "Mn")


def is_placeholder(name: str) -> bool:
    """True when `name` is what registers write instead of a name (Personuppgift, ...)."""
    return " ".join(name.casefold().split()).strip(" .") in PLACEHOLDERS


def classify(name: str, own_names: Iterable[str] = ()) -> PartyKind:
    """PERSON, ORGANISATION or PLACEHOLDER for one party name by the heuristic of the
    module doc. `own_names`: names the organisation configured as its own bodies and
    known organisations (compared without case)."""
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text:
        return PartyKind.PLACEHOLDER
    if is_placeholder(text):
        return PartyKind.PLACEHOLDER
    folded = text.casefold()
    for own in own_names:
        own_folded = " ".join(own.casefold().split())
        if own_folded and (folded == own_folded or own_folded in folded):
            return PartyKind.ORGANISATION
    if _ORGNR.search(text):
        return PartyKind.ORGANISATION
    words = _WORD.findall(text)
    if not words:
        return PartyKind.PLACEHOLDER       # digits or signs only: no name to hide
    lowered = [w.casefold() for w in words]
    compact = folded.replace(".", "").replace(" ", "")
    if "ekför" in compact or "ekonomiskförening" in compact or "(publ)" in folded:
        return PartyKind.ORGANISATION
    for word in lowered:
        # "Sveriges", "Lunds": a genitive of a body's word counts as the word.
        if word in _FORMS or word in _ORG_WORDS or (
                word.endswith("s") and word[:-1] in _ORG_WORDS):
            return PartyKind.ORGANISATION
        if len(word) > 5 and word.endswith(_ORG_SUFFIXES):
            return PartyKind.ORGANISATION
    if "&" in text or "@" in text or "/" in text or "+" in text:
        return PartyKind.ORGANISATION     # "Berg & Son", e-mail or web addresses
    if _NOT_NAME.search(text) and not any(w[0].isupper() for w in words):
        # Signs no name is written with (a colon, quotes, markup) and not one capital
        # letter: code or a note, not a person ('javascript:alert("x")', 'se bilaga: 3').
        return PartyKind.ORGANISATION
    if len(words) == 1:
        # One word: an acronym (SKR, MSB), a brand (Vattenfall), a town (Malmö). A person
        # is registered with at least two names; a lone first name is rare.
        return PartyKind.ORGANISATION
    if sum(1 for w in words if w.isupper() and len(w) > 1) >= 1:
        return PartyKind.ORGANISATION     # "NCC Sverige", "JM Bostäder"
    return PartyKind.PERSON


def looks_like_name(name: str) -> bool:
    """True when `name` is written like a personal name: two to five words of letters,
    each capitalised except name particles (von, af, de ...), or `Efternamn, Förnamn`."""
    text = " ".join(name.replace(",", " ").split())
    words = text.split(" ")
    if not 2 <= len(words) <= 5:
        return False
    for w in words:
        if w.casefold() in _PARTICLES:
            continue
        if not _WORD.fullmatch(w) or not w[0].isupper():
            return False
    return True


def classify_field(field: str, kinds: list[PartyKind | None] | None = None,
                   own_names: Iterable[str] = ()) -> list[Party]:
    """The parties of a party field, each classified: by `kinds` (the export's
    `part_typ`, one per party; a single kind applies to every party) where given, else
    by placeholder and heuristic."""
    names = split(field)
    out: list[Party] = []
    given = kinds or []
    for i, name in enumerate(names):
        kind = given[i] if i < len(given) else (given[0] if len(given) == 1 else None)
        if is_placeholder(name):
            out.append(Party(name, PartyKind.PLACEHOLDER, "placeholder"))
        elif kind is not None:
            out.append(Party(name, kind, "export"))
        else:
            out.append(Party(name, classify(name, own_names), "heuristic"))
    return out
