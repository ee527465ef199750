"""Word lists and sentence templates of the sample diary of the fictional Exempelby kommun.

Everything here is invented for the demo: the municipality, its people, properties,
companies and addresses. Templates are `str.format_map` strings whose slots are filled by
`diarium.sample.generator` from one dictionary per case (see `CaseSlots`); a template may
use any slot. Sentences are written to vary inflected forms (beslut/beslutet/besluten,
ansökan/ansökningar) and compounds (bygglovsansökan, förskoleverksamhet,
detaljplaneändring), so that the demo shows what Swedish search has to cope with.

Only characters of Latin-1 are used, so that the PDF core fonts can draw every one.
"""

from __future__ import annotations

from typing import Any

KOMMUN = "Exempelby kommun"
KOMMUN_ORT = "Exempelby"
KOMMUN_ADRESS = "Stadshuset, Storgatan 1, 234 51 Exempelby"
MAIL_DOMAIN = "exempelby.example"  # .example is reserved (RFC 2606): no real mailbox
SAMPLE_NOTE = "Exempeldata: fiktiv kommun, fiktiva personer och fastigheter."

FIRST_NAMES = (
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Lena", "Per",
    "Sara", "Mikael", "Emma", "Fredrik", "Sofia", "Magnus", "Elin", "Jonas", "Ida",
    "Henrik", "Linnea", "Oskar", "Maja", "Ahmed", "Fatima", "Mohammed", "Leila", "Jukka",
    "Aino", "Gunnel", "Bengt", "Åsa", "Örjan", "Ingrid", "Göran", "Britt", "Nils", "Tove",
)
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindström",
    "Berg", "Holm", "Sandberg", "Åberg", "Öberg", "Ekström", "Hussein", "Ali", "Virtanen",
    "Nyström", "Forsberg", "Sjögren", "Hägg", "Björklund", "Wallin", "Strömberg",
)
STREETS = (
    "Storgatan", "Kyrkogatan", "Skolvägen", "Björkvägen", "Ängsvägen", "Östra Långgatan",
    "Sjövägen", "Kvarnbacken", "Hamngatan", "Prästgårdsvägen", "Åkervägen", "Lärkstigen",
    "Tallvägen", "Mejerigatan", "Järnvägsgatan", "Gärdesvägen", "Smedjegatan", "Älvvägen",
)
PLACES = ("Exempelby", "Norrvik", "Södra Ås", "Lillsjö", "Bäckby", "Ekudden", "Mossaby")
POSTCODES = {
    "Exempelby": "234 51", "Norrvik": "234 60", "Södra Ås": "234 71", "Lillsjö": "234 73",
    "Bäckby": "234 80", "Ekudden": "234 82", "Mossaby": "234 91",
}
TRAKTER = (
    "Ekan", "Björken", "Lönnen", "Rönnen", "Hägern", "Tranan", "Svalan", "Mjölnaren",
    "Smedjan", "Kvarnen", "Åkern", "Ängen", "Norrvik", "Bäckby", "Lillsjö", "Gästgivaren",
)
AREAS = (
    "Norrviks hamnområde", "kvarteret Mjölnaren", "Bäckby centrum", "Lillsjö strand",
    "Östra industriområdet", "Ekuddens verksamhetsområde", "Södra Ås skolområde",
    "stationsområdet i Exempelby", "Mossaby by", "Gärdet etapp 2",
)
COMPANIES = (
    "Exempelby Bygg AB", "Norrviks Fastigheter AB", "Bäckby Snickeri AB", "Lillsjö VVS AB",
    "Åkerbergs Mark & Anläggning AB", "Exempelbostäder AB", "Hägerns Arkitektkontor AB",
    "Södra Ås Entreprenad AB", "Mossaby Energi AB", "Kvarnens Café & Bageri AB",
    "Nordisk Kontorsservice AB", "Ekuddens Konsult AB", "Trygga Skolskjutsar i Norr AB",
)
AUTHORITIES = (
    "Länsstyrelsen i Exempellän", "Trafikverket", "Lantmäteriet", "Skolinspektionen",
    "Inspektionen för vård och omsorg", "Region Exempellän", "Boverket",
    "Naturvårdsverket", "Livsmedelsverket", "Polismyndigheten", "Skatteverket",
    "Exempelby Vatten AB", "Räddningstjänsten Exempelby",
)
SCHOOLS = (
    "Norrviks skola", "Bäckbyskolan", "Lillsjö skola", "Exempelby högstadieskola",
    "Södra Ås skola", "Ekuddens friskola",
)
PRESCHOOLS = (
    "förskolan Solrosen", "förskolan Ekorren", "förskolan Lärkan", "förskolan Tallbacken",
    "förskolan Blåklockan", "Mossaby förskola",
)
BUSINESSES = (
    "Restaurang Hamnkrogen", "Pizzeria Roma", "Kvarnens Café & Bageri", "Lillsjö Camping",
    "Bäckby Gårdsbutik", "Norrviks Bilverkstad", "Exempelby Hotell", "Ekuddens Sågverk",
    "Hägerns Tvätteri", "Mossaby Grus & Sand",
)
PARTIES = (
    "Socialdemokraterna", "Moderaterna", "Centerpartiet", "Liberalerna",
    "Kristdemokraterna", "Vänsterpartiet", "Miljöpartiet", "Sverigedemokraterna",
)
BUILDINGS = (
    "enbostadshus", "fritidshus", "garage", "carport", "flerbostadshus", "förråd",
    "komplementbyggnad", "växthus", "tvåbostadshus", "lagerbyggnad",
)
EXTENSIONS = (
    "tillbyggnad av enbostadshus med uterum", "tillbyggnad av garage",
    "inglasning av altan", "tillbyggnad av fritidshus med sovrum",
    "påbyggnad med en våning", "tillbyggnad av butikslokal",
)
CHANGES = (
    "fasadändring, byte av fasadmaterial till träpanel", "ändrad användning från kontor "
    "till bostäder", "uppsättning av skylt", "installation av eldstad och rökkanal",
    "nya fönster och takkupor", "solcellsanläggning på tak",
)
SERVICES = (
    "städtjänster", "skolskjutsar", "livsmedel till skolor och förskolor",
    "IT-konsulttjänster", "vinterväghållning", "kontorsmaterial", "tolktjänster",
    "bygg- och anläggningsentreprenader", "möbler till förskoleverksamhet",
)
SUBJECTS = (
    "gång- och cykelväg mellan Norrvik och Exempelby", "fler laddstolpar för elbilar",
    "belysning i Lillsjö motionsspår", "en hundrastgård i Bäckby", "fritt wifi i centrum",
    "sänkt hastighet på Skolvägen", "en utomhusgym vid Sjövägen",
    "längre öppettider på biblioteket", "ett nytt badhus", "ökad snöröjning på gångbanor",
)
REMISS_SUBJECTS = (
    ("Region Exempellän", "Regional plan för läkemedelsförsörjning"),
    ("Trafikverket", "Nationell plan för transportinfrastrukturen"),
    ("Länsstyrelsen i Exempellän", "Regional vattenförsörjningsplan"),
    ("Boverket", "Förslag till nya föreskrifter om bygglovsprövning"),
    ("Naturvårdsverket", "Vägledning om strandskydd"),
    ("Region Exempellän", "Regional utvecklingsstrategi"),
    ("Livsmedelsverket", "Ändrade föreskrifter om livsmedelskontroll, LIVSFS 2024:3"),
)
NOISE_SOURCES = (
    "värmepump hos granne", "fläktar på restaurangens tak", "hundskall", "motorcrossbana",
    "lastbilar nattetid", "festlokal",
)
INDOOR_PROBLEMS = (
    "fukt och mögel i lägenheten", "kallt inomhus", "buller från ventilationen",
    "lukt från avloppet", "skadedjur i trapphuset",
)

MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
    "oktober", "november", "december",
)

# --- organisations (committees) --------------------------------------------------------
# Each one keeps its own diary series and writes its diarienummer its own way.

# Heterogeneous rows of sample data (names, weights, patterns): read as Any.
ORGANISATIONS: tuple[dict[str, Any], ...] = (
    {
        "slug": "ks",
        "name": "Exempelby kommun, kommunstyrelsen",
        "namnd": "Kommunstyrelsen",
        "prefix": "KS",
        "pattern": "{prefix} {year}/{serial}",  # KS 2023/123
        "dnr_order": "year/serial",
        "weight": 25,
        "mailbox": "kommunstyrelsen",
        "enheter": (
            "Kommunledningskontoret", "Ekonomiavdelningen", "Upphandlingsenheten",
            "Kansliavdelningen", "Näringslivsenheten",
        ),
        "handlaggare": (
            "Karin Wallin", "Magnus Ekström", "Leila Hussein", "Per Sjögren", "Tove Holm",
        ),
    },
    {
        "slug": "sbn",
        "name": "Exempelby kommun, samhällsbyggnadsnämnden",
        "namnd": "Samhällsbyggnadsnämnden",
        "prefix": "SBN",
        "pattern": "{prefix}-{year}-{serial:04d}",  # SBN-2024-0456
        "dnr_order": "year/serial",
        "weight": 36,
        "mailbox": "samhallsbyggnad",
        "enheter": ("Bygglovsenheten", "Planenheten", "Lantmäterienheten"),
        "handlaggare": (
            "Jonas Lindberg", "Elin Forsberg", "Ahmed Ali", "Britt Nyström", "Oskar Hägg",
            "Sofia Strömberg",
        ),
    },
    {
        "slug": "bun",
        "name": "Exempelby kommun, barn- och utbildningsnämnden",
        "namnd": "Barn- och utbildningsnämnden",
        "prefix": "BUN",
        "pattern": "{prefix} {year}.{serial:04d}",  # BUN 2022.0789
        "dnr_order": "year/serial",
        "weight": 15,
        "mailbox": "barnochutbildning",
        "enheter": (
            "Förskoleenheten", "Grundskoleenheten", "Elevhälsan",
            "Barn- och utbildningsförvaltningens kansli",
        ),
        "handlaggare": ("Maja Björklund", "Henrik Olsson", "Aino Virtanen", "Göran Berg"),
    },
    {
        "slug": "mn",
        "name": "Exempelby kommun, miljönämnden",
        "namnd": "Miljönämnden",
        "prefix": "",
        "pattern": "{serial}/{year}",  # 47/2017: serial first, no prefix
        "dnr_order": "serial/year",
        "weight": 14,
        "mailbox": "miljo",
        "enheter": ("Miljöenheten", "Livsmedelsenheten", "Hälsoskyddsenheten"),
        "handlaggare": ("Linnea Sandberg", "Nils Gustafsson", "Fatima Hussein", "Erik Åberg"),
    },
    {
        "slug": "sn",
        "name": "Exempelby kommun, socialnämnden",
        "namnd": "Socialnämnden",
        "prefix": "SN",
        "pattern": "{prefix}/{year}/{serial:04d}",  # SN/2024/0031
        "dnr_order": "year/serial",
        "weight": 10,
        "mailbox": "socialtjansten",
        "enheter": (
            "Individ- och familjeomsorgen", "Vuxenenheten", "Äldreomsorgen",
            "Tillståndsenheten",
        ),
        "handlaggare": ("Ingrid Persson", "Mohammed Ali", "Eva Karlsson", "Bengt Larsson"),
    },
)

# --- document kinds ---------------------------------------------------------------------
# `part`: who the sender/recipient is (a slot name, or "" for a document drawn up
# internally); `formats`: file formats with weights ("none" = register entry only).

