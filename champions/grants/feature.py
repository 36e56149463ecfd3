"""Small Sparks grants: funds, rounds, applications, reviews, awards, payments, reports and funders."""

from __future__ import annotations

from datetime import timedelta

from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import APPLICANT, FUNDER, PUBLIC, REVIEWER, STAFF
from champions.core.personal_data import Holding
from champions.grants import (
    bp,
    models,
    views,  # noqa: F401  (importing them adds their routes)
)
from config import every_seconds

FEATURE = Feature(
    name="grants",
    blueprints=(bp,),
    access={
        "grants.rounds": PUBLIC,
        "grants.applicant_register": PUBLIC,
        "grants.my_applications": APPLICANT,
        "grants.apply": APPLICANT,
        "grants.edit_application": APPLICANT,
        "grants.my_application": APPLICANT,
        "grants.report": APPLICANT,
        "grants.reviews": REVIEWER,
        "grants.review": REVIEWER,
        "grants.staff_funds": STAFF,
        "grants.fund": STAFF,
        "grants.round_new": STAFF,
        "grants.round_detail": STAFF,
        "grants.round_csv": STAFF,
        "grants.panel": STAFF,
        "grants.application": STAFF,
        "grants.act": STAFF,
        "grants.funder_recompute": STAFF,
        "grants.funder_home": FUNDER | STAFF,
        "grants.funder_dashboard": FUNDER | STAFF,
        "grants.funder_csv": FUNDER | STAFF,
    },
    navigation=(
        NavItem("Grants", "grants.staff_funds", STAFF, 150),
        NavItem("My grant applications", "grants.my_applications", APPLICANT, 300),
        NavItem("My reviews", "grants.reviews", REVIEWER, 310),
        NavItem("My funds", "grants.funder_home", FUNDER, 320),
    ),
    beat=(
        Beat(
            "grant-funder-snapshots",
            "champions.grants.tasks.compute_funder_snapshots",
            every_seconds("SNAPSHOT_EVERY_SECONDS", 600),
        ),
        Beat("grant-report-reminders", "champions.grants.tasks.send_report_reminders", timedelta(hours=1)),
    ),
    task_modules=("champions.grants.tasks",),
    models=(models,),
    merges=models.MERGES,
    holdings=(
        # Grant records are kept for the funder's audit trail; the applicant's own contact details are not.
        Holding(
            "grant_applications",
            "user",
            "applicant_id",
            "anonymise",
            {"contact_name": "Erased", "contact_email": "erased@erased.invalid", "contact_phone": ""},
        ),
        Holding("grant_fund_funders", "user", "user_id", "keep", why_kept="which fund a funder may see"),
        Holding(
            "grant_review_assignments", "user", "reviewer_id", "keep", why_kept="who reviewed, for the audit trail"
        ),
        Holding("grant_round_reviewers", "user", "user_id", "keep", why_kept="who sat on a panel"),
    ),
    not_personal={
        "grant_funds": "funds",
        "grant_rounds": "rounds",
        "grant_round_boroughs": "rounds",
        "grant_criteria": "scoring criteria",
        "grant_application_boroughs": "where a group's project runs",
        "grant_budget_lines": "a group's budget",
        "grant_payments": "payments to a group",
        "grant_reports": "a group's end-of-grant report (people appear only as counts, the story by consent)",
        "grant_scores": "the panel's scores, reached through grant_review_assignments",
    },
)
