"""The calendar of social moments."""

from __future__ import annotations

from champions.core.features import Feature, NavItem
from champions.core.permissions import STAFF
from champions.moments import (
    bp,
    models,
    views,  # noqa: F401  (importing them adds their routes)
)

FEATURE = Feature(
    name="moments",
    blueprints=(bp,),
    access={
        "moments.moment_list": STAFF,
        "moments.moment_new": STAFF,
        "moments.moment_edit": STAFF,
    },
    navigation=(NavItem("Moments", "moments.moment_list", STAFF, 170),),
    models=(models,),
    not_personal={
        "moments": "the calendar of social moments",
        "moment_topics": "the calendar of social moments",
    },
)
