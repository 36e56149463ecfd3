"""The payments-due list: every tranche still to pay (not paid, not voided) across rounds, soonest due first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import contains_eager

from champions.core import audit
from champions.core.clock import today_uk
from champions.core.forms import optional_id, parse_day, search_text
from champions.extensions import db
from champions.grants.models import Application, Payment, ReportStatus, Round
from champions.grants.services.lifecycle import pounds

PAGE_SIZE = 50
EXPORT_HEADER = [
    "Due",
    "Overdue",
    "Amount",
    "Waits on report",
    "Report",
    "Grant id",
    "Grant",
    "Group",
    "Round",
    "Fund",
    "Reference",
]


@dataclass
class DueFilters:
    round_id: int | None = None
    fund_id: int | None = None
    due_before: date | None = None
    waiting: bool = False  # only tranches that wait on the end-of-grant report
    error: str | None = None  # a due-before date that could not be read (and is not applied)

    def as_args(self) -> dict[str, str]:
        args = {"round": self.round_id, "fund": self.fund_id, "due_before": self.due_before, "waiting": self.waiting}
        return {k: ("yes" if v is True else str(v)) for k, v in args.items() if v not in (None, False)}


def parse_filters(args) -> DueFilters:
    filters = DueFilters(
        round_id=optional_id(args.get("round")),
        fund_id=optional_id(args.get("fund")),
        waiting=args.get("waiting") == "yes",
    )
    try:
        filters.due_before = parse_day(search_text(args.get("due_before"), 20))
    except ValueError:
        filters.error = "Enter the date as year, month and day, like 2027-03-31"
    return filters


def due_query(f: DueFilters) -> Select[Payment]:
    query = (
        select(Payment)
        .join(Payment.application)
        .join(Application.round)
        .where(Payment.paid_on.is_(None), Payment.voided_at.is_(None))
        .options(
            contains_eager(Payment.application).contains_eager(Application.round).selectinload(Round.fund),
            contains_eager(Payment.application).selectinload(Application.organisation),
        )
    )
    if f.round_id:
        query = query.where(Application.round_id == f.round_id)
    if f.fund_id:
        query = query.where(Round.fund_id == f.fund_id)
    if f.due_before:
        query = query.where(Payment.due_on < f.due_before)
    if f.waiting:
        query = query.where(Payment.waits_on_report.is_(True))
    return query


@dataclass
class DuePage:
    items: list[Payment]
    after: str | None  # "due date~id" of the last row, for the next page's link


def _key(after: str | None) -> tuple[date, int] | None:
    raw, _, raw_id = search_text(after, 40).rpartition("~")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    key_id = optional_id(raw_id)
    return (day, key_id) if key_id is not None else None


def due_page(f: DueFilters, after: str | None, size: int = PAGE_SIZE) -> DuePage:
    """One page after the key ``after``, soonest due first: every page costs what the first does."""
    query = due_query(f)
    if (key := _key(after)) is not None:
        day, last_id = key
        query = query.where(or_(Payment.due_on > day, and_(Payment.due_on == day, Payment.id > last_id)))
    found = list(db.session.scalars(query.order_by(Payment.due_on, Payment.id).limit(size + 1)).unique())
    items = found[:size]
    last = items[-1] if items else None
    return DuePage(items, f"{last.due_on.isoformat()}~{last.id}" if last and len(found) > size else None)


def report_label(application: Application) -> str:
    if application.report_status is None:
        return "Not sent yet"
    return ReportStatus(application.report_status).label


def is_overdue(payment: Payment, today: date | None = None) -> bool:
    return payment.due_on < (today or today_uk())


def export_due(f: DueFilters) -> list[list]:
    today = today_uk()
    rows = []
    for p in db.session.scalars(due_query(f).order_by(Payment.due_on, Payment.id)).unique():
        a = p.application
        rows.append(
            [
                p.due_on.isoformat(),
                "Yes" if is_overdue(p, today) else "No",
                pounds(p.amount_pence),
                "Yes" if p.waits_on_report else "No",
                report_label(a),
                a.id,
                a.title,
                a.group_display,
                a.round.name,
                a.round.fund.name,
                p.reference or "",
            ]
        )
    audit.record("grant.payments_due_exported", None, filters=f.as_args())
    return rows
