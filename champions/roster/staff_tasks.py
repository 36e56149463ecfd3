"""Background jobs of the staff CRM: import checks and imports, welcome emails for imported champions, exports.

Each takes an id, reloads its row, copes with it gone, and commits after every batch so progress shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from celery import shared_task
from flask import current_app
from sqlalchemy import Row, exists, or_, select, update

from champions.accounts.models import ConsentRecord, User
from champions.core.db import now_utc
from champions.core.email import (
    TEMPORARY_ERRORS,
    email_task,
    external_url,
    send_once,
    template_message,
)
from champions.core.work import MAX_FAILURES, LeasedRun, requeue_stale, sweep
from champions.extensions import db
from champions.profiles.models import Champion, Stage
from champions.roster import log
from champions.roster.exporter import build
from champions.roster.importer import run
from champions.roster.importer.new_champions import EMAIL_CONSENT
from champions.roster.models import ExportJob, ImportJob, ImportRow, JobStatus

IMPORT_BATCHES_PER_TASK = 4  # 2,000 rows, then the import carries on in a fresh task
EMAIL_STEPS_PER_TASK = 200


def _run_import(task, job_id: int, dry_run: bool, expect: JobStatus) -> str:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        return "gone"
    if job.status != expect.value:
        return f"skipped: {job.status}"  # a repeat delivery of a job already done
    try:
        return LeasedRun(ImportJob, job_id, task)(
            lambda job: run.process(job, dry_run=dry_run), IMPORT_BATCHES_PER_TASK
        )
    except Exception as error:
        db.session.rollback()
        job = db.session.get_one(ImportJob, job_id)  # import jobs are never deleted
        job.status, job.error, job.lease_owner = JobStatus.FAILED.value, str(error)[:500], None
        db.session.commit()
        log.exception("import %s failed", job_id)
        raise


@shared_task(bind=True)
def check_import(self, job_id: int) -> str:
    """The dry run: count what the import would do, change nothing on the roster."""
    return _run_import(self, job_id, True, JobStatus.CHECKING)


@shared_task(bind=True)
def run_import(self, job_id: int) -> str:
    result = _run_import(self, job_id, False, JobStatus.RUNNING)
    if result == "finished":
        send_import_emails.delay(job_id)  # if this worker dies first, the sweep queues it
    return result


def _due_welcomes(job_id: int, limit: int) -> Sequence[Row[int, str, str, str | None]]:
    """The next champions this import created who consented to email and have not been welcomed yet (nor
    refused by the mail server: they would head every batch for ever), and have not withdrawn meanwhile."""
    consented = exists().where(
        ConsentRecord.user_id == User.id, ConsentRecord.purpose == EMAIL_CONSENT, ConsentRecord.granted
    )
    return db.session.execute(
        select(User.id, User.email, Champion.first_name, Champion.source_detail)
        .join(ImportRow, ImportRow.champion_id == Champion.id)
        .join(User, User.id == Champion.user_id)
        .where(ImportRow.job_id == job_id, ImportRow.dry_run.is_(False), ImportRow.outcome == "new")
        .where(User.welcome_sent_at.is_(None), User.welcome_failed_at.is_(None), consented)
        .where(Champion.stage != Stage.WITHDRAWN.value)
        .order_by(Champion.id)
        .limit(limit)
    ).all()


def _welcome_steps(job: ImportJob) -> Iterator[None]:
    """Send the due welcomes a batch at a time, each marked sent on the account as it goes.

    Through SMTP the lease is renewed (ending the transaction that read the batch) before each email, so a
    task that lost its lease sends nothing more and no lock is held while the server is spoken to; each
    is marked straight after the server accepts it, so a worker killed next sends it no more. To the
    outbox, each message and its mark are one transaction.
    """
    smtp = current_app.config["MAIL_BACKEND"] == "smtp"
    job_id, start_url = job.id, external_url("accounts.reset_request")
    while people := _due_welcomes(job_id, current_app.config["IMPORT_EMAIL_BATCH"]):
        for person in people:
            if smtp:
                yield
            _welcome(person, start_url)
        yield
    job.emails_done_at = now_utc()
    db.session.flush()


def _welcome(person, start_url: str) -> None:
    """Send one welcome; a recipient the mail server refuses for good is marked so, and the others go on."""
    due = (User.id == person.id, User.welcome_sent_at.is_(None), User.welcome_failed_at.is_(None))
    msg = template_message(
        person.email, "imported_welcome", first_name=person.first_name, source=person.source_detail, start_url=start_url
    )
    sent = update(User).where(*due).values(welcome_sent_at=now_utc())
    send_once(msg, sent, refused=update(User).where(*due).values(welcome_failed_at=now_utc()))


@email_task(bind=True)
def send_import_emails(self, job_id: int) -> str:
    """Welcome the champions this import created, only where the file recorded consent to email; once each."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.emails_done_at is not None:
        return "nothing to do"
    return LeasedRun(ImportJob, job_id, self, TEMPORARY_ERRORS)(_welcome_steps, EMAIL_STEPS_PER_TASK)


_IMPORT_TASKS = {JobStatus.CHECKING.value: check_import, JobStatus.RUNNING.value: run_import}


@sweep
def _sweep_imports(now: datetime) -> int:
    def task_for(job: ImportJob):
        return _IMPORT_TASKS.get(job.status, send_import_emails)

    def fail(job: ImportJob) -> None:
        why = "they failed" if job.failures >= MAX_FAILURES else "the worker stopped"
        if job.status == JobStatus.DONE.value:
            job.emails_done_at, job.error = now, f"The welcome emails stopped: {why} too often"
        else:
            job.status, job.error = JobStatus.FAILED.value, "The import stopped: the worker stopped too often"

    unfinished = or_(
        ImportJob.status.in_(list(_IMPORT_TASKS)),
        (ImportJob.status == JobStatus.DONE.value) & ImportJob.emails_done_at.is_(None),
    )
    return requeue_stale(ImportJob, unfinished, now, task_for, fail)


@shared_task(bind=True)
def run_export(self, export_id: int) -> str:
    """Build the CSV under a lease, renewed each batch; the CSV is built in memory, so in one task."""
    job = db.session.get(ExportJob, export_id)
    if job is None:
        return "gone"
    if job.status == JobStatus.DONE.value:
        return "already done"
    try:
        return LeasedRun(ExportJob, export_id, self)(build, batches=10**9)
    except Exception:
        # Failed for good: the page says so, and the sweep leaves it (else it rebuilt it every lease for ever).
        db.session.rollback()
        db.session.execute(update(ExportJob).where(ExportJob.id == export_id).values(status=JobStatus.FAILED.value))
        db.session.commit()
        log.exception("export %s failed", export_id)
        raise


@sweep
def _sweep_exports(now: datetime) -> int:
    def fail(job: ExportJob) -> None:
        job.status = JobStatus.FAILED.value

    unfinished = ExportJob.status.in_([JobStatus.WAITING.value, JobStatus.RUNNING.value])
    return requeue_stale(ExportJob, unfinished, now, lambda job: run_export, fail)
