"""Background jobs of activities: forgetting deleted activities once they can no longer be undone."""

from __future__ import annotations

from celery import shared_task

from champions.activities.services import purge_deleted
from champions.core.db import now_utc
from champions.extensions import db


@shared_task
def purge_deleted_activities() -> int:
    """Hourly: delete for good what was deleted more than the undo window ago (idempotent: a second run finds
    nothing)."""
    purged = purge_deleted(now_utc())
    db.session.commit()
    return purged
