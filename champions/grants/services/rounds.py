"""Funds and rounds: who funds what, a round's rules and panel, when it is open, and its applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import as_utc, now_utc
from champions.core.models import Borough
from champions.extensions import db
from champions.grants.models import Application, Criterion, Fund, Round, Status
from champions.grants.services.lifecycle import GrantError, pounds

EXPORT_HEADER = ["Id", "Group", "Title", "Status", "Theme", "Boroughs", "Requested", "Awarded", "Paid", "Report due"]


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


def close_round(round_: Round) -> None:
    round_.closed_at = now_utc()
    audit.record("grant.round_closed", round_)
    db.session.flush()


def round_applications(round_id: int, status: str | None) -> Select[Application]:
    """A round's applications with what its list shows; only those of ``status`` when it names one."""
    query = (
        select(Application)
        .where(Application.round_id == round_id)
        .options(
            selectinload(Application.organisation),
            selectinload(Application.boroughs),
            selectinload(Application.payments),
        )
    )
    if status in {s.value for s in Status}:
        query = query.where(Application.status == status)
    return query


def export_round(round_: Round, status: str | None) -> list[list]:
    """The rows of a round's spreadsheet (under ``EXPORT_HEADER``); the export is audited."""
    apps = db.session.scalars(round_applications(round_.id, status).order_by(Application.id))
    rows = [
        [
            a.id,
            a.organisation.name,
            a.title,
            a.status_label,
            a.theme or "",
            "; ".join(b.name for b in a.boroughs),
            pounds(a.amount_requested_pence),
            pounds(a.award_pence),
            pounds(a.paid_pence),
            a.report_due_on.isoformat() if a.report_due_on else "",
        ]
        for a in apps
    ]
    audit.record("grant.round_exported", round_)
    return rows
