"""Awards: approving within the round's budget, declining, closing, and paying a grant in tranches.

Approvals lock the round's row and payments the application's, so concurrent clerks queue and the money adds up.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from champions.core import audit
from champions.core.db import now_utc
from champions.extensions import db
from champions.grants.models import Application, Payment, Round, Status
from champions.grants.services.lifecycle import GrantError, awarded_total, can_move, move, pounds
from champions.grants.tasks import decision_email

REPORT_DUE_AFTER_END = timedelta(days=28)


def approve(application_id: int, award_pence: int, conditions: str | None, by_user_id: int | None) -> Application:
    """Award a grant. The round row is locked first, so concurrent approvals queue and the budget holds.

    On PostgreSQL SELECT ... FOR UPDATE serialises approvals in the same round; on SQLite
    the immediate transaction already holds the database's write lock.
    """
    application = db.session.get(Application, application_id)
    if application is None:
        raise GrantError("This application no longer exists")
    round_ = db.session.execute(select(Round).where(Round.id == application.round_id).with_for_update()).scalar_one()
    db.session.refresh(application)
    if not can_move(application, Status.APPROVED):
        raise GrantError(f"An application that is {application.status_label.lower()} cannot be approved")
    remaining = round_.budget_pence - awarded_total(round_.id)
    _check_award(application, round_, award_pence, remaining)
    application.award_pence = award_pence
    application.conditions = (conditions or "").strip() or None
    application.decided_at = now_utc()
    application.decided_by_id = by_user_id
    if application.end_on:
        application.report_due_on = application.end_on + REPORT_DUE_AFTER_END
    move(application, Status.APPROVED, award_pence=award_pence, remaining_before_pence=remaining)
    decision_email.queue(application.id)
    return application


def _check_award(application: Application, round_: Round, award_pence: int, remaining: int) -> None:
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
    if award_pence > remaining:
        raise GrantError(
            f"This award of {pounds(award_pence)} is more than the {pounds(remaining)} left in the round's budget",
            "award",
        )


def decline(application: Application, reason: str, by_user_id: int | None) -> None:
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


def add_payment(
    application_id: int, amount_pence: int, due_on: date, paid_on: date | None, reference: str | None
) -> Payment:
    """Record a tranche. Tranches never add up to more than the award (the application row is locked)."""
    application = db.session.scalar(select(Application).where(Application.id == application_id).with_for_update())
    if (
        application is None
        or application.award_pence is None
        or Status(application.status) not in (Status.APPROVED, Status.PAID_PART)
    ):
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
    award, paid = application.award_pence, application.paid_pence
    if award is None:  # approve sets the award before any payment can be recorded
        raise GrantError("This grant has no award to pay")
    if paid >= award and application.status != Status.PAID_FULL:
        move(application, Status.PAID_FULL)
    elif 0 < paid < award and application.status == Status.APPROVED:
        move(application, Status.PAID_PART)
