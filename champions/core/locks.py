"""A database lease so that periodic jobs never overlap, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from champions.core.db import now_utc, rowcount
from champions.core.models import TaskLock
from champions.extensions import db


def acquire_lease(name: str, owner: str, ttl: timedelta) -> bool:
    """Take the named lease for ``owner`` if nobody holds a live one; commits."""
    now = now_utc()
    taken = rowcount(
        db.session.execute(
            update(TaskLock)
            .where(TaskLock.name == name, TaskLock.locked_until < now)
            .values(owner=owner, locked_until=now + ttl)
        )
    )
    if taken:
        db.session.commit()
        return True
    try:
        db.session.add(TaskLock(name=name, owner=owner, locked_until=now + ttl))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def renew_lease(name: str, owner: str, ttl: timedelta) -> bool:
    """Extend ``owner``'s lease; False when it ran out and someone else took it. Commits."""
    kept = rowcount(
        db.session.execute(
            update(TaskLock).where(TaskLock.name == name, TaskLock.owner == owner).values(locked_until=now_utc() + ttl)
        )
    )
    db.session.commit()
    return bool(kept)


def release_lease(name: str, owner: str) -> None:
    db.session.rollback()
    db.session.execute(delete(TaskLock).where(TaskLock.name == name, TaskLock.owner == owner))
    db.session.commit()


@contextmanager
def job_lock(name: str, ttl: timedelta = timedelta(minutes=15)) -> Iterator[bool]:
    """Yield True when this run holds the lease; False when another run does."""
    owner = uuid.uuid4().hex
    held = acquire_lease(name, owner, ttl)
    try:
        yield held
    finally:
        if held:
            release_lease(name, owner)
