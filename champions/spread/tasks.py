"""The network analysis as a Celery task: on schedule (a run of its own) and when staff ask (a run they requested,
whose progress the page shows). Leased, so a run whose worker died is taken up again by the sweep; one at a time."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from champions.core import work
from champions.core.db import now_utc
from champions.core.locks import job_lock
from champions.extensions import db
from champions.spread import log, services
from champions.spread.models import SpreadRun


@work.sweep
def _sweep_spread_runs(now: datetime) -> int:
    def fail(run: SpreadRun) -> None:
        run.finished_at, run.error = now, "The computation stopped; the network will be measured again on schedule."

    return work.requeue_stale(SpreadRun, SpreadRun.finished_at.is_(None), now, lambda run: compute_spread, fail)


@shared_task
def compute_spread(run_id: int | None = None) -> int | None:
    """Measure the network. Without ``run_id`` (the schedule) a run is made here; overlapping runs skip."""
    if run_id is None:
        scheduled = SpreadRun()
        db.session.add(scheduled)
        db.session.commit()
        run_id = scheduled.id
    asked = db.session.get(SpreadRun, run_id)
    owner = work.claim(SpreadRun, run_id) if asked is not None and asked.finished_at is None else None
    run = db.session.get(SpreadRun, run_id) if owner else None
    if run is None or owner is None:
        return None

    def progress(done: int, total: int) -> None:
        run.done_steps, run.total_steps = done, total
        work.renew(SpreadRun, run.id, owner)
        db.session.commit()  # visible to the page polling for progress

    with job_lock("compute_spread") as held:
        if not held:
            log.info("the network is already being measured; skipping")
            run.error = "Another computation was already running; its figures will appear shortly."
            run.finished_at = now_utc()
            db.session.commit()
            return None
        services.compute(run, progress)
        db.session.commit()
        log.info(
            "network measured in run %s: %s champions, %s ties, %s ms", run.id, run.champions, run.ties, run.duration_ms
        )
        return run.id
