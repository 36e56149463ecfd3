"""Periodic housekeeping shared by every part of the app."""

from __future__ import annotations

from celery import shared_task

from champions.core import log, throttle, work
from champions.core.locks import job_lock
from champions.extensions import db


@shared_task
def sweep_unfinished_work() -> int | None:
    """Periodic: re-queue the jobs a dead worker left (each part registers its own with ``work.sweep``)."""
    with job_lock("sweep_unfinished_work") as held:
        if not held:
            return None
        count = work.sweep_all()
        if count:
            log.info("%s unfinished jobs re-queued", count)
        return count


@shared_task
def clear_expired_throttle_counters() -> int:
    """Periodic: delete the throttle counts whose window has passed (they are kept in the database when
    THROTTLE_REDIS_URL is not set; Redis expires its own)."""
    count = throttle.clear_expired_counters()
    db.session.commit()
    return count
