""""Menade du" in Debian's chromium: the notice passes axe-core (WCAG 2.0/2.1 A and AA,
best practices), screen readers are told of it (a live status region), and its link runs
the corrected search with the filters kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_site import (
    LiveServer,
    Site,
    axe_source,
    axe_violations,
    chromium_tab,
    screenshot,
)

from diarium.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[str]:
    """The web tests' diary (conftest `site`), only read here."""
    live = LiveServer(create_app(site.settings, backend=site.backend))
    yield live.url
    live.stop()


@pytest.fixture(scope="module")
def tab() -> Iterator[object]:
    yield from chromium_tab()


def test_the_suggestion_is_accessible_and_its_link_searches(server: str, tab) -> None:  # type: ignore[no-untyped-def]
    tab.goto(f"{server}/?q=bygglof+taxor&handlingstyp=Protokoll")
    status = tab.get_by_role("status").filter(has_text="Menade du")
    assert status.count() == 1
    assert " ".join(status.inner_text().split()) == "Menade du: bygglov taxor? (15 träffar)"
    assert axe_violations(tab, axe_source()) == []
    screenshot(tab, "search-suggestion")
    tab.get_by_role("link", name="bygglov taxor", exact=True).click()
    tab.wait_for_load_state()
    assert tab.locator(".result-count").inner_text().strip() == "15 träffar"
    assert "handlingstyp=Protokoll" in tab.url and "q=bygglov+taxor" in tab.url
    assert tab.get_by_role("status").filter(has_text="Menade du").count() == 0
