"""A small real diary for the web tests: a store written with SQL in the lead's schema,
real files (from the shared corpus) at their content address, and an embedded index built
from the public projection. Hostile strings sit in titles, parties and text on purpose.

Used by tests/test_web*.py, tests/test_browser*.py and tests/test_a11y*.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

from diarium.config import Settings, load_settings
from diarium.indexer.embedded import EmbeddedBackend
from diarium.public import public_records
from diarium.store import Store

PDF_NAME = "boverket__BFS-2023-9.pdf"
DOCX_NAME = "arbetsdomstolen__2013-63.docx"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HOSTILE_TITLE = '<script>alert("rubrik")</script> Yttrande'
HOSTILE_TEXT = ('Se bilaga <img src=x onerror=alert("text")> och '
                '<a href="javascript:alert(1)">länk</a> om hamnen.')
HOSTILE_PART = 'javascript:alert("part")'
HOSTILE_CASE = '"><svg onload=alert("arende")> Tillsyn av hamnen'
SECRET_TITLE = "Utredning om Kalle Hemligsson"
SECRET_LAGRUM = "26 kap. 1 § OSL"
REGISTRY_EMAIL = "registrator@exempelkommunen.se"

TOML = f"""
[organisations.exkommun]
name = "Exempelkommunen"
dnr_prefixes = ["KS", "SBN"]
registry_email = "{REGISTRY_EMAIL}"

[organisations.norrby]
name = "Norrby kommun"
"""


@dataclass
class Site:
    """What the tests need to know about the built diary."""

    settings: Settings
    backend: EmbeddedBackend
    case_ids: dict[str, int] = field(default_factory=dict)      # label -> case id
    doc_ids: dict[str, int] = field(default_factory=dict)       # label -> document id
    files: dict[str, bytes] = field(default_factory=dict)       # label -> file bytes


def _store_file(settings: Settings, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    path = settings.file_path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha


def build_site(data_dir: Path, corpus_dir: Path, filler: int = 45) -> Site:
    """Write the diary into `data_dir` and index it; returns the Site (backend open)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "diarium.toml").write_text(TOML, encoding="utf-8")
    settings = load_settings(data_dir)
    site = Site(settings=settings, backend=EmbeddedBackend(settings.index_dir / "embedded"))
    pdf = (corpus_dir / PDF_NAME).read_bytes()
    docx = (corpus_dir / DOCX_NAME).read_bytes()
    site.files = {"pdf": pdf, "docx": docx}
    with Store(settings.store_path) as store, store.transaction() as conn:
        ex = store.organisation_id("exkommun", "Exempelkommunen")
        norrby = store.organisation_id("norrby", "Norrby kommun")

        def case(label: str, org: int, dnr: str, key: str, title: str, **extra: str) -> int:
            cur = conn.execute(
                "INSERT INTO cases (organisation_id, diarienummer, dnr_key, arendemening, "
                "status, namnd, enhet, handlaggare) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (org, dnr, key, title, extra.get("status", "pågående"),
                 extra.get("namnd", "Kommunstyrelsen"), extra.get("enhet", "Kansliet"),
                 extra.get("handlaggare", "Anna Lindqvist")),
            )
            site.case_ids[label] = int(cur.lastrowid or 0)
            return site.case_ids[label]

        def doc(label: str, case_id: int, lopnr: int, datum: str, riktning: str,
                typ: str, rubrik: str, part: str = "", sekretess: str = "",
                publicerad: bool = True, text: str = "", pages: list[str] | None = None,
                file: tuple[bytes, str, str] | None = None) -> int:
            cur = conn.execute(
                "INSERT INTO documents (case_id, lopnummer, datum, riktning, handlingstyp, "
                "rubrik, part, sekretess, publicerad, fil, row_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (case_id, lopnr, datum, riktning, typ, rubrik, part, sekretess,
                 int(publicerad), file[1] if file else "", f"{label}-hash"),
            )
            doc_id = int(cur.lastrowid or 0)
            site.doc_ids[label] = doc_id
            if file is not None or text:
                data, name, media = file if file else (text.encode(), f"{label}.txt",
                                                       "text/plain")
                sha = _store_file(settings, data)
                conn.execute(
                    "INSERT OR IGNORE INTO files (sha256, size, media_type, state) "
                    "VALUES (?, ?, ?, 'extracted')", (sha, len(data), media))
                conn.execute(
                    "INSERT INTO document_files (document_id, sha256, name, role) "
                    "VALUES (?, ?, ?, 'original')", (doc_id, sha, name))
                page_list = pages if pages is not None else [text]
                conn.execute(
                    "INSERT OR REPLACE INTO extractions (sha256, extractor, text, pages) "
                    "VALUES (?, 'test', ?, ?)",
                    (sha, "\n\f".join(page_list), json.dumps(page_list, ensure_ascii=False)))
            store.record_change(doc_id)
            return doc_id

        hamn = case("hamn", ex, "KS 2023/123", "KS|2023|123", "Detaljplan för hamnen")
        doc("ansokan", hamn, 1, "2023-02-01", "Inkommande", "Ansökan",
            "Ansökan om planbesked för hamnen", part="Hamnbolaget AB",
            text="Vi ansöker om planbesked för kvarteret vid hamnen.",
            pages=["Vi ansöker om planbesked för kvarteret vid hamnen.",
                   "Bilaga: karta över hamnen och bygglov för kajen."],
            file=(pdf, "Ansökan planbesked.pdf", "application/pdf"))
        doc("beslut", hamn, 2, "2023-05-10", "Upprättad", "Beslut",
            "Beslut om planuppdrag för hamnen",
            text="Kommunstyrelsen beslutar att ge planuppdrag. Beslutet kan överklagas.",
            file=(docx, "Beslut planuppdrag.docx", DOCX_TYPE))
        doc("hemlig", hamn, 3, "2023-05-12", "Inkommande", "Skrivelse", SECRET_TITLE,
            part="Kalle Hemligsson", sekretess=SECRET_LAGRUM,
            text="Kalle Hemligsson har skulder. Hemlig text om hamnen.")
        doc("opublicerad", hamn, 4, "2023-06-01", "Utgående", "Yttrande",
            "Yttrande till länsstyrelsen om hamnen", part="Länsstyrelsen",
            publicerad=False, text="Opublicerad text om hamnen.")

        tillsyn = case("tillsyn", ex, "SBN 2024/7", "SBN|2024|7", HOSTILE_CASE,
                       namnd="Samhällsbyggnadsnämnden", enhet="Bygglovsenheten")
        doc("fientlig", tillsyn, 1, "2024-03-03", "Inkommande", "Skrivelse", HOSTILE_TITLE,
            part=HOSTILE_PART, text=HOSTILE_TEXT)

        budget = case("budget", norrby, "KSN-2022-0042", "KSN|2022|42", "Budget och bygglov",
                      namnd="Kommunstyrelsen", enhet="Ekonomiavdelningen", status="avslutat")
        for n in range(filler):
            doc(f"budget{n}", budget, n + 1, f"2022-{1 + n % 12:02d}-{1 + n % 28:02d}",
                ("Inkommande", "Utgående", "Upprättad")[n % 3],
                ("Protokoll", "Tjänsteskrivelse", "Remiss")[n % 3],
                f"Budgetunderlag nummer {n + 1} om bygglovstaxan",
                text=f"Underlag {n + 1}: budget för bygglov och taxor år 2022.")

    with Store(settings.store_path) as store:
        records = list(public_records(store, settings))
    site.backend.setup()
    site.backend.index(records)
    return site


