"""Small Sparks rules: the lifecycle, eligibility, reviews, budget-safe awards, payments and reports.

Services flush, never commit; the request (or task) commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import as_utc, now_utc
from champions.core.features import values_from
from champions.core.models import Borough
from champions.extensions import db
from champions.grants import signals
from champions.grants.models import (
    Application,
    BudgetLine,
    Criterion,
    Fund,
    GrantReport,
    Payment,
    ReviewAssignment,
    Round,
    Score,
    Status,
)
from champions.organisations.models import Organisation, normalise_org_name
from champions.organisations.services import create_organisation

# Every change of status an application may make. Anything else is refused.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED}),
    Status.SUBMITTED: frozenset({Status.ELIGIBLE, Status.INELIGIBLE}),
    Status.ELIGIBLE: frozenset({Status.UNDER_REVIEW, Status.INELIGIBLE}),
    Status.INELIGIBLE: frozenset({Status.ELIGIBLE, Status.CLOSED}),
    Status.UNDER_REVIEW: frozenset({Status.APPROVED, Status.DECLINED}),
    Status.APPROVED: frozenset({Status.PAID_PART, Status.PAID_FULL}),
    Status.PAID_PART: frozenset({Status.PAID_FULL, Status.REPORTED}),
    Status.PAID_FULL: frozenset({Status.REPORTED}),
    Status.REPORTED: frozenset({Status.CLOSED}),
    Status.DECLINED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
# Statuses that may follow an approval. CLOSED also follows a refusal (declined, ineligible), with no award.
AWARD_STATUSES = frozenset({Status.APPROVED, Status.PAID_PART, Status.PAID_FULL, Status.REPORTED, Status.CLOSED})
# An application is awarded, and its award counts against the round's budget, when an award stands: one of those
# statuses and an amount. The one definition every count and sum of awards uses.
AWARDED = and_(Application.status.in_(sorted(s.value for s in AWARD_STATUSES)), Application.award_pence.is_not(None))
REPORTABLE = frozenset({Status.PAID_PART, Status.PAID_FULL})
REPORT_DUE_AFTER_END = timedelta(days=28)
REMIND_BEFORE = timedelta(days=14)
REMIND_AFTER = timedelta(days=7)


class GrantError(Exception):
    """A rule refused the change; the message is shown to the user as it is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# ---- money ------------------------------------------------------------------------------------


