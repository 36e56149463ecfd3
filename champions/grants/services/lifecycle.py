"""The lifecycle of an application: which status may follow which, every change audited, and what counts as awarded.

Also the rule error every grants service raises, and money written as pounds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from champions.core import audit
from champions.extensions import db
from champions.grants.models import Application, Status

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
