"""The query set of benchmarks/quality_eval.py: planted register entries and queries.

The planted entries are written like real diary entries of a municipality; they sit among
thousands of generated records (diarium.synthetic), which compete for the top ten. A
query's relevant records are judged by content, not by id: every indexed record whose
title or text matches the query's `relevant` pattern counts, planted or generated. Each
query is written so that at least one planted record is relevant, and most so that the
relevant records hold the word only in another form than the one typed (the point of
each feature), with distractors planted beside them (far for får, kontroll for troll,
AFS 2023:2 for AFS 2023:1).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS: tuple[str, ...] = (
    "inflected", "compound part", "unaccented", "identifier", "phrase", "natural",
)


@dataclass(frozen=True)
class EvalQuery:
    kind: str
    query: str
    relevant: str      # a regular expression (case-insensitive) over rubrik + text


# (doc id, rubrik, text, datum)
PLANTED: tuple[tuple[str, str, str, str], ...] = (
    # compounds
    ("q-vatten", "Underhåll av ledningsnät",
     "Vattenledningsnätet i Sjöby ska förnyas under året; arbetet påbörjas i maj.",
     "2024-03-11"),
    ("q-brand", "Tillsynsrapport",
     "Brandskyddskontrollen av skolans kök visade två avvikelser.", "2023-10-02"),
    ("q-sno", "Vinterväghållning",
     "Snöröjningsavtalet med entreprenören förlängs till och med 2026.", "2024-11-20"),
    ("q-cykel", "Trafikfrågor",
     "Cykelvägsplanen för centrum remitteras till trafikföreningen.", "2022-06-14"),
    ("q-hiss", "Olycksrapport",
     "Hissolyckan i stadshuset utreds av Arbetsmiljöverket.", "2024-01-09"),
    ("q-kyrk", "Ansökan om gravrätt",
     "Ärendet gäller gravplats på Norra kyrkogården.", "2021-08-30"),
    ("q-gatu", "Skrivelse om belysning",
     "Gatubelysningen på Storgatan är trasig sedan flera veckor.", "2024-02-02"),
    ("q-bost", "Bidrag",
     "Bostadsanpassningsbidraget beviljas för ramp vid entrén.", "2023-05-05"),
    ("q-avfall", "Renhållning", "Avfallshanteringen i kommunen ses över inför nästa år.",
     "2024-04-04"),
    ("q-trafik", "Busslinjer", "Kollektivtrafiken utökas med en linje till Västerby.",
     "2023-12-12"),
    ("q-lakemedel", "Äldreboende", "Läkemedelsförsörjningen vid äldreboendet ses över.",
     "2024-02-20"),
    ("q-mark", "Exploatering", "Markanvisningen för kvarteret Eken godkändes.",
     "2022-11-30"),
    # inflected forms the stemmer does not join
    ("q-skola", "Skolskjuts", "Eleven går i en skola i Västerby och ansöker om skolskjuts.",
     "2023-09-01"),
    ("q-gata", "Medborgarförslag", "Förslaget gäller en gata i centrum som bör bli gågata.",
     "2022-04-04"),
    ("q-anmalan", "Anmälan om buller",
     "En anmälan om buller från fläktar har kommit in.", "2024-06-18"),
    ("q-inbjudan", "Samråd", "Inbjudan till samråd om vindkraft skickas till grannar.",
     "2023-02-15"),
    ("q-stad", "Vänortssamarbete", "Kommunen inleder samarbete med en stad i Polen.",
     "2021-11-11"),
    ("q-bocker", "Biblioteket", "Biblioteket köper in en bok om lokalhistoria.",
     "2024-08-08"),
    ("q-upph", "Upphandling", "Upphandlingen av skolmåltider avbröts.", "2024-03-03"),
    # unaccented typing
    ("q-arsred", "Årsredovisning 2023",
     "Årsredovisningen för kommunkoncernen fastställdes av fullmäktige.", "2024-04-22"),
    ("q-overkl", "Överklagande", "Överklagandet av bygglovet har kommit in i rätt tid.",
     "2023-07-07"),
    ("q-hojd", "Planbesked", "Byggnadens höjd överskrider detaljplanens bestämmelser.",
     "2022-09-19"),
    ("q-far", "Fullmakt", "Sökandens far har lämnat fullmakt.", "2020-05-05"),
    ("q-far2", "Svar", "Sökanden får svar inom två veckor.", "2020-05-06"),
    ("q-forsk", "Förskola", "Förskolan Solrosen får en ny avdelning.", "2023-01-20"),
    ("q-overkl2", "Besked", "Beslutet kan överklagas hos förvaltningsrätten.", "2024-07-01"),
    ("q-sjo", "Strandskydd", "Bryggan vid sjön kräver dispens från strandskyddet.",
     "2023-06-01"),
    # identifiers
    ("q-afs", "Arbetsmiljö",
     "Arbetsgivaren ska följa AFS 2023:1 om systematiskt arbetsmiljöarbete.", "2024-01-15"),
    ("q-afs2", "Arbetsmiljö", "Föreskriften AFS 2023:2 gäller planering av arbete.",
     "2024-01-16"),
    ("q-sfs", "Ny förordning", "Förordningen SFS 2025:1461 träder i kraft den 1 juli.",
     "2025-12-01"),
    ("q-sfs2", "Ändring", "Ändringen i SFS 2025:1462 gäller avgifter.", "2025-12-02"),
    ("q-prop", "Kommunallagen", "Se prop. 2012/13:144 om en ny kommunallag.", "2021-03-03"),
    ("q-dnr", "Tidigare ärende", "Frågan behandlades i Dnr 123-2013 hos länsstyrelsen.",
     "2019-10-10"),
    ("q-ks", "Yttrande", "Yttrande i ärende KS-1646-2024 om hamnens utbyggnad.",
     "2024-09-09"),
    ("q-sou", "Remiss", "Remissen gäller SOU 2023:12 om kommunal upphandling.", "2023-08-08"),
    ("q-hslf", "Vård", "Enligt HSLF-FS 2016:40 ska journalen föras löpande.", "2022-02-22"),
    # phrases
    ("q-ph1", "Fullmakt", "Ombudet har inkommit med fullmakt för ombud i ärendet.",
     "2023-03-03"),
    ("q-ph2", "Skrivelse", "Ombudet saknar fullmakt. För ombud gäller andra regler.",
     "2023-03-04"),
    ("q-ph3", "Beslut", "Nämnden har fattat beslut om bygglov för carport på Tallen 4.",
     "2024-05-05"),
    # natural queries
    ("q-nat1", "Ansökan om bygglov för carport",
     "Ansökan gäller carport och förråd på fastigheten Tallen 4.", "2024-05-01"),
    ("q-nat2", "Klagomål", "Grannar klagar på buller från fläktar vid restaurangen.",
     "2024-06-20"),
    ("q-nat3", "Upphandling", "Ramavtalet för städtjänster i skolorna förlängs ett år.",
     "2024-10-10"),
    ("q-nat4", "Skolskjuts", "Skolskjutsen till Västerby skola ändras efter sommaren.",
     "2023-08-15"),
    ("q-nat5", "Kontroll", "Kontroll av fastighet och ansvar för tillsyn.", "2022-01-01"),
)

QUERIES: tuple[EvalQuery, ...] = (
    # inflected: typed in one form, the record has another
    EvalQuery("inflected", "skolan", r"\bskol(a|an|or|orna|ans)\b"),
    EvalQuery("inflected", "gatan", r"\bgat(a|an|or|orna)\b"),
    EvalQuery("inflected", "anmälningar", r"\banmäl(an|ningar|ningarna|ningen)\b"),
    EvalQuery("inflected", "inbjudningar", r"\binbjud(an|ningar|ningarna)\b"),
    EvalQuery("inflected", "städer", r"\b(stad|staden|städer|städerna)\b"),
    EvalQuery("inflected", "böcker", r"\b(bok|boken|böcker|böckerna)\b"),
    EvalQuery("inflected", "ansökningar", r"\bansök(an|ningar|ningarna|ningen)\b"),
    EvalQuery("inflected", "upphandlingar", r"\bupphandling(en|ar|arna)?\b"),
    # compound part: the record has the word only inside a compound
    EvalQuery("compound part", "vattenledning", r"vattenledning"),
    EvalQuery("compound part", "brandskydd", r"brandskydd"),
    EvalQuery("compound part", "snöröjning", r"snöröjning"),
    EvalQuery("compound part", "cykelväg", r"cykelväg"),
    EvalQuery("compound part", "olycka", r"olyck"),
    EvalQuery("compound part", "avfall", r"avfall"),
    EvalQuery("compound part", "trafik", r"trafik"),
    EvalQuery("compound part", "belysning", r"belysning"),
    EvalQuery("compound part", "försörjning", r"försörjning"),
    EvalQuery("compound part", "anvisning", r"anvisning"),
    # unaccented: typed without å/ä/ö
    EvalQuery("unaccented", "arsredovisning", r"årsredovisning"),
    EvalQuery("unaccented", "overklagande", r"överklaga"),
    EvalQuery("unaccented", "hojd", r"\bhöjd"),
    EvalQuery("unaccented", "foreskrift", r"föreskrift"),
    EvalQuery("unaccented", "forskola", r"förskol"),
    EvalQuery("unaccented", "sjon", r"\bsjö(n|ar|arna)?\b"),
    # identifiers typed any way
    EvalQuery("identifier", "afs 2023 1", r"AFS 2023:1\b"),
    EvalQuery("identifier", "sfs 2025:1461", r"SFS 2025:1461\b"),
    EvalQuery("identifier", "2012/13:144", r"2012/13:144\b"),
    EvalQuery("identifier", "prop 2012/13 144", r"2012/13:144\b"),
    EvalQuery("identifier", "dnr 123 2013", r"Dnr 123-2013\b"),
    EvalQuery("identifier", "ks 1646 2024", r"KS-1646-2024\b"),
    EvalQuery("identifier", "sou 2023 12", r"SOU 2023:12\b"),
    EvalQuery("identifier", "hslf-fs 2016:40", r"HSLF-FS 2016:40\b"),
    # phrases
    EvalQuery("phrase", '"fullmakt för ombud"', r"fullmakt för ombud"),
    EvalQuery("phrase", '"beslut om bygglov"', r"beslut om bygglov"),
    EvalQuery("phrase", '"kan överklagas"', r"kan överklagas"),
    EvalQuery("phrase", '"systematiskt arbetsmiljöarbete"', r"systematiskt arbetsmiljöarbete"),
    # natural: several words as a visitor types them
    EvalQuery("natural", "bygglov carport tallen", r"carport"),
    EvalQuery("natural", "klagomål buller fläktar", r"buller"),
    EvalQuery("natural", "avtal städning skolor", r"städtjänster"),
    EvalQuery("natural", "skolskjuts västerby", r"västerby"),
    EvalQuery("natural", "olyckor hiss stadshuset", r"hissolyckan"),
    EvalQuery("natural", "anmälningar buller", r"anmälan om buller"),
    # no record has every word: only the graceful AND fallback finds the closest ones
    EvalQuery("natural", "carport förråd garage tallen", r"carport"),
    EvalQuery("natural", "buller fläktar restaurang nattetid", r"fläktar"),
)
