"""End-of-grant reports: what the group spent and achieved, and which grants are owed a reminder to report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, false, or_, select

from champions.activities.models import OutcomeKind
from champions.core import audit
from champions.core.db import now_utc
from champions.core.email import external_url, template_message
from champions.core.features import values_from
from champions.core.pending_email import Outgoing, one_off_email
from champions.extensions import db
from champions.grants import signals
from champions.grants.models import Application, GrantReport, GrantReportOutcome, ReportStatus, Status
from champions.grants.services.lifecycle import REPORTABLE, GrantError, move, reason_given

REMIND_BEFORE = timedelta(days=14)
REMIND_AFTER = timedelta(days=7)
WAIVABLE = frozenset({Status.APPROVED, Status.PAID_PART, Status.PAID_FULL, Status.REPORTED})


@dataclass
class ReportData:
    spent: dict[int, int]
    people_reached: int
    champions_recruited: int
    activities: str
    outcomes: str
    story: str
    story_public_consent: bool
    # By kind of outcome (activities.OutcomeKind code): (signposted, said they would act, did act or None).
    outcome_counts: dict[str, tuple[int, int, int | None]] = field(default_factory=dict)


def can_report(application: Application) -> bool:
    """The group may send its report: once paid (in part or in full), and again when staff sent it back."""
    if application.report_status == ReportStatus.RETURNED:
        return True
    return Status(application.status) in REPORTABLE and application.report is None


def submit_report(application: Application, data: ReportData) -> GrantReport:
    if not can_report(application):
        raise GrantError("An end-of-grant report can be sent once the grant has been paid")
    for line in application.budget_lines:
        if line.id not in data.spent:
            raise GrantError(f"Enter what you spent on '{line.description}'", f"spent_{line.id}")
    _check_outcomes(data, {kind.code for kind in report_outcome_kinds(application)})
    for line in application.budget_lines:
        line.spent_pence = data.spent[line.id]
    again = application.report is not None
    report = application.report or GrantReport()
    report.people_reached = data.people_reached
    report.champions_recruited = data.champions_recruited
    report.activities = data.activities.strip()
    report.outcomes = data.outcomes.strip()
    report.story = (data.story or "").strip()
    report.story_public_consent = data.story_public_consent
    report.submitted_at = now_utc()
    _set_outcomes(report, data.outcome_counts)
    application.report = report
    application.report_status = ReportStatus.SUBMITTED.value
    db.session.flush()
    if again:
        audit.record("grant.report_resubmitted", application)
    else:
        move(application, Status.REPORTED)
    return report


def report_outcome_kinds(application: Application) -> list[OutcomeKind]:
    """The kinds of outcome a report offers: those in use, and any retired since the group reported against it."""
    reported = [row.outcome_code for row in application.report.outcome_counts] if application.report else []
    return list(
        db.session.scalars(
            select(OutcomeKind)
            .where(or_(OutcomeKind.retired_at.is_(None), OutcomeKind.code.in_(reported)))
            .order_by(OutcomeKind.position, OutcomeKind.name)
        )
    )


def _check_outcomes(data: ReportData, offered: set[str]) -> None:
    """The form says all this by the field first; here so that no other caller can store impossible counts, or a
    kind of outcome the report does not offer (retired, or never one)."""
    for code, (signposted, said, did) in data.outcome_counts.items():
        if code not in offered:
            raise GrantError("A service you ticked is no longer on the list", "outcome")
        if not 1 <= signposted <= data.people_reached:
            raise GrantError("People signposted must be from 1 to the people reached", f"signposted-{code}")
        if not 0 <= said <= signposted:
            raise GrantError("Those who said they would act cannot be more than those signposted", f"said-{code}")
        if did is not None and not 0 <= did <= said:
            raise GrantError("Those who did act cannot be more than those who said they would", f"did-{code}")


def _set_outcomes(report: GrantReport, counts: dict[str, tuple[int, int, int | None]]) -> None:
    """The report's outcomes become ``counts``: rows kept for the same kind are changed in place (a kind removed and
    added back in one flush would meet the unique key before the delete)."""
    kept = {row.outcome_code: row for row in report.outcome_counts}
    report.outcome_counts = [kept.get(code) or GrantReportOutcome(outcome_code=code) for code in counts]
    for row in report.outcome_counts:
        row.signposted, row.said_would_act, row.did_act = counts[row.outcome_code]


DECISION_ACTIONS = {
    ReportStatus.APPROVED: "grant.report_approved",
    ReportStatus.RETURNED: "grant.report_returned",
    ReportStatus.WAIVED: "grant.report_waived",
}


def _decide(application: Application, to: ReportStatus, reason: str | None) -> None:
    application.report_status = to.value
    application.report_reason = reason
    application.report_decided_at = now_utc()
    audit.record(DECISION_ACTIONS[to], application, reason=reason)
    db.session.flush()


def _sent(application: Application) -> None:
    if application.report_status != ReportStatus.SUBMITTED:
        raise GrantError("There is no report from the group waiting for a decision")


def approve_report(application: Application) -> None:
    _sent(application)
    _decide(application, ReportStatus.APPROVED, None)


def return_report(application: Application, reason: str | None) -> None:
    """Send the report back: the group sees the reason on their application, is emailed it, and can send it again."""
    reason = reason_given(reason, "Say what the group needs to change in its report")
    _sent(application)
    _decide(application, ReportStatus.RETURNED, reason)
    report_returned_email.queue(application.id)


@one_off_email("grant_report_returned")
def report_returned_email(application_id: int) -> Outgoing | None:
    """The reason a report was sent back, to the group's contact; nothing once the report has been sent again."""
    application = db.session.get(Application, application_id)
    if application is None or application.report_status != ReportStatus.RETURNED.value:
        return None
    to = application.email_to
    if not to:
        return Outgoing(None)
    link = external_url("grants.report", application_id=application.id)
    reason = application.report_reason
    return Outgoing(template_message(to, "grant_report_returned", application=application, reason=reason, link=link))


def waive_report(application: Application, reason: str | None) -> None:
    """No report needed: tranches waiting on it may be paid and the grant closed."""
    reason = reason_given(reason, "Give the reason for waiving the report")
    if application.award_pence is None or Status(application.status) not in WAIVABLE:
        raise GrantError("Only the report of an approved grant can be waived")
    if application.report_status == ReportStatus.SUBMITTED:
        raise GrantError("The group has sent its report: approve it or send it back")
    if application.report_settled:
        raise GrantError("The report has already been approved or waived")
    _decide(application, ReportStatus.WAIVED, reason)


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
