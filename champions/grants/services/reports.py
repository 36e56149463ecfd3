"""End-of-grant reports: what the group spent and achieved, and which grants are owed a reminder to report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, false, or_, select

from champions.core.features import values_from
from champions.extensions import db
from champions.grants import signals
from champions.grants.models import Application, GrantReport, Status
from champions.grants.services.lifecycle import REPORTABLE, GrantError, move

REMIND_BEFORE = timedelta(days=14)
REMIND_AFTER = timedelta(days=7)


@dataclass
class ReportData:
    spent: dict[int, int]
    people_reached: int
    champions_recruited: int
    activities: str
    outcomes: str
    story: str
    story_public_consent: bool


def submit_report(application: Application, data: ReportData) -> GrantReport:
    if Status(application.status) not in REPORTABLE:
        raise GrantError("An end-of-grant report can be sent once the grant has been paid")
    for line in application.budget_lines:
        if line.id not in data.spent:
            raise GrantError(f"Enter what you spent on '{line.description}'", f"spent_{line.id}")
    for line in application.budget_lines:
        line.spent_pence = data.spent[line.id]
    report = GrantReport(
        people_reached=data.people_reached,
        champions_recruited=data.champions_recruited,
        activities=data.activities.strip(),
        outcomes=data.outcomes.strip(),
        story=(data.story or "").strip(),
        story_public_consent=data.story_public_consent,
    )
    application.report = report
    db.session.flush()
    move(application, Status.REPORTED)
    return report


def reminders_due(kind: str, today: date) -> list[int]:
    """Ids of grants owed a report reminder of ``kind`` ('before' or 'after' the due date) not yet sent."""
    extra: ColumnElement[bool]
    if kind == "before":
        column, due = Application.reminder_before_sent_at, Application.report_due_on <= today + REMIND_BEFORE
        covered = values_from(signals.report_reminder_covered)  # another feature already reminded them
        extra = (Application.report_due_on >= today) & ~or_(false(), *covered)
    else:
        column, due = Application.reminder_after_sent_at, Application.report_due_on <= today - REMIND_AFTER
        extra = Application.report_due_on.is_not(None)
    return list(
        db.session.scalars(
            select(Application.id).where(
                column.is_(None),
                due,
                extra,
                Application.status.in_([s.value for s in (Status.APPROVED, *REPORTABLE)]),
            )
        )
    )
