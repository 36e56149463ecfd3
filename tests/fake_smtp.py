"""A stand-in for smtplib.SMTP in unit tests: no network; refuses chosen recipients, or runs a hook on each send."""

from __future__ import annotations

import smtplib
from collections.abc import Callable

import pytest


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
