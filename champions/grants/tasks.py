"""Background jobs: confirmation and decision emails, report reminders and funder snapshots.

Confirmation and decision emails are one-off emails (core/pending_email.py), recorded as due when queued. Each
email sets its row's sent-at column once sent, only where it was not set, so a retry or a second beat finds
nothing left to do.
"""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import select, update

from champions.core.clock import today_uk
from champions.core.db import now_utc
from champions.core.email import email_task, external_url, send_once, template_message
from champions.core.locks import job_lock
from champions.core.pending_email import Outgoing, one_off_email
from champions.extensions import db
from champions.grants import log
from champions.grants.dashboard import compute_fund_snapshot
from champions.grants.models import Application, Fund
from champions.grants.services.lifecycle import pounds
from champions.grants.services.reports import reminders_due


def _email(application_id: int, column, template: str) -> Outgoing | None:
    """The email, and the mark of its sent-at column (set only where it was not); None if already sent or gone."""
    due = (Application.id == application_id, column.is_(None))
    application = db.session.scalar(select(Application).where(*due))
    if application is None:
        log.info("grant %s: %s already sent or gone", application_id, template)
        return None
    to = application.email_to
    msg = None
    if to:
        # A report reminder leads straight to the report form; the others to the application.
        page = "grants.report" if template.startswith("grant_report") else "grants.my_application"
        link = external_url(page, application_id=application.id)
        msg = template_message(to, template, application=application, pounds=pounds, link=link)
    return Outgoing(msg, update(Application).where(*due).values({column.key: now_utc()}))


def _send(application_id: int, column, template: str) -> bool:
    """Send the email once, marked sent (set only where it was not) after sending, with no lock held meanwhile."""
    outgoing = _email(application_id, column, template)
    if outgoing is None or outgoing.also is None:
        db.session.rollback()
        return False
    return send_once(outgoing.msg, outgoing.also)


@one_off_email("grant_submitted")
def submitted_email(application_id: int) -> Outgoing | None:
    return _email(application_id, Application.submitted_email_sent_at, "grant_submitted")


@one_off_email("grant_decision")
def decision_email(application_id: int) -> Outgoing | None:
    return _email(application_id, Application.decision_email_sent_at, "grant_decision")


@email_task
def send_report_reminders() -> int:
    """Periodic: remind grantees before and after their report is due, once each."""
    with job_lock("grant_report_reminders") as held:
        if not held:
            return 0
        today = today_uk()
        sent = 0
        for kind, column in (
            ("before", Application.reminder_before_sent_at),
            ("after", Application.reminder_after_sent_at),
        ):
            for application_id in reminders_due(kind, today):
                sent += _send(application_id, column, f"grant_report_{kind}")
        return sent


@shared_task
def compute_funder_snapshot(fund_id: int) -> int | None:
    if db.session.get(Fund, fund_id) is None:
        return None
    snapshot = compute_fund_snapshot(fund_id)
    db.session.commit()
    return snapshot.id


class SnapshotsFailed(RuntimeError):
    """Some funds' dashboards could not be refreshed; the others were."""


@shared_task
def compute_funder_snapshots() -> int:
    """Periodic: one snapshot per fund. Overlapping runs skip.

    One fund's failure must not leave every other funder looking at stale figures: each fund is
    computed and committed on its own, a failure is logged with its traceback, and the run ends
    as a failed task naming the funds that failed.
    """
    with job_lock("grant_funder_snapshots") as held:
        if not held:
            return 0
        fund_ids = list(db.session.scalars(select(Fund.id)))
        failed = [fund_id for fund_id in fund_ids if not _snapshot_one(fund_id)]
        if failed:
            raise SnapshotsFailed(f"funder dashboards not refreshed for funds {failed}")
        return len(fund_ids)


def _snapshot_one(fund_id: int) -> bool:
    try:
        compute_fund_snapshot(fund_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("funder dashboard for fund %s failed: its funders see the previous figures", fund_id)
        return False
    return True