# -- serving the app and driving Debian's chromium (browser and accessibility tests) -------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"


def chromium_tab() -> Iterator[object]:
    """A page of Debian's chromium (Swedish locale, 1280x900), closed with the browser
    when the generator ends: `yield from chromium_tab()` in a tab fixture."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


class LiveServer:
    """A WSGI app served on 127.0.0.1 by werkzeug's threaded server in a daemon thread."""

    def __init__(self, app: object) -> None:
        import threading

        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


def axe_source() -> str:
    """axe-core's browser script, as shipped inside the axe-playwright-python package."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page: object, source: str) -> list[dict[str, object]]:
    """Run axe-core (WCAG 2.0/2.1 A and AA plus best practices) in the page; returns the
    violations as {id, impact, help, targets}."""
    page.evaluate(source)  # type: ignore[attr-defined]
    result = page.evaluate(  # type: ignore[attr-defined]
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def screenshot(page: object, name: str) -> Path:
    """A full-page screenshot in var/screenshots/<name>.png (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


ATOM = "{http://www.w3.org/2005/Atom}"


def soup(response: object) -> BeautifulSoup:
    """A test client's response parsed as HTML."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")  # type: ignore[attr-defined]


def hit_titles(page: BeautifulSoup) -> list[str]:
    """The titles of the hits on a search page, in order."""
    return [h.get_text(" ", strip=True) for h in page.select("ol.hits li.hit h3")]
