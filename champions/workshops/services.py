"""Workshops, places and the waiting list. Services flush; the request commits.

Places are decided with the workshop row locked (SELECT … FOR UPDATE on PostgreSQL; on SQLite every
write transaction already takes the database write lock as it begins), so two champions signing up for
the last place at the same moment cannot both get it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit, merging
from champions.core.db import as_utc, now_utc
from champions.core.features import Section
from champions.extensions import db
from champions.organisations.models import Organisation, OrganisationContact
from champions.organisations.services import champion_with_email
from champions.profiles.models import Champion
from champions.workshops.models import (
    KEEP_BEST_SIGNUP,
    OUTPUT_FIELDS,
    SignupStatus,
    Workshop,
    WorkshopRecruit,
    WorkshopSignup,
    workshop_contacts,
)
from champions.workshops.tasks import place_email


class WorkshopProblem(ValueError):
    """A rule about places or attendance that the request broke; the message is for the user."""


def save_workshop(
    workshop: Workshop, *, facilitator_ids: list[int], starts_at: datetime, ends_at: datetime, **fields: object
) -> Workshop:
    """Create (a new ``Workshop()``) or update a workshop."""
    if ends_at <= starts_at:
        raise WorkshopProblem("The end must be after the start")
    created = workshop.id is None
    for name, value in {"starts_at": starts_at, "ends_at": ends_at, **fields}.items():
        setattr(workshop, name, value)
    workshop.facilitators = list(db.session.scalars(select(User).where(User.id.in_(facilitator_ids))))
    db.session.add(workshop)
    db.session.flush()
    audit.record("workshop.created" if created else "workshop.updated", workshop)
    return workshop


def save_outputs(workshop: Workshop, **outputs: str | None) -> None:
    for name, _ in OUTPUT_FIELDS:
        setattr(workshop, name, (outputs.get(name) or "").strip() or None)
    audit.record("workshop.outputs_saved", workshop)
    db.session.flush()


def save_headcount(workshop: Workshop, unregistered_count: int) -> None:
    """People who came without signing up: counted, not named."""
    workshop.unregistered_count = unregistered_count
    db.session.flush()


def lock_workshop(workshop_id: int) -> Workshop | None:
    return db.session.scalar(select(Workshop).where(Workshop.id == workshop_id).with_for_update())


def booked_count(workshop_id: int) -> int:
    query = select(func.count()).where(
        WorkshopSignup.workshop_id == workshop_id, WorkshopSignup.status == SignupStatus.BOOKED.value
    )
    return db.session.scalar(query) or 0


def signup_for(workshop_id: int, champion_id: int) -> WorkshopSignup | None:
    return db.session.scalar(
        select(WorkshopSignup).where(
            WorkshopSignup.workshop_id == workshop_id, WorkshopSignup.champion_id == champion_id
        )
    )


def is_upcoming(workshop: Workshop, now: datetime | None = None) -> bool:
    return workshop.cancelled_at is None and as_utc(workshop.starts_at) > (now or now_utc())


def sign_up(workshop_id: int, champion_id: int, *, override_capacity: bool = False, by_staff: bool = False):
    """Book a place, or a place on the waiting list when the workshop is full. Returns the sign-up.

    Staff recording attendance may book beyond capacity, but only when they say so (override).
    """
    workshop = lock_workshop(workshop_id)
    if workshop is None or workshop.cancelled_at is not None:
        raise WorkshopProblem("This workshop is not taking sign-ups")
    if not by_staff and not is_upcoming(workshop):
        raise WorkshopProblem("This workshop has already started")
    signup = signup_for(workshop_id, champion_id)
    if signup is not None and signup.status != SignupStatus.CANCELLED.value:
        return signup
    full = booked_count(workshop_id) >= workshop.capacity
    if full and by_staff and not override_capacity:
        raise WorkshopProblem(
            f"The workshop is full ({workshop.capacity} places). Tick 'Go over capacity' to add them anyway"
        )
    status = SignupStatus.WAITING if full and not by_staff else SignupStatus.BOOKED
    if signup is None:
        signup = WorkshopSignup(workshop_id=workshop_id, champion_id=champion_id)
        db.session.add(signup)
    signup.status = status.value
    signup.queued_at = now_utc()
    signup.cancelled_at = None
    signup.capacity_override = bool(full and by_staff)
    db.session.flush()
    return signup


def cancel(workshop_id: int, champion_id: int) -> WorkshopSignup | None:
    """Give up a place (or a place in the queue); the first person waiting moves up. Returns who moved up."""
    workshop = lock_workshop(workshop_id)
    signup = signup_for(workshop_id, champion_id)
    if workshop is None or signup is None or signup.status == SignupStatus.CANCELLED.value:
        return None
    was_booked = signup.status == SignupStatus.BOOKED.value
    signup.status = SignupStatus.CANCELLED.value
    signup.cancelled_at = now_utc()
    signup.checked_in_at = None
    db.session.flush()
    if was_booked:
        return promote_waiting(workshop)
    return None


def promote_waiting(workshop: Workshop) -> WorkshopSignup | None:
    if booked_count(workshop.id) >= workshop.capacity:
        return None
    first = db.session.scalar(
        select(WorkshopSignup)
        .where(WorkshopSignup.workshop_id == workshop.id, WorkshopSignup.status == SignupStatus.WAITING.value)
        .order_by(WorkshopSignup.queued_at, WorkshopSignup.id)
        .limit(1)
    )
    if first is not None:
        first.status = SignupStatus.BOOKED.value
        first.promoted_at = now_utc()
        db.session.flush()
        place_email.queue(first.id)
    return first


def merge_signups(ref: merging.Reference, keep_id: int, remove_id: int) -> tuple[int, int]:
    """Merging two champions: one sign-up per workshop (models.KEEP_BEST_SIGNUP). Where both held a place, the
    merged record now holds one: the other place goes to the first person waiting, as when a booking is cancelled
    (and they are emailed once the merge commits)."""
    mine, theirs = WorkshopSignup.__table__.alias("mine"), WorkshopSignup.__table__.alias("theirs")
    booked = SignupStatus.BOOKED.value
    both_booked = db.session.scalars(
        select(mine.c.workshop_id)
        .join(theirs, theirs.c.workshop_id == mine.c.workshop_id)
        .where(mine.c.champion_id == keep_id, mine.c.status == booked)
        .where(theirs.c.champion_id == remove_id, theirs.c.status == booked)
        .order_by(mine.c.workshop_id)
    ).all()
    workshops = [lock_workshop(workshop_id) for workshop_id in both_booked]  # in id order, before places change
    result = KEEP_BEST_SIGNUP(ref, keep_id, remove_id)
    for workshop in workshops:
        if workshop is not None and is_upcoming(workshop):
            promote_waiting(workshop)
    return result


def add_attendee(workshop: Workshop, champion: Champion, *, override_capacity: bool, recruited: bool) -> WorkshopSignup:
    """Staff give a champion a place (see ``sign_up``); ``recruited``: they joined through this workshop."""
    signup = sign_up(workshop.id, champion.id, override_capacity=override_capacity, by_staff=True)
    if recruited:
        record_recruit(workshop, champion)
    audit.record("workshop.champion_added", workshop, champion_id=champion.id, status=signup.status)
    return signup


def cancel_for_champion(signup: WorkshopSignup) -> WorkshopSignup | None:
    """Staff cancel a champion's place (see ``cancel``); returns who moved up from the waiting list."""
    moved = cancel(signup.workshop_id, signup.champion_id)
    audit.record("workshop.signup_cancelled", signup.workshop, champion_id=signup.champion_id)
    return moved


