"""Begär ut through a real SMTP server (aiosmtpd): documents collected in the basket
without JavaScript, one request mail per organisation to its registry_email, a receipt
to the visitor; CSRF, honeypot, rate limits, and no 500 on any input."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from smtp_server import SmtpServer, smtp_server  # noqa: F401  (the fixture)
from test_mail_alerts import _row, cli, import_rows

from diarium.config import load_settings
from diarium.store import Store
from diarium.web.app import create_app

REGISTRY = "registrator@exempelkommunen.se"
NORRBY = "diarium@norrby.se"
VISITOR = "journalist@tidning.se"
ROWS = [
    _row(1, "KS 2026/20", "Avtal om snöröjning", "2026-11-02"),
    _row(2, "KS 2026/20", "Anbud från Plogbolaget", "2026-11-03"),
    _row(3, "KS 2026/20", "Utredning om Kalle Hemligsson", "2026-11-04",
         sekretess="26 kap. 1 § OSL"),
    dict(_row(1, "2026/5", "Norrbys yttrande", "2026-11-05"), organisation="norrby"),
    dict(_row(2, "2026/5", "Utan registratur", "2026-11-06"), organisation="glesby"),
]


@pytest.fixture
def diary(tmp_path: Path, smtp_server: SmtpServer) -> Path:  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    (data / "diarium.toml").write_text(
        '[organisations.exkommun]\nname = "Exempelkommunen"\ndnr_prefixes = ["KS"]\n'
        f'registry_email = "{REGISTRY}"\n\n[organisations.norrby]\nname = "Norrby kommun"\n'
        f'registry_email = "{NORRBY}"\n\n[organisations.glesby]\nname = "Glesby kommun"\n\n'
        + smtp_server.toml(), encoding="utf-8")
    import_rows(data, ROWS, "rows.csv")
    cli(data, "index")
    return data


def ids(data: Path) -> dict[str, str]:
    with Store(load_settings(data).store_path) as store:
        return {str(r["rubrik"]): str(r["id"]) for r in store.conn.execute(
            "SELECT id, rubrik FROM documents")}


def _client(data: Path) -> FlaskClient:
    return create_app(load_settings(data)).test_client()


def _csrf(html: bytes) -> str:
    found = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf"})
    assert found is not None
    return str(found["value"])


def add(client: FlaskClient, doc_id: str, back: str = "/") -> None:
    answer = client.post("/begaran/lagg-till", data={"doc": doc_id, "next": back})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(back)


def test_basket_request_mails_each_registry_and_a_receipt(diary: Path,
                                                         smtp_server: SmtpServer  # noqa: F811
                                                         ) -> None:
    client = _client(diary)
    doc = ids(diary)
    # The buttons are on result rows and document pages, as plain forms.
    page = BeautifulSoup(client.get("/?q=snöröjning").data, "html.parser")
    assert page.select("form.basket-add button")
    document = client.get(f"/handling/{doc['Avtal om snöröjning']}").get_data(as_text=True)
    assert "Lägg till i begäran" in document
    add(client, doc["Avtal om snöröjning"], "/?q=sn%C3%B6r%C3%B6jning")
    add(client, doc["Anbud från Plogbolaget"])
    add(client, doc["Utredning om Kalle Hemligsson"])
    add(client, doc["Norrbys yttrande"])
    add(client, doc["Norrbys yttrande"])                   # twice: once in the basket
    basket = client.get("/begaran")
    text = basket.get_data(as_text=True)
    assert "4 handlingar" in text and "Kalle" not in text   # the secret title never shown
    answer = client.post("/begaran", data={
        "csrf": _csrf(basket.data), "form": "papper", "name": "Åsa Öberg",
        "email": VISITOR, "postal_address": "Storgatan 1\n123 45 Exempelby",
        "message": "Gärna <b>snart</b>.", "webbplats": ""})
    assert answer.status_code == 200, answer.data
    assert "Begäran skickad" in answer.get_data(as_text=True)

    by_to = {m["To"].addresses[0].addr_spec: m for m in smtp_server.inbox.messages}
    assert set(by_to) == {REGISTRY, NORRBY, VISITOR}
    ks = by_to[REGISTRY]
    ks_text = ks.get_body(("plain",)).get_content()
    assert ks["Subject"] == "Begäran om allmänna handlingar (3 st)"
    assert ks["Reply-To"] == VISITOR
    assert "KS 2026/20, löpnummer 1: Avtal om snöröjning (2026-11-02)" in ks_text
    assert "KS 2026/20, löpnummer 2: Anbud från Plogbolaget (2026-11-03)" in ks_text
    assert "löpnummer 3: Sekretess enligt 26 kap. 1 § OSL" in ks_text
    assert "Kalle" not in ks_text and "Norrbys" not in ks_text
    assert "som papperskopia per post" in ks_text and "Storgatan 1" in ks_text
    assert "Namn: Åsa Öberg" in ks_text
    assert "http://diarium.test/handling/" in ks_text
    assert "&lt;b&gt;snart&lt;/b&gt;" in ks.get_body(("html",)).get_content()
    norrby = by_to[NORRBY].get_body(("plain",)).get_content()
    assert "Norrbys yttrande" in norrby and "snöröjning" not in norrby
    receipt = by_to[VISITOR].get_body(("plain",)).get_content()
    assert "Exempelkommunen, Norrby kommun" in receipt
    # The basket is empty after sending.
    assert "Din begäran är tom" in client.get("/begaran").get_data(as_text=True)


def test_anonymous_request_has_no_receipt(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                          ) -> None:
    client = _client(diary)
    add(client, ids(diary)["Avtal om snöröjning"])
    basket = client.get("/begaran")
    answer = client.post("/begaran", data={"csrf": _csrf(basket.data), "form": "e-post"})
    assert answer.status_code == 200
    [only] = smtp_server.inbox.messages
    text = only.get_body(("plain",)).get_content()
    assert "Jag väljer att vara anonym." in text and only["Reply-To"] is None


def test_organisation_without_registry_is_named_and_nothing_sent(
        diary: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    client = _client(diary)
    add(client, ids(diary)["Utan registratur"])
    basket = client.get("/begaran")
    assert "Glesby kommun tar inte emot" in basket.get_data(as_text=True)
    answer = client.post("/begaran", data={"csrf": _csrf(basket.data), "form": "e-post"})
    assert answer.status_code == 400
    assert smtp_server.inbox.messages == []


def test_csrf_honeypot_and_rate_limit(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                      ) -> None:
    client = _client(diary)
    doc = ids(diary)["Avtal om snöröjning"]
    add(client, doc)
    assert client.post("/begaran", data={"form": "e-post"}).status_code == 400
    token = _csrf(client.get("/begaran").data)
    bot = client.post("/begaran", data={"csrf": token, "form": "e-post",
                                        "webbplats": "http://spam.example"})
    assert bot.status_code == 200 and smtp_server.inbox.messages == []
    statuses = []
    for _ in range(6):
        add(client, doc)
        statuses.append(client.post("/begaran", data={"csrf": token, "form": "e-post"}
                                    ).status_code)
    assert statuses == [200] * 5 + [429]
    assert len(smtp_server.inbox.messages) == 5


@pytest.mark.parametrize("form", [
    {"form": "brevduva"},
    {"form": "e-post", "email": "inte en adress"},
    {"form": "e-post", "email": "a@b.se\r\nBcc: c@d.se"},
    {"form": "papper"},                                 # no postal address
    {"form": "e-post", "name": "\x00\x1b[31m" * 50, "message": "x" * 5000},
    {"form": ["e-post", "papper"]},
])
def test_bad_requests_get_a_message_not_a_500(diary: Path, form: dict[str, object],
                                             smtp_server: SmtpServer  # noqa: F811
                                             ) -> None:
    client = _client(diary)
    add(client, ids(diary)["Avtal om snöröjning"])
    token = _csrf(client.get("/begaran").data)
    answer = client.post("/begaran", data={"csrf": token, **form})
    assert answer.status_code in (200, 400)
    if answer.status_code == 400:
        assert smtp_server.inbox.messages == []


@pytest.mark.parametrize("path,data", [
    ("/begaran/lagg-till", {"doc": "abc"}),
    ("/begaran/lagg-till", {"doc": "9" * 40}),
    ("/begaran/lagg-till", {}),
    ("/begaran/lagg-till", {"doc": "1", "next": "https://evil.example/"}),
    ("/begaran/lagg-till", {"doc": "1", "next": "//evil.example/"}),
    ("/begaran/ta-bort", {"doc": "-1"}),
    ("/begaran", {}),
])
def test_basket_edges_never_500_nor_redirect_away(diary: Path, path: str,
                                                  data: dict[str, str]) -> None:
    client = _client(diary)
    answer = client.post(path, data=data)
    assert answer.status_code < 500
    if answer.status_code in (301, 302, 303):
        assert answer.headers["Location"].startswith("/")
    assert client.get("/begaran?d=abc&d=99999999999999999999").status_code == 200


def test_rate_limit_per_ip_behind_a_proxy(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                          ) -> None:
    """With `[web] trusted_proxies = 1` the limit counts the address nginx forwarded, so
    one visitor's requests do not use up everyone's."""
    toml = diary / "diarium.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[web]\ntrusted_proxies = 1\n",
                    encoding="utf-8")
    client = _client(diary)
    doc = ids(diary)["Avtal om snöröjning"]
    add(client, doc)
    token = _csrf(client.get("/begaran").data)

    def send(ip: str) -> int:
        add(client, doc)
        return client.post("/begaran", data={"csrf": token, "form": "e-post"},
                           headers={"X-Forwarded-For": f"10.0.0.9, {ip}"}).status_code

    assert [send("203.0.113.5") for _ in range(6)] == [200] * 5 + [429]
    assert send("203.0.113.6") == 200
