"""Core's own pages (home, privacy notice, health, assets, the email outbox), its periodic jobs and tables."""

from __future__ import annotations

from datetime import timedelta

from champions.core import (
    bp,
    models,
    throttle,
    views,  # noqa: F401  (importing them adds their routes)
)
from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import PUBLIC, STAFF
from champions.core.personal_data import Holding
from config import every_seconds

FEATURE = Feature(
    name="core",
    blueprints=(bp,),
    access={
        "static": PUBLIC,
        "core.assets": PUBLIC,
        "core.healthz": PUBLIC,
        "core.readyz": PUBLIC,
        "core.index": PUBLIC,
        "core.privacy": PUBLIC,
        "core.outbox": STAFF,
        "core.outbox_message": STAFF,
    },
    navigation=(NavItem("Email outbox", "core.outbox", STAFF, 200),),
    beat=(
        # Out of the request path: in a request's transaction the DELETE could deadlock on PostgreSQL.
        Beat(
            "clear-expired-throttle-counters",
            "champions.core.tasks.clear_expired_throttle_counters",
            timedelta(minutes=15),
        ),
        # Re-queues what a dead worker left: a message a worker took is not handed out again by the broker.
        Beat(
            "sweep-unfinished-work",
            "champions.core.tasks.sweep_unfinished_work",
            every_seconds("SWEEP_EVERY_SECONDS", 120),
        ),
    ),
    task_modules=(
        "champions.core.tasks",
        "champions.core.pending_email",
    ),
    models=(models, throttle),
    merges=models.MERGES,
    holdings=(
        Holding("outbox_messages", "email", "to_address", "delete"),
        Holding("audit_events", "user", "actor_id", "anonymise", {"ip": None}),
    ),
    not_personal={
        "boroughs": "reference data",
        "topics": "reference data",
        "dashboard_snapshots": "aggregate figures only",
        "task_locks": "job bookkeeping",
        "pending_emails": "which one-off email is due, by record ids only (the address, text and any link are "
        "read from the records when it is sent); deleted a week after it is done",
        "throttle_counters": "counts under keyed hashes of email and client addresses, kept for one window",
    },
)
