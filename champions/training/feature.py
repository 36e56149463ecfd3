"""Training resources, completions, the pledge, and onboarding."""

from __future__ import annotations

from champions.accounts.signals import email_verified
from champions.activities.signals import activity_logged
from champions.core.features import Feature, NavItem
from champions.core.permissions import CHAMPION, STAFF
from champions.core.personal_data import Holding, Lookup
from champions.training import bp, models, onboarding, staff_views, views  # noqa: F401  (importing them adds their routes)
from champions.training.services import pledge_choices
from champions.training.text import render_body

FEATURE = Feature(
    name="training",
    blueprints=(bp,),
    access={
        "training.catalogue": CHAMPION,
        "training.resource": CHAMPION,
        "training.pledge": CHAMPION,
        "training.staff_catalogue": STAFF,
        "training.staff_resource_new": STAFF,
        "training.staff_resource_edit": STAFF,
        "training.staff_resource_move": STAFF,
        "training.staff_resource_retire": STAFF,
        "training.staff_pledge_new": STAFF,
    },
    navigation=(
        NavItem("Training", "training.catalogue", CHAMPION, 20),
        NavItem("Training", "training.staff_catalogue", STAFF, 180),
    ),
    models=(models,),
    merges=models.MERGES,
    template_globals={"training_body": render_body},
    holdings=(
        Holding(
            "training_completions",
            "champion",
            "champion_id",
            "anonymise",
            {"reflection": None},
            title="Your training",
            describe="The training you completed, when, and what you wrote about it.",
            columns={"completed_at": "Completed", "training": "Training", "reflection": "Your reflection"},
            lookups=(Lookup("resource_id", "training_resources", {"training": "title"}),),
            order_by=("completed_at", "id"),
        ),
        Holding(
            "pledge_acceptances",
            "champion",
            "champion_id",
            "keep",
            why_kept="which pledge version, no details",
            title="The pledge you accepted",
            describe="Each version of the champion pledge you accepted, with the full wording you agreed to.",
            columns={"accepted_at": "Accepted", "version": "Version", "wording": "The wording you accepted"},
            lookups=(Lookup("pledge_id", "pledges", {"version": "version", "wording": "text"}),),
            order_by=("accepted_at", "id"),
            preferences=pledge_choices,
        ),
    ),
    not_personal={
        "training_resources": "the catalogue",
        "pledges": "the pledge texts",
    },
    signals=((email_verified, onboarding.on_email_verified), (activity_logged, onboarding.on_activity_logged)),
)
