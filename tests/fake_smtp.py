"""A stand-in for smtplib.SMTP in unit tests: no network; refuses chosen recipients, or runs a hook on each send.

And, for tests that need a real one, an SMTP server (aiosmtpd) on a free local port.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp_server(handler) -> tuple[Controller, int]:
    """A real SMTP server on 127.0.0.1 whose messages go to ``handler``, started: the caller stops it."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


class FakeSMTP(smtplib.SMTP):
    refuse: dict[str, tuple[int, bytes]] = {}  # recipient -> the server's reply to RCPT TO
    on_send: Callable[[object], None] | None = None
    sent: list[str] = []

    def __init__(self, host, port, timeout=None):
        super().__init__()  # no host: no connection

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, msg):
        if FakeSMTP.on_send is not None:
            FakeSMTP.on_send(msg)
        if msg["To"] in FakeSMTP.refuse:
            raise smtplib.SMTPRecipientsRefused({msg["To"]: FakeSMTP.refuse[msg["To"]]})
        FakeSMTP.sent.append(msg["To"])

    def docmd(self, cmd, args=""):
        return 221, b"Bye"


@pytest.fixture(name="fake_smtp")
def fake_smtp_fixture(app, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(FakeSMTP, "refuse", {})
    monkeypatch.setattr(FakeSMTP, "on_send", None)
    monkeypatch.setattr(FakeSMTP, "sent", [])
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_STARTTLS=False)
    yield FakeSMTP
    app.config.update(MAIL_BACKEND="outbox", SMTP_HOST="")
