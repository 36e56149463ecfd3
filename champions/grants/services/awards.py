"""Awards: approving within the round's budget, declining, closing, and paying a grant in tranches.

Approvals lock the round's row and payments the application's, so concurrent clerks queue and the money adds up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from champions.core import audit
from champions.core.db import now_utc
from champions.extensions import db
from champions.grants.models import Application, Payment, Round, Status
from champions.grants.services.lifecycle import GrantError, awarded_total, can_move, move, pounds, reason_given
from champions.grants.tasks import decision_email

REPORT_DUE_AFTER_END = timedelta(days=28)


def approve(
    application_id: int,
    award_pence: int,
    conditions: str | None,
    by_user_id: int | None,
    few_reviews_reason: str | None = None,
) -> Application:
    """Award a grant, or, above the round's second-approval threshold, propose it for a second member of staff.

    The round row is locked first, so concurrent approvals queue and the budget holds. On PostgreSQL
    SELECT ... FOR UPDATE serialises approvals in the same round; on SQLite the immediate transaction
    already holds the database's write lock. An application with fewer reviews than the round asks for
    (reviews from a declared conflict never count) needs ``few_reviews_reason``.
    """
    application, round_ = _in_locked_round(application_id)
    if application.status == Status.AWAITING_APPROVAL:
        raise GrantError("This award has already been approved once and is awaiting a second approval")
    if not can_move(application, Status.APPROVED):
        raise GrantError(f"An application that is {application.status_label.lower()} cannot be approved")
    remaining = round_.budget_pence - awarded_total(round_.id)
    _check_award(application, round_, award_pence, remaining)
    have, need = counted_reviews(application), round_.reviewers_per_application
    reason = (few_reviews_reason or "").strip() or None
    if have < need and reason is None:
        raise GrantError(
            f"This application has {have} of the {need} reviews the round asks for: "
            "give the reason for approving it now",
            "few_reviews_reason",
        )
    application.few_reviews_reason = reason if have < need else None
    application.conditions = (conditions or "").strip() or None
    reviews: dict[str, Any] = {"reviews": have, "reviews_needed": need}
    if needs_second_approval(round_, award_pence):
        application.proposed_award_pence = award_pence
        application.first_approved_by_id = by_user_id
        application.first_approved_at = now_utc()
        move(application, Status.AWAITING_APPROVAL, application.few_reviews_reason, award_pence=award_pence, **reviews)
        return application
    _award(
        application,
        award_pence,
        by_user_id,
        application.few_reviews_reason,
        remaining_before_pence=remaining,
        **reviews,
    )
    return application


def needs_second_approval(round_: Round, award_pence: int) -> bool:
    return round_.second_approval_above_pence is not None and award_pence > round_.second_approval_above_pence


def counted_reviews(application: Application) -> int:
    """Submitted reviews that count: one whose reviewer declared a conflict of interest never does."""
    return sum(1 for a in application.assignments if a.submitted_at is not None and not a.conflict)


def confirm_approval(application_id: int, by_user_id: int) -> Application:
    """The second approval of an award above the threshold, by someone other than the first approver.

    Only now does the award count against the budget (checked again, under the round's lock), the decision
    email go and payments become possible.
    """
    application, round_ = _in_locked_round(application_id)
    if application.status != Status.AWAITING_APPROVAL:
        raise GrantError(f"An application that is {application.status_label.lower()} is not awaiting a second approval")
    if application.first_approved_by_id is None:
        raise GrantError("Nobody is recorded as giving the first approval: send it back and approve it again")
    if by_user_id == application.first_approved_by_id:
        raise GrantError("You gave the first approval, so a different member of staff must give the second")
    award_pence = application.proposed_award_pence or 0
    remaining = round_.budget_pence - awarded_total(round_.id)
    _check_award(application, round_, award_pence, remaining)
    _award(application, award_pence, by_user_id, remaining_before_pence=remaining, second_approval=True)
    return application


def send_back(application_id: int, reason: str, by_user_id: int | None) -> Application:
    """Refuse the second approval: the application goes back to review, its proposed award forgotten."""
    application, _ = _in_locked_round(application_id)
    if application.status != Status.AWAITING_APPROVAL:
        raise GrantError(f"An application that is {application.status_label.lower()} is not awaiting a second approval")
    reason = reason_given(reason, "Give the reason for sending it back")
    proposed = application.proposed_award_pence
    application.proposed_award_pence = application.first_approved_by_id = application.first_approved_at = None
    application.few_reviews_reason = application.conditions = None
    move(application, Status.UNDER_REVIEW, reason=reason, sent_back=True, award_pence=proposed)
    return application


def _in_locked_round(application_id: int) -> tuple[Application, Round]:
    """The application, read again after locking its round's row (approvals in one round queue behind it)."""
    application = db.session.get(Application, application_id)
    if application is None:
        raise GrantError("This application no longer exists")
    round_ = db.session.execute(select(Round).where(Round.id == application.round_id).with_for_update()).scalar_one()
    db.session.refresh(application)
    return application, round_


def _award(
    application: Application, award_pence: int, by_user_id: int | None, reason: str | None = None, **details: Any
) -> None:
    """The award stands: it counts against the budget, the group is emailed, and it may be paid."""
    application.award_pence = award_pence
    application.proposed_award_pence = None
    application.decided_at = now_utc()
    application.decided_by_id = by_user_id
    if application.end_on:
        application.report_due_on = application.end_on + REPORT_DUE_AFTER_END
    move(application, Status.APPROVED, reason, award_pence=award_pence, **details)
    decision_email.queue(application.id)


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
    """Close an application. A grant closes once its report is approved or waived and no tranche is still due."""
    if application.award_pence is not None and can_move(application, Status.CLOSED):
        if not application.report_settled:
            raise GrantError("A grant can be closed once its end-of-grant report is approved or waived")
        if any(p.state == "due" for p in application.payments):
            raise GrantError("A grant can be closed once every tranche is paid or voided")
    move(application, Status.CLOSED, reason=reason)


# Tranches can be recorded while money of the award is left to plan: before the report and after it (a final
# tranche planned once the report is in).
PAYABLE = frozenset({Status.APPROVED, Status.PAID_PART, Status.PAID_FULL, Status.REPORTED})
# The statuses that say how much has been paid; a void or a correction may move a grant back among them.
MONEY_STATUSES = (Status.APPROVED, Status.PAID_PART, Status.PAID_FULL)
WAITING = "This tranche waits on the end-of-grant report: it can be paid once the report is approved or waived"


def _locked(application_id: int) -> Application | None:
    """The grant, its row locked, so two clerks changing its tranches at once queue and the sums hold."""
    return db.session.scalar(select(Application).where(Application.id == application_id).with_for_update())


def add_payment(
    application_id: int,
    amount_pence: int,
    due_on: date,
    paid_on: date | None,
    reference: str | None,
    waits_on_report: bool = False,
) -> Payment:
    """Record a tranche. Tranches never add up to more than the award (the application row is locked)."""
    application = _locked(application_id)
    if application is None or application.award_pence is None or Status(application.status) not in PAYABLE:
        raise GrantError("Payments can only be recorded for an approved grant that is not yet paid in full")
    _check_amount(application, amount_pence, 0)
    if waits_on_report and not application.report_settled:
        if paid_on is not None:
            raise GrantError(WAITING, "paid_on")
        if not any(p.state != "void" and not p.waits_on_report for p in application.payments):
            raise GrantError(
                "The first tranche cannot wait on the report: the group reports once some of the grant is paid. "
                "Record a tranche that does not wait first",
                "waits_on_report",
            )
    payment = Payment(
        amount_pence=amount_pence,
        due_on=due_on,
        paid_on=paid_on,
        reference=reference or None,
        waits_on_report=waits_on_report,
        history=[],
    )
    application.payments.append(payment)
    db.session.flush()
    audit.record(
        "grant.payment_added",
        application,
        payment_id=payment.id,
        amount_pence=amount_pence,
        paid=paid_on is not None,
        waits_on_report=waits_on_report,
    )
    _update_paid_status(application)
    return payment


def _check_amount(application: Application, amount_pence: int, replacing_pence: int) -> None:
    """A tranche of ``amount_pence`` (in place of one of ``replacing_pence``) fits in what is left of the award."""
    if amount_pence <= 0:
        raise GrantError("Enter the amount of the payment, more than £0", "amount")
    left = (application.award_pence or 0) - application.scheduled_pence + replacing_pence
    if amount_pence > left:
        raise GrantError(
            f"This payment of {pounds(amount_pence)} is more than the {pounds(left)} of the award "
            "not yet paid or scheduled",
            "amount",
        )


def _open_tranche(payment: Payment) -> Application:
    """Lock the tranche's grant and read the tranche afresh; a voided tranche cannot change any more."""
    application = _locked(payment.application_id)
    if application is None:
        raise GrantError("This grant no longer exists")
    db.session.refresh(payment)
    if payment.voided_at is not None:
        raise GrantError("This tranche has been voided: it cannot be paid or changed")
    return application


def mark_paid(payment: Payment, paid_on: date, reference: str | None) -> None:
    application = _open_tranche(payment)
    if payment.paid_on is not None:
        raise GrantError("This payment is already marked as paid")
    if payment.waits_on_report and not application.report_settled:
        raise GrantError(WAITING, "paid_on")
    payment.paid_on = paid_on
    payment.reference = reference or payment.reference
    audit.record("grant.payment_paid", application, payment_id=payment.id)
    db.session.flush()
    _update_paid_status(application)


def _history(payment: Payment, change: str, reason: str, before: dict, after: dict) -> None:
    entry = {"at": now_utc().isoformat(), "change": change, "reason": reason, "before": before, "after": after}
    payment.history = [*(payment.history or []), entry]  # a new list, so the JSON column is saved


def void_payment(payment: Payment, reason: str | None) -> None:
    """Void a tranche: it stays, counts for nothing, and says why. A paid one is voided only as a correction
    (money returned, a payment recorded twice), and the reason says so."""
    reason = reason_given(reason, "Give the reason for voiding this tranche")
    application = _open_tranche(payment)
    was = "paid" if payment.paid_on is not None else "due"
    payment.voided_at = now_utc()
    payment.void_reason = reason
    _history(payment, "voided", reason, {"state": was}, {"state": "void"})
    audit.record(
        "grant.payment_voided",
        application,
        payment_id=payment.id,
        amount_pence=payment.amount_pence,
        was=was,
        reason=reason,
    )
    db.session.flush()
    _update_paid_status(application)


@dataclass
class Correction:
    amount_pence: int
    due_on: date
    reference: str | None
    reason: str | None


def _values(payment: Payment) -> dict[str, object]:
    return {"amount_pence": payment.amount_pence, "due_on": payment.due_on.isoformat(), "reference": payment.reference}


def correct_payment(payment: Payment, correction: Correction) -> list[str]:
    """Correct a tranche's amount, due date or reference with a reason; the old values stay in its history.
    Returns the names of the fields changed."""
    reason = reason_given(correction.reason, "Give the reason for the correction")
    application = _open_tranche(payment)
    before = _values(payment)
    after = {
        "amount_pence": correction.amount_pence,
        "due_on": correction.due_on.isoformat(),
        "reference": (correction.reference or "").strip() or None,
    }
    changed = [name for name in before if before[name] != after[name]]
    if not changed:
        return []
    _check_amount(application, correction.amount_pence, payment.amount_pence)
    payment.amount_pence, payment.due_on = correction.amount_pence, correction.due_on
    payment.reference = after["reference"]  # type: ignore[assignment]
    _history(payment, "corrected", reason, {k: before[k] for k in changed}, {k: after[k] for k in changed})
    for name in changed:
        audit.record(
            "grant.payment_corrected",
            application,
            payment_id=payment.id,
            field=name,
            before=before[name],
            after=after[name],
            reason=reason,
        )
    db.session.flush()
    _update_paid_status(application)
    return changed


def _update_paid_status(application: Application) -> None:
    """Set paid in part or in full (or back to approved, after a paid tranche is voided) from the tranches paid.
    Once the group has reported, the status stays: what is paid shows on the grant."""
    award, paid = application.award_pence, application.paid_pence
    if award is None:  # approve sets the award before any payment can be recorded
        raise GrantError("This grant has no award to pay")
    if Status(application.status) not in MONEY_STATUSES:
        return
    target = Status.PAID_FULL if paid >= award else Status.PAID_PART if paid > 0 else Status.APPROVED
    if target != application.status:
        move(application, target)


def awaiting_second_approval(round_id: int, limit: int = 20) -> tuple[list[Application], int]:
    """The first ``limit`` of a round's awards awaiting a second approval, oldest first, and how many there are."""
    waiting = (Application.round_id == round_id, Application.status == Status.AWAITING_APPROVAL.value)
    count = db.session.scalar(select(func.count()).select_from(Application).where(*waiting)) or 0
    first = db.session.scalars(
        select(Application)
        .where(*waiting)
        .order_by(Application.first_approved_at, Application.id)
        .limit(limit)
        .options(selectinload(Application.organisation), selectinload(Application.first_approver))
    )
    return list(first), count
