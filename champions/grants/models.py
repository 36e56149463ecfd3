"""Funds, rounds, applications, reviews, payments and end-of-grant reports. Money is integer pence."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.accounts.models import User
from champions.core import merging
from champions.core.db import now_utc
from champions.core.models import Borough
from champions.extensions import Model, db
from champions.organisations.models import Organisation


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDER_REVIEW = "under_review"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    DECLINED = "declined"
    PAID_PART = "paid_part"
    PAID_FULL = "paid_full"
    REPORTED = "reported"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.DRAFT: "Draft",
    Status.SUBMITTED: "Submitted",
    Status.ELIGIBLE: "Eligible",
    Status.INELIGIBLE: "Not eligible",
    Status.UNDER_REVIEW: "Under review",
    Status.AWAITING_APPROVAL: "Awaiting second approval",
    Status.APPROVED: "Approved",
    Status.DECLINED: "Declined",
    Status.PAID_PART: "Paid in part",
    Status.PAID_FULL: "Paid in full",
    Status.REPORTED: "Reported",
    Status.CLOSED: "Closed",
}
STATUS_VALUES = ", ".join(f"'{s.value}'" for s in Status)


class ReportStatus(StrEnum):
    """Where a grant's end-of-grant report stands with staff (None on the grant: no report yet)."""

    SUBMITTED = "submitted"  # sent by the group (again, after a return), waiting for staff
    RETURNED = "returned"  # sent back to the group with a reason; they may send it again
    APPROVED = "approved"
    WAIVED = "waived"  # staff decided, with a reason, that no report is needed

    @property
    def label(self) -> str:
        return {"submitted": "Waiting for staff", "returned": "Sent back to the group"}.get(self.value, self.title())


REPORT_STATUS_VALUES = ", ".join(f"'{s.value}'" for s in ReportStatus)
SETTLED_REPORT = frozenset({ReportStatus.APPROVED.value, ReportStatus.WAIVED.value})

