"""The programme dashboard: snapshots of the figures, and the settings they are measured against."""

from __future__ import annotations

from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import ADMIN, STAFF
from champions.dashboards import (
    bp,
    models,
    views,  # noqa: F401  (importing them adds their routes)
)
from champions.dashboards.figures.growth import weekly_rows
from champions.dashboards.sections import SECTIONS
from config import every_seconds

FEATURE = Feature(
    name="dashboards",
    blueprints=(bp,),
    access={
        "dashboards.staff_home": STAFF,
        "dashboards.section": STAFF,
        "dashboards.recompute": STAFF,
        "dashboards.job_status": STAFF,
        "dashboards.table_csv": STAFF,
        "dashboards.programme_settings": ADMIN,
    },
    navigation=(
        NavItem("Programme", "dashboards.staff_home", STAFF, 110),
        NavItem("Settings", "dashboards.programme_settings", ADMIN, 230),
    ),
    beat=(
        Beat(
            "programme-snapshot",
            "champions.dashboards.tasks.compute_programme_snapshot",
            every_seconds("SNAPSHOT_EVERY_SECONDS", 600),
        ),
    ),
    task_modules=("champions.dashboards.tasks",),
    models=(models,),
    merges=models.MERGES,
    not_personal={
        "dashboard_jobs": "job bookkeeping (and a staff id)",
        "programme_settings": "the target and its dates",
    },
    template_globals={"weekly_rows": weekly_rows, "dashboard_sections": SECTIONS},
)
