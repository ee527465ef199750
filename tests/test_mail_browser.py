"""In a real browser (Debian's chromium via Playwright) with a real SMTP server: subscribe
to a search, confirm through the link in the received mail, get the digest of new records
after `diarium alerts run`, unsubscribe through the digest's link; collect documents in
the request basket and send it. axe-core finds no violations on any of these pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtp_server import SmtpServer, smtp_server  # noqa: F401  (the fixture)
from test_mail_alerts import ADDRESS, NEW, REGISTRY, cli, import_rows
from test_mail_alerts import diary as diary  # noqa: F401  (the fixture)
from web_site import (
    LiveServer,
    axe_source,
    axe_violations,
    chromium_tab,
    screenshot,
)

from diarium.config import load_settings
from diarium.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def tab() -> Iterator[object]:
    yield from chromium_tab()


def _path(message: object, prefix: str) -> str:
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    found = re.search(r"http://diarium\.test(" + re.escape(prefix) + r"\S+)", text)
    assert found, text
    return found.group(1)


def _clean(page: object, axe: str, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page, axe) == [], name


def test_subscribe_confirm_digest_unsubscribe_and_basket(
        diary: Path, smtp_server: SmtpServer, tab: object) -> None:  # noqa: F811
    page = tab
    axe = axe_source()
    live = LiveServer(create_app(load_settings(diary)))
    try:
        page.goto(f"{live.url}/?q=bygglov")  # type: ignore[attr-defined]
        page.get_by_role("link", name="Bevaka via e-post").click()  # type: ignore[attr-defined]
        _clean(page, axe, "alert-form")
        page.get_by_label("E-postadress").fill(ADDRESS)  # type: ignore[attr-defined]
        page.get_by_label("Direkt när något nytt kommer").check()  # type: ignore[attr-defined]
        page.get_by_role("button", name="Bevaka").click()  # type: ignore[attr-defined]
        assert page.get_by_role("heading", name="Bekräfta i din e-post").is_visible()  # type: ignore[attr-defined]
        _clean(page, axe, "alert-check-mail")

        [confirmation] = smtp_server.inbox.messages
        page.goto(live.url + _path(confirmation, "/bevakning/bekrafta/"))  # type: ignore[attr-defined]
        _clean(page, axe, "alert-confirm")
        page.get_by_role("button", name="Bekräfta bevakningen").click()  # type: ignore[attr-defined]
        assert page.get_by_text("är startad").is_visible()  # type: ignore[attr-defined]

        import_rows(diary, NEW[1:3], "new.csv")
        cli(diary, "index")
        cli(diary, "alerts", "run")
        digest = smtp_server.inbox.messages[-1]
        text = digest.get_body(("plain",)).get_content()
        assert "Bygglov för förråd på Ängsvägen" in text and "Parkering" not in text

        page.goto(live.url + _path(digest, "/handling/"))  # type: ignore[attr-defined]
        assert page.get_by_role("heading", name="Bygglov för förråd på Ängsvägen").is_visible()  # type: ignore[attr-defined]
        page.goto(live.url + _path(digest, "/bevakning/hantera/"))  # type: ignore[attr-defined]
        _clean(page, axe, "alert-manage")
        page.goto(live.url + _path(digest, "/bevakning/avsluta/"))  # type: ignore[attr-defined]
        _clean(page, axe, "alert-unsubscribe")
        page.get_by_role("button", name="Avsluta bevakningen").click()  # type: ignore[attr-defined]
        assert page.get_by_text("Bevakningen är avslutad").is_visible()  # type: ignore[attr-defined]

        # Begär ut: two documents from the result list, without any script.
        page.goto(f"{live.url}/?q=bygglov")  # type: ignore[attr-defined]
        _clean(page, axe, "search-with-basket")
        buttons = page.locator("form.basket-add button")  # type: ignore[attr-defined]
        buttons.nth(0).click()
        page.locator("form.basket-add button").nth(1).click()  # type: ignore[attr-defined]
        page.goto(f"{live.url}/begaran")  # type: ignore[attr-defined]
        _clean(page, axe, "basket")
        page.get_by_label("E-postadress (frivilligt, du får ett kvitto)").fill(  # type: ignore[attr-defined]
            "reporter@tidning.se")
        page.get_by_role("button", name="Skicka begäran").click()  # type: ignore[attr-defined]
        assert page.get_by_role("heading", name="Begäran skickad").is_visible()  # type: ignore[attr-defined]
        _clean(page, axe, "basket-sent")
        to = [m["To"].addresses[0].addr_spec for m in smtp_server.inbox.messages[-2:]]
        assert sorted(to) == sorted([REGISTRY, "reporter@tidning.se"])
    finally:
        live.stop()
