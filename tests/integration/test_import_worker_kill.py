"""A real worker killed in the middle of an import's welcome emails, on the embedded broker and on Redis.

The broker never hands the killed worker's message out again (the embedded one) or not for an hour (Redis's
visibility timeout), so the sweep must find the work in the database: every champion gets exactly one email.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from champions import create_app
from champions.accounts.models import User
from champions.core.tasks import sweep_unfinished_work
from champions.roster.importer.upload import create_job
from champions.roster.models import ImportJob, JobStatus
from champions.roster.staff_tasks import run_import
from config import load_config
from tests.conftest import need
from tests.fake_smtp import start_smtp_server
from tests.integration.workers import BROKERS, WorkerProcess, smtp_env, start_worker, wait_until, worker_env

pytestmark = pytest.mark.celery_worker
CHAMPIONS = 200
KILL_AT = 60  # the worker dies as it starts the 61st email: 60 sent, 140 left


class KillingInbox:
    """An SMTP server that kills the worker when it opens its ``KILL_AT + 1``th message.

    The worker marks each email sent straight after the server accepts it, so at that moment exactly
    ``KILL_AT`` are accepted and marked: a deterministic kill in the middle of the batch.
    """

    def __init__(self):
        self.received: list[str] = []
        self.worker: WorkerProcess | None = None
        self.killed = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(self.received) >= KILL_AT and not self.killed.is_set() and self.worker is not None:
            self.worker.stop(signal.SIGKILL, wait=5)
            self.killed.set()
            return "451 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


def _csv() -> bytes:
    lines = ["email,first name,last name,postcode,borough,consent email"]
    lines += [f"person{i}@example.org,Person,Number{i},M1 1AE,manchester,yes" for i in range(CHAMPIONS)]
    return "\n".join(lines).encode()


def _now_in_database(db, query):
    """``query``'s answer as the worker has committed it: asked in a transaction of its own, not from an object the
    session already holds (which keeps what it read first), and never left open while the test sleeps (SQLite
    would stay locked, and would go on showing that transaction's snapshot)."""
    db.session.rollback()
    answer = db.session.scalar(query)
    db.session.rollback()
    return answer


def _welcomed(db) -> int:
    return _now_in_database(db, select(func.count()).select_from(User).where(User.welcome_sent_at.is_not(None)))


@pytest.mark.parametrize("broker", BROKERS)
def test_a_worker_killed_mid_import_emails_loses_none_and_sends_none_twice(broker, app, db, instance_dir, monkeypatch):
    url = {
        "embedded": f"sqla+sqlite:///{instance_dir / f'celery-broker-kill-{uuid.uuid4().hex[:6]}.sqlite'}",
        "redis": os.environ.get("REDIS_URL"),
    }[broker]
    need(bool(url), "REDIS_URL is not set, so the Celery tests on Redis cannot run")
    inbox = KillingInbox()
    smtp, port = start_smtp_server(inbox)

    job = create_job("people.csv", _csv(), source="Partner", lawful_basis="consent", by_user_id=None)
    job.status = JobStatus.RUNNING.value
    db.session.commit()
    env = worker_env(
        app,
        instance_dir,
        url,
        "kill",
        **smtp_env(port),
        WORK_LEASE_SECONDS="3",  # a dead worker's job is swept after 3 s instead of 5 minutes
        IMPORT_EMAIL_BATCH="25",
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    create_app(load_config("testing"))  # now the current Celery app: .delay() goes to this broker
    first = start_worker(env, instance_dir)
    inbox.worker = first
    second = None
    try:
        run_import.delay(job.id)
        assert inbox.killed.wait(timeout=30), first.output()
        assert not first.alive()
        assert len(inbox.received) == KILL_AT == _welcomed(db)  # each accepted email was marked at once

        second = start_worker(env, instance_dir)

        def all_welcomed() -> bool:
            if _welcomed(db) < CHAMPIONS:
                sweep_unfinished_work.delay()  # what beat does every two minutes
                return False
            return True

        assert wait_until(all_welcomed, timeout=30, interval=1.5), second.output()
        # The job is marked done once its last batch finds no one left, just after the last email: ask afresh.
        done_at = select(ImportJob.emails_done_at).where(ImportJob.id == job.id)
        assert wait_until(lambda: _now_in_database(db, done_at) is not None, timeout=10)
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
        smtp.stop()
        app.extensions["celery"].set_default()
        app.extensions["celery"].set_current()

    counts = Counter(inbox.received)
    assert len(counts) == CHAMPIONS  # none lost
    assert set(counts.values()) == {1}  # none sent twice
    db.session.rollback()
    assert db.session.get(ImportJob, job.id).counts["new"] == CHAMPIONS
