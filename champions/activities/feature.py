"""What champions do and log."""

from __future__ import annotations

from champions.activities import (
    bp,
    models,
    views,  # noqa: F401  (importing them adds their routes)
)
from champions.core.features import Feature, NavItem
from champions.core.permissions import CHAMPION
from champions.core.personal_data import Holding

FEATURE = Feature(
    name="activities",
    blueprints=(bp,),
    access={
        "activities.activity_list": CHAMPION,
        "activities.activity_new": CHAMPION,
        "activities.activity_edit": CHAMPION,
        "activities.activity_delete": CHAMPION,
    },
    navigation=(NavItem("My activities", "activities.activity_list", CHAMPION, 30),),
    models=(models,),
    merges=models.MERGES,
    holdings=(Holding("activities", "champion", "champion_id", "anonymise", {"notes": None, "champion_id": None}),),
)
