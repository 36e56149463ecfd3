"""Nudges: rules, the messages they send, and unsubscribing."""

from __future__ import annotations

from datetime import timedelta

from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import CHAMPION, PUBLIC, STAFF
from champions.core.personal_data import Holding
from champions.grants.signals import report_reminder_covered
from champions.nudges import (
    bp,
    models,
    services,
    views,  # noqa: F401  (importing them adds their routes)
)

FEATURE = Feature(
    name="nudges",
    blueprints=(bp,),
    access={
        "nudges.rules": STAFF,
        "nudges.rule_edit": STAFF,
        "nudges.messages": STAFF,
        "nudges.unsubscribe": PUBLIC,
        "nudges.nudge_preference": CHAMPION,
    },
    navigation=(NavItem("Nudges", "nudges.rules", STAFF, 160),),
    beat=(
        Beat("evaluate-nudges", "champions.nudges.tasks.evaluate_nudges", timedelta(minutes=15)),
        Beat("deliver-nudges", "champions.nudges.tasks.deliver_nudges", timedelta(minutes=5)),
    ),
    task_modules=("champions.nudges.tasks",),
    models=(models,),
    merges=models.MERGES,
    holdings=(Holding("nudge_messages", "user", "user_id", "delete"),),
    not_personal={
        "nudge_rules": "the rules and their templates",
    },
    signals=((report_reminder_covered, services.grant_report_already_nudged),),
)
