from __future__ import annotations

from celery import shared_task
from flask import current_app

from champions.core.locks import job_lock
from champions.extensions import db
from champions.privacy import log
from champions.privacy.services import apply_retention


@shared_task
def enforce_retention() -> dict[str, int] | None:
    """Daily: delete sign-ups never verified, anonymise champions withdrawn long ago; logs its counts."""
    with job_lock("enforce_retention") as held:
        if not held:
            return None
        config = current_app.config
        counts = apply_retention(
            config["RETENTION_UNVERIFIED_DAYS"], config["RETENTION_WITHDRAWN_DAYS"], config["RETENTION_FILES_DAYS"]
        )
        db.session.commit()
        log.info("retention run: %s", counts)
        return counts
