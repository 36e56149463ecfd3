from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from champions.core.db import now_utc
from champions.core.email import email_task, external_url, send_template
from champions.core.locks import job_lock
from champions.core.templating import UK
from champions.extensions import db
from champions.workshops import log
from champions.workshops.figures import uk_day_start
from champions.workshops.models import SignupStatus, Workshop, WorkshopSignup


def reminders_due(today: date) -> list[int]:
    """Booked places (not cancelled, not waiting) at workshops that start tomorrow, UK time, not yet reminded."""
    tomorrow = today + timedelta(days=1)
    query = (
        select(WorkshopSignup.id)
        .join(Workshop)
        .where(
            WorkshopSignup.status == SignupStatus.BOOKED.value,
            WorkshopSignup.reminder_sent_at.is_(None),
            Workshop.cancelled_at.is_(None),
            Workshop.starts_at >= uk_day_start(tomorrow),
            Workshop.starts_at < uk_day_start(tomorrow + timedelta(days=1)),
        )
        .order_by(WorkshopSignup.id)
    )
    return list(db.session.scalars(query))


@email_task
def send_workshop_reminders(now_iso: str | None = None) -> int:
    """Periodic: email each attendee the day before their workshop, once. Overlapping runs skip."""
    now = datetime.fromisoformat(now_iso) if now_iso else now_utc()
    with job_lock("send_workshop_reminders") as held:
        if not held:
            log.info("workshop reminders already running; skipping")
            return 0
        sent, failed = 0, None
        for signup_id in reminders_due(now.astimezone(UK).date()):
            try:
                sent += send_one_reminder(signup_id, now)
            except Exception as error:
                # Nothing was marked (the claim rolls back): the others still go, then the task retries this one.
                db.session.rollback()
                log.exception("workshop reminder for sign-up %s failed; will retry", signup_id)
                failed = failed or error
        log.info("workshop reminders sent: %s", sent)
    if failed is not None:
        raise failed  # the email retry policy runs the task again; what was sent is marked and not sent again
    return sent


def send_one_reminder(signup_id: int, now: datetime) -> int:
    # Claim the row and send in one transaction: the outbox row and the mark commit together, and a
    # second run (beat firing twice) finds the row already claimed.
    claimed = db.session.execute(
        update(WorkshopSignup)
        .where(
            WorkshopSignup.id == signup_id,
            WorkshopSignup.reminder_sent_at.is_(None),
            WorkshopSignup.status == SignupStatus.BOOKED.value,
        )
        .values(reminder_sent_at=now)
    ).rowcount
    signup = db.session.get(WorkshopSignup, signup_id)
    if not claimed or signup is None:
        db.session.rollback()
        return 0
    workshop, champion = signup.workshop, signup.champion
    send_template(
        champion.user.email,
        "workshop_reminder",
        champion=champion,
        workshop=workshop,
        workshop_url=external_url("workshops.champion_workshop", workshop_id=workshop.id),
        ics_url=external_url("workshops.workshop_ics", workshop_id=workshop.id),
    )
    db.session.commit()
    return 1


@email_task
def send_place_from_waiting_list(signup_id: int) -> int:
    """Tell a champion they moved up from the waiting list; once, and only if they still have the place."""
    claimed = db.session.execute(
        update(WorkshopSignup)
        .where(
            WorkshopSignup.id == signup_id,
            WorkshopSignup.status == SignupStatus.BOOKED.value,
            WorkshopSignup.promoted_at.is_not(None),
            WorkshopSignup.promotion_email_sent_at.is_(None),
        )
        .values(promotion_email_sent_at=now_utc())
    ).rowcount
    signup = db.session.get(WorkshopSignup, signup_id)
    if not claimed or signup is None or signup.workshop.cancelled_at is not None:
        db.session.rollback()
        return 0
    send_template(
        signup.champion.user.email,
        "workshop_place",
        champion=signup.champion,
        workshop=signup.workshop,
        workshop_url=external_url("workshops.champion_workshop", workshop_id=signup.workshop_id),
        ics_url=external_url("workshops.workshop_ics", workshop_id=signup.workshop_id),
    )
    db.session.commit()
    return 1
