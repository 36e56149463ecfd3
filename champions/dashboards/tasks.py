from __future__ import annotations

from datetime import datetime

from celery import shared_task

from champions.core import work
from champions.core.db import now_utc
from champions.core.locks import job_lock
from champions.dashboards import log, services
from champions.dashboards.models import DashboardJob
from champions.extensions import db


@work.sweep
def _sweep_dashboard_jobs(now: datetime) -> int:
    def fail(job: DashboardJob) -> None:
        job.finished_at, job.error = now, "The computation stopped; the figures will be recomputed on schedule."

    return work.requeue_stale(
        DashboardJob, DashboardJob.finished_at.is_(None), now, lambda job: compute_programme_snapshot, fail
    )


def _claim(job_id: int | None) -> tuple[DashboardJob | None, str | None] | None:
    """The requested job and this run's lease on it; None when it is finished or another run holds it."""
    if job_id is None:
        return None, None
    job = db.session.get(DashboardJob, job_id)
    if job is None or job.finished_at is not None:
        return None
    owner = work.claim(DashboardJob, job_id)
    return (db.session.get(DashboardJob, job_id), owner) if owner else None


@shared_task
def compute_programme_snapshot(job_id: int | None = None) -> int | None:
    """Periodic, or asked for from the page: store every programme figure. Overlapping runs skip.

    A requested job is leased, so a job whose worker died is re-run by the sweep, not left 'running'.
    """
    claimed = _claim(job_id)
    if claimed is None:
        return None
    job, owner = claimed

    def progress(done: int, total: int) -> None:
        if job is not None and owner is not None:  # _claim gives a job together with this run's lease on it
            job.done_steps, job.total_steps = done, total
            work.renew(DashboardJob, job.id, owner)
            db.session.commit()  # visible to the page polling for progress

    with job_lock("compute_programme_snapshot") as held:
        if not held:
            log.info("programme snapshot already being computed; skipping")
            if job is not None:
                job.error = "Another computation was already running; its figures will appear shortly."
                job.finished_at = now_utc()
                db.session.commit()
            return None
        snapshot = services.compute_programme_snapshot(progress)
        if job is not None:
            job.finished_at = now_utc()
        db.session.commit()
        log.info("programme snapshot %s computed in %s ms", snapshot.id, snapshot.duration_ms)
        return snapshot.id
