"""Durable background work: a job row is written before its task is queued, the task that runs it holds a
lease on the row, and a periodic sweep re-queues a job whose lease ran out (its worker died).

A message taken by a worker on the embedded broker is never handed out again, and on Redis only after the
visibility timeout; so the database, not the broker, says what is left to do. Tasks are idempotent: a second
copy of a message finds the lease held, or the job finished, and does nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from flask import current_app
from sqlalchemy import String, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from champions.core import log
from champions.core.db import after_commit, now_utc
from champions.extensions import db

# The lease updates do not touch loaded rows: their callers commit (expiring them) or never read the lease.
NO_SYNC = {"synchronize_session": False}
MAX_RESTARTS = 3  # a job whose worker died this often is failed, not re-queued for ever


def lease_length() -> timedelta:
    return timedelta(seconds=current_app.config["WORK_LEASE_SECONDS"])


def _queued_lease() -> datetime:
    # A queued job not yet claimed is swept once this runs out, in case its message was lost.
    return now_utc() + timedelta(seconds=current_app.config["WORK_LEASE_SECONDS"])


class Leased:
    """Columns for a job row that one task at a time works on."""

    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(default=_queued_lease)
    restarts: Mapped[int] = mapped_column(default=0)


def _expired(model: type[Leased], now: datetime):
    return or_(model.lease_until.is_(None), model.lease_until < now)


def claim(model: type[Leased], row_id: int) -> str | None:
    """Take the row's lease and commit; None when a live task holds it."""
    owner, now = uuid.uuid4().hex, now_utc()
    taken = db.session.execute(
        update(model)
        .where(model.id == row_id, or_(model.lease_owner.is_(None), _expired(model, now)))
        .values(lease_owner=owner, lease_until=now + lease_length()),
        execution_options=NO_SYNC,
    ).rowcount
    db.session.commit()
    return owner if taken else None


def renew(model: type[Leased], row_id: int, owner: str) -> bool:
    """Extend the lease inside the caller's transaction; False when it was lost (the caller must roll back)."""
    return bool(
        db.session.execute(
            update(model)
            .where(model.id == row_id, model.lease_owner == owner)
            .values(lease_until=now_utc() + lease_length()),
            execution_options=NO_SYNC,
        ).rowcount
    )


def hand_on(model: type[Leased], row_id: int, owner: str, task: Task | None) -> None:
    """Give the lease up; with ``task``, queue it to carry on once this commits (a short task, not a long one)."""
    db.session.execute(
        update(model)
        .where(model.id == row_id, model.lease_owner == owner)
        .values(lease_owner=None, lease_until=_queued_lease()),
        execution_options=NO_SYNC,
    )
    if task is not None:
        after_commit(db.session(), task.delay, row_id)
    db.session.commit()


@dataclass
class LeasedRun:
    """Run ``steps`` (a generator that flushes one batch per yield) under a lease, committing each batch.

    After ``batches`` batches the run hands on to a fresh ``task`` message, so no task runs long.
    """

    model: type[Leased]
    row_id: int
    task: Task

    def __call__(self, steps: Callable[[Any], Iterator[object]], batches: int) -> str:
        owner = claim(self.model, self.row_id)
        if owner is None:
            return "busy"  # another task holds it: a repeat delivery, or the sweep's copy
        row = db.session.get(self.model, self.row_id)
        if row is None:
            return "gone"
        try:
            return self._run(owner, steps(row), batches)
        except Exception:
            db.session.rollback()
            hand_on(self.model, self.row_id, owner, None)  # a retry may claim it at once
            raise

    def _run(self, owner: str, steps: Iterator[object], batches: int) -> str:
        done = 0
        for _ in steps:
            if not renew(self.model, self.row_id, owner):
                db.session.rollback()
                return "lease lost"
            db.session.commit()
            done += 1
            if done >= batches:
                hand_on(self.model, self.row_id, owner, self.task)
                return "continued"
        hand_on(self.model, self.row_id, owner, None)
        return "finished"


# ------------------------------------------------------------------------------------------ the sweep

SWEEPS: list[Callable[[datetime], int]] = []


def sweep(fn: Callable[[datetime], int]) -> Callable[[datetime], int]:
    """Register a function that re-queues one kind of job left by a dead worker; returns how many."""
    SWEEPS.append(fn)
    return fn


def requeue_stale(
    model: type[Leased],
    unfinished,
    now: datetime,
    task_for: Callable[[Any], Task | None],
    fail: Callable[[Any], None],
) -> int:
    """Re-queue unfinished rows whose lease ran out; fail those whose worker died ``MAX_RESTARTS`` times."""
    stale: Iterable[Any] = db.session.scalars(
        select(model).where(unfinished, _expired(model, now)).order_by(model.id).limit(100)
    ).all()
    count = 0
    for row in stale:
        task = task_for(row)
        died = row.lease_owner is not None  # claimed, then not renewed; else its message is late or was lost
        if task is None or (died and row.restarts >= MAX_RESTARTS):
            fail(row)
            log.warning("%s %s failed: its worker stopped %s times", model.__name__, row.id, row.restarts)
            continue
        row.restarts += int(died)
        row.lease_owner, row.lease_until = None, now + lease_length()
        after_commit(db.session(), task.delay, row.id)
        log.warning("%s %s re-queued (worker stopped: %s)", model.__name__, row.id, died)
        count += 1
    db.session.commit()
    return count


def sweep_all(now: datetime | None = None) -> int:
    now = now or now_utc()
    return sum(fn(now) for fn in SWEEPS)
