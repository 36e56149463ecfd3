"""Champion profiles: who a champion is, their stage and its history."""

from __future__ import annotations

from champions.core.features import Feature
from champions.core.personal_data import Holding
from champions.profiles import models

FEATURE = Feature(
    name="profiles",
    models=(models,),
    merges=models.MERGES,
    holdings=(
        Holding("champions", "champion", "id", "anonymise"),
        Holding("champion_topics", "champion", "champion_id", "delete"),
        Holding(
            "stage_changes", "champion", "champion_id", "keep", why_kept="stages of an anonymised record, no details"
        ),
    ),
)
