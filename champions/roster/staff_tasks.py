"""Background jobs of the staff CRM: import checks and imports, welcome emails for imported champions, exports.

Each takes an id, reloads its row, copes with it gone, and commits after every batch so progress shows.
"""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import exists, select, update
from sqlalchemy.exc import OperationalError

from champions.accounts.models import User
from champions.core.db import now_utc
from champions.core.email import external_url, send_template
from champions.extensions import db
from champions.privacy.models import ConsentRecord
from champions.roster import importer, log
from champions.roster.crm_models import ExportJob, ImportJob, ImportRow, JobStatus
from champions.roster.exporter import build
from champions.roster.models import Champion


def _run_import(job_id: int, dry_run: bool, expect: JobStatus) -> str:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        return "gone"
    if job.status != expect.value:
        return f"skipped: {job.status}"  # a repeat delivery of a job already done
    job.status = (JobStatus.CHECKING if dry_run else JobStatus.RUNNING).value
    db.session.commit()
    try:
        for _ in importer.process(job, dry_run=dry_run):
            db.session.commit()
    except Exception as error:
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)
        job.status, job.error = JobStatus.FAILED.value, str(error)[:500]
        db.session.commit()
        log.exception("import %s failed", job_id)
        raise
    db.session.commit()
    return job.status


@shared_task
def check_import(job_id: int) -> str:
    """The dry run: count what the import would do, change nothing on the roster."""
    return _run_import(job_id, True, JobStatus.CHECKING)


@shared_task
def run_import(job_id: int) -> str:
    result = _run_import(job_id, False, JobStatus.RUNNING)
    if result == JobStatus.DONE.value:
        send_import_emails.delay(job_id)
    return result


@shared_task(autoretry_for=(OSError, OperationalError), retry_backoff=30, max_retries=5)
def send_import_emails(job_id: int) -> int:
    """Welcome the champions this import created, only where the file recorded consent to email; once each."""
    consented = exists().where(
        ConsentRecord.user_id == User.id, ConsentRecord.purpose == importer.EMAIL_CONSENT, ConsentRecord.granted
    )
    # Plain rows, read once: champion objects would be expired by each commit and reloaded one by one.
    people = db.session.execute(
        select(User.id, User.email, Champion.first_name, Champion.source_detail)
        .join(ImportRow, ImportRow.champion_id == Champion.id)
        .join(User, User.id == Champion.user_id)
        .where(ImportRow.job_id == job_id, ImportRow.dry_run.is_(False), ImportRow.outcome == "new")
        .where(User.welcome_sent_at.is_(None), consented)
        .order_by(Champion.id)
        .limit(5000)
    ).all()
    sent = 0
    for start in range(0, len(people), 100):
        batch = people[start : start + 100]
        for person in batch:
            send_template(
                person.email,
                "imported_welcome",
                first_name=person.first_name,
                source=person.source_detail,
                home_url=external_url("accounts.login"),
            )
        db.session.execute(update(User).where(User.id.in_([p.id for p in batch])).values(welcome_sent_at=now_utc()))
        sent += len(batch)
        db.session.commit()
    db.session.commit()
    return sent


@shared_task
def run_export(export_id: int) -> str:
    job = db.session.get(ExportJob, export_id)
    if job is None:
        return "gone"
    if job.status == JobStatus.DONE.value:
        return "already done"
    for _ in build(job):
        db.session.commit()
    db.session.commit()
    return job.status
