"""Nudges: rules, the messages they send, and unsubscribing."""

from __future__ import annotations

from datetime import timedelta

from champions.accounts.signals import consent_purpose_label
from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import CHAMPION, PUBLIC, STAFF
from champions.core.personal_data import Holding, Lookup
from champions.grants.signals import report_reminder_covered
from champions.nudges import (
    bp,
    models,
    services,
    views,  # noqa: F401  (importing them adds their routes)
)
from champions.nudges.models import MessageStatus

STATUS_WORDS = {
    MessageStatus.PENDING.value: "Waiting to be sent",
    MessageStatus.SENT.value: "Sent",
    MessageStatus.HOLDOUT.value: "Not sent: held back to measure whether reminders help",
    MessageStatus.FAILED.value: "Could not be sent",
    MessageStatus.SKIPPED.value: "Not sent: you had said no to emails",
}

FEATURE = Feature(
    name="nudges",
    blueprints=(bp,),
    access={
        "nudges.rules": STAFF,
        "nudges.rule_edit": STAFF,
        "nudges.messages": STAFF,
        "nudges.unsubscribe": PUBLIC,
        "nudges.nudge_kind_preference": CHAMPION,
    },
    navigation=(NavItem("Nudges", "nudges.rules", STAFF, 160),),
    beat=(
        Beat("evaluate-nudges", "champions.nudges.tasks.evaluate_nudges", timedelta(minutes=15)),
        Beat("deliver-nudges", "champions.nudges.tasks.deliver_nudges", timedelta(minutes=5)),
    ),
    task_modules=("champions.nudges.tasks",),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        Holding(
            "nudge_messages",
            "user",
            "user_id",
            "delete",
            title="Reminder emails",
            describe="The reminder emails (nudges) due to you, sent to you, or held back, and what each was about.",
            columns={
                "created_at": "Date",
                "reminder": "Kind of reminder",
                "status": "What happened",
                "due_at": "Due",
                "sent_at": "Sent",
                "error": "Why it was not sent",
            },
            labels={"status": STATUS_WORDS},
            lookups=(Lookup("rule_id", "nudge_rules", {"reminder": "name"}),),
            order_by=("created_at", "id"),
            preferences=services.nudge_choices,
        ),
    ),
    not_personal={
        "nudge_rules": "the rules and their templates",
    },
    signals=(
        (report_reminder_covered, services.grant_report_already_nudged),
        (consent_purpose_label, services.purpose_label),
    ),
)
