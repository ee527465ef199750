"""The [smtp] settings: defaults per security mode, the password only from the
environment, clear errors; `diarium alerts run` and `diarium mail send` refuse to run
without mail settings; composed messages escape HTML and encode Swedish headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from diarium import mail
from diarium.cli import main
from diarium.config import SmtpSettings, load_settings
from diarium.errors import ConfigError


def _settings(data: Path, toml: str) -> SmtpSettings:
    (data / "diarium.toml").write_text(toml, encoding="utf-8")
    return load_settings(data).smtp


def test_defaults_and_password_from_environment(data_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = _settings(data_dir, '[smtp]\nhost = "mail.example.se"\nsecurity = "tls"\n'
                               'sender = "Diariet <d@example.se>"\nuser = "u"\n'
                               'password_env = "TEST_SMTP_PW"\n')
    assert (smtp.port, smtp.security, smtp.configured) == (465, "tls", True)
    monkeypatch.setenv("TEST_SMTP_PW", "hemligt")
    assert smtp.password() == "hemligt"
    assert _settings(data_dir, '[smtp]\nsecurity = "none"\n').port == 25
    assert not load_settings(data_dir).smtp.configured


@pytest.mark.parametrize("toml,message", [
    ('[smtp]\npassword = "x"\n', "password_env"),
    ('[smtp]\nsecurity = "ssl"\n', "starttls, tls, none"),
    ('[smtp]\nport = "587"\n', "port number"),
    ('[smtp]\nport = 70000\n', "port number"),
    ('[smtp]\nsender = "diariet"\n', "not an e-mail address"),
    ('[smtp]\nbase_url = "diarium.example.se"\n', "absolute address"),
    ('smtp = "x"\n', "must be a table"),
])
def test_bad_settings_say_what_is_wrong(data_dir: Path, toml: str, message: str) -> None:
    (data_dir / "diarium.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(data_dir)


@pytest.mark.parametrize("command", [["alerts", "run"], ["mail", "send"]])
def test_commands_refuse_without_mail_settings(data_dir: Path, command: list[str]) -> None:
    result = CliRunner().invoke(main, ["--data", str(data_dir), *command])
    assert result.exit_code == 2
    assert "smtp" in result.output


def test_composed_message_escapes_and_encodes() -> None:
    smtp = SmtpSettings(host="h", sender="Diariet i Åby <diariet@aby.se>")
    text, body = mail.render(["Rubrik <script>alert(1)</script> & mer",
                              mail.Link('Länk "x"', 'https://e.se/?a=1&b="2"'),
                              ["rad ett", "rad två"]])
    message = mail.compose(smtp, ["a@b.se"], "Ärende för åäö", text, body)
    raw = message.as_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    assert b"=?utf-8?" in headers and "Ärende".encode() not in headers
    html_part = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html_part and "<script>" not in html_part
    assert 'href="https://e.se/?a=1&amp;b=&quot;2&quot;"' in html_part
    assert "<li>rad två</li>" in html_part
    assert "- rad ett\n- rad två" in message.get_body(("plain",)).get_content()
    assert message["Message-ID"].endswith("@aby.se>")


@pytest.mark.parametrize("address,expected", [
    ("Namn@Exempel.SE", "Namn@exempel.se"),
    ("  a.b+c@d.se ", "a.b+c@d.se"),
    ("a@b", None), ("a@@b.se", None), ("a b@c.se", None), ("<a@b.se>", None),
    ("a@b.se, c@d.se", None), ("a@b.se\nBcc: x@y.se", None), ("åsa@exempel.se", None),
    ("", None), ("a@" + "b" * 300 + ".se", None),
])
def test_valid_address(address: str, expected: str | None) -> None:
    assert mail.valid_address(address) == expected
