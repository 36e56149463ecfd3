from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app

from champions.core.email import email_task
from champions.core.locks import job_lock
from champions.nudges import delivery, evaluation, log


@shared_task
def evaluate_nudges() -> dict[str, int] | None:
    """Periodic: find who is due a nudge; then deliver. Safe to run twice: rows are unique per period."""
    with job_lock("evaluate_nudges") as held:
        if not held:
            return None
        created = evaluation.evaluate_all()
    log.info("nudges evaluated: %s", created)
    deliver_nudges.delay()
    return created


@email_task
def deliver_nudges() -> dict[str, int] | None:
    """Periodic and after each evaluation: send due messages in batches over one connection."""
    lease = current_app.config["NUDGE_DELIVERY_LEASE_SECONDS"]
    with job_lock("deliver_nudges", ttl=timedelta(seconds=lease)) as held:
        if not held:
            return None
        try:
            result = delivery.deliver_due(stop_after=lease / 2)
        except OSError as error:  # smtplib's errors included; the email retry policy runs the task again
            delivery.record_attempt_failure(error)
            log.warning("nudge delivery failed for now (%s)", error)
            raise
    if result.sent:
        deliver_nudges.delay()  # there may be more due: keep going in fresh batches
    return result.__dict__
