"""Applying: drafts, submission with everything it needs, and the eligibility check (automatic or overridden)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import as_utc, now_utc
from champions.core.models import Borough
from champions.extensions import db
from champions.grants.models import Application, BudgetLine, Round, Status
from champions.grants.services.groups import GroupDetails, check_one_per_round, lock_round, set_details
from champions.grants.services.lifecycle import GrantError, move, pounds
from champions.grants.services.rounds import is_open
from champions.grants.tasks import submitted_email

REQUIRED_TO_SUBMIT = {
    "group_type": "Select the kind of group you are",
    "group_postcode": "Enter your group's postcode",
    "contact_name": "Enter the name of the contact for this application",
    "contact_email": "Enter the contact's email address",
    "title": "Enter a project title",
    "summary": "Enter a summary of the project",
    "activities": "Describe the activities",
    "beneficiaries": "Say who will benefit",
    "people_expected": "Enter how many people you expect to reach",
    "start_on": "Enter the start date",
    "end_on": "Enter the end date",
}


@dataclass
class ApplicationData:
    group: GroupDetails
    contact_name: str
    contact_email: str
    contact_phone: str
    title: str
    summary: str
    activities: str
    beneficiaries: str
    theme: str | None
    borough_codes: list[str]
    people_expected: int | None
    amount_requested_pence: int
    start_on: date | None
    end_on: date | None
    budget_lines: list[tuple[str, int]]


def amount_problem(round_: Round, pence: int) -> str | None:
    if pence > round_.max_award_pence:
        return f"The amount requested must be {pounds(round_.max_award_pence)} or less"
    return None


def save_draft(round_: Round, applicant: User | None, data: ApplicationData, application: Application | None = None):
    """Create or update a draft. Only drafts can be edited."""
    if application is not None and application.status != Status.DRAFT:
        raise GrantError("This application has been submitted and can no longer be changed")
    if problem := amount_problem(round_, data.amount_requested_pence):
        raise GrantError(problem, "amount_requested")
    if application is None:
        application = Application(
            round=round_, applicant_id=applicant.id if applicant else None, status=Status.DRAFT.value, title=""
        )
        db.session.add(application)
    for name in (
        "contact_name contact_email contact_phone title summary activities beneficiaries "
        "theme people_expected amount_requested_pence start_on end_on"
    ).split():
        setattr(application, name, getattr(data, name))
    set_details(application, data.group)
    application.boroughs = list(db.session.scalars(select(Borough).where(Borough.code.in_(data.borough_codes))))
    application.budget_lines = [
        BudgetLine(position=i, description=d, amount_pence=a) for i, (d, a) in enumerate(data.budget_lines)
    ]
    db.session.flush()
    audit.record("grant.draft_saved", application)
    return application


def _given(data: ApplicationData, field: str):
    return getattr(data.group, field.removeprefix("group_")) if field.startswith("group_") else getattr(data, field)


def submission_problems(round_: Round, data: ApplicationData, at: datetime | None = None) -> dict[str, str]:
    """Everything that stops a submission, by form field. Empty means it may be submitted."""
    at = at or now_utc()
    problems = {field: msg for field, msg in REQUIRED_TO_SUBMIT.items() if _given(data, field) in (None, "")}
    if not data.group.name.strip():
        problems["group_name"] = "Enter your group's name"
    if at >= as_utc(round_.closes_at) or round_.closed_at is not None:
        problems["round"] = (
            "This round closed on "
            + as_utc(round_.closes_at).strftime("%-d %B %Y")
            + (": applications can no longer be submitted")
        )
    if not data.borough_codes:
        problems["boroughs"] = "Select the boroughs where the project will happen"
    if data.amount_requested_pence <= 0:
        problems["amount_requested"] = "Enter the amount you are asking for"
    elif problem := amount_problem(round_, data.amount_requested_pence):
        problems["amount_requested"] = problem
    if round_.themes and data.theme not in round_.themes:
        problems["theme"] = "Select the theme of your project"
    lines_total = sum(amount for _, amount in data.budget_lines)
    if not data.budget_lines:
        problems["budget_lines"] = "Enter at least one budget line"
    elif lines_total != data.amount_requested_pence:
        problems["budget_lines"] = (
            f"The budget lines add up to {pounds(lines_total)}, "
            f"but the amount requested is {pounds(data.amount_requested_pence)}. They must be the same"
        )
    if data.start_on and data.end_on and data.end_on < data.start_on:
        problems["end_on"] = "The end date must be on or after the start date"
    return problems


def eligibility_problems(application: Application, at: datetime) -> list[str]:
    round_ = application.round
    problems = []
    if not is_open(round_, at):
        problems.append("The round was not open when the application was submitted")
    amount = application.amount_requested_pence
    if not round_.min_award_pence <= amount <= round_.max_award_pence:
        problems.append(
            f"The amount requested, {pounds(amount)}, is outside the round's limits of "
            f"{pounds(round_.min_award_pence)} to {pounds(round_.max_award_pence)}"
        )
    eligible = {b.code for b in round_.boroughs}
    outside = [b.name for b in application.boroughs if b.code not in eligible]
    if outside:
        problems.append("Not an eligible borough for this round: " + ", ".join(outside))
    return problems


def submit(
    round_: Round, data: ApplicationData, applicant: User | None, application: Application | None = None
) -> Application:
    """Save (a new application, or a draft) and submit in one step, check eligibility, queue the email.

    One application per group per round: the round's row is locked first, so two submissions from one group at the
    same moment are checked one after the other, and the second is refused."""
    at = now_utc()
    if problems := submission_problems(round_, data, at):
        field, message = next(iter(problems.items()))
        raise GrantError(message, field)
    lock_round(round_)
    application = save_draft(round_, applicant, data, application)
    check_one_per_round(application)
    application.submitted_at = at
    move(application, Status.SUBMITTED)
    check_eligibility(application, at)
    submitted_email.queue(application.id)
    return application


def check_eligibility(application: Application, at: datetime | None = None) -> list[str]:
    problems = eligibility_problems(application, at or as_utc(application.submitted_at) or now_utc())
    application.eligibility_problems = problems
    move(application, Status.INELIGIBLE if problems else Status.ELIGIBLE, reason="Automatic eligibility check")
    return problems


def override_eligibility(application: Application, eligible: bool, reason: str) -> None:
    if not (reason or "").strip():
        raise GrantError("Give a reason for overriding the eligibility check", "reason")
    application.eligibility_override_reason = reason.strip()
    move(application, Status.ELIGIBLE if eligible else Status.INELIGIBLE, reason=reason.strip(), override=True)
