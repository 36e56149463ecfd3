"""The audit log page: who did what to which record, and when, with filters and a CSV."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from flask import render_template, request
from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from champions.accounts import bp
from champions.accounts.audit_log import CSV_HEADER, export_rows
from champions.accounts.models import User
from champions.accounts.services import find_user
from champions.accounts.signals import person_by_number, person_records
from champions.core import saved_searches
from champions.core.clock import uk_day_start
from champions.core.downloads import csv_response
from champions.core.features import values_from
from champions.core.forms import db_id, optional_id, parse_day, search_text
from champions.core.models import AuditEvent
from champions.extensions import db


def _date(name: str, errors: dict[str, str]) -> date | None:
    try:
        return parse_day(request.args.get(name))
    except ValueError:
        errors[name] = "Enter a real date, like 2025-01-31"
        return None


def _person(typed: str, errors: dict[str, str]) -> ColumnElement[bool]:
    """The events about one person: their account and their records (a champion record...). ``typed`` is the
    account's email, an account number or a record number another feature knows (a champion number); a message
    next to the field when it names no one."""
    user_id: int | None = None
    if "@" in typed:
        user_id = user.id if (user := find_user(typed)) is not None else None
    elif (number := optional_id(typed)) is not None:
        user_id = next(iter(values_from(person_by_number, number)), None)
    if user_id is None:
        errors["person"] = "Enter the email of someone with an account, or a champion number, like 12"
        return false()
    targets = [("User", str(user_id)), *(t for found in values_from(person_records, user_id) for t in found)]
    return or_(*(and_(AuditEvent.target_type == kind, AuditEvent.target_id == key) for kind, key in targets))


FILTER_KEYS = ("who", "person", "action", "target_type", "target_id", "start", "end")


def _saved_search_problems(args: Mapping[str, str]) -> dict[str, str]:
    """A date the log would refuse (a person it cannot find is said when the search is opened)."""
    problems = {}
    for key in ("start", "end"):
        try:
            parse_day(args.get(key))
        except ValueError:
            problems[key] = "Enter a real date, like 2025-01-31"
    return problems


saved_searches.register(
    saved_searches.SearchList("audit", "Audit log", "accounts.audit_log", FILTER_KEYS, _saved_search_problems)
)


def _filtered(errors: dict[str, str]) -> tuple[Select, dict[str, str]]:
    args = {k: search_text(request.args.get(k)) for k in FILTER_KEYS}
    query = select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
    if args["who"]:
        query = query.where(User.email.contains(args["who"].lower()))
    if args["person"] or (request.args.get("person") or "").strip():  # typed, even if only control characters
        query = query.where(_person(args["person"], errors))
    if args["action"]:
        query = query.where(AuditEvent.action.startswith(args["action"]))
    if args["target_type"]:
        query = query.where(AuditEvent.target_type == args["target_type"])
    if args["target_id"]:
        query = query.where(AuditEvent.target_id == args["target_id"])
    if start := _date("start", errors):
        query = query.where(AuditEvent.at >= uk_day_start(start))  # the log shows UK times
    if end := _date("end", errors):
        query = query.where(AuditEvent.at < uk_day_start(end + timedelta(days=1)))
    return query, {k: v for k, v in args.items() if v}


@bp.get("/admin/audit")
def audit_log():
    errors: dict[str, str] = {}
    query, args = _filtered(errors)
    before = request.args.get("before", type=db_id)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(db.session.execute(query.order_by(AuditEvent.id.desc()).limit(51)))
    more = len(rows) > 50
    rows = rows[:50]
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return render_template(
        "accounts/admin/audit_log.html",
        rows=rows,
        args=args,
        errors=errors,
        next_before=rows[-1][0].id if more else None,
        actions=list(actions),
    ), 400 if errors else 200


@bp.get("/admin/audit.csv")
def audit_log_csv():
    query, args = _filtered({})
    rows = export_rows(query, args)
    db.session.commit()
    return csv_response("audit-log.csv", CSV_HEADER, rows)
