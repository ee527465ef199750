"""Accessibility: axe-core (WCAG 2.0/2.1 A and AA, plus best practices) reports no
violations on every page type, run in Debian's chromium. Screenshots of each page type
go to var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from web_site import (
    LiveServer,
    Site,
    axe_source,
    axe_violations,
    build_site,
    chromium_tab,
    screenshot,
)

from diarium.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Site:
    from diarium.opendata.dump import write_dump
    from diarium.store import Store

    built = build_site(tmp_path_factory.mktemp("a11ydata"), corpus_dir)
    with Store(built.settings.store_path) as store:
        write_dump(store, built.settings)                 # for the /data/ page
    return built


@pytest.fixture(scope="module")
def servers(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    live = LiveServer(create_app(site.settings, backend=site.backend))
    # A second site whose engine cannot be opened, for the 503 page.
    down_dir = tmp_path_factory.mktemp("a11ydown")
    down = replace(site.settings, data_dir=down_dir)
    down.index_dir.mkdir(parents=True)
    (down.index_dir / "embedded").write_text("not an index")
    live_down = LiveServer(create_app(down))
    yield {"up": live.url, "down": live_down.url}
    live.stop()
    live_down.stop()


@pytest.fixture(scope="module")
def tab() -> Iterator[object]:
    yield from chromium_tab()


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


def _pages(site: Site) -> list[tuple[str, str, str, int]]:
    """(screenshot name, server, path, expected status) for every page type."""
    return [
        ("search-empty", "up", "/", 200),
        ("search-results", "up", "/?q=bygglov", 200),
        ("search-facets-selected", "up", "/?q=budget&handlingstyp=Remiss&riktning=Upprättad", 200),
        ("search-paged", "up", "/?q=budget&page=2", 200),
        ("search-partial", "up", "/?q=planuppdrag+xylofonkonsert", 200),
        ("search-dnr", "up", "/?dnr=ks-2023-0123", 200),
        ("search-no-results", "up", "/?q=xylofonkonsert", 200),
        ("case", "up", f"/arende/{site.case_ids['hamn']}", 200),
        ("document", "up", f"/handling/{site.doc_ids['ansokan']}?q=bygglov", 200),
        ("document-secret", "up", f"/handling/{site.doc_ids['hemlig']}", 200),
        ("document-unpublished", "up", f"/handling/{site.doc_ids['opublicerad']}", 200),
        ("document-hostile-a11y", "up", f"/handling/{site.doc_ids['fientlig']}", 200),
        ("about", "up", "/om", 200),
        ("accessibility", "up", "/tillganglighet", 200),
        ("api", "up", "/api/", 200),
        ("open-data", "up", "/data/", 200),
        ("error-404", "up", "/handling/999999", 404),
        ("error-400", "up", "/?page=abc", 400),
        ("error-503", "down", "/?q=hamnen", 503),
    ]


def test_no_axe_violations_on_any_page_type(tab: object, servers: dict[str, str], site: Site,
                                            axe: str) -> None:
    failures = {}
    for name, which, path, status in _pages(site):
        response = tab.goto(servers[which] + path)  # type: ignore[attr-defined]
        assert response.status == status, path
        violations = axe_violations(tab, axe)
        if violations:
            failures[path] = violations
        screenshot(tab, name)
    assert not failures, failures


def test_narrow_screen_has_no_violations(tab: object, servers: dict[str, str], axe: str) -> None:
    tab.set_viewport_size({"width": 375, "height": 740})  # type: ignore[attr-defined]
    try:
        tab.goto(servers["up"] + "/?q=budget")  # type: ignore[attr-defined]
        assert not axe_violations(tab, axe)
        width = tab.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
        assert width <= 375, "no horizontal scrolling at 320-375 px (WCAG 1.4.10)"
        screenshot(tab, "search-mobile")
    finally:
        tab.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]


PHONE = {"width": 375, "height": 740}


def test_every_page_type_at_phone_width(tab: object, servers: dict[str, str], site: Site,
                                        axe: str) -> None:
    """Phone-width screenshots of every page type (var/screenshots/*-phone.png), axe
    clean, and no horizontal scrolling (WCAG 1.4.10 reflow)."""
    tab.set_viewport_size(PHONE)  # type: ignore[attr-defined]
    failures: dict[str, object] = {}
    try:
        for name, which, path, status in _pages(site):
            response = tab.goto(servers[which] + path)  # type: ignore[attr-defined]
            assert response.status == status, path
            violations = axe_violations(tab, axe)
            width = tab.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
            if violations or width > PHONE["width"]:
                failures[path] = {"violations": violations, "scroll_width": width}
            screenshot(tab, f"{name}-phone")
        # The folded filters opened: still clean.
        tab.goto(servers["up"] + "/?q=budget&riktning=Upprättad")  # type: ignore[attr-defined]
        tab.click(".filter-toggle > summary")  # type: ignore[attr-defined]
        if violations := axe_violations(tab, axe):
            failures["filters open"] = violations
        screenshot(tab, "search-filters-open-phone")
    finally:
        tab.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]
    assert not failures, failures


def test_axe_check_can_fail(tab: object, axe: str) -> None:
    """The check above is real: the same axe run flags a page with known faults."""
    tab.set_content(  # type: ignore[attr-defined]
        "<html><head><title>x</title></head><body><img src='data:,'>"
        "<input type='text'><a href='#'></a></body></html>")
    found = {v["id"] for v in axe_violations(tab, axe)}
    assert {"html-has-lang", "image-alt", "label", "link-name"} <= found
