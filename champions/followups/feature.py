"""Follow-ups: owners of champions, organisations and grant applications, staff's tasks about them, "My tasks", and
the daily email of tasks due."""

from __future__ import annotations

from typing import Any

from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import STAFF
from champions.core.personal_data import Choice, Holding
from champions.followups import bp, bulk_views, models, services, views  # noqa: F401  (bulk_views adds its route)
from champions.organisations.signals import detail_sections
from config import every_seconds

TASK_COLUMNS = {
    "title": "Task",
    "note": "Note",
    "due_on": "Due",
    "created_at": "Added",
    "done_at": "Done",
}


def digest_choice(user: Any, champion: Any) -> list[Choice]:
    """Staff only: whether they get the daily email of their tasks."""
    if not getattr(user, "is_staff", False):
        return []
    return [("Daily email of your tasks", "Yes" if services.wants_digest(user.id) else "No")]


FEATURE = Feature(
    name="followups",
    blueprints=(bp,),
    access={
        "followups.task_new": STAFF,
        "followups.task_edit": STAFF,
        "followups.task_done": STAFF,
        "followups.task_reopen": STAFF,
        "followups.owner_edit": STAFF,
        "followups.bulk_owner": STAFF,
        "followups.task_list": STAFF,
        "followups.task_export": STAFF,
        "followups.digest_settings": STAFF,
    },
    navigation=(NavItem("Tasks", "followups.task_list", STAFF, 115),),
    beat=(
        Beat(
            "followup-task-digests",
            "champions.followups.tasks.queue_task_digests",
            every_seconds("TASK_DIGESTS_EVERY_SECONDS", 3600),
        ),
    ),
    task_modules=("champions.followups.tasks",),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        # Tasks can hold notes about the person a task is about: theirs to see, and gone when they are erased.
        Holding(
            "followup_tasks",
            "champion",
            "champion_id",
            "delete",
            title="The team's follow-up tasks about you",
            describe="Things the programme team noted to do about your record, with when they were due and done.",
            columns=TASK_COLUMNS,
        ),
        Holding(
            "followup_preferences",
            "user",
            "user_id",
            "delete",
            title="Your choice about the daily email of your tasks",
            describe="Whether you get an email each morning of your tasks due or overdue.",
            columns={"daily_digest": "Daily email", "changed_at": "Chosen on"},
            preferences=digest_choice,
        ),
        Holding(
            "followup_digests",
            "user",
            "user_id",
            "delete",
            title="Daily emails of your tasks",
            describe="The days on which you were sent the email of your tasks.",
            columns={"day": "Day", "sent_at": "Sent"},
        ),
    ),
    template_globals={
        "followups_section": views.section_html,
        "followups_my_tasks": views.my_tasks_html,
        "record_url": views.record_url,
        "record_name": services.record_name,
    },
    signals=((detail_sections, views.organisation_section),),
)
