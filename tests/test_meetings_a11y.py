"""Meeting pages in the browser (issue 16): axe-core reports no violations (WCAG 2.0/2.1
A and AA plus best practices) on the meetings list, a meeting page, a case page with its
"Behandlad i ..." block and a meeting's folder case, at desktop and phone widths; the
screenshots go to var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_meetings_web import build_meeting_site
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
def site(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Site:
    return build_meeting_site(tmp_path_factory.mktemp("meeta11y"), corpus_dir)


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[str]:
    live = LiveServer(create_app(site.settings, backend=site.backend))
    yield live.url
    live.stop()


@pytest.fixture(scope="module")
def tab() -> Iterator[object]:
    yield from chromium_tab()


def _pages(site: Site, folder_case: int) -> list[tuple[str, str]]:
    recent = site.case_ids["meeting-recent"]
    return [
        ("meetings", "/sammantraden"),
        ("meetings-committee", "/sammantraden?organisation=exkommun&namnd=Kommunstyrelsen&ar=2023"),
        ("meeting", f"/sammantraden/{recent}"),
        ("case-handled", f"/arende/{site.case_ids['hamn']}"),
        ("case-meeting-folder", f"/arende/{folder_case}"),
    ]


def _folder_case(tab: object, server: str, site: Site) -> int:
    response = tab.request.get(  # type: ignore[attr-defined]
        f"{server}/api/v1/meetings/{site.case_ids['meeting-recent']}")
    return int(response.json()["case_id"])


def test_meeting_pages_have_no_axe_violations(tab: object, server: str, site: Site) -> None:
    axe = axe_source()
    failures = {}
    for name, path in _pages(site, _folder_case(tab, server, site)):
        for width in (1280, 375):
            tab.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
            response = tab.goto(server + path)  # type: ignore[attr-defined]
            assert response.status == 200, path
            violations = axe_violations(tab, axe)
            if violations:
                failures[f"{path} @ {width}px"] = violations
            if name.startswith("meeting"):  # the case page's own table is not ours
                scroll = tab.evaluate(  # type: ignore[attr-defined]
                    "document.documentElement.scrollWidth")
                assert scroll <= width, f"{path} scrolls sideways at {width}px (WCAG 1.4.10)"
            screenshot(tab, f"{name}-{width}")
    assert not failures, failures


def test_keyboard_reaches_the_case_from_a_paragraph(tab: object, server: str,
                                                   site: Site) -> None:
    tab.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]
    tab.goto(f"{server}/sammantraden/{site.case_ids['meeting-recent']}")  # type: ignore[attr-defined]
    link = tab.locator("#p12 a")  # type: ignore[attr-defined]
    link.focus()
    tab.keyboard.press("Enter")  # type: ignore[attr-defined]
    tab.wait_for_url(f"**/arende/{site.case_ids['hamn']}")  # type: ignore[attr-defined]
    assert "Kan överklagas till och med" in tab.locator(".case-meetings").inner_text()  # type: ignore[attr-defined]
