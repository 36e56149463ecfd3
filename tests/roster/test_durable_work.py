"""Background jobs a dead worker left: an import resumes after its last committed batch, and the sweep
re-queues a job whose lease ran out (or fails it when its worker keeps dying)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from champions.core import work
from champions.core.db import now_utc
from champions.core.models import OutboxMessage
from champions.dashboards.models import DashboardJob
from champions.roster import importer
from champions.roster.crm_models import ExportJob, ImportJob, ImportRow, JobStatus
from champions.roster.exporter import start_export
from champions.roster.staff_services import RosterFilters
from champions.roster.staff_tasks import run_import
from tests.conftest import run_task

ROWS = 12


def _job(db) -> ImportJob:
    lines = ["email,first name,last name,postcode,borough,consent email"]
    lines += [f"p{i}@example.org,Pat,Number{i},M1 1AE,manchester,yes" for i in range(ROWS)]
    lines.insert(4, "p1@example.org,Pat,Again,M1 1AE,manchester,yes")  # a repeat inside the file, after a kill
    job = importer.create_job(
        "p.csv", "\n".join(lines).encode(), source="Partner", lawful_basis="consent", by_user_id=None
    )
    job.status = JobStatus.RUNNING.value
    db.session.commit()
    return job


def _dies_after_first_batch(db, job: ImportJob) -> None:
    """What a worker killed after committing its first batch leaves behind: a lease nobody renews."""
    job.lease_owner, job.lease_until = "dead-worker", now_utc() - timedelta(seconds=1)
    steps = importer.process(job, dry_run=False)
    next(steps)
    db.session.commit()
    steps.close()


def test_an_import_killed_between_batches_resumes_and_welcomes_everyone_once(app, db, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 5)
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
