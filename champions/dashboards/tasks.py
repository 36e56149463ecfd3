from __future__ import annotations

from celery import shared_task

from champions.core.locks import job_lock
from champions.dashboards import log, services
from champions.extensions import db


@shared_task
def compute_programme_snapshot() -> int | None:
    """Periodic: store the programme figures. Overlapping runs skip instead of piling up."""
    with job_lock("compute_programme_snapshot") as held:
        if not held:
            log.info("programme snapshot already being computed; skipping")
            return None
        snapshot = services.compute_programme_snapshot()
        db.session.commit()
        log.info("programme snapshot %s computed in %s ms", snapshot.id, snapshot.duration_ms)
        return snapshot.id