def pounds(pence: int | None) -> str:
    """£1,300 or £1,300.50: whole pounds without pence."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}" + (f".{part:02d}" if part else "")


# ---- lifecycle --------------------------------------------------------------------------------


def can_move(application: Application, to: Status) -> bool:
    return to in TRANSITIONS[Status(application.status)]


def move(application: Application, to: Status, reason: str | None = None, **details: object) -> None:
    """Change the status if the transition table allows it; audit every change."""
    current = Status(application.status)
    if to not in TRANSITIONS[current]:
        raise GrantError(f"An application that is {current.label.lower()} cannot become {to.label.lower()}")
    application.status = to.value
    audit.record("grant.status", application, from_status=current.value, to_status=to.value, reason=reason, **details)
    db.session.flush()


# ---- funds and rounds -------------------------------------------------------------------------


def create_fund(name: str, funder_organisation: str) -> Fund:
    fund = Fund(name=name.strip(), funder_organisation=funder_organisation.strip())
    db.session.add(fund)
    db.session.flush()
    audit.record("grant.fund_created", fund)
    return fund


def set_fund_funders(fund: Fund, user_ids: list[int]) -> None:
    fund.funders = list(db.session.scalars(select(User).where(User.id.in_(user_ids), User.role == "funder")))
    audit.record("grant.fund_funders", fund, user_ids=sorted(u.id for u in fund.funders))
    db.session.flush()


@dataclass
class RoundData:
    name: str
    budget_pence: int
    min_award_pence: int
    max_award_pence: int
    themes: list[str]
    borough_codes: list[str]
    opens_at: datetime
    closes_at: datetime
    reviewers_per_application: int
    criteria: list[tuple[str, int]]


def round_problems(data: RoundData) -> dict[str, str]:
    problems = {}
    if data.min_award_pence > data.max_award_pence:
        problems["min_award"] = "The minimum award must not be more than the maximum award"
    if data.max_award_pence > data.budget_pence:
        problems["max_award"] = "The maximum award must not be more than the budget"
    if as_utc(data.closes_at) <= as_utc(data.opens_at):
        problems["closes_at"] = "The closing time must be after the opening time"
    if not data.criteria:
        problems["criteria"] = "Enter at least one scoring criterion, like 'Reach: 3'"
    return problems


def create_round(fund: Fund, data: RoundData) -> Round:
    if problems := round_problems(data):
        field, message = next(iter(problems.items()))
        raise GrantError(message, field)
    round_ = Round(
        fund=fund,
        name=data.name.strip(),
        budget_pence=data.budget_pence,
        min_award_pence=data.min_award_pence,
        max_award_pence=data.max_award_pence,
        themes=data.themes,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        reviewers_per_application=data.reviewers_per_application,
    )
    db.session.add(round_)
    round_.boroughs = list(db.session.scalars(select(Borough).where(Borough.code.in_(data.borough_codes))))
    round_.criteria = [Criterion(name=n, weight=w, position=i) for i, (n, w) in enumerate(data.criteria)]
    db.session.flush()
    audit.record("grant.round_created", round_, budget_pence=data.budget_pence)
    return round_


def set_round_reviewers(round_: Round, user_ids: list[int]) -> None:
    round_.reviewers = list(db.session.scalars(select(User).where(User.id.in_(user_ids), User.role == "reviewer")))
    audit.record("grant.round_reviewers", round_, user_ids=sorted(u.id for u in round_.reviewers))
    db.session.flush()


def is_open(round_: Round, at: datetime | None = None) -> bool:
    at = at or now_utc()
    return round_.closed_at is None and as_utc(round_.opens_at) <= at < as_utc(round_.closes_at)


def open_rounds() -> list[Round]:
    now = now_utc()
    rounds = db.session.scalars(
        select(Round)
        .where(Round.opens_at <= now, Round.closes_at > now, Round.closed_at.is_(None))
        .options(selectinload(Round.boroughs))
    )
    return list(rounds)


def awarded_total(round_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Application.award_pence), 0)).where(Application.round_id == round_id, AWARDED)
    )


def close_round(round_: Round) -> None:
    round_.closed_at = now_utc()
    audit.record("grant.round_closed", round_)
    db.session.flush()


# ---- applying ---------------------------------------------------------------------------------


def find_or_add_organisation(name: str, borough_codes: list[str], by_user_id: int | None) -> Organisation:
    """Use the register's organisation of that name if there is one, else add the group to the register."""
    existing = db.session.scalar(
        select(Organisation)
        .where(Organisation.normalised_name == normalise_org_name(name), Organisation.merged_into_id.is_(None))
        .limit(1)
    )
    if existing is not None:
        return existing
    organisation = create_organisation(
        name, type="grassroots", borough_codes=borough_codes, notes="Added by a Small Sparks applicant"
    )
    audit.record("organisation.added_by_applicant", organisation, actor_id=by_user_id)
    return organisation


@dataclass
class ApplicationData:
    organisation_id: int
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
        "organisation_id contact_name contact_email contact_phone title summary activities beneficiaries "
        "theme people_expected amount_requested_pence start_on end_on"
    ).split():
        setattr(application, name, getattr(data, name))
    application.boroughs = list(db.session.scalars(select(Borough).where(Borough.code.in_(data.borough_codes))))
    application.budget_lines = [
        BudgetLine(position=i, description=d, amount_pence=a) for i, (d, a) in enumerate(data.budget_lines)
    ]
    db.session.flush()
    audit.record("grant.draft_saved", application)
    return application


