"""Background jobs a dead worker left: an import resumes after its last committed batch, and the sweep
re-queues a job whose lease ran out (or fails it when its worker keeps dying)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from champions.accounts.models import User
from champions.core import work
from champions.core.db import now_utc
from champions.core.models import OutboxMessage
from champions.dashboards.models import DashboardJob
from champions.roster import staff_tasks
from champions.roster.exporter import start_export
from champions.roster.importer import run
from champions.roster.importer.upload import create_job
from champions.roster.models import ExportJob, ImportJob, ImportRow, JobStatus
from champions.roster.staff_services import RosterFilters
from champions.roster.staff_tasks import run_import
from tests.conftest import run_task
from tests.fake_smtp import fake_smtp_fixture  # noqa: F401 (the fake_smtp fixture)

ROWS = 12


def _job(db) -> ImportJob:
    lines = ["email,first name,last name,postcode,borough,consent email"]
    lines += [f"p{i}@example.org,Pat,Number{i},M1 1AE,manchester,yes" for i in range(ROWS)]
    lines.insert(4, "p1@example.org,Pat,Again,M1 1AE,manchester,yes")  # a repeat inside the file, after a kill
    job = create_job("p.csv", "\n".join(lines).encode(), source="Partner", lawful_basis="consent", by_user_id=None)
    job.status = JobStatus.RUNNING.value
    db.session.commit()
    return job


def _dies_after_first_batch(db, job: ImportJob) -> None:
    """What a worker killed after committing its first batch leaves behind: a lease nobody renews."""
    job.lease_owner, job.lease_until = "dead-worker", now_utc() - timedelta(seconds=1)
    steps = run.process(job, dry_run=False)
    next(steps)
    db.session.commit()
    steps.close()


def test_an_import_killed_between_batches_resumes_and_welcomes_everyone_once(app, db, monkeypatch):
    monkeypatch.setattr(run, "BATCH", 5)
    job = _job(db)
    _dies_after_first_batch(db, job)
    assert db.session.get(ImportJob, job.id).processed_rows == 5

    assert run_task(work.sweep_all) >= 1  # re-queued: runs eagerly here, as a worker would
    job = db.session.get(ImportJob, job.id)
    assert job.status == JobStatus.DONE.value and job.emails_done_at is not None and job.restarts == 1
    assert job.counts["new"] == ROWS and job.counts["duplicate"] == 1
    outcomes = Counter(db.session.scalars(select(ImportRow.outcome).where(ImportRow.job_id == job.id)))
    assert outcomes == {"new": ROWS, "duplicate": 1}
    sent = Counter(db.session.scalars(select(OutboxMessage.to_address)))
    assert len(sent) == ROWS and set(sent.values()) == {1}


def test_a_repeat_message_for_a_job_another_task_holds_does_nothing(app, db):
    job = _job(db)
    job.lease_owner, job.lease_until = "live-worker", now_utc() + timedelta(minutes=5)
    db.session.commit()
    assert run_task(run_import, job.id) == "busy"
    assert db.session.get(ImportJob, job.id).processed_rows == 0


def test_the_sweep_reruns_an_export_left_running_and_fails_one_whose_worker_keeps_dying(app, db, make):
    make.champion()
    admin = make.user(role="admin")
    left, doomed = (start_export(RosterFilters(), include_special=False, by_user=admin) for _ in range(2))
    for job in (left, doomed):
        job.status, job.lease_owner, job.lease_until = "running", "dead", now_utc() - timedelta(seconds=1)
    doomed.restarts = work.MAX_RESTARTS
    db.session.commit()
    run_task(work.sweep_all)
    assert db.session.get(ExportJob, left.id).status == JobStatus.DONE.value
    assert db.session.get(ExportJob, doomed.id).status == JobStatus.FAILED.value


def test_the_sweep_finishes_a_recompute_left_unfinished(app, db, make):
    job = DashboardJob(requested_by_id=make.user(role="admin").id)
    db.session.add(job)
    db.session.flush()
    job.lease_owner, job.lease_until = "dead", now_utc() - timedelta(seconds=1)
    db.session.commit()
    run_task(work.sweep_all)
    job = db.session.get(DashboardJob, job.id)
    assert job.finished_at is not None and job.error is None and job.restarts == 1


# ------------------------------------------------------------------------- failures that come back every time


def _imported(db, monkeypatch) -> ImportJob:
    """An import done, its welcomes due and not yet sent (their task's message left unsent)."""
    job = _job(db)
    monkeypatch.setattr(staff_tasks.send_import_emails, "delay", lambda job_id: None)
    assert run_task(run_import, job.id) == "finished"
    return db.session.get(ImportJob, job.id)


def test_a_recipient_refused_for_good_is_marked_and_everyone_after_them_welcomed(app, db, monkeypatch, fake_smtp):
    job = _imported(db, monkeypatch)
    fake_smtp.refuse = {"p0@example.org": (550, b"5.1.1 no such mailbox")}  # first in every batch before the fix
    monkeypatch.setitem(app.config, "IMPORT_EMAIL_BATCH", 3)
    assert run_task(staff_tasks.send_import_emails, job.id) == "finished"
    assert sorted(fake_smtp.sent) == sorted(f"p{i}@example.org" for i in range(1, ROWS))
    refused = db.session.scalar(select(User).where(User.email == "p0@example.org"))
    assert refused.welcome_failed_at is not None and refused.welcome_sent_at is None
    assert db.session.get(ImportJob, job.id).emails_done_at is not None


def test_welcomes_that_fail_every_time_are_failed_not_requeued_for_ever(app, db, monkeypatch, clock):
    clock.set(datetime(2026, 3, 10, 11, 0))
    job = _imported(db, monkeypatch)

    def broken(person, home_url):
        raise ValueError("a template that cannot render")

    monkeypatch.setattr(staff_tasks, "_welcome", broken)
    requeued = []
    for _ in range(work.MAX_FAILURES):
        with pytest.raises(ValueError):
            run_task(staff_tasks.send_import_emails.run, job.id)
        clock.advance(seconds=app.config["WORK_LEASE_SECONDS"] + 1)
        requeued.append(run_task(staff_tasks._sweep_imports, now_utc()))
    assert requeued == [1] * (work.MAX_FAILURES - 1) + [0]
    job = db.session.get(ImportJob, job.id)
    assert job.failures == work.MAX_FAILURES and job.emails_done_at is not None and "failed" in job.error
    assert run_task(staff_tasks._sweep_imports, now_utc()) == 0


def test_an_export_that_raises_is_failed_not_rebuilt_for_ever(app, db, make, monkeypatch):
    admin = make.user(role="admin")
    job = start_export(RosterFilters(), include_special=False, by_user=admin)
    db.session.commit()

    def broken(job):
        raise RuntimeError("the export query failed")
        yield

    monkeypatch.setattr(staff_tasks, "build", broken)
    with pytest.raises(RuntimeError):
        run_task(staff_tasks.run_export, job.id)
    assert db.session.get(ExportJob, job.id).status == JobStatus.FAILED.value
    assert run_task(staff_tasks._sweep_exports, now_utc()) == 0


# ------------------------------------------------------------------------------------------ leases that ran out


def test_a_lease_that_ran_out_cannot_be_renewed(app, db, clock):
    clock.set(datetime(2026, 3, 10, 11, 0))
    job = _job(db)
    owner = work.claim(ImportJob, job.id)
    clock.advance(seconds=app.config["WORK_LEASE_SECONDS"] + 1)  # not yet swept: the owner is still set
    assert not work.renew(ImportJob, job.id, owner)
    db.session.rollback()


def test_the_sweep_leaves_a_job_whose_task_renewed_its_lease_after_the_sweep_read_it(app, db):
    job = _job(db)
    job.lease_owner, job.lease_until = "slow-worker", now_utc() - timedelta(seconds=1)
    db.session.commit()
    queued = []

    class Task:
        delay = queued.append

    def renewed_meanwhile(row):  # called between the sweep's read and its update
        db.session.execute(
            update(ImportJob).where(ImportJob.id == row.id).values(lease_until=now_utc() + timedelta(minutes=5)),
            execution_options={"synchronize_session": False},
        )
        return Task

    unfinished = ImportJob.status == JobStatus.RUNNING.value
    assert run_task(work.requeue_stale, ImportJob, unfinished, now_utc(), renewed_meanwhile, lambda row: None) == 0
    job = db.session.get(ImportJob, job.id)
    assert (job.lease_owner, job.restarts, queued) == ("slow-worker", 0, [])


def test_a_welcome_task_whose_lease_ran_out_sends_nothing_more(app, db, monkeypatch, fake_smtp, clock):
    clock.set(datetime(2026, 3, 10, 11, 0))
    job = _imported(db, monkeypatch)
    # The first email takes longer than the lease (a slow mail server); the sweep has not yet run.
    fake_smtp.on_send = lambda msg: clock.advance(seconds=app.config["WORK_LEASE_SECONDS"] + 1)
    assert run_task(staff_tasks.send_import_emails, job.id) == "lease lost"
    assert len(fake_smtp.sent) == 1
    welcomed = db.session.scalars(select(User.email).where(User.welcome_sent_at.is_not(None))).all()
    assert welcomed == fake_smtp.sent  # the one sent is marked, so the next task does not send it again
