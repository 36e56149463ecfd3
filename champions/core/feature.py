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
from champions.core.personal_data import Holding, humanise
from config import every_seconds

# What the audit log's actions a person did mean, in words; others read as their code in words.
ACTION_WORDS = {
    "login": "You signed in",
    "person.exported": "You downloaded your data",
    "champion.registered": "You signed up",
    "champion.withdrew": "You withdrew from the programme",
    "champion.rejoined": "You rejoined the programme",
    "email.verified": "You confirmed your email address",
    "pledge.accepted": "You accepted the pledge",
    "champion.details_changed": "You changed your details",
    "email.change_requested": "You asked to change your email address",
    "email.change_cancelled": "You cancelled a change of your email address",
    "email.changed": "You changed your email address",
}


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action) or humanise(action)


FEATURE = Feature(
    name="core",
    blueprints=(bp,),
    access={
        "static": PUBLIC,
        "core.assets": PUBLIC,
        "core.healthz": PUBLIC,
        "core.readyz": PUBLIC,
        "core.status": PUBLIC,
        "core.index": PUBLIC,
        "core.privacy": PUBLIC,
        "core.privacy_version": PUBLIC,
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
        Holding(
            "outbox_messages",
            "user",
            "user_id",
            "delete",
            also_by_address="to_address",
            title="Emails we sent you",
            describe="Each email the service sent you (to your address now or one you had before), with its words.",
            columns={"created_at": "Date", "to_address": "To", "subject": "Subject", "text_body": "Message"},
        ),
        Holding(
            "audit_events",
            "user",
            "actor_id",
            "anonymise",
            {"ip": None},
            title="Things you did in the service",
            describe="Our record of what you did while signed in, such as downloading your data, and from which "
            "internet address.",
            columns={"at": "Date", "action": "What you did", "details": "Details", "ip": "Internet address"},
            labels={"action": action_words},
        ),
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
