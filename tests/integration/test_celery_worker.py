"""A real Celery worker and beat, in their own process, on the embedded broker and on Redis."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from champions import create_app
from champions.core.models import DashboardSnapshot, OutboxMessage
from champions.extensions import db
from config import load_config
from tests.conftest import need
from tests.integration.workers import BROKERS, WorkerProcess, start_worker, worker_env

pytestmark = pytest.mark.celery_worker


def _brokers(instance: Path) -> dict[str, str | None]:
    return {
        "embedded": f"sqla+sqlite:///{instance / 'celery-broker-test.sqlite'}",
        "redis": os.environ.get("REDIS_URL"),
    }


@pytest.fixture(params=BROKERS)
def worker(request, app, instance_dir, monkeypatch):
    broker = _brokers(instance_dir)[request.param]
    need(bool(broker), "REDIS_URL is not set, so the Celery tests on Redis cannot run")
    env = worker_env(app, instance_dir, broker, "test", SNAPSHOT_EVERY_SECONDS="2")
    worker = start_worker(env, instance_dir, beat=True)
    for name, value in env.items():
        if name.startswith(("TEST_", "SNAPSHOT_")):
            monkeypatch.setenv(name, value)
    try:
        yield Worker(create_app(load_config("testing")), worker)
    finally:
        worker.stop()
        print(worker.output())  # shown by pytest when the test failed
        app.extensions["celery"].set_default()
        app.extensions["celery"].set_current()


@dataclass
class Worker:
    app: Flask
    process: WorkerProcess

    def wait_for(self, query, timeout: float = 60):
        """Poll the database until ``query`` finds a row; fail at once if the worker died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.alive(), f"the worker exited:\n{self.process.output()}"
            found = db.session.scalar(query)
            db.session.rollback()  # never sleep inside a transaction: SQLite would stay locked
            if found is not None:
                return found
            time.sleep(0.3)
        return None


def test_sign_up_sends_the_welcome_email_through_a_real_worker(worker, db):
    response = worker.app.test_client().post(
        "/register",
        data={
            "first_name": "Grace",
            "last_name": "Owusu",
            "email": "grace@example.org",
            "password": "plenty of words here",
            "postcode": "M1 1AE",
            "borough": "manchester",
            "privacy_consent": "y",
        },
    )
    assert response.status_code == 302
    message = worker.wait_for(select(OutboxMessage).where(OutboxMessage.to_address == "grace@example.org"))
    assert message is not None, "the worker did not send the welcome email within a minute"
    assert message.subject == "Welcome to Champions, Grace"


def test_beat_schedules_the_snapshot_and_the_worker_computes_it(worker, db, make):
    make.champion()
    make.champion()
    db.session.commit()
    snapshot = worker.wait_for(select(DashboardSnapshot).order_by(DashboardSnapshot.id.desc()).limit(1))
    assert snapshot is not None, "beat did not schedule the snapshot, or the worker did not compute it"
    assert snapshot.data["headline"]["champions"] == 2 and snapshot.duration_ms >= 0
