"""Email goes to the outbox by default and by SMTP in production; audit events are append-only."""

from __future__ import annotations

import ast
import logging
import smtplib
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import FunctionType, ModuleType

import pytest
from sqlalchemy import select

from champions.accounts.admin_models import Invitation
from champions.accounts.admin_tasks import invitation_email
from champions.core import audit
from champions.core import email as core_email
from champions.core.email import EMAIL_TASK_OPTIONS, send_email
from champions.core.models import AuditEvent, OutboxMessage, PendingEmail
from champions.core.pending_email import send_pending_email
from tests.fake_smtp import FakeSMTP, start_smtp_server


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller, port = start_smtp_server(inbox)
    yield port, inbox
    controller.stop()


def test_outbox_backend_keeps_the_email_for_staff_to_read(db):
    send_email("a@example.org", "Hello", "Plain words", "<p>Plain words</p>", headers={"X-Champions": "1"})
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert (message.to_address, message.subject, message.headers["X-Champions"]) == ("a@example.org", "Hello", "1")


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
    assert "\nDate: " in body and "\nMessage-ID: <" in body
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


# ------------------------------------------------------------------------------------------------- headers


def test_every_message_is_dated_by_the_app_clock_and_has_its_own_id(db, clock):
    when = clock.set(datetime(2028, 2, 29, 23, 30))  # UK time: a leap day, in the quiet hours
    send_email("a@example.org", "One", "Text")
    send_email("a@example.org", "Two", "Text")
    db.session.commit()
    headers = [m.headers for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert [parsedate_to_datetime(h["Date"]) for h in headers] == [when, when]
    ids = [h["Message-ID"] for h in headers]
    assert all(i.startswith("<") and i.endswith("@localhost>") for i in ids) and ids[0] != ids[1]


MAIL_BUILDING = {"EmailMessage", "MIMEText", "MIMEMultipart", "SMTP", "SMTP_SSL", "send_message", "sendmail"}


# It reads the code: the same answer on any database.
@pytest.mark.once
def test_only_core_email_builds_or_sends_a_message():
    """Every email gets its Date and Message-ID because none is made or sent anywhere but champions/core/email.py."""
    root = Path(core_email.__file__).parents[1]
    found = []
    for path in root.rglob("*.py"):
        if path == Path(core_email.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            called = node.func if isinstance(node, ast.Call) else None
            name = getattr(called, "attr", None) or getattr(called, "id", None)
            if name in MAIL_BUILDING:
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}()")
    assert found == []


# ------------------------------------------------------------------------------------------------- tasks


SENDERS = {core_email.send_email, core_email.mail_sender}


def sends_email(function, depth: int = 0) -> bool:
    """Whether ``function`` calls a sender, directly or through functions of the app (a module's or its own)."""
    code = getattr(function, "__code__", None)
    if code is None or depth > 6:
        return False
    names = set(_names(code))
    for name in names:
        value = function.__globals__.get(name)
        targets = [value]
        if isinstance(value, ModuleType) and value.__name__.startswith("champions."):
            targets = [getattr(value, n, None) for n in names]  # module.function(...)
        for target in targets:
            if any(target is sender for sender in SENDERS):
                return True
            if isinstance(target, FunctionType) and target.__module__.startswith("champions."):
                if sends_email(target, depth + 1):
                    return True
    return False


def _names(code):
    yield from code.co_names
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            yield from _names(const)


def email_tasks(app) -> dict[str, object]:
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    tasks = {name: task for name, task in celery.tasks.items() if name.startswith("champions.")}
    return {name: task for name, task in tasks.items() if sends_email(getattr(task, "_orig_run", task.run))}


def test_every_task_that_sends_email_has_the_one_retry_policy(app):
    found = email_tasks(app)
    for expected in ("core.pending_email.send_pending_email", "workshops.tasks.send_workshop_reminders", "nudges"):
        assert any(expected in name for name in found), (expected, sorted(found))  # the discovery finds them
    assert "champions.dashboards.tasks.compute_programme_snapshot" not in found
    wrong = [
        name
        for name, task in found.items()
        if any(_option(task, option) != value for option, value in EMAIL_TASK_OPTIONS.items())
    ]
    assert wrong == [], "declare these with @email_task (champions/core/email.py)"


def _option(task, option):
    value = getattr(type(task), option, None)
    return value.__func__ if hasattr(value, "__func__") else value


class FlakySMTP(FakeSMTP):
    """smtplib's client, talking to a server whose first ``failures`` deliveries fail as a dropped connection does."""

    failures = 0
    quit_fails = False
    attempts: list = []
    delivered: list = []

    def send_message(self, msg):
        FlakySMTP.attempts.append(msg)
        if len(FlakySMTP.attempts) <= FlakySMTP.failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        FlakySMTP.delivered.append(msg)

    def docmd(self, cmd, args=""):
        assert cmd.lower() == "quit", cmd
        return (421, b"Service not available, closing channel") if FlakySMTP.quit_fails else (221, b"Bye")


@pytest.fixture
def flaky_smtp(app, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FlakySMTP)
    monkeypatch.setattr(FlakySMTP, "attempts", [])
    monkeypatch.setattr(FlakySMTP, "delivered", [])
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_STARTTLS=False)
    yield FlakySMTP
    app.config.update(MAIL_BACKEND="outbox", SMTP_HOST="")


@pytest.fixture
def eager_retries(app, monkeypatch):
    """Run retries in place, as apply() does, instead of raising the first Retry out of the test."""
    monkeypatch.setitem(app.extensions["celery"].conf, "task_eager_propagates", False)