REQUIRED_TO_SUBMIT = {
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


def submission_problems(round_: Round, data: ApplicationData, at: datetime | None = None) -> dict[str, str]:
    """Everything that stops a submission, by form field. Empty means it may be submitted."""
    at = at or now_utc()
    problems = {field: msg for field, msg in REQUIRED_TO_SUBMIT.items() if getattr(data, field) in (None, "")}
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
    """Save (a new application, or a draft) and submit in one step, check eligibility, queue the email."""
    from champions.grants.tasks import submitted_email

    at = now_utc()
    if problems := submission_problems(round_, data, at):
        field, message = next(iter(problems.items()))
        raise GrantError(message, field)
    application = save_draft(round_, applicant, data, application)
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


# ---- reviews ----------------------------------------------------------------------------------


def assign_reviewers(application: Application, reviewer_ids: list[int]) -> list[ReviewAssignment]:
    if application.status not in (Status.ELIGIBLE, Status.UNDER_REVIEW):
        raise GrantError("Reviewers can only be assigned to eligible applications")
    allowed = {u.id for u in application.round.reviewers}
    chosen = [i for i in reviewer_ids if i in allowed]
    if not chosen:
        raise GrantError("Select at least one reviewer from this round's panel", "reviewers")
    have = {a.reviewer_id for a in application.assignments}
    added = [ReviewAssignment(reviewer_id=i) for i in chosen if i not in have]
    application.assignments.extend(added)
    db.session.flush()
    for assignment in added:
        audit.record("grant.reviewer_assigned", application, reviewer_id=assignment.reviewer_id)
    if application.status == Status.ELIGIBLE:
        move(application, Status.UNDER_REVIEW)
    return added


def declare_conflict(assignment: ReviewAssignment, conflict: bool, note: str | None) -> None:
    if assignment.submitted_at is not None:
        raise GrantError("You have already submitted this review")
    if conflict and not (note or "").strip():
        raise GrantError("Describe the conflict of interest", "note")
    assignment.conflict = conflict
    assignment.conflict_note = (note or "").strip() or None
    audit.record(
        "grant.conflict_declared", assignment.application, reviewer_id=assignment.reviewer_id, conflict=conflict
    )
    db.session.flush()


def submit_scores(assignment: ReviewAssignment, scores: dict[int, tuple[int, str]]) -> None:
    """Scores 1 to 5 with a comment for every criterion of the round, all at once."""
    if assignment.conflict is None:
        raise GrantError("Declare whether you have a conflict of interest first")
    if assignment.conflict:
        raise GrantError("You declared a conflict of interest, so you cannot score this application")
    if assignment.submitted_at is not None:
        raise GrantError("You have already submitted this review")
    if assignment.application.status != Status.UNDER_REVIEW:
        raise GrantError("This application is no longer under review")
    for criterion in assignment.application.round.criteria:
        value = scores.get(criterion.id)
        if value is None or not isinstance(value[0], int) or not 1 <= value[0] <= 5:
            raise GrantError(f"Score '{criterion.name}' from 1 to 5", f"score_{criterion.id}")
        assignment.scores.append(Score(criterion_id=criterion.id, score=value[0], comment=(value[1] or "").strip()))
    assignment.submitted_at = now_utc()
    audit.record("grant.review_submitted", assignment.application, reviewer_id=assignment.reviewer_id)
    db.session.flush()


def visible_reviews(assignment: ReviewAssignment) -> list[ReviewAssignment]:
    """Other reviewers' scores, only once this reviewer has submitted their own."""
    if assignment.submitted_at is None:
        return []
    return [a for a in assignment.application.assignments if a.id != assignment.id and a.submitted_at is not None]


def weighted_scores(round_id: int) -> dict[int, tuple[float, int]]:
    """Application id -> (weighted average score, number of reviews), in one aggregate query.

    Every reviewer scores every criterion, so the mean of the reviewers' weighted averages
    equals the sum of score x weight over the sum of weights.
    """
    rows = db.session.execute(
        select(
            ReviewAssignment.application_id,
            func.sum(Score.score * Criterion.weight),
            func.sum(Criterion.weight),
            func.count(func.distinct(ReviewAssignment.id)),
        )
        .join(Score, Score.assignment_id == ReviewAssignment.id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.round_id == round_id, ReviewAssignment.submitted_at.is_not(None))
        .group_by(ReviewAssignment.application_id)
    ).all()
    return {app_id: (round(total / weights, 2), reviews) for app_id, total, weights, reviews in rows}


def ranked(round_id: int) -> list[tuple[Application, float | None, int]]:
    """The panel's list: applications past the eligibility check, best weighted score first."""
    scores = weighted_scores(round_id)
    apps = db.session.scalars(
        select(Application)
        .where(
            Application.round_id == round_id,
            Application.status.not_in([Status.DRAFT.value, Status.SUBMITTED.value, Status.INELIGIBLE.value]),
        )
        .options(selectinload(Application.organisation))
    )
    rows = [(a, *scores.get(a.id, (None, 0))) for a in apps]
    return sorted(rows, key=lambda r: (r[1] is None, -(r[1] or 0), r[0].id))


# ---- decisions --------------------------------------------------------------------------------


def approve(application_id: int, award_pence: int, conditions: str | None, by_user_id: int | None) -> Application:
    """Award a grant. The round row is locked first, so concurrent approvals queue and the budget holds.

    On PostgreSQL SELECT ... FOR UPDATE serialises approvals in the same round; on SQLite
    the immediate transaction already holds the database's write lock.
    """
    from champions.grants.tasks import decision_email

    application = db.session.get(Application, application_id)
    if application is None:
        raise GrantError("This application no longer exists")
    round_ = db.session.scalar(select(Round).where(Round.id == application.round_id).with_for_update())
    db.session.refresh(application)
    if not can_move(application, Status.APPROVED):
        raise GrantError(f"An application that is {application.status_label.lower()} cannot be approved")
    if award_pence <= 0:
        raise GrantError("Enter the amount to award", "award")
    if award_pence > application.amount_requested_pence:
        raise GrantError(
            f"The award must not be more than the amount requested, {pounds(application.amount_requested_pence)}",
            "award",
        )
    if award_pence > round_.max_award_pence:
        raise GrantError(
            f"The award must not be more than the round maximum, {pounds(round_.max_award_pence)}", "award"
        )
    remaining = round_.budget_pence - awarded_total(round_.id)
    if award_pence > remaining:
        raise GrantError(
            f"This award of {pounds(award_pence)} is more than the {pounds(remaining)} left in the round's budget",
            "award",
        )
    application.award_pence = award_pence
    application.conditions = (conditions or "").strip() or None
    application.decided_at = now_utc()
    application.decided_by_id = by_user_id
    if application.end_on:
        application.report_due_on = application.end_on + REPORT_DUE_AFTER_END
    move(application, Status.APPROVED, award_pence=award_pence, remaining_before_pence=remaining)
    decision_email.queue(application.id)
    return application


def decline(application: Application, reason: str, by_user_id: int | None) -> None:
    from champions.grants.tasks import decision_email

    if not (reason or "").strip():
        raise GrantError("Give the reason for declining", "reason")
    if not can_move(application, Status.DECLINED):
        raise GrantError(f"An application that is {application.status_label.lower()} cannot be declined")
    application.decline_reason = reason.strip()
    application.decided_at = now_utc()
    application.decided_by_id = by_user_id
    move(application, Status.DECLINED, reason=reason.strip())
    decision_email.queue(application.id)


def close(application: Application, reason: str | None = None) -> None:
    move(application, Status.CLOSED, reason=reason)


# ---- payments ---------------------------------------------------------------------------------


def add_payment(
    application_id: int, amount_pence: int, due_on: date, paid_on: date | None, reference: str | None
) -> Payment:
    """Record a tranche. Tranches never add up to more than the award (the application row is locked)."""
    application = db.session.scalar(select(Application).where(Application.id == application_id).with_for_update())
    if application is None or Status(application.status) not in (Status.APPROVED, Status.PAID_PART):
        raise GrantError("Payments can only be recorded for an approved grant that is not yet paid in full")
    if amount_pence <= 0:
        raise GrantError("Enter the amount of the payment", "amount")
    left = application.award_pence - application.scheduled_pence
    if amount_pence > left:
        raise GrantError(
            f"This payment of {pounds(amount_pence)} is more than the {pounds(left)} of the award "
            "not yet paid or scheduled",
            "amount",
        )
    payment = Payment(amount_pence=amount_pence, due_on=due_on, paid_on=paid_on, reference=reference or None)
    application.payments.append(payment)
    db.session.flush()
    audit.record("grant.payment_added", application, amount_pence=amount_pence, paid=paid_on is not None)
    _update_paid_status(application)
    return payment


def mark_paid(payment: Payment, paid_on: date, reference: str | None) -> None:
    # Lock the grant, as add_payment does, so two clerks marking the same tranche queue up.
    db.session.scalar(select(Application).where(Application.id == payment.application_id).with_for_update())
    db.session.refresh(payment)
    if payment.paid_on is not None:
        raise GrantError("This payment is already marked as paid")
    payment.paid_on = paid_on
    payment.reference = reference or payment.reference
    audit.record("grant.payment_paid", payment.application, payment_id=payment.id)
    db.session.flush()
    _update_paid_status(payment.application)


def _update_paid_status(application: Application) -> None:
    paid = application.paid_pence
    if paid >= application.award_pence and application.status != Status.PAID_FULL:
        move(application, Status.PAID_FULL)
    elif 0 < paid < application.award_pence and application.status == Status.APPROVED:
        move(application, Status.PAID_PART)


# ---- end-of-grant reports ---------------------------------------------------------------------


@dataclass
class ReportData:
    spent: dict[int, int]
    people_reached: int
    champions_recruited: int
    activities: str
    outcomes: str
    story: str
    story_public_consent: bool


def submit_report(application: Application, data: ReportData) -> GrantReport:
    if Status(application.status) not in REPORTABLE:
        raise GrantError("An end-of-grant report can be sent once the grant has been paid")
    for line in application.budget_lines:
        if line.id not in data.spent:
            raise GrantError(f"Enter what you spent on '{line.description}'", f"spent_{line.id}")
    for line in application.budget_lines:
        line.spent_pence = data.spent[line.id]
    report = GrantReport(
        people_reached=data.people_reached,
        champions_recruited=data.champions_recruited,
        activities=data.activities.strip(),
        outcomes=data.outcomes.strip(),
        story=(data.story or "").strip(),
        story_public_consent=data.story_public_consent,
    )
    application.report = report
    db.session.flush()
    move(application, Status.REPORTED)
    return report


def reminders_due(kind: str, today: date) -> list[int]:
    """Ids of grants owed a report reminder of ``kind`` ('before' or 'after' the due date) not yet sent."""
    if kind == "before":
        column, due = Application.reminder_before_sent_at, Application.report_due_on <= today + REMIND_BEFORE
        covered = values_from(signals.report_reminder_covered)  # another feature already reminded them
        extra = (Application.report_due_on >= today) & ~or_(false(), *covered)
    else:
        column, due = Application.reminder_after_sent_at, Application.report_due_on <= today - REMIND_AFTER
        extra = Application.report_due_on.is_not(None)
    return list(
        db.session.scalars(
            select(Application.id).where(
                column.is_(None),
                due,
                extra,
                Application.status.in_([s.value for s in (Status.APPROVED, *REPORTABLE)]),
            )
        )
    )
