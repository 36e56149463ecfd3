"""The API's resources, one module each; ``BLUEPRINTS`` is what the API serves and documents, ``RESOURCES`` what a
token can be scoped to (see champions/api/__init__.py for how to add one)."""

from __future__ import annotations

from champions.api.resources import activities, champions, deletions
from champions.api.tokens import RESOURCES, Resource

RESOURCES.update(
    {
        "champions": Resource("champions", "Champions"),
        "activities": Resource("activities", "Activities"),
    }
)

BLUEPRINTS = [champions.blp, activities.blp, deletions.blp]
