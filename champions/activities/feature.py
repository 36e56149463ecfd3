"""What champions do and log."""

from __future__ import annotations

from datetime import timedelta

from champions.activities import (  # noqa: F401  (importing the views adds their routes)
    bp,
    models,
    staff_views,
    views,
)
from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import CHAMPION, STAFF
from champions.core.personal_data import Holding, Lookup

FEATURE = Feature(
    name="activities",
    blueprints=(bp,),
    access={
        "activities.activity_list": CHAMPION,
        "activities.activity_new": CHAMPION,
        "activities.activity_edit": CHAMPION,
        "activities.activity_delete": CHAMPION,
        "activities.activity_restore": CHAMPION,
        "activities.staff_outcome_kinds": STAFF,
        "activities.staff_outcome_kind_new": STAFF,
        "activities.staff_outcome_kind_edit": STAFF,
        "activities.staff_outcome_kind_retire": STAFF,
    },
    navigation=(
        NavItem("My activities", "activities.activity_list", CHAMPION, 30),
        NavItem("Outcomes", "activities.staff_outcome_kinds", STAFF, 185),
    ),
    beat=(Beat("purge-deleted-activities", "champions.activities.tasks.purge_deleted_activities", timedelta(hours=1)),),
    task_modules=("champions.activities.tasks",),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        Holding(
            "activities",
            "champion",
            "champion_id",
            "anonymise",
            {"notes": None, "champion_id": None},
            title="Your activities",
            describe="What you logged doing as a champion: when, where, on which topic and how many you reached.",
            columns={
                "occurred_on": "Date",
                "type": "What you did",
                "borough": "Where",
                "topic": "Topic",
                "people_reached": "People reached",
                "notes": "Your notes",
                "created_at": "Logged",
                "updated_at": "Last changed",
            },
            labels={"type": models.TYPE_LABELS},
            lookups=(
                Lookup("borough_code", "boroughs", {"borough": "name"}, key="code"),
                Lookup("topic_code", "topics", {"topic": "name"}, key="code"),
            ),
            order_by=("occurred_on", "id"),
        ),
        Holding(
            "activity_outcomes",
            "champion",
            "champion_id",
            "anonymise",
            {"champion_id": None},
            title="What came of your activities",
            describe="For activities you logged: how many people you signposted to each service, how many said "
            "they would act, and how many you know did.",
            columns={
                "activity_id": "Activity number",
                "outcome": "Signposted to",
                "signposted": "People signposted",
                "said_would_act": "Said they would act",
                "did_act": "Did act",
                "created_at": "Recorded",
                "updated_at": "Last changed",
            },
            lookups=(Lookup("outcome_code", "outcome_kinds", {"outcome": "name"}, key="code"),),
            order_by=("activity_id", "id"),
        ),
        Holding(
            "deleted_activities",
            "champion",
            "champion_id",
            "delete",
            title="Activities you have just deleted",
            describe=f"An activity you deleted, kept for {models.UNDO_MINUTES} minutes so that you can undo it.",
            columns={"row": "The activity", "deleted_at": "Deleted"},
        ),
    ),
    not_personal={"outcome_kinds": "reference data: what people can be signposted to"},
)
