"""Funds and rounds: who funds what, a round's rules and panel, when it is open, and its applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import as_utc, now_utc
from champions.core.models import Borough
from champions.extensions import db
from champions.grants.models import SETTLED_REPORT, Application, Criterion, Fund, Round, Status
from champions.grants.services.lifecycle import AWARDED, GrantError, awarded_total, pounds

EXPORT_HEADER = ["Id", "Group", "Title", "Status", "Theme", "Boroughs", "Requested", "Awarded", "Paid", "Report due"]


def create_fund(name: str, funder_organisation: str) -> Fund:
    fund = Fund(name=name.strip(), funder_organisation=funder_organisation.strip())
    db.session.add(fund)
    db.session.flush()
    audit.record("grant.fund_created", fund)
    return fund


def update_fund(fund: Fund, name: str, funder_organisation: str) -> list[str]:
    """Correct a fund's name or funder organisation; the audit event names the fields that changed (none: nothing
    is recorded)."""
    changed = audit.assign(fund, {"name": name.strip(), "funder_organisation": funder_organisation.strip()})
    if changed:
        audit.record("grant.fund_changed", fund, fields=changed)
        db.session.flush()
    return changed


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
    second_approval_above_pence: int | None = None
    anonymise_reviews: bool = False


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
        second_approval_above_pence=data.second_approval_above_pence,
        anonymise_reviews=data.anonymise_reviews,
    )
    db.session.add(round_)
    round_.boroughs = list(db.session.scalars(select(Borough).where(Borough.code.in_(data.borough_codes))))
    round_.criteria = [Criterion(name=n, weight=w, position=i) for i, (n, w) in enumerate(data.criteria)]
    db.session.flush()
    audit.record(
        "grant.round_created",
        round_,
        budget_pence=data.budget_pence,
        second_approval_above_pence=data.second_approval_above_pence,
        anonymise_reviews=data.anonymise_reviews,
    )
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


def outstanding_reports(round_id: int) -> list[Application]:
    """The round's grants whose end-of-grant report is not yet approved or waived, oldest first."""
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.round_id == round_id, AWARDED)
            .where(or_(Application.report_status.is_(None), Application.report_status.not_in(sorted(SETTLED_REPORT))))
            .order_by(Application.id)
            .options(selectinload(Application.organisation))
        )
    )


def close_round(round_: Round) -> None:
    """Close the round: only once every grant it awarded has its end-of-grant report approved or waived."""
    if round_.closed_at is not None:
        raise GrantError("This round is already closed")
    if outstanding := outstanding_reports(round_.id):
        count = len(outstanding)
        raise GrantError(
            f"{count} grant{'s' if count != 1 else ''} in this round still need{'s' if count == 1 else ''} "
            "an end-of-grant report approved or waived before the round can close"
        )
    round_.closed_at = now_utc()
    audit.record("grant.round_closed", round_)
    db.session.flush()


# ---------------------------------------------------------------------------------------------- editing a round

# What a round's form calls each of its rules, and the rules that decided who could apply and how they are scored:
# once an application has been submitted these stay as they were.
FORM_FIELDS = {
    "name": "name",
    "budget_pence": "budget",
    "min_award_pence": "min_award",
    "max_award_pence": "max_award",
    "themes": "themes",
    "borough_codes": "boroughs",
    "opens_at": "opens_at",
    "closes_at": "closes_at",
    "reviewers_per_application": "reviewers_per_application",
    "criteria": "criteria",
    "second_approval_above_pence": "second_approval_above",
    "anonymise_reviews": "anonymise_reviews",
}
LOCKED_ONCE_SUBMITTED = {
    "min_award_pence": "minimum award",
    "max_award_pence": "maximum award",
    "themes": "themes",
    "borough_codes": "eligible boroughs",
    "opens_at": "opening time",
    "criteria": "scoring criteria",
    "anonymise_reviews": "choice of anonymised reviews",
}


