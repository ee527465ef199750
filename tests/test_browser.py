"""The site in a real browser: Debian's chromium driven by Playwright (no browser
download). A visitor's path from search to a downloaded file, the back button, feeds and
exports, keyboard use, facets without JavaScript, hostile documents that must not run.
Screenshots of each page type go to var/screenshots/."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from playwright.sync_api import sync_playwright
from web_site import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOSTILE_TITLE,
    LiveServer,
    Site,
    build_site,
    screenshot,
)

from diarium.web.app import create_app

pytestmark = pytest.mark.browser
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Site:
    return build_site(tmp_path_factory.mktemp("browserdata"), corpus_dir)


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[LiveServer]:
    live = LiveServer(create_app(site.settings, backend=site.backend))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: install Debian's chromium (scripts/system-packages.txt)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True, locale="sv-SE")  # type: ignore[attr-defined]
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()
    assert not dialogs, f"a script ran and opened a dialog: {dialogs}"


def test_search_facet_case_document_download(page: object, server: LiveServer,
                                              site: Site) -> None:
    page.goto(server.url + "/")
    page.fill("#q", "bygglov")
    page.click("button[type=submit]")
    page.wait_for_url("**/?*q=bygglov*")
    hits = page.locator("ol.hits li.hit").count()
    assert hits > 0
    screenshot(page, "search-results")

    page.locator("#facet-handlingstyp ~ ul a", has_text="Protokoll").click()
    page.wait_for_url("**handlingstyp=Protokoll*")
    assert page.locator(".active-filters").is_visible()
    facet_hits = page.locator("ol.hits li.hit").count()
    assert 0 < facet_hits <= hits
    screenshot(page, "search-facet")

    page.goto(server.url + "/?q=hamnen")
    page.locator("ol.hits a.dnr", has_text="KS 2023/123").first.click()
    page.wait_for_url(f"**/arende/{site.case_ids['hamn']}")
    assert page.locator("table.documents tbody tr").count() == 4
    screenshot(page, "case")

    page.locator("table.documents a", has_text="Ansökan om planbesked").click()
    page.wait_for_url(f"**/handling/{site.doc_ids['ansokan']}*")
    assert page.locator("h1").inner_text() == "Ansökan om planbesked för hamnen"
    screenshot(page, "document")

    with page.expect_download() as info:
        page.locator("a.button", has_text="Ladda ner handlingen").click()
    download = info.value
    assert download.suggested_filename == "Ansökan planbesked.pdf"
    assert Path(download.path()).read_bytes() == site.files["pdf"]


def test_back_button_restores_the_search(page: object, server: LiveServer) -> None:
    page.goto(server.url + "/")
    page.fill("#q", "budget")
    page.select_option("#sort", "oldest")
    page.click("button[type=submit]")
    page.wait_for_url("**q=budget*")
    first = page.locator("ol.hits li.hit h3").all_inner_texts()
    page.locator('nav.pagination a[rel="next"]').click()
    page.wait_for_url("**page=2*")
    assert page.locator("ol.hits li.hit h3").all_inner_texts() != first
    page.locator("ol.hits li.hit h3 a").first.click()
    page.wait_for_url("**/handling/**")
    page.go_back()
    page.wait_for_url("**page=2*")
    page.go_back()
    page.wait_for_url("**q=budget*")
    assert "page=2" not in page.url
    assert page.input_value("#q") == "budget"
    assert page.input_value("#sort") == "oldest"
    assert page.locator("ol.hits li.hit h3").all_inner_texts() == first


def test_feed_and_export_links(page: object, server: LiveServer) -> None:
    page.goto(server.url + "/?q=budget")
    feed = page.locator("a", has_text="Bevaka sökningen").get_attribute("href")
    response = page.request.get(server.url + feed)
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.body())
    assert len(root.findall(f"{ATOM}entry")) == 45

    csv_href = page.locator("a", has_text="Exportera som CSV").get_attribute("href")
    text = page.request.get(server.url + csv_href).text()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "diarienummer" and len(rows) == 46

    json_href = page.locator("a", has_text="Exportera som JSON").get_attribute("href")
    data = json.loads(page.request.get(server.url + json_href).text())
    assert data["total"] == 45 and len(data["records"]) == 45


def test_keyboard_skip_link_and_visible_focus(page: object, server: LiveServer) -> None:
    page.goto(server.url + "/?q=hamnen")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Hoppa till innehållet"
    skip_box = page.locator(".skip-link").bounding_box()
    assert skip_box is not None and skip_box["y"] >= 0, "the skip link shows when focused"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innehall"
    # Tab onwards reaches the query box, then typing and Enter searches.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("Control+A")
    page.keyboard.type("planuppdrag")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=planuppdrag*")
    assert page.locator("ol.hits li.hit").count() >= 1


def test_phone_shows_hits_first_and_folds_the_filters(browser: object,
                                                      server: LiveServer) -> None:
    context = browser.new_context(  # type: ignore[attr-defined]
        locale="sv-SE", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        tab = context.new_page()
        tab.goto(server.url + "/?q=budget")
        summary = tab.locator(".filter-toggle > summary")
        assert summary.is_visible() and summary.inner_text() == "Filtrera"
        assert not tab.locator("#facet-riktning").is_visible()
        # The first hit follows the folded filters directly: nothing of them in between.
        first_hit = tab.locator("ol.hits li.hit").first.bounding_box()
        folded = summary.bounding_box()
        assert folded["y"] < first_hit["y"] < folded["y"] + 400
        screenshot(tab, "search-phone-folded")
        summary.click()
        tab.locator("#facet-riktning ~ ul a", has_text="Utgående").click()
        tab.wait_for_url("**riktning=Utg*")
        assert tab.locator(".filter-toggle > summary").inner_text() == "Filtrera (1 valda)"
        assert not tab.locator("#facet-riktning").is_visible()       # folded again
        assert tab.locator("ol.hits li.hit").count() == 15
        # Dates are typed and shown the Swedish way, ÅÅÅÅ-MM-DD, whatever the browser.
        assert tab.locator("#from-hjalp").inner_text() == "ÅÅÅÅ-MM-DD"
        tab.fill("#from", "2022-03-01")
        tab.fill("#to", "2022-06-30")
        tab.click("button[type=submit]")
        tab.wait_for_url("**from=2022-03-01*")
        assert tab.input_value("#from") == "2022-03-01"
        dates = [t.get_attribute("datetime") for t in tab.locator("ol.hits .meta time").all()]
        assert dates and all("2022-03-01" <= d <= "2022-06-30" for d in dates)  # type: ignore[operator]
        screenshot(tab, "search-phone-dates")
    finally:
        context.close()


def test_wide_screen_shows_the_filters_without_a_disclosure(page: object,
                                                            server: LiveServer) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.goto(server.url + "/?q=budget")  # type: ignore[attr-defined]
    assert page.locator("#facet-riktning").is_visible()  # type: ignore[attr-defined]
    assert not page.locator(".filter-toggle > summary").is_visible()  # type: ignore[attr-defined]
    assert page.locator("#filter-rubrik").is_visible()  # type: ignore[attr-defined]


def test_facets_work_without_javascript(browser: object, server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    try:
        tab = context.new_page()
        tab.goto(server.url + "/?q=budget")
        tab.locator("#facet-riktning ~ ul a", has_text="Utgående").click()
        tab.wait_for_url("**riktning=Utg*")
        assert tab.locator("ol.hits li.hit").count() == 15
        tab.fill("#q", "bygglovstaxan")
        tab.click("button[type=submit]")
        tab.wait_for_url("**q=bygglovstaxan*")
        assert "riktning=Utg" in tab.url  # the filter survives a new query
    finally:
        context.close()


def test_hostile_document_runs_nothing(page: object, server: LiveServer, site: Site) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for url in (f"/handling/{site.doc_ids['fientlig']}?q=hamnen",
                f"/arende/{site.case_ids['tillsyn']}", "/?q=yttrande",
                "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"):
        page.goto(server.url + url)
    page.goto(server.url + f"/handling/{site.doc_ids['fientlig']}")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.evaluate("document.querySelectorAll('script, img, svg').length") == 0
    screenshot(page, "document-hostile")
    assert not errors
    # page fixture asserts that no dialog opened.
