"""The champions: signing up, their home page, and staff's roster, records, imports, exports and merges."""

from __future__ import annotations

from datetime import timedelta

from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import ADMIN, CHAMPION, PUBLIC, STAFF
from champions.core.personal_data import Holding
from champions.roster import bp, models, staff_views, views  # noqa: F401  (importing them adds their routes)

FEATURE = Feature(
    name="roster",
    blueprints=(bp,),
    access={
        "roster.register": PUBLIC,
        "roster.champion_home": CHAMPION,
        "roster.staff_roster": STAFF,
        "roster.staff_champion": STAFF,
        "roster.staff_add_note": STAFF,
        "roster.staff_change_stage": STAFF,
        "roster.staff_set_leader": STAFF,
        "roster.staff_equality": ADMIN,  # special-category answers of one person: admins only, audited
        "roster.staff_export_start": STAFF,
        "roster.staff_export": STAFF,
        "roster.staff_export_status": STAFF,
        "roster.staff_export_download": STAFF,
        "roster.staff_imports": STAFF,
        "roster.staff_import": STAFF,
        "roster.staff_import_run": STAFF,
        "roster.staff_import_status": STAFF,
        "roster.staff_import_report": STAFF,
        "roster.staff_duplicates": STAFF,
        "roster.staff_merge": STAFF,
    },
    navigation=(
        NavItem("Home", "roster.champion_home", CHAMPION, 10),
        NavItem("Champions", "roster.staff_roster", STAFF, 120),
    ),
    beat=(Beat("mark-lapsed", "champions.roster.tasks.mark_lapsed", timedelta(hours=6)),),
    task_modules=(
        "champions.roster.tasks",
        "champions.roster.staff_tasks",
    ),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        Holding("champion_notes", "champion", "champion_id", "delete"),
        Holding("import_rows", "champion", "champion_id", "anonymise", {"email": None, "champion_id": None}),
    ),
    stored_files=("import_jobs", "export_jobs"),
    not_personal={
        "import_jobs": "uploaded files: their content is cleared when finished jobs age out, and on any erasure",
        "export_jobs": "staff downloads: their content is cleared when they age out, and on any erasure",
    },
)