fund_funders = Table(
    "grant_fund_funders",
    db.metadata,
    Column("fund_id", ForeignKey("grant_funds.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

round_boroughs = Table(
    "grant_round_boroughs",
    db.metadata,
    Column("round_id", ForeignKey("grant_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("borough_code", ForeignKey("boroughs.code"), primary_key=True),
)

round_reviewers = Table(
    "grant_round_reviewers",
    db.metadata,
    Column("round_id", ForeignKey("grant_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

application_boroughs = Table(
    "grant_application_boroughs",
    db.metadata,
    Column("application_id", ForeignKey("grant_applications.id", ondelete="CASCADE"), primary_key=True),
    Column("borough_code", ForeignKey("boroughs.code"), primary_key=True),
)


class Fund(Model):
    __tablename__ = "grant_funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    funder_organisation: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    funders: Mapped[list[User]] = relationship(secondary=fund_funders, order_by=User.email)
    rounds: Mapped[list[Round]] = relationship(back_populates="fund", order_by="Round.opens_at")


class Round(Model):
    __tablename__ = "grant_rounds"
    __table_args__ = (
        CheckConstraint("budget_pence >= 0", name="budget_not_negative"),
        CheckConstraint("min_award_pence >= 0 AND min_award_pence <= max_award_pence", name="award_limits"),
        CheckConstraint("reviewers_per_application >= 1", name="reviewers_positive"),
        CheckConstraint("second_approval_above_pence >= 0", name="second_approval_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("grant_funds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    budget_pence: Mapped[int]
    min_award_pence: Mapped[int]
    max_award_pence: Mapped[int]
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    reviewers_per_application: Mapped[int] = mapped_column(default=2)
    # An award above this needs a second staff member's approval; None: one approval is enough.
    second_approval_above_pence: Mapped[int | None]
    # Reviewers see the project, not who is behind it: no group name, contact or register details.
    anonymise_reviews: Mapped[bool] = mapped_column(default=False, server_default=false())
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # When the row last changed: the API's ``updated_since`` and its cursor order by it.
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc, index=True)

    fund: Mapped[Fund] = relationship(back_populates="rounds")
    boroughs: Mapped[list[Borough]] = relationship(secondary=round_boroughs, order_by=Borough.name)
    reviewers: Mapped[list[User]] = relationship(secondary=round_reviewers, order_by=User.email)
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="round", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(Model):
    __tablename__ = "grant_criteria"
    __table_args__ = (CheckConstraint("weight >= 1", name="weight_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grant_rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="criteria")


# An application stores the round theme it chose; the round form checks each theme fits.
THEME_LENGTH = 100


class Application(Model):
    __tablename__ = "grant_applications"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="status_known"),
        CheckConstraint("amount_requested_pence >= 0", name="amount_not_negative"),
        CheckConstraint("award_pence IS NULL OR award_pence <= amount_requested_pence", name="award_within_request"),
        CheckConstraint("group_limit IS NULL OR group_limit >= 1", name="group_limit_positive"),
        CheckConstraint(
            f"report_status IS NULL OR report_status IN ({REPORT_STATUS_VALUES})", name="report_status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("grant_rounds.id", ondelete="CASCADE"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The group as the applicant described it. The register's organisation is set only when staff confirm
    # which one the group is (services/groups.py); until then it is empty and the typed details stand.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    group_normalised_name: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)
    group_type: Mapped[str | None] = mapped_column(String(20))
    group_number: Mapped[str | None] = mapped_column(String(20), index=True)
    group_postcode: Mapped[str | None] = mapped_column(String(10))
    group_website: Mapped[str | None] = mapped_column(String(255))
    # How many applications staff allow this group in this round (None: the rule's one).
    group_limit: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default=Status.DRAFT.value, index=True)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    activities: Mapped[str] = mapped_column(Text, default="")
    beneficiaries: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str | None] = mapped_column(String(THEME_LENGTH))
    people_expected: Mapped[int | None]
    amount_requested_pence: Mapped[int] = mapped_column(default=0)
    start_on: Mapped[date | None]
    end_on: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    eligibility_problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligibility_override_reason: Mapped[str | None] = mapped_column(Text)
    award_pence: Mapped[int | None]
    # Why it was approved with fewer reviews than the round asks for (None when it had enough).
    few_reviews_reason: Mapped[str | None] = mapped_column(Text)
    # An award above the round's threshold waits here until a second, different staff member confirms it.
    proposed_award_pence: Mapped[int | None]
    first_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_approved_at: Mapped[datetime | None]
    conditions: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    report_due_on: Mapped[date | None] = mapped_column(index=True)
    # Staff's word on the end-of-grant report (ReportStatus); the reason goes with a return or a waiver.
    report_status: Mapped[str | None] = mapped_column(String(20))
    report_reason: Mapped[str | None] = mapped_column(Text)
    report_decided_at: Mapped[datetime | None]
    submitted_email_sent_at: Mapped[datetime | None]
    decision_email_sent_at: Mapped[datetime | None]
    reminder_before_sent_at: Mapped[datetime | None]
    reminder_after_sent_at: Mapped[datetime | None]
    # The staff member who looks after this application (follow-ups): set with followups.services.set_owner.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    round: Mapped[Round] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    applicant: Mapped[User | None] = relationship(foreign_keys=[applicant_id])
    first_approver: Mapped[User | None] = relationship(foreign_keys=[first_approved_by_id])
    boroughs: Mapped[list[Borough]] = relationship(secondary=application_boroughs, order_by=Borough.name)
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="application", order_by="BudgetLine.position", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[ReviewAssignment]] = relationship(
        back_populates="application", order_by="ReviewAssignment.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="application", order_by="Payment.id", cascade="all, delete-orphan"
    )
    report: Mapped[GrantReport | None] = relationship(back_populates="application", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def group_display(self) -> str:
        """The group's name for staff, reviewers and funders: the register's once confirmed, else as typed.
        Applicants are only ever shown ``group_name``, what they typed."""
        return self.organisation.name if self.organisation is not None else self.group_name

    @property
    def email_to(self) -> str | None:
        """Where the group's emails go: the application's contact, else the applicant's own address."""
        return self.contact_email or (self.applicant.email if self.applicant else None)

    @property
    def anonymous_name(self) -> str:
        """How a round with anonymised reviews names the applicant to its reviewers and in its panel pack."""
        return f"Applicant A-{self.id}"

    @property
    def paid_pence(self) -> int:
        return sum(p.amount_pence for p in self.payments if p.paid_on is not None and p.voided_at is None)

    @property
    def scheduled_pence(self) -> int:
        """Paid or still to pay: every tranche that has not been voided."""
        return sum(p.amount_pence for p in self.payments if p.voided_at is None)

    @property
    def report_settled(self) -> bool:
        """The end-of-grant report is approved or waived: tranches waiting on it may be paid, the grant closed."""
        return self.report_status in SETTLED_REPORT


class BudgetLine(Model):
    __tablename__ = "grant_budget_lines"
    __table_args__ = (CheckConstraint("amount_pence > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int]
    spent_pence: Mapped[int | None]

    application: Mapped[Application] = relationship(back_populates="budget_lines")


class ReviewAssignment(Model):
    __tablename__ = "grant_review_assignments"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id", name="uq_grant_review_assignment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=now_utc)
    # None until the reviewer declares: True means they may not score this application.
    conflict: Mapped[bool | None]
    conflict_note: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]

    application: Mapped[Application] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="assignment", cascade="all, delete-orphan")


class Score(Model):
    __tablename__ = "grant_scores"
    __table_args__ = (
        UniqueConstraint("assignment_id", "criterion_id", name="uq_grant_score_criterion"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("grant_review_assignments.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("grant_criteria.id", ondelete="CASCADE"), index=True)
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class Payment(Model):
    __tablename__ = "grant_payments"
    __table_args__ = (CheckConstraint("amount_pence > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    amount_pence: Mapped[int]
    due_on: Mapped[date]
    paid_on: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(100))
    # Planned so: not to be paid until the grant's end-of-grant report is approved or waived.
    waits_on_report: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A tranche is never deleted: voided (with a reason) it stays on the grant and counts for nothing.
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)
    # Each correction or void, oldest first: {"at", "change", "reason", "before": {...}, "after": {...}}.
    history: Mapped[list[dict]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    application: Mapped[Application] = relationship(back_populates="payments")

    @property
    def changes(self) -> list[dict]:
        """The history with its times read back as datetimes."""
        return [{**h, "at": datetime.fromisoformat(h["at"])} for h in self.history or []]

    @property
    def state(self) -> str:
        if self.voided_at is not None:
            return "void"
        return "paid" if self.paid_on is not None else "due"


class GrantReport(Model):
    __tablename__ = "grant_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("grant_applications.id", ondelete="CASCADE"), unique=True)
    people_reached: Mapped[int]
    champions_recruited: Mapped[int]
    activities: Mapped[str] = mapped_column(Text)
    outcomes: Mapped[str] = mapped_column(Text)
    story: Mapped[str] = mapped_column(Text, default="")
    story_public_consent: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(default=now_utc)

    application: Mapped[Application] = relationship(back_populates="report")
    # What came of the grant in the codes champions use for their activities (activities.OutcomeKind).
    outcome_counts: Mapped[list[GrantReportOutcome]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="GrantReportOutcome.id"
    )


# The most people a report may say were signposted to one service (the form's largest whole number).
MAX_REPORTED = 10_000_000


class GrantReportOutcome(Model):
    """For one end-of-grant report and one kind of outcome: how many people the group signposted to it, how many of
    them said they would act, and how many did (None: not known). Counts only, like the report's other figures."""

    __tablename__ = "grant_report_outcomes"
    __table_args__ = (
        UniqueConstraint("report_id", "outcome_code", name="uq_grant_report_outcomes_report_outcome"),
        CheckConstraint(f"signposted BETWEEN 1 AND {MAX_REPORTED}", name="signposted_range"),
        CheckConstraint("said_would_act BETWEEN 0 AND signposted", name="said_within_signposted"),
        CheckConstraint("did_act IS NULL OR did_act BETWEEN 0 AND said_would_act", name="did_within_said"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grant_reports.id", ondelete="CASCADE"), index=True)
    outcome_code: Mapped[str] = mapped_column(ForeignKey("outcome_kinds.code"), index=True)
    signposted: Mapped[int]
    said_would_act: Mapped[int] = mapped_column(default=0)
    did_act: Mapped[int | None]

    report: Mapped[GrantReport] = relationship(back_populates="outcome_counts")
    # Loaded with the row: a report's outcomes are shown by name, and one query each would grow with them.
    kind = relationship("OutcomeKind", lazy="joined")


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging people (core/merging.py): a fund's funder and a panel's reviewer are listed once; of two assignments to
# review one application, a submitted review wins, then the earlier.
MERGES.update(merging.on_conflict("users", "grant_fund_funders.user_id", merging.keep_one()))
MERGES.update(merging.on_conflict("users", "grant_round_reviewers.user_id", merging.keep_one()))
_keep_submitted_then_earlier = merging.keep_earlier(
    lambda t: [case((t.c.submitted_at.is_not(None), 0), else_=1), t.c.assigned_at]
)


def _merge_review_assignments(ref: merging.Reference, keep_id: int, remove_id: int) -> tuple[int, int]:
    """Refused where both logins submitted a review of the same application: one assignment would be dropped and
    its scores deleted with it (they cascade), and nobody can say which of the two reviews should count."""
    mine, theirs = ReviewAssignment.__table__.alias("mine"), ReviewAssignment.__table__.alias("theirs")
    both = db.session.execute(
        select(Application.id, Application.title)
        .join(mine, mine.c.application_id == Application.id)
        .join(theirs, theirs.c.application_id == Application.id)
        .where(mine.c.reviewer_id == keep_id, mine.c.submitted_at.is_not(None))
        .where(theirs.c.reviewer_id == remove_id, theirs.c.submitted_at.is_not(None))
        .order_by(Application.id)
        .limit(1)
    ).first()
    if both is not None:
        raise merging.MergeRefused(
            f"Both records submitted a review of the grant application “{both.title}” (#{both.id}); "
            "merging would delete one of the reviews and its scores. Nothing was merged."
        )
    return _keep_submitted_then_earlier(ref, keep_id, remove_id)


MERGES.update(merging.on_conflict("users", "grant_review_assignments.reviewer_id", _merge_review_assignments))
MERGES.update(
    merging.moves(
        "users",
        "grant_applications.applicant_id",
        "grant_applications.decided_by_id",
        "grant_applications.first_approved_by_id",
        "grant_applications.owner_id",
    )
)
MERGES.update(merging.moves("organisations", "grant_applications.organisation_id"))
