"""No database lock is held while a mail server is spoken to: on SQLite every transaction takes the
database-wide write lock, so a task holding one across a hung SMTP conversation (30 s timeout) would stall
every request of the app."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text, update

from champions.core.models import PendingEmail
from champions.core.pending_email import send_pending_email
from champions.grants.models import Application
from champions.workshops.models import WorkshopSignup
from tests.conftest import only_on_sqlite
from tests.fake_smtp import fake_smtp_fixture  # noqa: F401 (the fake_smtp fixture)
from tests.workshops.helpers import make_workshop


def _due(db, kind: str, record_id: int) -> Callable[[], object]:
    """The email recorded as due, its task not yet run: a function that runs it."""
    pending = PendingEmail(kind=kind, ids=[record_id])
    db.session.add(pending)
    db.session.commit()
    return lambda: send_pending_email(pending.id)


def _submitted_application(db, make) -> Callable[[], object]:
    application = make.application(status="eligible")
    db.session.execute(update(Application).values(submitted_email_sent_at=None))
    return _due(db, "grant_submitted", application.id)


def _promoted_place(db, make) -> Callable[[], object]:
    from champions.workshops import tasks  # noqa: F401 (defines the workshop_place email, as a worker imports it)
    from champions.workshops.services import sign_up

    workshop = make_workshop(db)
    signup = sign_up(workshop.id, make.champion().id, by_staff=True)
    db.session.flush()
    db.session.execute(
        update(WorkshopSignup)
        .where(WorkshopSignup.id == signup.id)
        .values(promoted_at=signup.created_at, promotion_email_sent_at=None)
    )
    return _due(db, "workshop_place", signup.id)


@pytest.mark.parametrize("prepare", [_submitted_application, _promoted_place], ids=["grant", "workshop place"])
def test_another_session_can_write_while_an_email_is_being_sent(app, db, make, fake_smtp, prepare):
    only_on_sqlite(app)
    run = prepare(db, make)
    fake_smtp.sent.clear()  # what preparing it sent
    sending, release = threading.Event(), threading.Event()

    def slow_server(msg):
        sending.set()
        assert release.wait(10)

    fake_smtp.on_send = slow_server
    results = []

    def worker():
        with app.app_context():
            results.append(run())

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert sending.wait(10)
        with db.engine.connect() as other:  # a request arriving meanwhile
            other.exec_driver_sql("PRAGMA busy_timeout = 1000")
            other.execute(text("UPDATE users SET last_login_at = NULL"))
            other.commit()
    finally:
        release.set()
        thread.join(10)
    assert results == ["finished"] and len(fake_smtp.sent) == 1