DOC_KINDS: dict[str, dict[str, Any]] = {
    "ansokan": {
        "handlingstyp": "Ansökan",
        "riktning": "Inkommande",
        "part": "sokande",
        "formats": {"pdf": 6, "eml": 3, "docx": 1},
        "rubrik": ("Ansökan om {arende_kort}", "{ansokan_ord} inkommen", "Ansökan, {fastighet}"),
        "opening": (
            "Härmed ansöker jag om {arende_kort} på fastigheten {fastighet}.",
            "Jag vill ansöka om {arende_kort} och bifogar de handlingar som krävs.",
            "Undertecknad ansöker om {arende_kort}. Ansökan gäller {adress}.",
        ),
        "closing": (
            "Jag ser fram emot ert besked och nås enklast på telefon {telefon}.",
            "Hör gärna av er om något saknas i ansökan.",
            "Med vänliga hälsningar, {sokande}",
        ),
    },
    "skrivelse_in": {
        "handlingstyp": "Skrivelse",
        "riktning": "Inkommande",
        "part": "avsandare",
        "formats": {"pdf": 4, "eml": 4, "docx": 2},
        "rubrik": (
            "Skrivelse angående {arende_kort}", "Synpunkter på {arende_kort}",
            "Inkommen skrivelse från {avsandare}", "Frågor om ärendet",
        ),
        "opening": (
            "Jag skriver med anledning av ärendet om {arende_kort}.",
            "Vi vill lämna några synpunkter i ärende {dnr}.",
            "Med anledning av ert brev den {datum_lang} vill jag framföra följande.",
        ),
        "closing": (
            "Jag hoppas att mina synpunkter beaktas innan beslut fattas.",
            "Tacksam för svar så snart som möjligt.",
            "Vänliga hälsningar, {avsandare}",
        ),
    },
    "komplettering_begaran": {
        "handlingstyp": "Skrivelse",
        "riktning": "Utgående",
        "part": "sokande",
        "formats": {"pdf": 5, "docx": 3, "odt": 2},
        "rubrik": ("Begäran om komplettering", "Föreläggande om komplettering av ansökan"),
        "opening": (
            "Vi har tagit emot er ansökan om {arende_kort} men behöver fler uppgifter för "
            "att kunna pröva den.",
            "Ansökan i ärende {dnr} är inte komplett.",
        ),
        "closing": (
            "Kompletteringen ska ha kommit in senast den {frist}. Om den inte kommer in kan "
            "ansökan avvisas.",
            "Skicka kompletteringen till {mejl} och ange diarienummer {dnr}.",
        ),
    },
    "komplettering_in": {
        "handlingstyp": "Komplettering",
        "riktning": "Inkommande",
        "part": "sokande",
        "formats": {"pdf": 5, "eml": 4, "none": 1},
        "rubrik": ("Komplettering av ansökan", "Kompletterande handlingar, {fastighet}"),
        "opening": (
            "Här kommer de kompletteringar som ni begärde i ärende {dnr}.",
            "Jag skickar de handlingar som saknades i min ansökan.",
        ),
        "closing": ("Hoppas att ansökan nu är komplett.", "Vänliga hälsningar, {sokande}"),
    },
    "epost_in": {
        "handlingstyp": "E-post",
        "riktning": "Inkommande",
        "part": "avsandare",
        "formats": {"eml": 1},
        "rubrik": ("E-post: fråga om {arende_kort}", "E-post angående ärende {dnr}",
                   "Fråga om handläggningstid"),
        "opening": (
            "Hej! Jag undrar hur det går med ärendet om {arende_kort}.",
            "Hej {handlaggare_fornamn}, tack för samtalet i dag.",
            "Hej, jag har en fråga om ärende {dnr}.",
        ),
        "closing": ("Mvh {avsandare}", "Tack på förhand! Hälsningar {avsandare}"),
    },
    "epost_ut": {
        "handlingstyp": "E-post",
        "riktning": "Utgående",
        "part": "avsandare",
        "formats": {"eml": 1},
        "rubrik": ("E-post: svar om {arende_kort}", "Svar på fråga i ärende {dnr}"),
        "opening": (
            "Hej {avsandare}! Tack för ditt meddelande.",
            "Hej, här kommer svar på din fråga om ärende {dnr}.",
        ),
        "closing": (
            "Med vänlig hälsning, {handlaggare}, {enhet}, {kommun}",
            "Hälsningar {handlaggare}, {namnd_lower}",
        ),
    },
    "remiss_ut": {
        "handlingstyp": "Remiss",
        "riktning": "Utgående",
        "part": "remissinstans",
        "formats": {"pdf": 5, "docx": 3, "eml": 2},
        "rubrik": ("Remiss till {remissinstans}", "Remiss: {arende_kort}",
                   "Grannehöring, {fastighet}"),
        "opening": (
            "{namnd} översänder härmed ärendet om {arende_kort} på remiss.",
            "Ni ges tillfälle att yttra er över {arende_kort}.",
        ),
        "closing": (
            "Yttrandet ska ha kommit in senast den {frist}. Ange diarienummer {dnr}.",
            "Om inget yttrande har kommit in till den {frist} utgår vi från att ni inte "
            "har något att invända.",
        ),
    },
    "remiss_in": {
        "handlingstyp": "Remiss",
        "riktning": "Inkommande",
        "part": "myndighet",
        "formats": {"pdf": 6, "eml": 2, "docx": 2},
        "rubrik": ("Remiss från {myndighet}: {remissamne}", "Remiss: {remissamne}"),
        "opening": (
            "{myndighet} remitterar härmed {remissamne_lower} till {kommun}.",
            "{kommun} har fått möjlighet att lämna synpunkter på {remissamne_lower}.",
        ),
        "closing": (
            "Svar ska ha kommit in till {myndighet} senast den {frist}.",
            "Remissvaren kommer att publiceras på avsändarens webbplats.",
        ),
    },
    "yttrande_in": {
        "handlingstyp": "Yttrande",
        "riktning": "Inkommande",
        "part": "remissinstans",
        "formats": {"pdf": 5, "docx": 3, "eml": 2},
        "rubrik": ("Yttrande från {remissinstans}", "Yttrande över {arende_kort}",
                   "Synpunkter från granne, {fastighet}"),
        "opening": (
            "{remissinstans} har tagit del av remissen i ärende {dnr} och lämnar följande "
            "yttrande.",
            "Vi har inget att invända mot {arende_kort}, med följande påpekanden.",
            "Som ägare till grannfastigheten vill jag lämna synpunkter på ansökan.",
        ),
        "closing": ("Detta yttrande har beslutats av {remissinstans}.", "Med vänlig hälsning, "
                    "{remissinstans}"),
    },
    "yttrande_ut": {
        "handlingstyp": "Yttrande",
        "riktning": "Utgående",
        "part": "myndighet",
        "formats": {"pdf": 4, "docx": 4, "odt": 2},
        "rubrik": ("Yttrande över {remissamne_lower}", "Yttrande till {myndighet}"),
        "opening": (
            "{kommun} har beretts tillfälle att yttra sig över {remissamne_lower} och "
            "lämnar följande yttrande.",
            "{namnd} ställer sig i huvudsak positiv till förslaget.",
        ),
        "closing": ("För {namnd_lower}, {ordforande}, ordförande", "{handlaggare}, föredragande"),
    },
    "tjansteskrivelse": {
        "handlingstyp": "Tjänsteskrivelse",
        "riktning": "Upprättad",
        "part": "",
        "formats": {"docx": 6, "odt": 4},
        "rubrik": ("Tjänsteskrivelse: {arende_kort}", "Tjänsteskrivelse - {arendemening}",
                   "Förslag till beslut om {arende_kort}"),
        "opening": (
            "Ärendet gäller {arende_kort}.",
            "{enhet} har utrett ärendet och lämnar här sitt förslag till beslut.",
        ),
        "closing": (
            "Förvaltningen föreslår att {namnd_lower} beslutar i enlighet med förslaget.",
            "{handlaggare}, {titel}",
        ),
    },
    "beslut": {
        "handlingstyp": "Beslut",
        "riktning": "Utgående",
        "part": "sokande",
        "formats": {"pdf": 8, "docx": 1, "odt": 1},
        "rubrik": ("Beslut om {arende_kort}", "Delegationsbeslut: {arende_kort}",
                   "Beslut, {fastighet}"),
        "opening": (
            "{namnd} beslutar att {beslut_verb} {arende_kort}.",
            "Beslut i ärende {dnr} om {arende_kort}.",
            "Med stöd av delegation beslutar {namnd_lower} att {beslut_verb} ansökan.",
        ),
        "closing": (
            "Beslutet kan överklagas hos {overinstans}. Överklagandet ska ha kommit in inom "
            "tre veckor från den dag ni fick del av beslutet.",
            "Detta beslut har fattats digitalt och saknar därför namnunderskrift.",
        ),
    },
    "protokollsutdrag": {
        "handlingstyp": "Protokollsutdrag",
        "riktning": "Upprättad",
        "part": "",
        "formats": {"pdf": 9, "odt": 1},
        "rubrik": ("Protokollsutdrag {namnd_lower} {datum}, § {paragraf}",
                   "Protokollsutdrag: {arende_kort}"),
        "opening": (
            "Utdrag ur protokoll fört vid sammanträde med {namnd_lower} den {datum_lang}, "
            "§ {paragraf}.",
            "{namnd} behandlade ärendet vid sitt sammanträde den {datum_lang}.",
        ),
        "closing": (
            "Justerat den {frist}. Rätt utdraget intygar {handlaggare}.",
            "Paragrafen förklarades omedelbart justerad.",
        ),
    },
    "avtal": {
        "handlingstyp": "Avtal",
        "riktning": "Upprättad",
        "part": "foretag",
        "formats": {"pdf": 6, "odt": 3, "docx": 1},
        "rubrik": ("Avtal med {foretag}", "Ramavtal: {arende_kort}",
                   "Avtal om {arende_kort}"),
        "opening": (
            "Mellan {kommun} och {foretag} har följande avtal träffats.",
            "Detta avtal reglerar {arende_kort}.",
        ),
        "closing": (
            "Avtalet har upprättats i två likalydande exemplar, varav parterna tagit var "
            "sitt.",
            "Avtalet gäller från den {datum_lang} och löper i två år med möjlighet till "
            "förlängning.",
        ),
    },
    "anbud": {
        "handlingstyp": "Anbud",
        "riktning": "Inkommande",
        "part": "foretag",
        "formats": {"pdf": 8, "docx": 2},
        "rubrik": ("Anbud från {foretag}", "Anbud: {arende_kort}"),
        "opening": (
            "{foretag} lämnar härmed anbud i upphandlingen av {tjanst}.",
            "Vi tackar för förfrågningsunderlaget och lämnar följande anbud.",
        ),
        "closing": ("Anbudet är giltigt i 90 dagar.", "För {foretag}, {avsandare}"),
    },
    "anmalan": {
        "handlingstyp": "Anmälan",
        "riktning": "Inkommande",
        "part": "avsandare",
        "formats": {"pdf": 5, "eml": 5},
        "rubrik": ("Anmälan: {arende_kort}", "Anmälan inkommen", "Anmälan om {arende_kort}"),
        "opening": (
            "Jag vill anmäla {arende_kort}.",
            "Härmed anmäls {arende_kort}.",
        ),
        "closing": ("Jag vill bli kontaktad när ärendet är utrett.", "Mvh {avsandare}"),
    },
    "kvittens": {
        "handlingstyp": "Delgivningskvitto",
        "riktning": "Inkommande",
        "part": "sokande",
        "formats": {"pdf": 5, "none": 5},
        "rubrik": ("Delgivningskvitto", "Mottagningsbevis för beslut"),
        "opening": ("Jag har tagit del av beslutet i ärende {dnr}.",),
        "closing": ("Underskrift: {sokande}",),
    },
    "underrattelse": {
        "handlingstyp": "Underrättelse",
        "riktning": "Utgående",
        "part": "avsandare",
        "formats": {"pdf": 7, "eml": 3},
        "rubrik": ("Underrättelse om beslut", "Kungörelse: {arende_kort}",
                   "Underrättelse till sakägare, {fastighet}"),
        "opening": (
            "Ni underrättas härmed om att {namnd_lower} har fattat beslut i ärende {dnr}.",
            "Som sakägare underrättas ni om beslutet om {arende_kort}.",
        ),
        "closing": (
            "Den som vill överklaga beslutet ska skriva till {overinstans} men skicka "
            "skrivelsen till {namnd_lower}.",
        ),
    },
    "rapport": {
        "handlingstyp": "Rapport",
        "riktning": "Upprättad",
        "part": "",
        "formats": {"pdf": 5, "docx": 3, "odt": 2},
        "rubrik": ("Inspektionsrapport, {verksamhet}", "Rapport: {arende_kort}",
                   "Utredning: {arende_kort}"),
        "opening": (
            "Rapporten redovisar {arende_kort}.",
            "Inspektion genomfördes den {datum_lang} av {handlaggare}.",
        ),
        "closing": ("Rapporten har skickats till verksamhetsutövaren för kännedom.",
                    "{handlaggare}, {titel}"),
    },
}

