"""Small Sparks grants: funds, rounds, applications, reviews, awards, payments, reports and funders."""

from __future__ import annotations

from datetime import timedelta

from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import APPLICANT, FUNDER, PUBLIC, REVIEWER, STAFF
from champions.core.personal_data import Holding, Lookup
from champions.grants import (
    bp,
    models,
    views,  # noqa: F401  (importing them adds their routes)
)
from champions.grants.models import STATUS_LABELS
from champions.grants.services.lifecycle import pounds
from config import every_seconds

ROUND = Lookup("round_id", "grant_rounds", {"round": "name"})

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
        "grants.fund_edit": STAFF,
        "grants.round_new": STAFF,
        "grants.round_detail": STAFF,
        "grants.round_edit": STAFF,
        "grants.payment": STAFF,
        "grants.payment_act": STAFF,
        "grants.staff_report": STAFF,
        "grants.report_act": STAFF,
        "grants.payments_due": STAFF,
        "grants.payments_due_csv": STAFF,
        "grants.round_csv": STAFF,
        "grants.panel": STAFF,
        "grants.panel_csv": STAFF,
        "grants.application": STAFF,
        "grants.act": STAFF,
        "grants.confirm_group": STAFF,
        "grants.group_limit": STAFF,
        "grants.funder_recompute": STAFF,
        "grants.funder_recompute_status": FUNDER | STAFF,
        "grants.funder_home": FUNDER | STAFF,
        "grants.funder_dashboard": FUNDER | STAFF,
        "grants.funder_csv": FUNDER | STAFF,
        # 360Giving files: a funder only their own funds' (views/threesixty.py, 404 otherwise).
        "grants.threesixty_fund_json": FUNDER | STAFF,
        "grants.threesixty_fund_csv": FUNDER | STAFF,
        "grants.threesixty_round_json": FUNDER | STAFF,
        "grants.threesixty_round_csv": FUNDER | STAFF,
    },
    navigation=(
        NavItem("Grants", "grants.staff_funds", STAFF, 150),
        NavItem("Payments due", "grants.payments_due", STAFF, 151),
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
            title="Your grant applications",
            describe="The Small Sparks grant applications you made for your group, and what was decided.",
            columns={
                "round": "Grant round",
                "group_name": "Group",
                "group_number": "Charity or company number",
                "group_postcode": "Group's postcode",
                "group_website": "Group's website",
                "title": "Project title",
                "status": "Status",
                "contact_name": "Contact name",
                "contact_email": "Contact email address",
                "contact_phone": "Contact phone number",
                "summary": "Summary",
                "activities": "Activities",
                "beneficiaries": "Who will benefit",
                "theme": "Theme",
                "people_expected": "People expected to take part",
                "amount_requested_pence": "Amount asked for",
                "start_on": "Starts",
                "end_on": "Ends",
                "submitted_at": "Submitted",
                "award_pence": "Amount awarded",
                "conditions": "Conditions of the grant",
                "decline_reason": "Why it was declined",
                "decided_at": "Decided",
                "report_due_on": "Report due",
                "created_at": "Started",
            },
            labels={
                "status": {status.value: label for status, label in STATUS_LABELS.items()},
                "amount_requested_pence": pounds,
                "award_pence": pounds,
            },
            lookups=(ROUND,),
        ),
        Holding(
            "grant_fund_funders",
            "user",
            "user_id",
            "keep",
            why_kept="which fund a funder may see",
            title="Funds you can see",
            describe="The grant funds whose dashboard you may see as a funder.",
            columns={"fund": "Fund"},
            lookups=(Lookup("fund_id", "grant_funds", {"fund": "name"}),),
        ),
        Holding(
            "grant_review_assignments",
            "user",
            "reviewer_id",
            "keep",
            why_kept="who reviewed, for the audit trail",
            title="Applications you were asked to review",
            describe="The grant applications you were asked to score, and any conflict of interest you declared.",
            columns={
                "application": "Application",
                "assigned_at": "Asked",
                "conflict": "You declared a conflict of interest",
                "conflict_note": "About the conflict",
                "submitted_at": "Scores sent",
            },
            lookups=(Lookup("application_id", "grant_applications", {"application": "title"}),),
        ),
        Holding(
            "grant_round_reviewers",
            "user",
            "user_id",
            "keep",
            why_kept="who sat on a panel",
            title="Grant panels you sat on",
            describe="The grant rounds whose panel you were on.",
            columns={"round": "Grant round"},
            lookups=(ROUND,),
        ),
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
        "grant_report_outcomes": "counts of the people a group signposted, in its end-of-grant report",
        "grant_scores": "the panel's scores, reached through grant_review_assignments",
    },
)
