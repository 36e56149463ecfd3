"""The daily email of each person's tasks due or overdue: once per person and day, whatever beat or the worker do."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from champions.core import pending_email
from champions.core.clock import UK
from champions.core.models import OutboxMessage, PendingEmail
from champions.followups import tasks as digest_tasks
from champions.followups.models import Digest
from champions.followups.services import complete_task, set_digest
from tests.conftest import run_task
from tests.followups.helpers import NOW, TODAY, task

KIND = "followup_task_digest"


@pytest.fixture
def people(db, make, clock):
    """Two staff with tasks due today or overdue, and one whose only task is next week."""
    clock.set(NOW)
    ann, bob, cat = (make.user(role="staff", email=f"{n}@example.org") for n in ("ann", "bob", "cat"))
    champion = make.champion()
    task(db, champion, ann, title="Ring Amira", due=TODAY)
    task(db, champion, ann, title="Post the pack", due=TODAY - timedelta(days=2))
    task(db, champion, bob, title="Bob's call", due=TODAY)
    task(db, champion, cat, title="Next week", due=TODAY + timedelta(days=7))
    return ann, bob, cat, champion


def sent(db) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_each_person_gets_one_email_of_their_due_and_overdue_tasks_however_often_beat_fires(db, people):
    assert run_task(digest_tasks.queue_task_digests) == 2
    assert run_task(digest_tasks.queue_task_digests) == 0
    messages = sent(db)
    assert sorted(m.to_address for m in messages) == ["ann@example.org", "bob@example.org"]
    ann = next(m for m in messages if m.to_address == "ann@example.org")
    assert ann.subject == "Your tasks for Tuesday 10 March: 2 to do, 1 overdue"
    assert (
        "Ring Amira" in ann.text_body and "overdue since 8 March" in ann.text_body and "Bob's call" not in ann.text_body
    )
    assert "/staff/tasks/email" in ann.text_body  # how to turn it off
    assert count(db, Digest) == 2 and all(d.sent_at is not None for d in db.session.scalars(select(Digest)))


def test_nothing_is_sent_before_the_morning_and_again_the_next_day(db, people, clock):
    clock.set(datetime(2026, 3, 10, 6, 59, tzinfo=UK))
    assert run_task(digest_tasks.queue_task_digests) == 0 and sent(db) == []
    clock.set(datetime(2026, 3, 10, 7, 0, tzinfo=UK))
    assert run_task(digest_tasks.queue_task_digests) == 2
    clock.set(datetime(2026, 3, 11, 8, 0, tzinfo=UK))
    assert run_task(digest_tasks.queue_task_digests) == 2  # still due: a new day, a new email
    assert len(sent(db)) == 4


def test_someone_who_turned_it_off_gets_nothing(db, people):
    ann, *_ = people
    set_digest(ann, False)
    db.session.commit()
    run_task(digest_tasks.queue_task_digests)
    assert [m.to_address for m in sent(db)] == ["bob@example.org"]


def test_two_runs_at_once_write_one_row_and_one_email_per_person(db, people):
    ann, *_ = people
    # The second run read the same people before the first committed: its row for Ann hits the unique key.
    assert digest_tasks._queue_one(ann.id, TODAY) == 1
    assert digest_tasks._queue_one(ann.id, TODAY) == 0
    db.session.commit()
    assert count(db, Digest) == 1
    assert db.session.scalar(select(func.count()).where(PendingEmail.kind == KIND)) == 1


def test_a_worker_killed_before_sending_leaves_the_email_for_the_sweep_which_sends_it_once(
    db, people, monkeypatch, clock
):
    monkeypatch.setattr(pending_email.send_pending_email, "delay", lambda *args: None)  # the message is lost
    run_task(digest_tasks.queue_task_digests)
    assert sent(db) == [] and count(db, Digest) == 2
    monkeypatch.undo()
    assert run_task(digest_tasks.queue_task_digests) == 0  # beat again: the rows are written, nothing new is queued
    run_task(pending_email._sweep_pending_emails, clock.advance(hours=2))
    run_task(pending_email._sweep_pending_emails, clock.advance(hours=2))
    assert sorted(m.to_address for m in sent(db)) == ["ann@example.org", "bob@example.org"]


def test_tasks_done_before_the_email_goes_are_left_out_and_none_left_sends_nothing(db, people, monkeypatch, clock):
    ann, bob, _, champion = people
    monkeypatch.setattr(pending_email.send_pending_email, "delay", lambda *args: None)
    run_task(digest_tasks.queue_task_digests)
    monkeypatch.undo()
    from champions.followups.models import Task

    for done in db.session.scalars(select(Task).where(Task.assignee_id == bob.id)):
        complete_task(done, champion, bob)
    db.session.commit()
    run_task(pending_email._sweep_pending_emails, clock.advance(hours=2))
    assert [m.to_address for m in sent(db)] == ["ann@example.org"]
    outcomes = sorted(p.outcome for p in db.session.scalars(select(PendingEmail).where(PendingEmail.kind == KIND)))
    assert outcomes == ["not needed", "sent"]
