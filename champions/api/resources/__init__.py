"""The API's resources, one module each; ``BLUEPRINTS`` is what the API serves and documents, ``RESOURCES`` what a
token can be scoped to (see champions/api/__init__.py for how to add one)."""

from __future__ import annotations

from champions.api.resources import (
    activities,
    champions,
    deletions,
    figures,
    grants,
    moments,
    organisations,
    signups,
    training,
    workshops,
)
from champions.api.tokens import RESOURCES, Resource

RESOURCES.update(
    {
        "champions": Resource("champions", "Champions", table="champions"),
        "activities": Resource("activities", "Activities", table="activities"),
        "workshops": Resource("workshops", "Workshops", table="workshops"),
        "signups": Resource("signups", "Workshop sign-ups", table="workshop_signups"),
        "organisations": Resource("organisations", "Organisations", table="organisations"),
        "moments": Resource("moments", "Social moments", table="moments"),
        "training": Resource("training", "Training resources", table="training_resources"),
        "grants": Resource("grants", "Grant rounds, applications and awards"),
        "figures": Resource("figures", "Programme and fund figures"),
    }
)

BLUEPRINTS = [
    champions.blp,
    activities.blp,
    workshops.blp,
    signups.blp,
    organisations.blp,
    moments.blp,
    training.blp,
    grants.blp,
    figures.blp,
    deletions.blp,
]
