"""The audit log page: who did what to which record, and when, with filters and a CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import Select, select

from champions.accounts import bp
from champions.accounts.audit_log import CSV_HEADER, export_rows
from champions.accounts.models import User
from champions.core.downloads import csv_response
from champions.core.forms import db_id, parse_day, search_text
from champions.core.models import AuditEvent
from champions.extensions import db


def _date(name: str, errors: dict[str, str]) -> date | None:
    try:
        return parse_day(request.args.get(name))
    except ValueError:
        errors[name] = "Enter a real date, like 2025-01-31"
        return None


def _filtered(errors: dict[str, str]) -> tuple[Select, dict[str, str]]:
    args = {k: search_text(request.args.get(k)) for k in ("who", "action", "target_type", "target_id", "start", "end")}
    query = select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
    if args["who"]:
        query = query.where(User.email.contains(args["who"].lower()))
    if args["action"]:
        query = query.where(AuditEvent.action.startswith(args["action"]))
    if args["target_type"]:
        query = query.where(AuditEvent.target_type == args["target_type"])
    if args["target_id"]:
        query = query.where(AuditEvent.target_id == args["target_id"])
    if start := _date("start", errors):
        query = query.where(AuditEvent.at >= datetime.combine(start, time.min, tzinfo=UTC))
    if end := _date("end", errors):
        query = query.where(AuditEvent.at < datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC))
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
