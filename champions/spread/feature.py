"""How the movement spreads: the network analysis job, its staff page, and each champion's place in the network."""

from __future__ import annotations

from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import STAFF
from champions.core.personal_data import Holding
from champions.spread import (
    bp,
    models,
    tasks,  # noqa: F401  (its sweep registers with core.work)
    views,  # noqa: F401  (importing them adds their routes)
)
from config import every_seconds

FEATURE = Feature(
    name="spread",
    blueprints=(bp,),
    access={
        "spread.spread_home": STAFF,
        "spread.measure_now": STAFF,
        "spread.run_status": STAFF,
        "spread.table_csv": STAFF,
        "spread.champion_network": STAFF,
    },
    navigation=(NavItem("How it spreads", "spread.spread_home", STAFF, 112),),
    beat=(
        Beat("spread-network", "champions.spread.tasks.compute_spread", every_seconds("SPREAD_EVERY_SECONDS", 86_400)),
    ),
    task_modules=("champions.spread.tasks",),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        Holding(
            "champion_roles",
            "champion",
            "champion_id",
            "delete",
            title="Your place in the network",
            describe="How many people you are tied to through recruiting, workshops and organisations, and the "
            "roles these ties give you (such as a hub), as last worked out.",
        ),
    ),
    not_personal={"spread_runs": "job bookkeeping and figures for the whole programme (and a staff id)"},
)
