"""Training resources, completions, the pledge, and onboarding."""

from __future__ import annotations

from champions.accounts.signals import email_verified
from champions.activities.signals import activity_logged
from champions.core.features import Feature, NavItem
from champions.core.permissions import CHAMPION, STAFF
from champions.core.personal_data import Holding
from champions.training import bp, models, onboarding, staff_views, views  # noqa: F401  (importing them adds their routes)

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
    holdings=(
        Holding("training_completions", "champion", "champion_id", "anonymise", {"reflection": None}),
        Holding("pledge_acceptances", "champion", "champion_id", "keep", why_kept="which pledge version, no details"),
    ),
    not_personal={
        "training_resources": "the catalogue",
        "pledges": "the pledge texts",
    },
    signals=((email_verified, onboarding.on_email_verified), (activity_logged, onboarding.on_activity_logged)),
)
