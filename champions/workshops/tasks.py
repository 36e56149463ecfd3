from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TypeGuard

from sqlalchemy import select, update

from champions.core.clock import uk_day_start
from champions.core.db import now_utc
from champions.core.email import email_task, external_url, send_once, template_message
from champions.core.locks import job_lock
from champions.core.pending_email import Outgoing, one_off_email
from champions.core.templating import UK
from champions.extensions import db
from champions.profiles.models import Champion, Stage
from champions.workshops import log
from champions.workshops.models import SIGNED_UP, SignupStatus, Workshop, WorkshopChange, WorkshopSignup


def reminders_due(today: date) -> list[int]:
    """Booked places (not cancelled, not waiting) at workshops that start tomorrow, UK time, not yet reminded, of
    champions who have not withdrawn (we do not contact them; a champion who rejoins in time is reminded)."""
    tomorrow = today + timedelta(days=1)
    query = (
        select(WorkshopSignup.id)
        .join(Workshop)
        .join(Champion, Champion.id == WorkshopSignup.champion_id)
        .where(
            Champion.stage != Stage.WITHDRAWN.value,
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
                # Nothing was marked: the others still go, then the task retries this one.
                db.session.rollback()
                log.exception("workshop reminder for sign-up %s failed; will retry", signup_id)
                failed = failed or error
        log.info("workshop reminders sent: %s", sent)
    if failed is not None:
        raise failed  # the email retry policy runs the task again; what was sent is marked and not sent again
    return sent


def send_one_reminder(signup_id: int, now: datetime) -> int:
    # Sent once: the mark is conditional on it being still unmarked, so a second run (beat firing twice)
    # marks nothing; send_once keeps the database free while the mail server is spoken to.
    due = (
        WorkshopSignup.id == signup_id,
        WorkshopSignup.reminder_sent_at.is_(None),
        WorkshopSignup.status == SignupStatus.BOOKED.value,
    )
    signup = db.session.scalar(select(WorkshopSignup).where(*due))
    if signup is None:
        db.session.rollback()
        return 0
    msg = _workshop_message(signup, "workshop_reminder")
    return int(send_once(msg, update(WorkshopSignup).where(*due).values(reminder_sent_at=now)))


@one_off_email("workshop_place")
def place_email(signup_id: int) -> Outgoing | None:
    """Tell a champion they moved up from the waiting list; once, and only if they still have the place."""
    due = (
        WorkshopSignup.id == signup_id,
        WorkshopSignup.status == SignupStatus.BOOKED.value,
        WorkshopSignup.promoted_at.is_not(None),
        WorkshopSignup.promotion_email_sent_at.is_(None),
    )
    signup = db.session.scalar(select(WorkshopSignup).where(*due))
    if signup is None or signup.workshop.cancelled_at is not None or signup.champion.withdrawn:
        return None  # a withdrawn champion keeps the place they were given, but is not contacted about it
    msg = _workshop_message(signup, "workshop_place")
    return Outgoing(msg, update(WorkshopSignup).where(*due).values(promotion_email_sent_at=now_utc()))


def _still_signed_up(signup: WorkshopSignup | None) -> TypeGuard[WorkshopSignup]:
    """Booked or waiting, and not withdrawn: the people told of a change (the rule of the place email above)."""
    return signup is not None and signup.status in SIGNED_UP and not signup.champion.withdrawn


def _workshop_message(signup: WorkshopSignup, template: str, **context: object):
    """A workshop email to the champion signed up, with the links to the workshop's page and its calendar event."""
    context.update(
        champion=signup.champion,
        workshop=signup.workshop,
        signup=signup,
        workshop_url=external_url("workshops.champion_workshop", workshop_id=signup.workshop_id),
        ics_url=external_url("workshops.workshop_ics", workshop_id=signup.workshop_id),
    )
    return template_message(signup.champion.user.email, template, account_id=None, **context)


@one_off_email("workshop_cancelled")
def cancelled_email(signup_id: int) -> Outgoing | None:
    """Tell someone booked or waiting that the workshop is cancelled (queued once each, when it is cancelled)."""
    signup = db.session.get(WorkshopSignup, signup_id)
    if not _still_signed_up(signup) or signup.workshop.cancelled_at is None:
        return None
    others = external_url("workshops.champion_workshops")  # the list of workshops to book, not the cancelled one
    return Outgoing(_workshop_message(signup, "workshop_cancelled", workshops_url=others))


@one_off_email("workshop_moved")
def moved_email(change_id: int, signup_id: int) -> Outgoing | None:
    """Tell someone booked or waiting that the workshop's time or place changed, from what to what (once a change)."""
    change, signup = db.session.get(WorkshopChange, change_id), db.session.get(WorkshopSignup, signup_id)
    if change is None or not _still_signed_up(signup) or signup.workshop_id != change.workshop_id:
        return None
    if signup.workshop.cancelled_at is not None:
        return None  # the cancellation email says all that matters now
    moved = change.old_place != change.new_place
    retimed = (change.old_starts_at, change.old_ends_at) != (change.new_starts_at, change.new_ends_at)
    what = "time and place" if moved and retimed else "place" if moved else "time"
    return Outgoing(_workshop_message(signup, "workshop_moved", change=change, what=what))
