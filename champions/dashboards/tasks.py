from __future__ import annotations

from celery import shared_task

from champions.core.db import now_utc
from champions.core.locks import job_lock
from champions.dashboards import log, services
from champions.dashboards.models import DashboardJob
from champions.extensions import db


@shared_task
def compute_programme_snapshot(job_id: int | None = None) -> int | None:
    """Periodic, or asked for from the page: store every programme figure. Overlapping runs skip."""
    job = db.session.get(DashboardJob, job_id) if job_id else None

    def progress(done: int, total: int) -> None:
        if job is not None:
            job.done_steps, job.total_steps = done, total
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
