"""Periodic housekeeping shared by every part of the app."""

from __future__ import annotations

from celery import shared_task

from champions.core import log, work
from champions.core.locks import job_lock


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
