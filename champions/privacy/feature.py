"""A person's own data: consent choices, equality monitoring, the subject access export, erasure and retention."""

from __future__ import annotations

from datetime import timedelta

from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import ADMIN, CHAMPION, STAFF
from champions.core.personal_data import Holding
from champions.privacy import (
    bp,
    models,
    views,  # noqa: F401  (importing them adds their routes)
)
from champions.privacy.services import EQUALITY_QUESTIONS

FEATURE = Feature(
    name="privacy",
    blueprints=(bp,),
    access={
        "privacy.equality": CHAMPION,
        "privacy.equality_delete": CHAMPION,
        "privacy.preferences": CHAMPION,
        "privacy.email_consent": CHAMPION,
        "privacy.topics": CHAMPION,
        "privacy.my_data": CHAMPION,
        "privacy.export_json": CHAMPION,
        "privacy.export_zip": CHAMPION,
        "privacy.erase": CHAMPION,
        "privacy.withdraw": CHAMPION,
        "privacy.rejoin": CHAMPION,
        "privacy.equality_summary": STAFF,
        "privacy.equality_person": ADMIN,
    },
    navigation=(
        NavItem("Preferences", "privacy.preferences", CHAMPION, 50),
        NavItem("Equality monitoring", "privacy.equality_summary", STAFF, 190),
    ),
    beat=(Beat("enforce-retention", "champions.privacy.tasks.enforce_retention", timedelta(hours=24)),),
    task_modules=("champions.privacy.tasks",),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        Holding(
            "equality_answers",
            "user",
            "user_id",
            "delete",
            title="Your equality monitoring answers",
            describe="The answers you chose to give about yourself, kept apart from your profile, to check the "
            "programme reaches everyone fairly.",
            columns={
                "answered_at": "Answered",
                "age_band": "Your age",
                "sex": "Your sex",
                "gender_identity": "Is the gender you identify with the same as your sex registered at birth?",
                "ethnicity": "Your ethnic group",
                "disability": "Do you have a condition or illness that limits your day-to-day activities?",
            },
            labels={name: dict(choices) for name, _title, choices in EQUALITY_QUESTIONS},
        ),
    ),
)
