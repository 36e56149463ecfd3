from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import or_, select

from champions.core.clock import today_uk
from champions.core.locks import job_lock
from champions.extensions import db
from champions.profiles.models import LIVE, Champion, Stage
from champions.profiles.services import change_stage
from champions.roster import log

BATCH = 500


@shared_task
def mark_lapsed() -> int | None:
    """Active champions with no activity for LAPSE_AFTER_DAYS become lapsed (back to active when they log one)."""
    days = current_app.config["LAPSE_AFTER_DAYS"]
    cutoff = today_uk() - timedelta(days=days)  # activity dates are UK dates
    with job_lock("mark_lapsed") as held:
        if not held:
            return None
        query = select(Champion).where(
            Champion.stage == Stage.ACTIVE.value,
            LIVE,  # a merged-away record is read-only
            or_(Champion.last_activity_on < cutoff, Champion.last_activity_on.is_(None)),
        )
        lapsed = 0
        for champion in db.session.scalars(query.limit(BATCH)).all():
            change_stage(champion, Stage.LAPSED, f"No activity for {days} days")
            lapsed += 1
        db.session.commit()
        log.info("%s champions marked lapsed", lapsed)
        if lapsed == BATCH:
            mark_lapsed.delay()  # more to do: continue in a fresh task, in batches
        return lapsed
