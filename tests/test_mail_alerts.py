"""Bevakning by e-mail through a real SMTP server (aiosmtpd, tests/smtp_server.py): the
visitor subscribes on the site, confirms through the link in the received mail, new
records are imported and indexed with the CLI, `diarium alerts run` mails the digest,
and the digest's one-click link ends the alert. A server that is down or refuses leaves
mail queued; a record made secret before the run is never mailed."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from flask.testing import FlaskClient
from manifests import write_csv
from smtp_server import SmtpServer, smtp_server  # noqa: F401  (the fixture)

from diarium import mail
from diarium.cli import main
from diarium.config import load_settings
from diarium.store import Store
from diarium.web.app import create_app

ADDRESS = "asa.oberg@exempel.se"
REGISTRY = "registrator@exempelkommunen.se"


def _row(lop: int, dnr: str, rubrik: str, datum: str = "2026-11-30", **extra: str
         ) -> dict[str, str]:
    row = {"organisation": "exkommun", "diarienummer": dnr,
           "arendemening": f"Ärende {dnr}", "lopnummer": str(lop), "datum": datum,
           "riktning": "Inkommande", "handlingstyp": "Skrivelse", "rubrik": rubrik,
           "status": "pågående", "namnd": "Kommunstyrelsen", "enhet": "", "handlaggare": "",
           "klassificering": "", "part": "", "sekretess": "", "publicerad": "ja", "fil": ""}
    row.update(extra)
    return row


INITIAL = [
    _row(1, "KS 2026/10", "Ansökan om bygglov för carport", "2026-10-01"),
    _row(2, "KS 2026/10", "Yttrande över bygglov", "2026-10-02"),
    _row(1, "KS 2026/11", "Budget för fritidsgården", "2026-10-03"),
]
NEW = [
    _row(3, "KS 2026/10", "Beslut om bygglov <b>fet</b> & klart", "2026-11-20"),
    _row(1, "KS 2026/12", "Bygglov för förråd på Ängsvägen", "2026-11-21"),
    _row(1, "KS 2026/13", "Parkering vid torget", "2026-11-22"),
    _row(2, "KS 2026/13", "Bygglov hemlig utredning", "2026-11-23"),
]


def cli(data: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--data", str(data), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def import_rows(data: Path, rows: list[dict[str, str]], name: str) -> None:
    path = write_csv(data.parent / name, rows)
    cli(data, "import", str(path))


@pytest.fixture
def diary(tmp_path: Path, smtp_server: SmtpServer) -> Path:  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    (data / "diarium.toml").write_text(
        '[organisations.exkommun]\nname = "Exempelkommunen"\ndnr_prefixes = ["KS"]\n'
        f'registry_email = "{REGISTRY}"\n\n' + smtp_server.toml(), encoding="utf-8")
    import_rows(data, INITIAL, "initial.csv")
    cli(data, "index")
    return data


def _client(data: Path) -> FlaskClient:
    return create_app(load_settings(data)).test_client()


def _csrf(html: bytes) -> str:
    found = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf"})
    assert found is not None
    return str(found["value"])


def _link(message: object, path: str) -> str:
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    found = re.search(r"http://diarium\.test(" + re.escape(path) + r"\S+)", text)
    assert found, text
    return found.group(1)


def subscribe(client: FlaskClient, query: str, frequency: str = "direkt",
              email: str = ADDRESS) -> None:
    form_page = client.get(f"/bevakning/ny?q={query}")
    assert form_page.status_code == 200
    answer = client.post("/bevakning/ny", data={
        "q": query, "email": email, "frequency": frequency,
        "csrf": _csrf(form_page.data), "webbplats": ""})
    assert answer.status_code == 200, answer.data
    assert "Bekräfta i din e-post" in answer.get_data(as_text=True)


def test_subscribe_confirm_digest_unsubscribe(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                              ) -> None:
    client = _client(diary)
    search = client.get("/?q=bygglov").get_data(as_text=True)
    assert "Bevaka via e-post" in search
    subscribe(client, "bygglov")

    [confirmation] = smtp_server.inbox.messages
    assert confirmation["Subject"] == "Bekräfta din bevakning"
    assert confirmation["Message-ID"].startswith("<") and "@exempelkommunen.se>" in \
        confirmation["Message-ID"]
    assert confirmation["Date"].datetime.tzinfo is not None
    assert [a.addr_spec for a in confirmation["To"].addresses] == [ADDRESS]
    raw_html = confirmation.get_body(("html",)).get_content()
    assert "sökningen ”bygglov”" in raw_html
    # Nothing is mailed before the confirmation.
    import_rows(diary, NEW[:1], "before.csv")
    cli(diary, "index")
    assert "0 utskick" in cli(diary, "alerts", "run")

    confirm_path = _link(confirmation, "/bevakning/bekrafta/")
    assert client.get(confirm_path).status_code == 200       # a button, not yet confirmed
    done = client.post(confirm_path)
    assert done.status_code == 200 and "är startad" in done.get_data(as_text=True)
    assert client.post(confirm_path).status_code == 404        # single use

    import_rows(diary, NEW[1:], "new.csv")
    cli(diary, "index")
    # Made secret after indexing and before the run: the projection at run time decides.
    secret = [dict(NEW[3], sekretess="26 kap. 1 § OSL")]
    import_rows(diary, secret, "secret.csv")
    output = cli(diary, "alerts", "run")
    assert "1 utskick med 1 handlingar" in output, output
    assert "1 inte längre offentliga" in output

    [digest] = smtp_server.inbox.messages[1:]
    text = digest.get_body(("plain",)).get_content()
    body = digest.get_body(("html",)).get_content()
    assert "Bygglov för förråd på Ängsvägen – KS 2026/12:1, 2026-11-21" in text
    assert "hemlig" not in text and "hemlig" not in body
    assert "Parkering" not in text
    assert "Beslut om bygglov" not in text       # indexed before the confirmation
    assert digest["Subject"].startswith("Bevakning: sökningen ”bygglov”")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = str(digest["List-Unsubscribe"]).strip().strip("<>")
    assert "/handling/" in text and "/bevakning/hantera/" in text

    # A second run finds nothing new and mails nothing.
    assert "0 utskick" in cli(diary, "alerts", "run")
    assert len(smtp_server.inbox.messages) == 2

    # RFC 8058: a POST of List-Unsubscribe=One-Click, no cookie, no CSRF token.
    fresh = _client(diary)
    ended = fresh.post(urlsplit(unsubscribe_url).path,
                       data={"List-Unsubscribe": "One-Click"})
    assert ended.status_code == 200, ended.get_data(as_text=True)
    with Store(load_settings(diary).store_path) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 0
        assert store.conn.execute("SELECT COUNT(*) FROM alert_addresses").fetchone()[0] == 0


def test_record_secret_and_reindexed_is_not_mailed(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                                   ) -> None:
    client = _client(diary)
    subscribe(client, "dnr:KS-2026/13")
    client.post(_link(smtp_server.inbox.messages[0], "/bevakning/bekrafta/"))
    import_rows(diary, [NEW[2], dict(NEW[3], sekretess="26 kap. 1 § OSL")], "mixed.csv")
    cli(diary, "index")
    output = cli(diary, "alerts", "run")
    digest = smtp_server.inbox.messages[-1]
    text = digest.get_body(("plain",)).get_content()
    assert "Parkering vid torget" in text
    assert "hemlig" not in text and "KS 2026/13:2" not in text, output


def test_mail_server_down_or_refusing_keeps_mail_queued(diary: Path,
                                                        smtp_server: SmtpServer  # noqa: F811
                                                        ) -> None:
    smtp_server.stop()
    client = _client(diary)
    subscribe(client, "bygglov")                 # the visitor's action still succeeds
    settings = load_settings(diary)
    with Store(settings.store_path) as store:
        assert mail.outbox_counts(store)["queued"] == 1
        smtp_server.start()
        smtp_server.inbox.refuse = "451 4.3.0 Försök igen senare"
        # Not due yet (backoff), then due and refused: still queued, attempts counted.
        assert mail.deliver(store, settings.smtp).sent == 0
        report = mail.deliver(store, settings.smtp, now=time.time() + 3600)
        assert (report.sent, report.deferred) == (0, 1) and "451" in report.error
        smtp_server.inbox.refuse = ""
        assert mail.deliver(store, settings.smtp, now=time.time() + 7200).sent == 1
        assert mail.deliver(store, settings.smtp, now=time.time() + 99999).sent == 0
        row = store.conn.execute("SELECT state, attempts FROM outbox").fetchone()
        assert (row[0], row[1]) == ("sent", 3)
    assert len(smtp_server.inbox.messages) == 1


def test_lapsed_lease_is_resent_with_the_same_message_id(diary: Path,
                                                        smtp_server: SmtpServer  # noqa: F811
                                                        ) -> None:
    """A sender that died between the server's accept and the mark: the message is sent
    again after its lease, with the same Message-ID; a live lease is left alone."""
    settings = load_settings(diary)
    with Store(settings.store_path) as store:
        with store.transaction():
            message = mail.compose(settings.smtp, ["a@exempel.se"], "Ämne med åäö",
                                   "Hej", "<p>Hej</p>")
            message_id = mail.queue(store, message, "confirm")
        store.conn.execute("UPDATE outbox SET state = 'sending', lease_until = ?",
                           (time.time() + 60,))
        assert mail.deliver(store, settings.smtp).sent == 0
        assert mail.deliver(store, settings.smtp, now=time.time() + 3600).sent == 1
    [received] = smtp_server.inbox.messages
    assert received["Message-ID"] == f"<{message_id}>"
    assert received["Subject"] == "Ämne med åäö"
    assert b"=?utf-8?" in message.as_bytes().split(b"\n\n")[0].lower()


def test_daily_alert_waits_for_its_day(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                       ) -> None:
    from diarium import alerts
    from diarium.indexer import open_backend

    client = _client(diary)
    subscribe(client, "bygglov", frequency="dagligen")
    client.post(_link(smtp_server.inbox.messages[0], "/bevakning/bekrafta/"))
    import_rows(diary, NEW[1:2], "new.csv")
    cli(diary, "index")
    settings = load_settings(diary)
    backend = open_backend(settings)
    with Store(settings.store_path) as store:
        assert alerts.run(store, settings, backend, "http://diarium.test").checked == 0
        later = time.time() + 86400
        report = alerts.run(store, settings, backend, "http://diarium.test", now=later)
        assert (report.checked, report.mailed, report.listed) == (1, 1, 1)
    backend.close()


def test_manage_page_lists_and_ends_all(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                        ) -> None:
    client = _client(diary)
    subscribe(client, "bygglov")
    subscribe(client, "budget", frequency="veckovis")
    page = client.get("/bevakning/hantera")
    answer = client.post("/bevakning/hantera", data={"email": ADDRESS,
                                                     "csrf": _csrf(page.data)})
    assert "Om adressen har bevakningar" in answer.get_data(as_text=True)
    manage_path = _link(smtp_server.inbox.messages[-1], "/bevakning/hantera/")
    listing = client.get(manage_path).get_data(as_text=True)
    assert "sökningen ”bygglov”" in listing and "sökningen ”budget”" in listing
    assert client.post(manage_path).status_code == 200
    assert client.get(manage_path).status_code == 404


@pytest.mark.parametrize("form", [
    {"email": "inte-en-adress", "frequency": "direkt"},
    {"email": "a@b.se\r\nBcc: x@y.se", "frequency": "direkt"},
    {"email": ADDRESS, "frequency": "varje timme"},
    {"email": ADDRESS, "frequency": "direkt", "csrf": "fel"},
    {"email": ADDRESS, "frequency": "direkt", "q": "x" * 600},
    {"email": ADDRESS, "frequency": "direkt", "year": "tjugo"},
    {"email": ADDRESS, "frequency": "direkt", "arende": "999999"},
    {"email": ADDRESS, "frequency": "direkt", "arende": "1' OR 1=1"},
])
def test_bad_subscriptions_are_refused_without_500(diary: Path, form: dict[str, str],
                                                    smtp_server: SmtpServer  # noqa: F811
                                                    ) -> None:
    client = _client(diary)
    token = _csrf(client.get("/bevakning/ny").data)
    answer = client.post("/bevakning/ny", data={"csrf": token, **form})
    assert 400 <= answer.status_code < 500
    assert smtp_server.inbox.messages == []


def test_honeypot_and_rate_limit(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                 ) -> None:
    client = _client(diary)
    token = _csrf(client.get("/bevakning/ny").data)
    bot = client.post("/bevakning/ny", data={"csrf": token, "email": ADDRESS,
                                             "frequency": "direkt", "webbplats": "http://x"})
    assert bot.status_code == 200 and smtp_server.inbox.messages == []
    statuses = [client.post("/bevakning/ny", data={
        "csrf": token, "email": ADDRESS, "frequency": "direkt", "q": f"ord{i}"}).status_code
        for i in range(6)]
    assert statuses == [200] * 5 + [429]
    assert len(smtp_server.inbox.messages) == 5


def test_two_runs_at_once_mail_each_record_once(diary: Path, smtp_server: SmtpServer  # noqa: F811
                                                ) -> None:
    """Two `diarium alerts run` processes over the same alerts: every alert gets one
    digest, whichever process queued it."""
    import os
    import subprocess
    import sys

    from diarium.indexer import open_backend
    from diarium.pipeline.indexing import last_seq

    count = 600
    settings = load_settings(diary)
    backend = open_backend(settings)
    with Store(settings.store_path) as store:
        seq = last_seq(store, backend.state_name) or 0
        with store.transaction() as conn:
            for i in range(count):
                cur = conn.execute("INSERT INTO alert_addresses (email, manage_token, "
                                   "created_at) VALUES (?, ?, 1)", (f"b{i}@exempel.se", i))
                conn.execute(
                    "INSERT INTO alerts (address_id, label, query, frequency, confirmed_at, "
                    "unsubscribe_token, created_at, last_seq) "
                    "VALUES (?, 'bygglov', 'bygglov', 'direkt', 1, ?, 1, ?)",
                    (cur.lastrowid, f"u{i}", seq))
    backend.close()
    import_rows(diary, NEW[1:2], "new.csv")
    cli(diary, "index")
    command = [sys.executable, "-m", "diarium.cli", "--data", str(diary), "alerts", "run",
               "--no-send"]
    env = {**os.environ, "DIARIUM_SEMANTIC": "0"}
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    with Store(settings.store_path) as store:
        digests = store.conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'digest'").fetchone()[0]
        sent = store.conn.execute("SELECT COUNT(*) FROM alert_sent").fetchone()[0]
    assert (digests, sent) == (count, count), outputs


def test_case_page_offers_an_alert_on_its_diarienummer(diary: Path,
                                                       smtp_server: SmtpServer  # noqa: F811
                                                       ) -> None:
    client = _client(diary)
    with Store(load_settings(diary).store_path) as store:
        case_id = store.conn.execute(
            "SELECT id FROM cases WHERE diarienummer = 'KS 2026/10'").fetchone()[0]
    case_page = BeautifulSoup(client.get(f"/arende/{case_id}").data, "html.parser")
    link = case_page.find("a", string="Bevaka via e-post")
    assert link is not None
    form_page = client.get(str(link["href"]))
    assert "ärende KS 2026/10 (Ärende KS 2026/10)" in form_page.get_data(as_text=True)
    hidden = {i["name"]: i["value"] for i in BeautifulSoup(form_page.data, "html.parser")
              .select("form.mail-form input[type=hidden]")}
    assert hidden["arende"] == str(case_id)
    answer = client.post("/bevakning/ny", data={**hidden, "email": ADDRESS,
                                                "frequency": "veckovis"})
    assert answer.status_code == 200
    with Store(load_settings(diary).store_path) as store:
        row = store.conn.execute("SELECT query, frequency FROM alerts").fetchone()
    assert (row[0], row[1]) == ('dnr:"KS 2026/10"', "veckovis")


def test_unconfirmed_alert_expires_after_48_hours(diary: Path) -> None:
    from diarium import alerts

    settings = load_settings(diary)
    with Store(settings.store_path) as store:
        alerts.subscribe(store, settings, ADDRESS, "direkt",
                         alerts.AlertSpec(label="x", query="x"), "http://diarium.test",
                         now=time.time() - 49 * 3600)
        raw = bytes(store.conn.execute("SELECT message FROM outbox").fetchone()[0])
        token = re.search(rb"/bevakning/bekrafta/([\w=\r\n-]+)", raw)
        assert token is not None
        value = token.group(1).replace(b"=\r\n", b"").decode()
        assert alerts.confirm(store, value, 0) is None
        # The next subscription (or run) deletes it, and the address with it.
        alerts.expire_unconfirmed(store)
        assert store.conn.execute("SELECT COUNT(*) FROM alert_addresses").fetchone()[0] == 0


def test_a_run_that_stops_halfway_resumes_without_mailing_twice(
        diary: Path, smtp_server: SmtpServer) -> None:  # noqa: F811
    from diarium import alerts
    from diarium.indexer import open_backend
    from diarium.pipeline.indexing import last_seq

    settings = load_settings(diary)
    backend = open_backend(settings)
    with Store(settings.store_path) as store:
        seq = last_seq(store, backend.state_name) or 0
        for i in range(3):
            alerts.subscribe(store, settings, f"r{i}@exempel.se", "direkt",
                             alerts.AlertSpec(label="bygglov", query="bygglov"),
                             "http://diarium.test")
        store.conn.execute("UPDATE alerts SET confirm_hash = NULL, confirmed_at = 1, "
                           "last_seq = ?", (seq,))
    backend.close()
    import_rows(diary, NEW[1:2], "new.csv")
    cli(diary, "index")

    class Stop(Exception):
        pass

    def stop_after_first(done: int) -> None:
        raise Stop

    backend = open_backend(settings)
    with Store(settings.store_path) as store:
        with pytest.raises(Stop):
            alerts.run(store, settings, backend, "http://diarium.test",
                       on_alert=stop_after_first)
        assert store.conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'digest'").fetchone()[0] == 1
        report = alerts.run(store, settings, backend, "http://diarium.test")
        assert (report.checked, report.mailed) == (2, 2)
        recipients = [r[0] for r in store.conn.execute(
            "SELECT recipients FROM outbox WHERE kind = 'digest' ORDER BY id")]
    backend.close()
    assert sorted(recipients) == [f'["r{i}@exempel.se"]' for i in range(3)]