def check_in(signup: WorkshopSignup, present: bool = True) -> None:
    if signup.status == SignupStatus.CANCELLED.value:
        raise WorkshopProblem("This sign-up was cancelled, so it cannot be checked in. Add the champion again first")
    if signup.status == SignupStatus.WAITING.value and present:
        raise WorkshopProblem("This champion is on the waiting list. Give them a place before checking them in")
    signup.checked_in_at = now_utc() if present else None
    audit.record("workshop.check_in", signup.workshop, champion_id=signup.champion_id, present=present)
    db.session.flush()


def record_contact_attendance(workshop: Workshop, contact: OrganisationContact) -> None:
    if contact not in workshop.contacts:
        workshop.contacts.append(contact)
    audit.record("workshop.contact_attended", workshop, contact_id=contact.id)
    db.session.flush()


def remove_contact_attendance(workshop: Workshop, contact: OrganisationContact) -> None:
    if contact in workshop.contacts:
        workshop.contacts.remove(contact)
    audit.record("workshop.contact_removed", workshop, contact_id=contact.id)
    db.session.flush()


def record_recruit(workshop: Workshop, champion: Champion) -> None:
    """This champion joined the movement through this workshop (once: a champion has one origin)."""
    existing = db.session.get(WorkshopRecruit, champion.id)
    if existing is None:
        db.session.add(WorkshopRecruit(champion_id=champion.id, workshop_id=workshop.id))
        db.session.flush()