# Sentences any document may carry, by riktning.
GENERIC = {
    "Inkommande": (
        "Jag har bott på adressen sedan {ar_bott} och känner väl till området.",
        "Bifogat finns de handlingar som behövs i ärendet.",
        "Jag har tidigare haft kontakt med {handlaggare_fornamn} på telefon om detta.",
        "Vi har också pratat med grannarna, som inte har något att invända.",
        "Jag ber om ursäkt för att kompletteringen dröjt.",
        "Kontakta mig gärna på {telefon} eller via e-post om ni har frågor.",
        "Se även ärende {ref_dnr}, som gäller en närliggande fråga.",
        "Kostnaden har beräknats till {belopp} kronor inklusive moms.",
    ),
    "Utgående": (
        "Handläggningstiden är normalt tio veckor från det att ansökan är komplett.",
        "Avgiften tas ut enligt kommunfullmäktiges taxa och uppgår till {belopp} kronor.",
        "Beslutet har fattats med stöd av delegationsordningen.",
        "Ärendet har handlagts av {handlaggare}, {enhet}.",
        "Har du frågor om beslutet kan du kontakta {handlaggare} på telefon {telefon_kommun}.",
        "Ange alltid diarienummer {dnr} när du kontaktar oss om ärendet.",
        "Se även ärende {ref_dnr}.",
        "Personuppgifter behandlas enligt dataskyddsförordningen. Läs mer på kommunens "
        "webbplats.",
    ),
    "Upprättad": (
        "Ärendet har beretts av {enhet} i samråd med ekonomiavdelningen.",
        "Förslaget bedöms inte medföra några ökade kostnader för kommunen.",
        "Kostnaden uppgår till {belopp} kronor och ryms inom befintlig budget.",
        "Ärendet har samband med ärende {ref_dnr}.",
        "Barnkonventionen har beaktats vid beredningen av ärendet.",
        "Beslutsunderlag: tjänsteskrivelse daterad {datum}, karta och ritningar.",
        "Förvaltningen har inte funnit skäl att göra en annan bedömning än tidigare.",
        "Besluten i de tidigare ärendena har vunnit laga kraft.",
    ),
}

# --- case kinds ---------------------------------------------------------------------------
# `steps`: the documents every case of the kind has, in order; `extras`: documents added
# (in the middle) when a case gets more; `secret`: (provision, steps it applies to) or
# None; `facts`: sentences about the matter, shared by all documents of such a case.

