from __future__ import annotations

import smtplib
from datetime import timedelta

from celery import shared_task
from flask import current_app

from champions.core.locks import job_lock
from champions.nudges import engine, log


@shared_task
def evaluate_nudges() -> dict[str, int] | None:
    """Periodic: find who is due a nudge; then deliver. Safe to run twice: rows are unique per period."""
    with job_lock("evaluate_nudges") as held:
        if not held:
            return None
        created = engine.evaluate_all()
    log.info("nudges evaluated: %s", created)
    deliver_nudges.delay()
    return created


@shared_task(bind=True, max_retries=6)
def deliver_nudges(self) -> dict[str, int] | None:
    """Periodic and after each evaluation: send due messages in batches over one connection."""
    lease = current_app.config["NUDGE_DELIVERY_LEASE_SECONDS"]
    with job_lock("deliver_nudges", ttl=timedelta(seconds=lease)) as held:
        if not held:
            return None
        try:
            result = engine.deliver_due(stop_after=lease / 2)
        except (smtplib.SMTPException, OSError) as error:
            engine.record_attempt_failure(error)
            if self.request.retries >= self.max_retries:
                log.error("nudge delivery gave up after %s retries: %s", self.request.retries, error)
                raise
            log.warning("nudge delivery failed for now (%s); retrying", error)
            raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 1800)) from error
    if result.sent:
        deliver_nudges.delay()  # there may be more due: keep going in fresh batches
    return result.__dict__
