"""The champions: signing up, their home page, and staff's roster, records, imports, exports and merges."""

from __future__ import annotations

from datetime import timedelta

from champions.accounts.signals import email_changed
from champions.core import saved_searches
from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import ADMIN, CHAMPION, PUBLIC, STAFF
from champions.core.personal_data import Holding, Lookup
from champions.roster import (  # noqa: F401  (importing them adds their routes)
    bp,
    bulk_views,
    correction_views,
    details_views,
    models,
    staff_views,
    views,
)
from champions.roster.duplicates import follow_email_change
from champions.roster.staff_services import saved_search_keys, saved_search_problems

saved_searches.register(
    saved_searches.SearchList("roster", "Champions", "roster.staff_roster", saved_search_keys(), saved_search_problems)
)

FEATURE = Feature(
    name="roster",
    blueprints=(bp,),
    access={
        "roster.register": PUBLIC,
        "roster.organisation_suggestions": PUBLIC,
        "roster.champion_home": CHAMPION,
        "roster.edit_details": CHAMPION,
        "roster.change_email": CHAMPION,
        "roster.cancel_email": CHAMPION,
        "roster.resend_email": CHAMPION,
        "roster.staff_roster": STAFF,
        "roster.staff_champion": STAFF,
        "roster.staff_edit_details": STAFF,
        "roster.staff_edit_note": STAFF,
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
        "roster.staff_bulk": STAFF,
        "roster.staff_remove_tag": STAFF,
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
    signals=((email_changed, follow_email_change),),
    holdings=(
        Holding(
            "champion_tags",
            "champion",
            "champion_id",
            "delete",
            title="Tags the programme team gave you",
            describe="Short labels the programme team put on your record to find people again, such as an event you "
            "came to.",
            columns={"added_at": "Date", "tag": "Tag"},
            lookups=(Lookup("tag_id", "tags", {"tag": "name"}),),
            order_by=("added_at", "tag_id"),
        ),
        Holding(
            "champion_notes",
            "champion",
            "champion_id",
            "delete",
            title="Notes the programme team wrote about you",
            describe="Notes the programme team keeps on your record, such as where they met you.",
            columns={"created_at": "Date", "body": "Note"},
            order_by=("created_at", "id"),
        ),
        Holding(
            "import_rows",
            "champion",
            "champion_id",
            "anonymise",
            {"email": None, "champion_id": None},
            title="Your details from a partner organisation",
            describe="Each time a partner organisation's list of people with your details was added to our records.",
            columns={
                "added_at": "Date",
                "partner": "From",
                "why": "Why we may hold these details (lawful basis)",
                "email": "Email address on their list",
                "outcome": "What happened",
                "message": "Details",
                "dry_run": "A trial run only (nothing was changed)",
            },
            labels={
                "outcome": {
                    "new": "Your record was created",
                    "updated": "Your record was updated",
                    "duplicate": "Matched a record we already held",
                    "rejected": "Not added",
                },
                "why": {
                    "consent": "Your consent, given to the partner",
                    "legitimate_interests": "Legitimate interests",
                    "public_task": "A public task",
                },
            },
            lookups=(
                Lookup(
                    "job_id",
                    "import_jobs",
                    {"added_at": "created_at", "partner": "source", "why": "lawful_basis"},
                ),
            ),
        ),
    ),
    stored_files=("import_jobs", "export_jobs"),
    not_personal={
        "tags": "the names of staff's tags, and which staff login made each: who has a tag is in champion_tags",
        "import_jobs": "uploaded files: their content is cleared when finished jobs age out, and on any erasure",
        "export_jobs": "staff downloads: their content is cleared when they age out, and on any erasure",
    },
)
