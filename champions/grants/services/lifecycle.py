"""The lifecycle of an application: which status may follow which, every change audited, and what counts as awarded.

Also the rule error every grants service raises, and money written as pounds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from champions.core import audit
from champions.extensions import db
from champions.grants.models import Application, Payment, Status

# Every change of status an application may make. Anything else is refused.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED}),
    Status.SUBMITTED: frozenset({Status.ELIGIBLE, Status.INELIGIBLE}),
    Status.ELIGIBLE: frozenset({Status.UNDER_REVIEW, Status.INELIGIBLE}),
    Status.INELIGIBLE: frozenset({Status.ELIGIBLE, Status.CLOSED}),
    Status.UNDER_REVIEW: frozenset({Status.APPROVED, Status.AWAITING_APPROVAL, Status.DECLINED}),
    # An award above the round's threshold: a second member of staff confirms it, or sends it back to review.
    Status.AWAITING_APPROVAL: frozenset({Status.APPROVED, Status.UNDER_REVIEW}),
    # Back to less paid only when staff void or correct a paid tranche (money returned, a wrong amount);
    # closed without a report only when staff waived it.
    Status.APPROVED: frozenset({Status.PAID_PART, Status.PAID_FULL}),
    Status.PAID_PART: frozenset({Status.PAID_FULL, Status.REPORTED, Status.APPROVED, Status.CLOSED}),
    Status.PAID_FULL: frozenset({Status.REPORTED, Status.PAID_PART, Status.APPROVED, Status.CLOSED}),
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
# A tranche counts as paid when it was paid and has not been voided since (Application.paid_pence, in SQL).
PAID_TRANCHE = and_(Payment.paid_on.is_not(None), Payment.voided_at.is_(None))


class GrantError(Exception):
    """A rule refused the change; the message is shown to the user as it is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def pounds(pence: int | None) -> str:
    """£1,300 or £1,300.50: whole pounds without pence."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}" + (f".{part:02d}" if part else "")


def can_move(application: Application, to: Status) -> bool:
    return to in TRANSITIONS[Status(application.status)]


def move(application: Application, to: Status, reason: str | None = None, **details: Any) -> None:
    """Change the status if the transition table allows it; audit every change."""
    current = Status(application.status)
    if to not in TRANSITIONS[current]:
        raise GrantError(f"An application that is {current.label.lower()} cannot become {to.label.lower()}")
    application.status = to.value
    audit.record("grant.status", application, from_status=current.value, to_status=to.value, reason=reason, **details)
    db.session.flush()


def awarded_total(round_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(Application.award_pence), 0)).where(Application.round_id == round_id, AWARDED)
    )


REASON_LENGTH = 2000


def reason_given(text: str | None, missing: str, field: str = "reason") -> str:
    """A reason staff typed for a change, trimmed; the rule's error when it is empty or too long."""
    reason = (text or "").strip()
    if not reason:
        raise GrantError(missing, field)
    if len(reason) > REASON_LENGTH or "\x00" in reason:
        raise GrantError(f"Keep the reason to {REASON_LENGTH:,} characters or fewer, without control characters", field)
    return reason
