"""Email goes to the outbox by default and by SMTP in production; audit events are append-only."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from champions.core import audit
from champions.core.email import send_email
from champions.core.models import AuditEvent, OutboxMessage


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_outbox_backend_keeps_the_email_for_staff_to_read(db):
    send_email("a@example.org", "Hello", "Plain words", "<p>Plain words</p>", headers={"X-Champions": "1"})
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert (message.to_address, message.subject, message.headers) == ("a@example.org", "Hello", {"X-Champions": "1"})


def test_smtp_backend_delivers_to_a_real_smtp_server(app, db, smtp_server):
    port, inbox = smtp_server
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    try:
        send_email("b@example.org", "Welcome", "Text body", "<p>HTML body</p>", headers={"X-Test": "yes"})
    finally:
        app.config.update(MAIL_BACKEND="outbox", SMTP_HOST="")
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["b@example.org"]
    body = envelope.content.decode()
    assert "Subject: Welcome" in body and "X-Test: yes" in body and "Text body" in body and "HTML body" in body
    assert db.session.scalar(select(OutboxMessage)) is None  # SMTP mode does not keep a copy


def test_audit_events_cannot_be_changed_or_deleted(db, make):
    user = make.user()
    event = audit.record("something.viewed", user)
    db.session.commit()
    event.action = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.delete(db.session.scalar(select(AuditEvent)))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.action)) == "something.viewed"
