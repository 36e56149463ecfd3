"""Two beats started at once: only the one holding the lease sends periodic tasks; the other takes over
when the first dies (a supervisor restarting beat, or a leftover beat, must not double every task)."""

from __future__ import annotations

import signal
import uuid

import pytest
from sqlalchemy import select

from champions.core.beat import LEASE
from champions.core.models import TaskLock
from tests.integration.workers import start_beat, wait_until, worker_env

pytestmark = pytest.mark.celery_worker


def _sent(beat) -> int:
    return beat.output().count("Sending due task programme-snapshot")


def _holder(db) -> str | None:
    db.session.rollback()
    owner = db.session.scalar(select(TaskLock.owner).where(TaskLock.name == LEASE))
    db.session.rollback()
    return owner


def test_only_one_of_two_beats_sends_and_the_other_takes_over_when_it_dies(app, db, instance_dir):
    broker = f"sqla+sqlite:///{instance_dir / f'beat-broker-{uuid.uuid4().hex[:6]}.sqlite'}"
    env = worker_env(app, instance_dir, broker, "beat", SNAPSHOT_EVERY_SECONDS="1", BEAT_LEASE_SECONDS="3")
    beats = [start_beat(env, instance_dir), start_beat(env, instance_dir)]
    try:
        assert wait_until(lambda: max(_sent(b) for b in beats) >= 4, timeout=30), beats[0].output()
        sending = [b for b in beats if _sent(b)]
        assert len(sending) == 1, [b.output() for b in beats]
        holder, waiting = sending[0], next(b for b in beats if b is not sending[0])
        assert str(holder.process.pid) in _holder(db)
        assert "another beat holds the lease" in waiting.output()

        holder.stop(signal.SIGKILL, wait=5)  # no chance to hand the lease over
        assert wait_until(lambda: _sent(waiting) >= 2, timeout=15), waiting.output()
        assert str(waiting.process.pid) in _holder(db)
    finally:
        for beat in beats:
            beat.stop()
