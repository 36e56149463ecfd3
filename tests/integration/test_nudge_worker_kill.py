"""A real worker on Redis, killed in the middle of a batch and restarted: nothing lost, nothing it had
marked sent is sent twice (the one message in flight at the kill may be sent again: the documented window)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from champions import create_app
from champions.accounts.consent import set_consent
from champions.core.db import now_utc
from champions.nudges import evaluation
from champions.nudges.models import NudgeMessage, NudgeRule
from champions.nudges.tasks import deliver_nudges
from config import load_config
from tests.conftest import need
from tests.fake_smtp import start_smtp_server
from tests.integration.workers import smtp_env, start_worker, wait_until, worker_env

pytestmark = pytest.mark.celery_worker
MESSAGES = 30


class SlowInbox:
    """An SMTP server that takes a little while over each message, so a kill lands mid-batch."""

    def __init__(self):
        self.received: list[int] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.25)
        for line in envelope.content.decode(errors="replace").splitlines():
            if line.startswith("X-Champions-Nudge:"):
                self.received.append(int(line.split(":", 1)[1]))
        return "250 OK"


def sent_ids(db) -> set[int]:
    db.session.rollback()
    ids = set(db.session.scalars(select(NudgeMessage.id).where(NudgeMessage.status == "sent")))
    db.session.rollback()
    return ids


@pytest.mark.broker("redis")
def test_a_worker_killed_mid_batch_loses_nothing_and_resends_nothing_it_marked_sent(
    app, db, make, instance_dir, monkeypatch
):
    redis_url = os.environ.get("REDIS_URL")
    need(bool(redis_url), "REDIS_URL is not set, so the Celery tests on Redis cannot run")
    inbox = SlowInbox()
    smtp, port = start_smtp_server(inbox)

    rule = db.session.scalar(select(NudgeRule).where(NudgeRule.key == "verify-email"))
    rule.holdout_percent = 0
    for _ in range(MESSAGES):
        champion = make.champion()
        champion.user.created_at = now_utc() - timedelta(days=3)
        set_consent(champion.user_id, "email_contact", True)
    db.session.commit()
    assert evaluation.evaluate_rule(rule, now_utc()) == MESSAGES
    db.session.commit()

    env = worker_env(
        app,
        instance_dir,
        redis_url,
        "kill",
        **smtp_env(port),
        TEST_NUDGE_QUIET_FROM="24",  # never quiet: the test may run at night
        TEST_NUDGE_QUIET_UNTIL="0",
        NUDGE_DELIVERY_LEASE_SECONDS="6",
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    create_app(load_config("testing"))  # now the current Celery app: .delay() goes to Redis
    deliver = deliver_nudges
    first = start_worker(env, instance_dir)
    try:
        deliver.delay()
        assert wait_until(lambda: len(inbox.received) >= 8, timeout=60), first.output()
        first.stop(signal.SIGKILL, wait=5)  # no warm shutdown: killed mid-batch
        marked_before_kill = sent_ids(db)
        received_at_kill = list(inbox.received)
        assert 0 < len(marked_before_kill) < MESSAGES, "the kill should land in the middle of the batch"
        assert len(received_at_kill) - len(marked_before_kill) <= 1  # at most the one in flight

        second = start_worker(env, instance_dir)
        try:
            # The killed run's lease expires after NUDGE_DELIVERY_LEASE_SECONDS; beat would retry too.
            def all_sent() -> bool:
                if len(sent_ids(db)) < MESSAGES:
                    deliver.delay()
                    return False
                return True

            assert wait_until(all_sent, timeout=90, interval=3), second.output()
        finally:
            second.stop()
    finally:
        first.stop()
        smtp.stop()
        app.extensions["celery"].set_default()
        app.extensions["celery"].set_current()

    counts = Counter(inbox.received)
    assert set(counts) == sent_ids(db) and len(counts) == MESSAGES  # nothing lost
    assert all(counts[i] == 1 for i in marked_before_kill)  # nothing marked sent was sent again
    assert sum(counts.values()) - MESSAGES <= 1  # the only possible repeat: the one in flight at the kill
