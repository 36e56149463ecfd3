"""One-off emails survive a dead worker: each is recorded as due with the change that calls for it, so one whose
task never ran (its worker killed, its message lost with it) is sent, once, by the sweep; a task run twice sends
it once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from champions.accounts import admin_services, tokens
from champions.accounts import services as accounts
from champions.accounts.email_change import confirm_email_change, request_email_change
from champions.accounts.models import Role
from champions.core import pending_email, work
from champions.core.db import now_utc
from champions.core.models import OutboxMessage, PendingEmail
from champions.core.notice import PRIVACY_NOTICE_VERSION
from champions.core.pending_email import send_pending_email
from champions.grants.services import awards
from champions.roster import services as signup
from champions.workshops.services import cancel, sign_up
from tests.conftest import run_task
from tests.factories import PASSWORD
from tests.workshops.helpers import make_workshop


def _grant_submitted(db, make):
    make.application(status="eligible", contact_email="group@example.org")
    return "group@example.org", "received your Small Sparks application"


def _grant_decision(db, make):
    application = make.application(status="under_review", contact_email="group@example.org")
    db.session.execute(update(PendingEmail).values(done_at=now_utc()))  # the submission's own email went
    awards.decline(application, "Not this time", None)
    return "group@example.org", "Small Sparks"


def _invitation(db, make):
    admin_services.invite("new.staff@example.org", Role.STAFF, make.user(role="admin").id)
    return "new.staff@example.org", "invited"


def _welcome(db, make):
    data = {
        "email": "priya.shah@example.org",
        "password": "a long walk in the park",
        "first_name": "Priya",
        "last_name": "Shah",
        "postcode": "BL1 1AA",
        "borough": "bolton",
    }
    signup.register_champion(data, consent_version=PRIVACY_NOTICE_VERSION)
    return "priya.shah@example.org", "Welcome"


def _verification(db, make):
    accounts.register_applicant("group.lead@example.org", "a long walk in the park", consent_version="v1")
    return "group.lead@example.org", "Confirm"


def _sign_up_notice(db, make):
    make.user(role="champion", email="taken@example.org")
    accounts.answer_taken_sign_up("taken@example.org", "a long walk in the park")
    return "taken@example.org", "Someone tried to create"


def _password_reset(db, make):
    make.user(role="champion", email="forgot@example.org")
    db.session.commit()
    accounts.request_password_reset("forgot@example.org", "127.0.0.1")
    return "forgot@example.org", "password"


def _workshop_place(db, make):
    workshop = make_workshop(db, capacity=1, title="Sun safety stall")
    first, second = make.champion(email="first@example.org"), make.champion(email="second@example.org")
    sign_up(workshop.id, first.id)
    sign_up(workshop.id, second.id)
    db.session.commit()
    cancel(workshop.id, first.id)
    return "second@example.org", "You have a place"


def _email_change_link(db, make):
    user = make.user(role="champion", email="before@example.org")
    request_email_change(user, "after@example.org", PASSWORD)
    return "after@example.org", "Confirm your new email address"


def _email_changed_notice(db, make):
    user = make.user(role="champion", email="before@example.org")
    change = request_email_change(user, "after@example.org", PASSWORD)
    db.session.execute(update(PendingEmail).values(done_at=now_utc()))  # the link's own email went
    confirm_email_change(user, tokens.email_change_token(change))
    return "before@example.org", "email address has been changed"


KINDS: dict[str, Callable] = {
    "grant_submitted": _grant_submitted,
    "grant_decision": _grant_decision,
    "invitation": _invitation,
    "welcome": _welcome,
    "verify_email": _verification,
    "sign_up_notice": _sign_up_notice,
    "password_reset": _password_reset,
    "workshop_place": _workshop_place,
    "email_change_link": _email_change_link,
    "email_changed_notice": _email_changed_notice,
}


def _mail(db) -> list[tuple[str, str]]:
    db.session.rollback()  # look afresh: tasks commit in their own sessions
    return [(m.to_address, m.subject) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


@pytest.fixture
def lost_messages(monkeypatch):
    """Every one-off email's message is lost (its worker killed before it runs the task) until ``.lost`` is
    set False: a worker started again."""
    real = send_pending_email.delay
    broker = SimpleNamespace(lost=True)
    monkeypatch.setattr(send_pending_email, "delay", lambda pending_id: None if broker.lost else real(pending_id))
    return broker


def _after_lease(app, **later) -> object:
    return now_utc() + timedelta(seconds=app.config["WORK_LEASE_SECONDS"] + 1, **later)


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_email_whose_worker_died_before_sending_is_sent_once_by_the_sweep(app, db, make, lost_messages, kind):
    before = _mail(db)  # what the set-up's own records sent (none of this kind: their messages are lost too)
    to, subject = KINDS[kind](db, make)
    db.session.commit()
    [pending] = db.session.scalars(select(PendingEmail).where(PendingEmail.kind == kind))
    assert pending.done_at is None and _mail(db) == before  # nothing went: the message was lost with its worker

    lost_messages.lost = False  # a worker is running again
    assert run_task(work.sweep_all, now_utc()) == 0  # its lease has not yet run out: its task may be on its way
    assert _mail(db) == before
    assert run_task(work.sweep_all, _after_lease(app)) == 1  # re-queued, and sent at once here as a worker would
    sent = [mail for mail in _mail(db) if mail not in before]
    assert [m[0] for m in sent] == [to] and subject.lower() in sent[0][1].lower()

    db.session.rollback()
    pending = db.session.get(PendingEmail, pending.id)
    assert pending.outcome == "sent" and pending.restarts == 0  # its message was lost: no worker had taken it
    run_task(work.sweep_all, _after_lease(app, minutes=10))  # a later sweep, and a repeat message, send nothing
    assert run_task(send_pending_email, pending.id) == "already done"
    assert len(_mail(db)) == len(before) + 1


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_task_that_runs_twice_sends_once(app, db, make, lost_messages, kind):
    to, _ = KINDS[kind](db, make)
    db.session.commit()
    [pending] = db.session.scalars(select(PendingEmail).where(PendingEmail.kind == kind))
    before = len(_mail(db))
    assert run_task(send_pending_email, pending.id) == "finished"
    assert run_task(send_pending_email, pending.id) == "already done"
    assert [m[0] for m in _mail(db)[before:]] == [to]


def test_a_copy_of_the_task_while_another_holds_the_lease_sends_nothing(app, db, make, lost_messages):
    _invitation(db, make)
    db.session.commit()
    [pending] = db.session.scalars(select(PendingEmail))
    pending.lease_owner, pending.lease_until = "live-worker", now_utc() + timedelta(minutes=5)
    db.session.commit()
    assert run_task(send_pending_email, pending.id) == "busy"
    assert _mail(db) == []


def test_a_worker_killed_while_sending_leaves_it_to_the_sweep_which_fails_it_after_three_deaths(
    app, db, make, lost_messages
):
    _invitation(db, make)
    db.session.commit()
    [pending] = db.session.scalars(select(PendingEmail))
    now = now_utc()
    for died in range(work.MAX_RESTARTS + 1):
        db.session.execute(update(PendingEmail).values(lease_owner="dead", lease_until=now - timedelta(seconds=1)))
        db.session.commit()
        # The sweep re-queues it (its message lost again) until its worker has died too often.
        assert run_task(work.sweep_all, now) == (1 if died < work.MAX_RESTARTS else 0)
    pending = db.session.get(PendingEmail, pending.id)
    assert pending.outcome == "failed" and pending.restarts > work.MAX_RESTARTS and _mail(db) == []


def test_an_email_no_longer_due_is_marked_so_and_not_sent(app, db, make, lost_messages):
    _invitation(db, make)
    db.session.commit()
    [pending] = db.session.scalars(select(PendingEmail))
    db.session.execute(update(PendingEmail).values(ids=[10**9]))  # as if the invitation were gone
    db.session.commit()
    assert run_task(send_pending_email, pending.id) == "finished"
    db.session.rollback()
    assert db.session.get(PendingEmail, pending.id).outcome == "not needed" and _mail(db) == []


def test_a_reset_email_keeps_no_secret_and_its_link_works_when_sent_later(app, db, make, lost_messages):
    _password_reset(db, make)
    db.session.commit()
    [pending] = db.session.scalars(select(PendingEmail))
    user = accounts.find_user("forgot@example.org")
    row = db.session.execute(select(PendingEmail.__table__).where(PendingEmail.id == pending.id)).one()
    assert pending.ids == [user.id]
    token = tokens.reset_token(user)
    assert all(token not in str(value) for value in row)  # the link is made when the email is sent
    run_task(send_pending_email, pending.id)
    body = db.session.scalar(select(OutboxMessage.text_body))
    sent_token = body.split("/reset/")[1].split()[0]
    assert accounts.user_for_reset(sent_token).email == "forgot@example.org"


def test_done_rows_are_deleted_a_week_on(app, db, make):
    _invitation(db, make)
    db.session.commit()  # sent at once (tests run tasks eagerly)
    assert db.session.scalar(select(PendingEmail.outcome)) == "sent"
    run_task(work.sweep_all, now_utc() + timedelta(days=pending_email.KEPT_DAYS - 1))
    assert db.session.scalar(select(func.count()).select_from(PendingEmail)) == 1
    run_task(work.sweep_all, now_utc() + timedelta(days=pending_email.KEPT_DAYS + 1))
    assert db.session.scalar(select(func.count()).select_from(PendingEmail)) == 0
