"""Queries of benchmarks/semantic_eval.py over the real corpus (../shared/corpus/real).

Written after reading the documents, as a resident who read them would ask, in three
kinds the keyword search serves badly (issue 14):

- `paraphrase`: everyday words for what the document calls by its official term
  ("brandlarm hemma" for "brandvarnare i bostäder");
- `english`: the same need in English, for a Swedish document;
- `question`: a natural question;
- `exact`: identifiers, quoted phrases and plain official words, which keyword search
  already finds: hybrid ranking must keep them where they were (the kinds of
  benchmarks/quality_eval.py, on the real corpus).

A query counts as found when one of its `files` (MANIFEST.csv `file`) is in the top ten.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SemanticQuery:
    kind: str                  # paraphrase, english, question, exact
    query: str
    files: tuple[str, ...]     # the corpus files the query is about


def _q(kind: str, query: str, *files: str) -> SemanticQuery:
    return SemanticQuery(kind, query, files)


SRV_BRANDVARNARE = "raddningsverket__SRVFS-2007-1.pdf"
SOTNING = "sundsvall-timra-sotningsdistrikt__BSK_Kopmangatan_5.pdf"
ROVDJUR = "naturvardsverket__index.pdf"
HAST = "jordbruksverket__SJVFS-2009_26.pdf"
STRALNING = "stralsakerhetsmyndigheten__SSMFS-2018-11.pdf"
LEKSAKER = "elsakerhetsverket__ELSAK-FS-2011-1.pdf"
KORRUPTION = "eso-finansdepartementet__2013_bergh_erlingsson_sjolin_ohrvall.pdf"
AVHOPP = ("scb__2010_2_erlingsson_ohrvall.pdf", "skl__2017_erlingsson_ohrvall.pdf")
BOSTADSANPASSNING = "boverket__1992-46bab13.pdf"
VENTILATION = "boverket__1991-36ovr61.pdf"
BREDBAND = "boverket__BFS-2017-1.pdf"
RESTER = ("livsmedelsverket__LIVSFS-2006_22.pdf", "livsmedelsverket__LIVSFS-2006_22bil1.pdf")
UNGDOM = "nykarleby-stad-fi__ungdomsfullmaktige_protokoll_30_01_2023_16_15_153457.pdf"
BILJETT = "allmanna-reklamationsnamnden__index.pdf"
LAKARINTYG = "arbetsdomstolen__2013-63.docx"
PAPPERSLOSA = "regeringen__dir-2009_71.pdf"
DATASKYDD = "regeringen__dir.-201615-dataskyddsforordningen.pdf"
FARJOR = "regeringen__custom-encoding.pdf"
FRITID = "simrishamns-kommun__Budgetskrivelse_investeringar_2027-2031.pdf"
PERSONNUMMER = "skatteverket__skv704-8.pdf"
NYANLANDA = "regeringen__basic-7.pdf"
TILLIT = ("digg__Tillitsramverk-for-Svensk-e-legitimation-2018-158.pdf",
          "e-legitimationsnamnden__Tillitsramverk-for-Svensk-e-legitimation-1.4.pdf")
DELGIVNING = "regeringen__45db0861.pdf"
SPRANGAMNEN = "myndigheten-for-civilt-forsvar__MCFFS-2026-3.pdf"
EFAKTURA = "verva__VervaFS-2007_1.pdf"
SAMORDNING = "skatteverket__skv707-2.pdf"
INTYGSGIVARE = "boverket__BFS-2023-9.pdf"
BRANDSKYDD = "boverket__BFS-2011-27.pdf"
AVROPSBERATTIGADE = "adda-inkopscentral__avropsberattigade-parter---it-konsulttjanster-2021.pdf"
RATTSINFO = ("domstolsverket__Startpaket-introduktion.odt",
             "domstolsverket__Handbok-myndighetsforeskrifter.odt",
             "regeringen__SFS-1999_175.pdf")

QUERIES: tuple[SemanticQuery, ...] = (
    # everyday words for the official term
    _q("paraphrase", "brandlarm hemma i lägenheten", SRV_BRANDVARNARE),
    _q("paraphrase", "sotaren besökte huset och tittade på eldstaden", SOTNING),
    _q("paraphrase", "räkna stora rovdjur i skogen", ROVDJUR),
    _q("paraphrase", "hästpass och chipmärkning av ponnyer", HAST),
    _q("paraphrase", "strålning för piloter och flygvärdinnor", STRALNING),
    _q("paraphrase", "elsäkerhet för saker som barn leker med", LEKSAKER),
    _q("paraphrase", "mutor och fiffel hos tjänstemän", KORRUPTION),
    _q("paraphrase", "folkvalda som lämnar fullmäktige i förtid", *AVHOPP),
    _q("paraphrase", "pengar för att bygga om bostaden vid funktionsnedsättning",
       BOSTADSANPASSNING),
    _q("paraphrase", "kolla att luften cirkulerar rätt i huset", VENTILATION),
    _q("paraphrase", "fiber och internet i nybyggda hus", BREDBAND),
    _q("paraphrase", "ogräsgift kvar i maten vi äter", *RESTER),
    _q("paraphrase", "ungas eget parlament i staden", UNGDOM),
    _q("paraphrase", "resebyrån skickade fel biljetter inför semesterresan", BILJETT),
    _q("paraphrase", "chefen krävde doktorsintyg när barnet var sjukt", LAKARINTYG),
    _q("paraphrase", "skola för gömda barn utan uppehållstillstånd", PAPPERSLOSA),
    _q("paraphrase", "utredning om EU:s nya integritetsregler för persondata", DATASKYDD),
    _q("paraphrase", "inkomstskatt för sjöfolk på öresundsbåtarna", FARJOR),
    _q("paraphrase", "pengar till fritidsanläggningar de kommande åren", FRITID),
    _q("paraphrase", "hjälp till flyktingar att få jobb och lära sig svenska", NYANLANDA),
    # English
    _q("english", "smoke detectors in homes", SRV_BRANDVARNARE),
    _q("english", "corruption in the public sector", KORRUPTION),
    _q("english", "horse identification and breeding", HAST),
    _q("english", "cosmic radiation exposure for aircrew", STRALNING),
    _q("english", "pesticide residues in food", *RESTER),
    _q("english", "serving legal documents abroad", DELGIVNING),
    _q("english", "counting wolves and bears", ROVDJUR),
    _q("english", "employer demanded a doctor's note for a sick child", LAKARINTYG),
    _q("english", "permits to import and export explosives", SPRANGAMNEN),
    _q("english", "electronic invoices for government agencies", EFAKTURA),
    # natural questions
    _q("question", "Varför hoppar så många politiker av sina uppdrag?", *AVHOPP),
    _q("question", "Får arbetsgivaren kräva läkarintyg när jag vabbar?", LAKARINTYG),
    _q("question", "Hur är ett samordningsnummer uppbyggt och vem kan få ett?", SAMORDNING),
    _q("question", "Vilka krav ställs på den som ger ut e-legitimationer?", *TILLIT),
    _q("question", "Vad kostar det att bli godkänd som intygsgivare?", INTYGSGIVARE),
    _q("question", "Hur räknar man fram ett byggnadens brandskydd?", BRANDSKYDD),
    _q("question", "Får barn som gömmer sig gå i skolan?", PAPPERSLOSA),
    _q("question", "Vilka organisationer får avropa från Addas ramavtal?", AVROPSBERATTIGADE),
    _q("question", "Hur ska en myndighet publicera sina föreskrifter på nätet?", *RATTSINFO),
    _q("question", "Vad betyder siffrorna i ett personnummer?", PERSONNUMMER),
    # exact: what keyword search finds already
    _q("exact", "AFS 2023:1", "arbetsmiljoverket__AFS-2023-1.pdf"),
    _q("exact", "SFS 1999:175", "regeringen__SFS-1999_175.pdf"),
    _q("exact", "BFS 2017:1", BREDBAND),
    _q("exact", '"brandvarnare i bostäder"', SRV_BRANDVARNARE),
    _q("exact", '"internationell delgivning"', DELGIVNING),
    _q("exact", "bostadsanpassningsbidrag", BOSTADSANPASSNING),
    _q("exact", "kosmisk strålning", STRALNING),
    _q("exact", "samordningsnummer", SAMORDNING),
    _q("exact", "Tilläggsdirektiv Forskningsdatautredningen",
       "regeringen__tillaggsdirektiv-till-forskningsdatautredningen-u-201604--dir.-201729.pdf"),
    _q("exact", "bekämpningsmedel KIFS 2022:3", "kemikalieinspektionen__KIFS-2022-3.pdf"),
)
