"""The API's periodic job: forgetting Idempotency-Keys a day old."""

from __future__ import annotations

from celery import shared_task

from champions.api.base import forget_old_idempotency_keys
from champions.extensions import db


@shared_task
def forget_idempotency_keys() -> int:
    forgotten = forget_old_idempotency_keys()
    db.session.commit()
    return forgotten