def cancel_workshop(workshop: Workshop) -> None:
    workshop.cancelled_at = now_utc()
    audit.record("workshop.cancelled", workshop)
    db.session.flush()


def upcoming_in_borough(borough_code: str | None, now: datetime | None = None) -> list[Workshop]:
    query = select(Workshop).where(Workshop.cancelled_at.is_(None), Workshop.starts_at > (now or now_utc()))
    if borough_code:
        query = query.where(Workshop.borough_code == borough_code)
    # The lists and the calendar feed show each workshop's borough.
    query = query.options(selectinload(Workshop.borough))
    return list(db.session.scalars(query.order_by(Workshop.starts_at).limit(200)))


def places_left(workshop: Workshop) -> int:
    return max(0, workshop.capacity - booked_count(workshop.id))


def places_left_in(workshops: list[Workshop]) -> dict[int, int]:
    """Places left at each workshop, from one grouped count of the bookings."""
    booked = dict(
        db.session.execute(
            select(WorkshopSignup.workshop_id, func.count())
            .where(
                WorkshopSignup.workshop_id.in_([w.id for w in workshops]),
                WorkshopSignup.status == SignupStatus.BOOKED.value,
            )
            .group_by(WorkshopSignup.workshop_id)
        ).all()
    )
    return {w.id: max(0, w.capacity - booked.get(w.id, 0)) for w in workshops}


def attendance_summary(workshop: Workshop) -> dict[str, int]:
    signups = workshop.signups
    return {
        "booked": sum(1 for s in signups if s.status == SignupStatus.BOOKED.value),
        "waiting": sum(1 for s in signups if s.status == SignupStatus.WAITING.value),
        "checked_in": sum(1 for s in signups if s.checked_in_at is not None),
        "contacts": len(workshop.contacts),
        "unregistered": workshop.unregistered_count,
    }


def waiting_position(signup: WorkshopSignup) -> int | None:
    if signup.status != SignupStatus.WAITING.value:
        return None
    ahead = db.session.scalar(
        select(func.count()).where(
            WorkshopSignup.workshop_id == signup.workshop_id,
            WorkshopSignup.status == SignupStatus.WAITING.value,
            (WorkshopSignup.queued_at < signup.queued_at)
            | ((WorkshopSignup.queued_at == signup.queued_at) & (WorkshopSignup.id < signup.id)),
        )
    )
    return (ahead or 0) + 1


def champion_by_email(email: str) -> Champion | None:
    return champion_with_email(email)


def organisation_section(organisation: Organisation) -> Section:
    """The workshops an organisation hosted or whose contacts attended, for its page (newest first)."""
    workshops = db.session.scalars(
        select(Workshop)
        .where(
            (Workshop.host_organisation_id == organisation.id)
            | Workshop.id.in_(
                select(workshop_contacts.c.workshop_id)
                .join(OrganisationContact, OrganisationContact.id == workshop_contacts.c.contact_id)
                .where(OrganisationContact.organisation_id == organisation.id)
            )
        )
        .order_by(Workshop.starts_at.desc())
    ).all()
    return Section("workshops/organisation_section.html", workshops)