CASE_KINDS: dict[str, tuple[dict[str, Any], ...]] = {
    "sbn": (
        {
            "key": "bygglov_nybyggnad",
            "weight": 26,
            "klass": "3.2.1",
            "enhet": "Bygglovsenheten",
            "arendemening": (
                "Ansökan om bygglov för nybyggnad av {byggnad}, {fastighet}",
                "Bygglov för nybyggnad av {byggnad}, {fastighet}",
                "Nybyggnad av {byggnad}, bygglov, {fastighet}",
            ),
            "arende_kort": ("bygglov för nybyggnad av {byggnad}", "bygglov för {byggnad}"),
            "ansokan_ord": "Bygglovsansökan",
            "steps": ("ansokan", "tjansteskrivelse", "beslut"),
            "extras": (
                "komplettering_begaran", "komplettering_in", "remiss_ut", "yttrande_in",
                "epost_in", "epost_ut", "kvittens", "underrattelse", "skrivelse_in",
            ),
            "secret": None,
            "facts": (
                "Bygglovsansökan avser nybyggnad av {byggnad} om {area} kvadratmeter "
                "bruttoarea på fastigheten {fastighet}.",
                "Fastigheten omfattas av detaljplan för {omrade}, som vann laga kraft {plan_ar}.",
                "Åtgärden är förenlig med detaljplanen och bygglov ska därför ges enligt "
                "9 kap. 30 § plan- och bygglagen.",
                "Byggnaden placeras {avstand} meter från tomtgränsen mot grannfastigheten.",
                "Byggnadens höjd överskrider den tillåtna med {avvikelse} meter, vilket "
                "bedöms som en liten avvikelse.",
                "Bygglovsavgiften har beräknats till {belopp} kronor enligt taxan.",
                "Ansökningar om bygglov i området har tidigare beviljats för liknande "
                "byggnader.",
                "Sökanden har anlitat {foretag} som kontrollansvarig.",
                "Tekniskt samråd behövs innan startbesked kan ges.",
                "Bygglovet upphör att gälla om åtgärden inte har påbörjats inom två år.",
                "Byggnaden ska ha fasad av liggande träpanel och tak av svarta betongpannor.",
                "Grannarna har underrättats och getts tillfälle att yttra sig över "
                "bygglovsansökan.",
                "Bygglovshandlingarna består av fasadritningar, planritning och "
                "situationsplan.",
            ),
        },
        {
            "key": "bygglov_tillbyggnad",
            "weight": 14,
            "klass": "3.2.1",
            "enhet": "Bygglovsenheten",
            "arendemening": (
                "Bygglov för {tillbyggnad}, {fastighet}",
                "Ansökan om bygglov för {tillbyggnad}, {fastighet}",
            ),
            "arende_kort": ("bygglov för {tillbyggnad}",),
            "ansokan_ord": "Bygglovsansökan",
            "steps": ("ansokan", "beslut"),
            "extras": (
                "komplettering_begaran", "komplettering_in", "tjansteskrivelse", "epost_in",
                "epost_ut", "kvittens", "remiss_ut", "yttrande_in",
            ),
            "secret": None,
            "facts": (
                "Ansökan avser {tillbyggnad} om {area_liten} kvadratmeter.",
                "Tillbyggnaden kräver bygglov eftersom den inte uppfyller villkoren för "
                "bygglovsbefriade åtgärder.",
                "Tillbyggnaden utförs i samma material och kulör som befintlig byggnad.",
                "Åtgärden är bygglovspliktig enligt 9 kap. 2 § plan- och bygglagen.",
                "Den sammanlagda byggnadsarean blir {area} kvadratmeter, vilket ryms inom "
                "planens byggrätt.",
                "Bygglovsavgiften uppgår till {belopp} kronor.",
                "Enligt bygglovsenhetens bedömning påverkas inte stadsbilden negativt.",
                "Tidigare bygglov för fastigheten beviljades {plan_ar}.",
            ),
        },
        {
            "key": "bygglov_andring",
            "weight": 7,
            "klass": "3.2.1",
            "enhet": "Bygglovsenheten",
            "arendemening": ("Bygglov för {andring}, {fastighet}",),
            "arende_kort": ("bygglov för {andring}",),
            "ansokan_ord": "Bygglovsansökan",
            "steps": ("ansokan", "beslut"),
            "extras": ("komplettering_begaran", "komplettering_in", "epost_in", "kvittens"),
            "secret": None,
            "facts": (
                "Ansökan avser {andring} på byggnaden inom fastigheten {fastighet}.",
                "Byggnaden ligger inom ett område som pekats ut som kulturhistoriskt "
                "värdefullt i översiktsplanen.",
                "Ändringen bedöms inte förvanska byggnadens kulturvärden.",
                "Bygglovsavgiften har bestämts till {belopp} kronor.",
                "Bygglovsprövningen har gjorts mot gällande detaljplan från {plan_ar}.",
            ),
        },
        {
            "key": "rivningslov",
            "weight": 3,
            "klass": "3.2.2",
            "enhet": "Bygglovsenheten",
            "arendemening": ("Rivningslov för {byggnad}, {fastighet}",),
            "arende_kort": ("rivningslov för {byggnad}",),
            "ansokan_ord": "Ansökan om rivningslov",
            "steps": ("ansokan", "beslut"),
            "extras": ("komplettering_begaran", "komplettering_in", "epost_in"),
            "secret": None,
            "facts": (
                "Byggnaden är i dåligt skick och bedöms inte kunna renoveras till rimlig "
                "kostnad.",
                "En rivningsplan ska lämnas in före tekniskt samråd.",
                "Rivningsavfallet ska sorteras och farligt avfall tas om hand separat.",
                "Rivningslovet avser en byggnad om {area} kvadratmeter.",
            ),
        },
        {
            "key": "attefall",
            "weight": 5,
            "klass": "3.2.3",
            "enhet": "Bygglovsenheten",
            "arendemening": ("Anmälan om attefallshus, {fastighet}",
                             "Anmälan om attefallstillbyggnad, {fastighet}"),
            "arende_kort": ("anmälan om attefallshus", "bygglovsbefriad komplementbyggnad"),
            "ansokan_ord": "Anmälan",
            "steps": ("anmalan", "beslut"),
            "extras": ("komplettering_begaran", "komplettering_in", "epost_in"),
            "secret": None,
            "facts": (
                "Åtgärden är bygglovsbefriad men anmälningspliktig enligt 9 kap. 4 a § "
                "plan- och bygglagen.",
                "Attefallshuset har en byggnadsarea om 30 kvadratmeter och placeras 4,5 "
                "meter från tomtgränsen.",
                "Startbesked krävs innan arbetena får påbörjas, trots att inget bygglov behövs.",
                "Avgiften för anmälan är {belopp} kronor.",
            ),
        },
        {
            "key": "detaljplan",
            "weight": 8,
            "klass": "3.1.1",
            "enhet": "Planenheten",
            "arendemening": (
                "Detaljplan för {omrade}",
                "Detaljplaneändring för {omrade}",
                "Ändring av detaljplan för {omrade}, samrådsförslag",
            ),
            "arende_kort": ("detaljplanen för {omrade}", "detaljplaneändringen för {omrade}"),
            "ansokan_ord": "Begäran om planbesked",
            "steps": ("ansokan", "tjansteskrivelse", "protokollsutdrag"),
            "extras": (
                "remiss_ut", "yttrande_in", "yttrande_in", "skrivelse_in", "epost_in",
                "protokollsutdrag", "avtal", "underrattelse",
            ),
            "secret": None,
            "facts": (
                "Syftet med detaljplaneändringen är att möjliggöra cirka {antal} nya "
                "bostäder i {omrade}.",
                "Planförslaget har varit utställt för samråd mellan den {datum_lang} och "
                "den {frist}.",
                "Länsstyrelsen har i sitt samrådsyttrande påpekat risker för översvämning.",
                "Detaljplanen bedöms inte medföra betydande miljöpåverkan.",
                "Ett planavtal har tecknats med {foretag}.",
                "Planarbetet bedrivs med standardförfarande enligt plan- och bygglagen.",
                "Gällande detaljplaner i området ändras genom den nya detaljplanen.",
                "Exploateringen beräknas ge kommunen intäkter om {belopp} kronor.",
                "Detaljplaneändringar av detta slag tar normalt ett till två år.",
            ),
        },
        {
            "key": "strandskydd",
            "weight": 4,
            "klass": "3.3.1",
            "enhet": "Bygglovsenheten",
            "arendemening": ("Ansökan om strandskyddsdispens för {byggnad}, {fastighet}",),
            "arende_kort": ("strandskyddsdispens för {byggnad}",),
            "ansokan_ord": "Ansökan om strandskyddsdispens",
            "steps": ("ansokan", "tjansteskrivelse", "beslut"),
            "extras": ("remiss_ut", "yttrande_in", "epost_in", "komplettering_in"),
            "secret": None,
            "facts": (
                "Fastigheten ligger inom strandskyddat område vid Lillsjön.",
                "Platsen är redan ianspråktagen genom befintlig tomt, vilket är ett "
                "särskilt skäl för dispens.",
                "Beslutet om strandskyddsdispens skickas till Länsstyrelsen i Exempellän "
                "för överprövning.",
                "En fri passage om minst {avstand} meter lämnas mot vattnet.",
            ),
        },
        {
            "key": "olovligt_byggande",
            "weight": 5,
            "klass": "3.4.1",
            "enhet": "Bygglovsenheten",
            "arendemening": (
                "Tillsyn, olovligt byggande utan bygglov, {fastighet}",
                "Tillsynsärende: byggnad uppförd utan bygglov, {fastighet}",
            ),
            "arende_kort": ("olovligt byggande utan bygglov på {fastighet}",),
            "ansokan_ord": "Anmälan",
            "steps": ("anmalan", "skrivelse_in", "beslut"),
            "extras": ("epost_in", "epost_ut", "rapport", "kvittens", "underrattelse"),
            "secret": None,
            "facts": (
                "Vid platsbesök den {datum_lang} konstaterades att en {byggnad} har "
                "uppförts utan bygglov.",
                "Fastighetsägaren har getts tillfälle att ansöka om bygglov i efterhand.",
                "Byggsanktionsavgiften har beräknats till {belopp} kronor.",
                "Nämnden förelägger fastighetsägaren att ta bort byggnaden.",
                "Den olovliga åtgärden kan inte ges bygglov i efterhand eftersom den strider "
                "mot detaljplanen.",
            ),
        },
        {
            "key": "forhandsbesked",
            "weight": 4,
            "klass": "3.2.4",
            "enhet": "Bygglovsenheten",
            "arendemening": ("Förhandsbesked för nybyggnad av enbostadshus, {fastighet}",),
            "arende_kort": ("förhandsbesked för nybyggnad av enbostadshus",),
            "ansokan_ord": "Ansökan om förhandsbesked",
            "steps": ("ansokan", "remiss_ut", "beslut"),
            "extras": ("yttrande_in", "yttrande_in", "epost_in", "tjansteskrivelse"),
            "secret": None,
            "facts": (
                "Platsen ligger utanför detaljplanelagt område i {ort}.",
                "Ett positivt förhandsbesked innebär inte att bygglov har getts; en "
                "bygglovsansökan måste lämnas in inom två år.",
                "Vatten och avlopp ska lösas med enskild anläggning.",
                "Tillfartsväg finns via befintlig enskild väg.",
            ),
        },
    ),
    "ks": (
        {
            "key": "upphandling",
            "weight": 10,
            "klass": "1.4.2",
            "enhet": "Upphandlingsenheten",
            "arendemening": ("Upphandling av {tjanst}", "Ramavtal för {tjanst}"),
            "arende_kort": ("upphandlingen av {tjanst}", "ramavtalet för {tjanst}"),
            "ansokan_ord": "Anbud",
            "steps": ("tjansteskrivelse", "anbud", "anbud", "beslut", "avtal"),
            "extras": ("anbud", "epost_in", "epost_ut", "skrivelse_in", "protokollsutdrag"),
            "secret": ("19 kap. 3 § OSL", ("anbud",)),
            "facts": (
                "Upphandlingen genomförs som ett förenklat förfarande enligt lagen om "
                "offentlig upphandling.",
                "Det uppskattade värdet av ramavtalet är {belopp} kronor per år.",
                "Anbuden utvärderas efter lägsta pris och kvalitet.",
                "Tilldelningsbeslutet meddelades samtliga anbudsgivare den {datum_lang}.",
                "Upphandlingen omfattar även Exempelbostäder AB och Exempelby Vatten AB.",
                "Ramavtalet tecknas med {foretag}, som lämnade det ekonomiskt mest "
                "fördelaktiga anbudet.",
                "Upphandlingar av detta slag annonseras i en offentlig databas.",
            ),
        },
        {
            "key": "motion",
            "weight": 8,
            "klass": "1.1.2",
            "enhet": "Kansliavdelningen",
            "arendemening": ("Motion om {amne} ({parti})", "Motion: {amne}"),
            "arende_kort": ("motionen om {amne}",),
            "ansokan_ord": "Motion",
            "steps": ("skrivelse_in", "tjansteskrivelse", "protokollsutdrag"),
            "extras": ("remiss_ut", "yttrande_in", "protokollsutdrag", "epost_in"),
            "secret": None,
            "facts": (
                "{politiker} ({parti}) föreslår i en motion att kommunen utreder {amne}.",
                "Motionen remitterades till samhällsbyggnadsnämnden och tekniska nämnden.",
                "Kommunstyrelsen föreslår att motionen ska anses besvarad.",
                "Kommunfullmäktige beslutade att bifalla motionen.",
                "Kostnaden för förslaget uppskattas till {belopp} kronor.",
                "Motionärerna anser att frågan är angelägen för kommunens invånare.",
            ),
        },
        {
            "key": "medborgarforslag",
            "weight": 7,
            "klass": "1.1.3",
            "enhet": "Kansliavdelningen",
            "arendemening": ("Medborgarförslag om {amne}",),
            "arende_kort": ("medborgarförslaget om {amne}",),
            "ansokan_ord": "Medborgarförslag",
            "steps": ("skrivelse_in", "tjansteskrivelse", "protokollsutdrag"),
            "extras": ("epost_in", "epost_ut", "remiss_ut", "yttrande_in"),
            "secret": None,
            "facts": (
                "Förslagsställaren vill att kommunen ordnar {amne}.",
                "Medborgarförslaget har fått stöd av {antal} personer på kommunens webbplats.",
                "Förvaltningen bedömer att förslaget kan genomföras inom ramen för "
                "ordinarie budget.",
                "Medborgarförslaget avslås med hänvisning till pågående planering.",
            ),
        },
        {
            "key": "remiss_extern",
            "weight": 8,
            "klass": "1.2.4",
            "enhet": "Kommunledningskontoret",
            "arendemening": ("Remiss från {myndighet}: {remissamne}",),
            "arende_kort": ("remissen om {remissamne_lower}",),
            "ansokan_ord": "Remiss",
            "steps": ("remiss_in", "tjansteskrivelse", "yttrande_ut"),
            "extras": ("protokollsutdrag", "epost_in", "epost_ut", "remiss_ut", "yttrande_in"),
            "secret": None,
            "facts": (
                "Remissen gäller {remissamne_lower}.",
                "Förslaget innebär ökade krav på kommunens planering och beredskap.",
                "Kommunen delar bedömningen att samverkan i länet behöver stärkas.",
                "En trygg läkemedelsförsörjning är viktig även för kommunens äldreomsorg.",
                "Yttrandet har samordnats med samhällsbyggnadsnämnden.",
            ),
        },
        {
            "key": "budget",
            "weight": 4,
            "klass": "1.3.1",
            "enhet": "Ekonomiavdelningen",
            "arendemening": ("Budget och verksamhetsplan {nasta_ar}", "Delårsrapport {ar}",
                             "Årsredovisning {ar}"),
            "arende_kort": ("budgeten för {nasta_ar}", "delårsrapporten"),
            "ansokan_ord": "Budgetunderlag",
            "steps": ("tjansteskrivelse", "protokollsutdrag"),
            "extras": ("rapport", "protokollsutdrag", "yttrande_in", "epost_in"),
            "secret": None,
            "facts": (
                "Kommunens resultat för perioden uppgår till {belopp} kronor.",
                "Skatteintäkterna bedöms öka med 3,2 procent jämfört med föregående år.",
                "Nämndernas budgetramar räknas upp med 2,5 procent.",
                "Investeringsbudgeten omfattar bland annat en ny förskola i Bäckby.",
                "Balanskravet uppfylls.",
            ),
        },
        {
            "key": "markanvisning",
            "weight": 4,
            "klass": "1.5.2",
            "enhet": "Näringslivsenheten",
            "arendemening": ("Markanvisningsavtal för {omrade}", "Markanvisning, {omrade}"),
            "arende_kort": ("markanvisningen för {omrade}",),
            "ansokan_ord": "Intresseanmälan",
            "steps": ("skrivelse_in", "tjansteskrivelse", "avtal"),
            "extras": ("protokollsutdrag", "epost_in", "epost_ut", "avtal"),
            "secret": None,
            "facts": (
                "Markanvisningen ger {foretag} ensamrätt att förhandla om marken i två år.",
                "Köpeskillingen är {belopp} kronor.",
                "Området är cirka {area} kvadratmeter och avses bebyggas med bostäder.",
            ),
        },
        {
            "key": "krisberedskap",
            "weight": 3,
            "klass": "1.6.1",
            "enhet": "Kommunledningskontoret",
            "arendemening": ("Risk- och sårbarhetsanalys {ar}",
                             "Säkerhetsskyddsanalys för kommunens vattenförsörjning"),
            "arende_kort": ("risk- och sårbarhetsanalysen",),
            "ansokan_ord": "Underlag",
            "steps": ("tjansteskrivelse", "rapport", "protokollsutdrag"),
            "extras": ("remiss_in", "epost_in"),
            "secret": ("18 kap. 8 § OSL", ("rapport", "tjansteskrivelse")),
            "facts": (
                "Analysen pekar ut sårbarheter i vattenverket och reservkraften.",
                "Uppgifterna i rapporten rör säkerhets- och bevakningsåtgärder.",
                "Krisledningsnämndens övning genomfördes i september.",
            ),
        },
        {
            "key": "allman_handling",
            "weight": 4,
            "klass": "1.2.2",
            "enhet": "Kansliavdelningen",
            "arendemening": ("Begäran om utlämnande av allmän handling",),
            "arende_kort": ("begäran om utlämnande av allmän handling",),
            "ansokan_ord": "Begäran",
            "steps": ("epost_in", "epost_ut"),
            "extras": ("beslut", "epost_in"),
            "secret": None,
            "facts": (
                "Begäran avser handlingar i ärende {ref_dnr}.",
                "Handlingarna lämnades ut i sin helhet.",
                "Delar av handlingarna har maskerats med stöd av offentlighets- och "
                "sekretesslagen.",
            ),
        },
    ),
    "bun": (
        {
            "key": "skolskjuts",
            "weight": 6,
            "klass": "2.3.1",
            "enhet": "Grundskoleenheten",
            "arendemening": ("Ansökan om skolskjuts", "Ansökan om skolskjuts, {skola}"),
            "arende_kort": ("skolskjuts till {skola}",),
            "ansokan_ord": "Ansökan om skolskjuts",
            "steps": ("ansokan", "beslut"),
            "extras": ("epost_in", "epost_ut", "skrivelse_in"),
            "secret": None,
            "facts": (
                "Ansökan gäller skolskjuts för elev i årskurs {arskurs} vid {skola}.",
                "Avståndet mellan hemmet och skolan är {km} kilometer.",
                "Enligt kommunens riktlinjer har elever i årskurs 4-6 rätt till skolskjuts "
                "om avståndet överstiger 3 kilometer.",
                "Skolvägen bedöms som trafikfarlig på grund av den smala vägen utan gångbana.",
                "Skolskjutsen utförs av Trygga Skolskjutsar i Norr AB.",
            ),
        },
        {
            "key": "krankande_behandling",
            "weight": 6,
            "klass": "2.4.2",
            "enhet": "Elevhälsan",
            "arendemening": ("Anmälan om kränkande behandling, {skola}",),
            "arende_kort": ("anmälan om kränkande behandling vid {skola}",),
            "ansokan_ord": "Anmälan",
            "steps": ("anmalan", "rapport", "beslut"),
            "extras": ("epost_in", "skrivelse_in", "rapport"),
            "secret": ("23 kap. 1 § OSL", ("anmalan", "rapport", "epost_in", "skrivelse_in")),
            "facts": (
                "Rektor har anmält att en elev utsatts för kränkande behandling.",
                "Utredningen visar att skolan har vidtagit åtgärder.",
                "Huvudmannen bedömer att ärendet kan avslutas.",
            ),
        },
        {
            "key": "forskoleverksamhet",
            "weight": 5,
            "klass": "2.1.3",
            "enhet": "Förskoleenheten",
            "arendemening": (
                "Ansökan om godkännande av fristående förskoleverksamhet, {forskola}",
                "Tillsyn av förskoleverksamhet vid {forskola}",
                "Utökning av förskoleverksamheten i {ort}",
            ),
            "arende_kort": ("förskoleverksamheten vid {forskola}",),
            "ansokan_ord": "Ansökan",
            "steps": ("ansokan", "tjansteskrivelse", "protokollsutdrag"),
            "extras": ("rapport", "epost_in", "epost_ut", "skrivelse_in", "beslut"),
            "secret": None,
            "facts": (
                "Förskoleverksamheten omfattar {antal} barn fördelade på fyra avdelningar.",
                "Behovet av förskoleplatser i {ort} väntas öka de kommande åren.",
                "Förskolans lokaler uppfyller kraven på brandskydd och tillgänglighet.",
                "Förskolorna i kommunen har i genomsnitt 5,2 barn per förskollärare.",
                "Bidraget till fristående förskoleverksamhet beräknas till {belopp} kronor "
                "per barn och år.",
            ),
        },
        {
            "key": "tillaggsbelopp",
            "weight": 4,
            "klass": "2.4.1",
            "enhet": "Elevhälsan",
            "arendemening": ("Ansökan om tilläggsbelopp, {skola}",),
            "arende_kort": ("tilläggsbelopp för elev vid {skola}",),
            "ansokan_ord": "Ansökan om tilläggsbelopp",
            "steps": ("ansokan", "beslut"),
            "extras": ("komplettering_begaran", "komplettering_in", "epost_in"),
            "secret": ("23 kap. 2 § OSL", ("ansokan", "komplettering_in", "epost_in")),
            "facts": (
                "Ansökan avser tilläggsbelopp för en elev med omfattande behov av särskilt "
                "stöd.",
                "Tilläggsbeloppet beviljas med {belopp} kronor för läsåret.",
            ),
        },
        {
            "key": "skolinspektion",
            "weight": 3,
            "klass": "2.5.1",
            "enhet": "Barn- och utbildningsförvaltningens kansli",
            "arendemening": ("Skolinspektionens tillsyn av {skola}",),
            "arende_kort": ("Skolinspektionens tillsyn av {skola}",),
            "ansokan_ord": "Underrättelse",
            "steps": ("remiss_in", "yttrande_ut", "beslut"),
            "extras": ("rapport", "epost_in", "protokollsutdrag"),
            "secret": None,
            "facts": (
                "Skolinspektionen har granskat undervisningen i matematik vid {skola}.",
                "Huvudmannen ska redovisa vidtagna åtgärder senast den {frist}.",
                "Bristerna gäller främst anpassningar och extra stöd.",
            ),
        },
    ),
    "mn": (
        {
            "key": "avlopp",
            "weight": 6,
            "klass": "4.2.1",
            "enhet": "Miljöenheten",
            "arendemening": ("Ansökan om tillstånd för enskilt avlopp, {fastighet}",),
            "arende_kort": ("tillstånd för enskild avloppsanläggning",),
            "ansokan_ord": "Ansökan om avloppstillstånd",
            "steps": ("ansokan", "beslut"),
            "extras": ("komplettering_begaran", "komplettering_in", "epost_in", "kvittens"),
            "secret": None,
            "facts": (
                "Avloppsanläggningen ska bestå av slamavskiljare och markbädd för {antal} "
                "personekvivalenter.",
                "Fastigheten ligger inom område med hög skyddsnivå för miljöskydd.",
                "Avgiften för tillståndet är {belopp} kronor.",
                "Avståndet till närmaste dricksvattenbrunn är {avstand} meter.",
            ),
        },
        {
            "key": "varmepump",
            "weight": 4,
            "klass": "4.2.2",
            "enhet": "Miljöenheten",
            "arendemening": ("Anmälan om installation av värmepump, {fastighet}",),
            "arende_kort": ("installation av bergvärmepump",),
            "ansokan_ord": "Anmälan",
            "steps": ("anmalan", "beslut"),
            "extras": ("epost_in",),
            "secret": None,
            "facts": (
                "Borrhålet placeras {avstand} meter från fastighetsgränsen.",
                "Värmepumpen innehåller {kg} kilogram köldmedium.",
                "Nämnden har inga invändningar mot installationen.",
            ),
        },
        {
            "key": "livsmedel",
            "weight": 6,
            "klass": "4.3.1",
            "enhet": "Livsmedelsenheten",
            "arendemening": ("Registrering av livsmedelsanläggning, {verksamhet}",
                             "Livsmedelskontroll, {verksamhet}"),
            "arende_kort": ("livsmedelskontrollen vid {verksamhet}",),
            "ansokan_ord": "Anmälan om registrering",
            "steps": ("anmalan", "rapport", "beslut"),
            "extras": ("rapport", "epost_in", "epost_ut", "skrivelse_in"),
            "secret": None,
            "facts": (
                "Vid kontrollen av {verksamhet} konstaterades brister i rengöringen.",
                "Temperaturen i kylen uppmättes till 9 grader, vilket överstiger "
                "gränsvärdet.",
                "Verksamheten placeras i riskklass 5 med en årlig kontrolltid om tre timmar.",
                "Avgiften för extra offentlig kontroll uppgår till {belopp} kronor.",
                "Livsmedelsföretagaren har rättat bristerna.",
            ),
        },
        {
            "key": "klagomal",
            "weight": 6,
            "klass": "4.1.2",
            "enhet": "Hälsoskyddsenheten",
            "arendemening": ("Klagomål på buller från {bullerkalla}, {adress}",
                             "Klagomål på {inomhusproblem}, {adress}"),
            "arende_kort": ("klagomålet på {bullerkalla}", "klagomålet på {inomhusproblem}"),
            "ansokan_ord": "Klagomål",
            "steps": ("anmalan", "epost_ut", "beslut"),
            "extras": ("rapport", "epost_in", "skrivelse_in", "yttrande_in"),
            "secret": ("21 kap. 7 § OSL", ("anmalan",)),
            "facts": (
                "Klagande uppger att störningarna pågår främst kvällar och helger.",
                "Bullermätningen visade 38 dBA inomhus nattetid, över riktvärdet.",
                "Fastighetsägaren har förelagts att åtgärda olägenheten.",
                "Nämnden bedömer att det inte föreligger en olägenhet för människors hälsa.",
            ),
        },
        {
            "key": "miljotillsyn",
            "weight": 4,
            "klass": "4.1.1",
            "enhet": "Miljöenheten",
            "arendemening": ("Tillsyn enligt miljöbalken, {verksamhet}",),
            "arende_kort": ("tillsynen av {verksamhet}",),
            "ansokan_ord": "Miljörapport",
            "steps": ("rapport", "beslut"),
            "extras": ("epost_in", "skrivelse_in", "rapport", "remiss_in"),
            "secret": None,
            "facts": (
                "Verksamheten är anmälningspliktig enligt miljöprövningsförordningen.",
                "Tillsynsavgiften är {belopp} kronor.",
                "Kemikalieförvaringen saknade invallning.",
            ),
        },
    ),
    "sn": (
        {
            "key": "orosanmalan",
            "weight": 4,
            "klass": "5.1.1",
            "enhet": "Individ- och familjeomsorgen",
            "arendemening": ("Anmälan enligt 14 kap. 1 § socialtjänstlagen",),
            "arende_kort": ("oro för ett barns situation",),
            "ansokan_ord": "Orosanmälan",
            "steps": ("anmalan", "rapport"),
            "extras": ("epost_in", "skrivelse_in", "rapport"),
            "secret": ("26 kap. 1 § OSL", ("anmalan", "rapport", "epost_in", "skrivelse_in")),
            "facts": (
                "Anmälan har kommit in från skolan.",
                "Förhandsbedömning har gjorts inom fjorton dagar.",
            ),
        },
        {
            "key": "serveringstillstand",
            "weight": 4,
            "klass": "5.3.1",
            "enhet": "Tillståndsenheten",
            "arendemening": ("Ansökan om serveringstillstånd, {verksamhet}",),
            "arende_kort": ("serveringstillstånd för {verksamhet}",),
            "ansokan_ord": "Ansökan om serveringstillstånd",
            "steps": ("ansokan", "remiss_ut", "yttrande_in", "beslut"),
            "extras": ("yttrande_in", "epost_in", "komplettering_in", "rapport"),
            "secret": None,
            "facts": (
                "Ansökan gäller stadigvarande serveringstillstånd till allmänheten.",
                "Polismyndigheten har inget att erinra mot ansökan.",
                "Serveringstiden föreslås till klockan 01.00.",
                "Kunskapsprovet i alkohollagen är godkänt.",
            ),
        },
        {
            "key": "fardtjanst",
            "weight": 3,
            "klass": "5.2.1",
            "enhet": "Äldreomsorgen",
            "arendemening": ("Ansökan om färdtjänst",),
            "arende_kort": ("färdtjänst",),
            "ansokan_ord": "Ansökan om färdtjänst",
            "steps": ("ansokan", "beslut"),
            "extras": ("epost_in", "komplettering_in"),
            "secret": ("26 kap. 1 § OSL", ("ansokan", "beslut", "komplettering_in", "epost_in")),
            "facts": (
                "Sökanden har en funktionsnedsättning som medför väsentliga svårigheter "
                "att resa med allmänna kommunikationer.",
                "Färdtjänst beviljas till och med den {frist}.",
            ),
        },
        {
            "key": "ivo",
            "weight": 2,
            "klass": "5.4.1",
            "enhet": "Äldreomsorgen",
            "arendemening": ("Inspektionen för vård och omsorg: tillsyn av Norrviks "
                             "vård- och omsorgsboende",),
            "arende_kort": ("IVO:s tillsyn av äldreboendet",),
            "ansokan_ord": "Underrättelse",
            "steps": ("remiss_in", "yttrande_ut"),
            "extras": ("beslut", "rapport", "epost_in"),
            "secret": None,
            "facts": (
                "Inspektionen har granskat bemanningen nattetid.",
                "Nämnden redovisar de åtgärder som vidtagits.",
            ),
        },
    ),
}

BESLUT_VERB = ("bevilja", "bevilja", "bevilja", "avslå", "avvisa")
OVERINSTANS = {
    "ks": "förvaltningsrätten",
    "sbn": "Länsstyrelsen i Exempellän",
    "bun": "förvaltningsrätten",
    "mn": "Länsstyrelsen i Exempellän",
    "sn": "förvaltningsrätten",
}
TITLAR = ("handläggare", "bygglovshandläggare", "utredare", "miljöinspektör", "planarkitekt",
          "nämndsekreterare", "ekonom", "upphandlare")
