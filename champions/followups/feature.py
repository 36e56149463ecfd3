"""Follow-ups: owners of champions, organisations and grant applications, and staff's tasks about them."""

from __future__ import annotations

from champions.core.features import Feature
from champions.followups import bp, models

FEATURE = Feature(
    name="followups",
    blueprints=(bp,),
    models=(models,),
    merges=models.MERGES,
)