def sent_at(db, pending_id: int):
    db.session.rollback()  # the task committed in its own session: look afresh
    pending = db.session.get(PendingEmail, pending_id)
    invitation = db.session.get(Invitation, pending.ids[0])
    assert (pending.done_at is None) == (invitation.sent_at is None)  # the two marks are one commit
    return invitation.sent_at


def _invitation(db, monkeypatch) -> int:
    """An invitation whose email is due, its task not yet run: the id of its pending email."""
    monkeypatch.setattr(send_pending_email, "delay", lambda pending_id: None)
    invitation = Invitation(email="invited@example.org", role="staff")
    db.session.add(invitation)
    db.session.flush()
    pending_id = invitation_email.queue(invitation.id).id
    db.session.commit()
    return pending_id


def test_a_temporary_smtp_failure_is_retried_and_the_email_sent_once(db, flaky_smtp, monkeypatch, eager_retries):
    monkeypatch.setattr(flaky_smtp, "failures", 2)
    pending_id = _invitation(db, monkeypatch)
    result = send_pending_email.apply(args=(pending_id,))
    assert (result.get(), len(flaky_smtp.attempts), len(flaky_smtp.delivered)) == ("finished", 3, 1)
    assert send_pending_email.apply(args=(pending_id,)).get() == "already done"
    assert len(flaky_smtp.delivered) == 1 and sent_at(db, pending_id) is not None


def test_a_connection_lost_after_the_server_accepted_the_email_sends_it_no_more(db, flaky_smtp, monkeypatch):
    monkeypatch.setattr(flaky_smtp, "quit_fails", True)
    pending_id = _invitation(db, monkeypatch)
    assert send_pending_email.apply(args=(pending_id,)).get() == "finished"
    assert len(flaky_smtp.attempts) == 1 and sent_at(db, pending_id) is not None


def test_the_final_failure_is_logged_after_the_retries(db, flaky_smtp, monkeypatch, caplog, eager_retries):
    monkeypatch.setattr(flaky_smtp, "failures", 100)
    # The migrations' logging set-up (alembic's fileConfig, run by the test database set-up) disables loggers.
    monkeypatch.setattr(logging.getLogger("champions.core"), "disabled", False)
    pending_id = _invitation(db, monkeypatch)
    result = send_pending_email.apply(args=(pending_id,))
    assert result.state == "FAILURE" and isinstance(result.result, smtplib.SMTPServerDisconnected)
    assert len(flaky_smtp.attempts) == 1 + EMAIL_TASK_OPTIONS["max_retries"] and flaky_smtp.delivered == []
    final = [r for r in caplog.records if r.levelname == "ERROR" and "failed for good" in r.getMessage()]
    assert len(final) == 1 and "send_pending_email" in final[0].getMessage()
    assert sent_at(db, pending_id) is None  # left for the sweep


@pytest.mark.parametrize(
    ("code", "attempts", "outcome"), [(550, 1, "refused"), (451, 1 + EMAIL_TASK_OPTIONS["max_retries"], None)]
)
def test_a_refused_recipient_is_retried_only_when_the_refusal_is_temporary(
    db, flaky_smtp, monkeypatch, eager_retries, code, attempts, outcome
):
    def refuse(self, msg):
        flaky_smtp.attempts.append(msg)
        raise smtplib.SMTPRecipientsRefused({msg["To"]: (code, b"refused")})

    monkeypatch.setattr(flaky_smtp, "send_message", refuse)
    pending_id = _invitation(db, monkeypatch)
    send_pending_email.apply(args=(pending_id,))
    assert len(flaky_smtp.attempts) == attempts
    db.session.rollback()
    assert db.session.get(PendingEmail, pending_id).outcome == outcome  # refused for good: not swept again


@pytest.mark.once
@pytest.mark.parametrize(
    "to, subject",
    [
        ("person@example.org", "Your next step as a champion"),
        ("Zoë Ng <zoe@example.org>", "Café — your next step"),  # not ASCII: encoded as standard
        ('"Smith, Jo" <jo@example.org>', 'A "quoted" word'),
        ("long@example.org", "A long subject " * 80),  # longer than a line: folded as standard
    ],
)
def test_a_message_is_written_out_exactly_as_the_standard_policy_writes_it(app, to, subject):
    """The quicker policy keeps plain values as text instead of parsing them when set; what goes to the mail
    server is byte for byte what the standard policy gives (the random MIME boundary set aside)."""
    from email import policy
    from email.message import EmailMessage

    def build(chosen):
        msg = EmailMessage(policy=chosen)
        msg["From"] = "Champions <hello@champions.example>"
        msg["To"] = to
        msg["Subject"] = subject
        msg["List-Unsubscribe"] = "<https://champions.example/unsubscribe/" + "a" * 200 + ">"
        msg.set_content("Hello — café\n")
        msg.add_alternative("<p>Hello — café</p>", subtype="html")
        return msg

    quick, standard = build(core_email.POLICY), build(policy.default.clone(max_line_length=998))
    written = quick.as_bytes()  # which draws the random boundary
    standard.set_boundary(quick.get_boundary())
    assert written == standard.as_bytes()
    assert str(quick["To"].addresses[0].username) in to  # read back, a header is parsed as standard


@pytest.mark.once
@pytest.mark.parametrize("value", ["Hello\r\nBcc: someone@example.org", "Hello\nBcc: someone@example.org"])
def test_a_header_with_a_line_break_is_still_refused(value):
    from email.message import EmailMessage

    msg = EmailMessage(policy=core_email.POLICY)
    with pytest.raises(ValueError):
        msg["Subject"] = value
