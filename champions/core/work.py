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
from typing import TYPE_CHECKING, Any

from celery import Task
from flask import Response, current_app, jsonify
from sqlalchemy import String, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from champions.core import log
from champions.core.db import after_commit, now_utc, rowcount
from champions.extensions import db

# The lease updates do not touch loaded rows: their callers commit (expiring them) or never read the lease.
NO_SYNC = {"synchronize_session": False}
MAX_RESTARTS = 3  # a job whose worker died this often is failed, not re-queued for ever
MAX_FAILURES = 3  # likewise a job whose task raised (an error not worth retrying) this often


def lease_length() -> timedelta:
    return timedelta(seconds=current_app.config["WORK_LEASE_SECONDS"])


def _queued_lease() -> datetime:
    # A queued job not yet claimed is swept once this runs out, in case its message was lost.
    return now_utc() + lease_length()


class Leased:
    """Columns for a job row that one task at a time works on."""

    if TYPE_CHECKING:
        id: Mapped[int]  # every job table has one, declared with the table's other columns

    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(default=_queued_lease)
    restarts: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")


def _expired(model: type[Leased], now: datetime):
    return or_(model.lease_until.is_(None), model.lease_until < now)


def claim(model: type[Leased], row_id: int) -> str | None:
    """Take the row's lease and commit; None when a live task holds it."""
    owner, now = uuid.uuid4().hex, now_utc()
    taken = rowcount(
        db.session.execute(
            update(model)
            .where(model.id == row_id, or_(model.lease_owner.is_(None), _expired(model, now)))
            .values(lease_owner=owner, lease_until=now + lease_length()),
            execution_options=NO_SYNC,
        )
    )
    db.session.commit()
    return owner if taken else None


def renew(model: type[Leased], row_id: int, owner: str) -> bool:
    """Extend the lease inside the caller's transaction; False when it was lost (the caller must roll back).

    A lease that ran out is lost even if the sweep has not yet taken it: the sweep may be re-queuing the job
    this moment, and a second task must not find this one still at work.
    """
    now = now_utc()
    return bool(
        rowcount(
            db.session.execute(
                update(model)
                .where(model.id == row_id, model.lease_owner == owner, model.lease_until >= now)
                .values(lease_until=now + lease_length()),
                execution_options=NO_SYNC,
            )
        )
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
    #: Errors that pass (the mail server or database busy): retried without counting towards MAX_FAILURES.
    temporary: tuple[type[Exception], ...] = ()

    def __call__(self, steps: Callable[[Any], Iterator[object]], batches: int) -> str:
        owner = claim(self.model, self.row_id)
        if owner is None:
            return "busy"  # another task holds it: a repeat delivery, or the sweep's copy
        row = db.session.get(self.model, self.row_id)
        if row is None:
            return "gone"
        try:
            return self._run(owner, steps(row), batches)
        except Exception as error:
            db.session.rollback()
            self._give_back(owner, failed=not isinstance(error, self.temporary))  # a retry may claim it at once
            raise

    def _give_back(self, owner: str, failed: bool) -> None:
        """Give the lease up after an error; count it unless it passes, so the sweep fails a job that fails
        every time instead of re-queuing it for ever (its lease has no owner: to the sweep it looks late)."""
        db.session.execute(
            update(self.model)
            .where(self.model.id == self.row_id, self.model.lease_owner == owner)
            .values(lease_owner=None, lease_until=_queued_lease(), failures=self.model.failures + int(failed)),
            execution_options=NO_SYNC,
        )
        db.session.commit()

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
    """Re-queue unfinished rows whose lease ran out; fail those whose worker died ``MAX_RESTARTS`` times or
    whose task failed ``MAX_FAILURES`` times."""
    stale: Iterable[Any] = db.session.scalars(
        select(model).where(unfinished, _expired(model, now)).order_by(model.id).limit(100)
    ).all()
    count = 0
    for row in stale:
        task = task_for(row)
        died = row.lease_owner is not None  # claimed, then not renewed; else its message is late or was lost
        if not _take_back(model, row, now, died):
            continue  # its task renewed the lease since it was read: it is alive
        if task is None or (died and row.restarts >= MAX_RESTARTS) or row.failures >= MAX_FAILURES:
            fail(row)
            log.error(
                "%s %s failed: its task failed %s times, its worker stopped %s times",
                model.__name__,
                row.id,
                row.failures,
                row.restarts,
            )
            continue
        after_commit(db.session(), task.delay, row.id)
        log.warning("%s %s re-queued (worker stopped: %s)", model.__name__, row.id, died)
        count += 1
    db.session.commit()
    return count


def _take_back(model: type[Leased], row: Any, now: datetime, died: bool) -> bool:
    """Clear the lease only if it is still the one read and still run out, so a task that renewed it in the
    meantime keeps it; a plain ORM update would take it from a live task and leave two at work."""
    return bool(
        rowcount(
            db.session.execute(
                update(model)
                .where(
                    model.id == row.id, model.lease_owner.is_not_distinct_from(row.lease_owner), _expired(model, now)
                )
                .values(lease_owner=None, lease_until=now + lease_length(), restarts=model.restarts + int(died)),
                execution_options=NO_SYNC,
            )
        )
    )


def sweep_all(now: datetime | None = None) -> int:
    now = now or now_utc()
    return sum(fn(now) for fn in SWEEPS)


def progress_answer(
    done: int,
    total: int,
    finished: bool,
    text: str,
    *,
    result_url: str | None = None,
    result_text: str | None = None,
    **extra: object,
) -> Response:
    """What a long job's status route answers, the one shape js/progress.js reads: how far it has got (``done`` of
    ``total``), whether it has ``finished``, that in words, and where its result is once there is one."""
    return jsonify(
        done=done, total=total, finished=finished, text=text, result_url=result_url, result_text=result_text, **extra
    )