def current_data(round_: Round) -> RoundData:
    """The round's rules as the form would give them."""
    return RoundData(
        name=round_.name,
        budget_pence=round_.budget_pence,
        min_award_pence=round_.min_award_pence,
        max_award_pence=round_.max_award_pence,
        themes=list(round_.themes),
        borough_codes=[b.code for b in round_.boroughs],
        opens_at=as_utc(round_.opens_at),
        closes_at=as_utc(round_.closes_at),
        reviewers_per_application=round_.reviewers_per_application,
        criteria=[(c.name, c.weight) for c in round_.criteria],
        second_approval_above_pence=round_.second_approval_above_pence,
        anonymise_reviews=bool(round_.anonymise_reviews),
    )


def _comparable(name: str, value: Any) -> Any:
    if isinstance(value, datetime):  # to the minute, as the form gives times: stored seconds are no change
        return as_utc(value).replace(second=0, microsecond=0).isoformat()
    if name == "borough_codes":
        return sorted(value)
    if name == "criteria":
        return [[n, w] for n, w in value]
    return value


def round_changes(round_: Round, data: RoundData) -> dict[str, tuple[Any, Any]]:
    """Each rule ``data`` would change: its name, and its value before and after (as the audit log keeps it)."""
    before = current_data(round_)
    changes = {}
    for name in FORM_FIELDS:
        old, new = _comparable(name, getattr(before, name)), _comparable(name, getattr(data, name))
        if old != new:
            changes[name] = (old, new)
    return changes


def last_submission(round_id: int) -> datetime | None:
    """When the round's latest application was submitted; None while none has been."""
    latest = db.session.scalar(
        select(func.max(Application.submitted_at)).where(
            Application.round_id == round_id, Application.submitted_at.is_not(None)
        )
    )
    return as_utc(latest) if latest is not None else None


def edit_problems(round_: Round, data: RoundData) -> dict[str, str]:
    """What stops ``data`` replacing the round's rules, by the form's field names (empty: the edit may go ahead)."""
    if round_.closed_at is not None:
        return {"name": "This round is closed, so it can no longer be changed"}
    changes = round_changes(round_, data)
    problems = {FORM_FIELDS.get(k, k): v for k, v in round_problems(data).items()}
    if "max_award" in problems and "max_award_pence" not in changes:
        problems["budget"] = f"The budget must not be less than the maximum award, {pounds(data.max_award_pence)}"
        del problems["max_award"]
    submitted = last_submission(round_.id)
    if submitted is not None:
        for name in changes.keys() & LOCKED_ONCE_SUBMITTED.keys():
            problems[FORM_FIELDS[name]] = (
                f"The {LOCKED_ONCE_SUBMITTED[name]} cannot change: applications have been submitted under it"
            )
        if "closes_at" in changes and as_utc(data.closes_at) <= max(now_utc(), submitted):
            problems["closes_at"] = (
                "Applications have been submitted, so the closing time must be later than now and than the "
                "last submission. To stop taking applications, close the round instead"
            )
    if "budget_pence" in changes and data.budget_pence < (awarded := awarded_total(round_.id)):
        problems["budget"] = f"The budget must not be less than the {pounds(awarded)} already awarded"
    return problems


def update_round(round_: Round, data: RoundData) -> list[str]:
    """Change a round's rules as far as its applications allow (``edit_problems``); each field changed is audited.
    The round's row is locked first, as approvals lock it, so the budget cannot fall below a concurrent award."""
    db.session.execute(select(Round.id).where(Round.id == round_.id).with_for_update())
    db.session.refresh(round_)
    if problems := edit_problems(round_, data):
        field, message = next(iter(problems.items()))
        raise GrantError(message, field)
    changes = round_changes(round_, data)
    for name in changes:
        if name == "borough_codes":
            round_.boroughs = list(db.session.scalars(select(Borough).where(Borough.code.in_(data.borough_codes))))
        elif name == "criteria":
            round_.criteria = [Criterion(name=n, weight=w, position=i) for i, (n, w) in enumerate(data.criteria)]
        elif name == "name":
            round_.name = data.name.strip()
        else:
            setattr(round_, name, getattr(data, name))
    db.session.flush()
    for name, (old, new) in changes.items():
        audit.record("grant.round_changed", round_, field=FORM_FIELDS[name], before=old, after=new)
    return list(changes)


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
            a.group_display,
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
