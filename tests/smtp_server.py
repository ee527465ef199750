"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1 at a free port, keeping
every message it accepts. `refuse` makes it answer DATA with a temporary failure; `stop()`
and `start()` take it down and bring it back on the same port."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """What the server received: parsed messages and their envelopes."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: str = ""          # e.g. "451 4.3.0 try later"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages
                if address in [a.addr_spec for a in m["To"].addresses]]


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def toml(self, base_url: str = "http://diarium.test") -> str:
        return (f'[smtp]\nhost = "127.0.0.1"\nport = {self.port}\nsecurity = "none"\n'
                f'sender = "Diariet i Exempelkommunen <diariet@exempelkommunen.se>"\n'
                f'base_url = "{base_url}"\n')


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
