"""Workshops, places and the waiting list. Services flush; the request commits.

Places are decided with the workshop row locked (SELECT … FOR UPDATE on PostgreSQL; on SQLite every
write transaction already takes the database write lock as it begins), so two champions signing up for
the last place at the same moment cannot both get it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit, merging
from champions.core.db import as_utc, now_utc
from champions.core.features import Section
from champions.core.models import Borough
from champions.extensions import db
from champions.organisations.models import Organisation, OrganisationContact
from champions.organisations.services import champion_with_email
from champions.profiles.models import Champion
from champions.workshops.models import (
    KEEP_BEST_SIGNUP,
    OUTPUT_FIELDS,
    SIGNED_UP,
    SignupStatus,
    Workshop,
    WorkshopChange,
    WorkshopRecruit,
    WorkshopSignup,
    workshop_contacts,
)
from champions.workshops.tasks import cancelled_email, moved_email, place_email


class WorkshopProblem(ValueError):
    """A rule about places or attendance that the request broke; the message is for the user (by ``field``)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# What the people signed up are told about when it changes (by email).
SCHEDULE = ("starts_at", "ends_at", "venue", "borough_code")
# What the calendar event shows (ics.py): a change of any of these moves its SEQUENCE on, so calendar apps take it.
IN_EVENT = (*SCHEDULE, "title", "description", "type")


def save_workshop(
    workshop: Workshop, *, facilitator_ids: list[int], starts_at: datetime, ends_at: datetime, **fields: object
) -> Workshop:
    """Create (a new ``Workshop()``) or update a workshop. A change of when or where an upcoming workshop is
    emails everyone signed up once (what it was, what it is now) and moves its calendar event's SEQUENCE on;
    such a workshop cannot be moved into the past, nor given fewer places than are booked."""
    if ends_at <= starts_at:
        raise WorkshopProblem("The end must be after the start", "ends_at")
    created = workshop.id is None
    if not created:
        lock_workshop(workshop.id)
        _check_edit(workshop, starts_at, fields)
    new = {"starts_at": starts_at, "ends_at": ends_at, **fields}
    changed = not created and any(_differs(getattr(workshop, name), new[name]) for name in SCHEDULE if name in new)
    shown = not created and any(_differs(getattr(workshop, name), new[name]) for name in IN_EVENT if name in new)
    old = (workshop.starts_at, workshop.ends_at, _place(workshop)) if changed else None
    for name, value in new.items():
        setattr(workshop, name, value)
    if shown:
        workshop.sequence += 1
    workshop.facilitators = list(db.session.scalars(select(User).where(User.id.in_(facilitator_ids))))
    db.session.add(workshop)
    db.session.flush()
    told = _tell_of_change(workshop, old) if old else 0
    moved = {"moved": True, "people_told": told} if old else {}
    audit.record("workshop.created" if created else "workshop.updated", workshop, **moved)
    return workshop


def _differs(old: object, new: object) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        return as_utc(old) != as_utc(new)
    return old != new


def _place(workshop: Workshop) -> str:
    borough = db.session.get(Borough, workshop.borough_code)  # by code: the relationship may not follow it yet
    return f"{workshop.venue}, {borough.name if borough else workshop.borough_code}"


def _check_edit(workshop: Workshop, starts_at: datetime, fields: dict[str, object]) -> None:
    capacity = fields.get("capacity")
    booked = booked_count(workshop.id)
    if isinstance(capacity, int) and capacity < booked:
        raise WorkshopProblem(
            f"{booked} {'person has' if booked == 1 else 'people have'} a place, so the capacity cannot be less "
            f"than {booked}. Cancel places first, or keep {booked} or more",
            "capacity",
        )
    if is_upcoming(workshop) and _differs(workshop.starts_at, starts_at) and as_utc(starts_at) <= now_utc():
        raise WorkshopProblem(
            "The workshop has not happened yet, so it cannot be moved into the past. Choose a time from now on, "
            "or cancel the workshop",
            "starts_at",
        )


def _signed_up_ids(workshop: Workshop) -> list[int]:
    return list(
        db.session.scalars(
            select(WorkshopSignup.id)
            .where(WorkshopSignup.workshop_id == workshop.id, WorkshopSignup.status.in_(SIGNED_UP))
            .order_by(WorkshopSignup.id)
        )
    )


def _tell_of_change(workshop: Workshop, old: tuple[datetime, datetime, str]) -> int:
    """The people signed up to an upcoming workshop are emailed once each (the calendar event's SEQUENCE was
    already moved on). A workshop already held or cancelled has its record corrected, and nobody is emailed."""
    if workshop.cancelled_at is not None or as_utc(old[0]) <= now_utc():
        return 0
    change = WorkshopChange(
        workshop_id=workshop.id,
        sequence=workshop.sequence,
        old_starts_at=old[0],
        old_ends_at=old[1],
        old_place=old[2],
        new_starts_at=workshop.starts_at,
        new_ends_at=workshop.ends_at,
        new_place=_place(workshop),
    )
    db.session.add(change)
    if _differs(old[0], workshop.starts_at):
        # A reminder sent for the old day is not one for the new day: each is reminded the day before again.
        db.session.execute(
            update(WorkshopSignup).where(WorkshopSignup.workshop_id == workshop.id).values(reminder_sent_at=None)
        )
    db.session.flush()
    signups = _signed_up_ids(workshop)
    for signup_id in signups:
        moved_email.queue(change.id, signup_id)
    return len(signups)


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


def visible_to_champion(champion: Champion) -> ColumnElement[bool]:
    """The workshops a champion may see: those in their borough, and any they signed up to elsewhere."""
    theirs = select(WorkshopSignup.workshop_id).where(WorkshopSignup.champion_id == champion.id)
    return or_(Workshop.borough_code == champion.borough_code, Workshop.id.in_(theirs))


def champion_may_see(workshop: Workshop, champion: Champion) -> bool:
    return workshop.borough_code == champion.borough_code or signup_for(workshop.id, champion.id) is not None


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


def cancel(workshop_id: int, champion_id: int, *, by_staff: bool = False) -> WorkshopSignup | None:
    """Give up a place (or a place in the queue); the first person waiting moves up. Returns who moved up.

    Once the workshop has started the place is part of the attendance record: the champion can no longer give it
    up, and staff (correcting the record) may cancel it only when the champion is not checked in. A place given up
    then goes to nobody: the first person waiting is not offered a workshop that has begun."""
    workshop = lock_workshop(workshop_id)
    signup = signup_for(workshop_id, champion_id)
    if workshop is None or signup is None or signup.status == SignupStatus.CANCELLED.value:
        return None
    started = as_utc(workshop.starts_at) <= now_utc()
    if not by_staff and (started or signup.checked_in_at is not None):
        raise WorkshopProblem("This workshop has already started, so your place can no longer be cancelled")
    if signup.checked_in_at is not None:
        raise WorkshopProblem("This champion is checked in. Undo their check-in before cancelling their place")
    was_booked = signup.status == SignupStatus.BOOKED.value
    signup.status = SignupStatus.CANCELLED.value
    signup.cancelled_at = now_utc()
    db.session.flush()
    if was_booked and not started and workshop.cancelled_at is None:
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
    moved = cancel(signup.workshop_id, signup.champion_id, by_staff=True)
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


def cancel_workshop(workshop: Workshop, reason: str | None = None) -> int:
    """Cancel a workshop: no more sign-ups or reminders, the calendar event shows it cancelled, and everyone
    booked or waiting for it (if it had not yet happened) is emailed once. Returns how many were told."""
    lock_workshop(workshop.id)
    db.session.refresh(workshop, ["cancelled_at"])
    if workshop.cancelled_at is not None:
        return 0  # a second press, or two staff at once: told once
    workshop.cancelled_at = now_utc()
    workshop.cancel_reason = (reason or "").strip() or None
    workshop.sequence += 1
    signups = _signed_up_ids(workshop) if as_utc(workshop.starts_at) > now_utc() else []
    for signup_id in signups:
        cancelled_email.queue(signup_id)
    audit.record("workshop.cancelled", workshop, people_told=len(signups))
    db.session.flush()
    return len(signups)


def upcoming_in_borough(borough_code: str | None, now: datetime | None = None) -> list[Workshop]:
    query = select(Workshop).where(Workshop.cancelled_at.is_(None), Workshop.starts_at > (now or now_utc()))
    if borough_code:
        query = query.where(Workshop.borough_code == borough_code)
    # The lists and the calendar feed show each workshop's borough.
    query = query.options(selectinload(Workshop.borough))
    return list(db.session.scalars(query.order_by(Workshop.starts_at).limit(200)))


# How far back a calendar feed reaches: workshops held in the last year stay in subscribed calendars.
CALENDAR_HISTORY = timedelta(days=366)
# A feed is bounded all the same (a calendar app fetches it every hour).
CALENDAR_LIMIT = 2000


def in_calendar(champion: Champion | None, now: datetime | None = None) -> list[Workshop]:
    """A calendar feed, in one query. Staff (``champion`` None): every workshop from a year ago on. A champion:
    every workshop they have a place on or are waiting for, in any borough, from a year ago on, and the upcoming
    ones of their borough they may sign up for. Cancelled workshops stay in, marked cancelled: a calendar app must
    be told that an event it holds is cancelled, not find it gone."""
    now = now or now_utc()
    since = now - CALENDAR_HISTORY
    query = select(Workshop)
    if champion is None:
        query = query.where(Workshop.starts_at > since)
    else:
        theirs = select(WorkshopSignup.workshop_id).where(
            WorkshopSignup.champion_id == champion.id, WorkshopSignup.status.in_(SIGNED_UP)
        )
        query = query.where(
            or_(
                and_(Workshop.borough_code == champion.borough_code, Workshop.starts_at > now),
                and_(Workshop.id.in_(theirs), Workshop.starts_at > since),
            )
        )
    # The events show each workshop's borough.
    query = query.options(selectinload(Workshop.borough)).order_by(Workshop.starts_at.desc(), Workshop.id.desc())
    return list(db.session.scalars(query.limit(CALENDAR_LIMIT)))


def compact(text: str | None) -> str:
    """Text as the door search compares it: lower case, no spaces (``M1 1AA`` is ``m11aa``, as typed either way)."""
    return "".join((text or "").split()).casefold()


def _search_parts(signup: WorkshopSignup) -> list[str]:
    champion = signup.champion
    return [compact(v) for v in (champion.full_name, champion.user.email, champion.postcode)]


def search_key(signup: WorkshopSignup) -> str:
    """What the door search looks in: the name, email and postcode, each compacted, separated by a space."""
    return " ".join(_search_parts(signup))


def find_signups(signups: list[WorkshopSignup], typed: str) -> list[WorkshopSignup]:
    """The sign-ups whose name, email or postcode contains what was typed, ignoring case and spaces."""
    wanted = compact(typed)
    if not wanted:
        return list(signups)
    return [s for s in signups if any(wanted in part for part in _search_parts(s))]


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


def waiting_positions(signups: Sequence[WorkshopSignup]) -> dict[int, int]:
    """Each waiting sign-up's place in its workshop's queue (1 is next), by sign-up id, in one query for all."""
    workshops = {s.workshop_id for s in signups if s.status == SignupStatus.WAITING.value}
    if not workshops:
        return {}
    place = func.row_number().over(
        partition_by=WorkshopSignup.workshop_id, order_by=(WorkshopSignup.queued_at, WorkshopSignup.id)
    )
    queue = (
        select(WorkshopSignup.id, place.label("place"))
        .where(WorkshopSignup.workshop_id.in_(workshops), WorkshopSignup.status == SignupStatus.WAITING.value)
        .subquery()
    )
    wanted = [s.id for s in signups if s.status == SignupStatus.WAITING.value]
    return dict(db.session.execute(select(queue.c.id, queue.c.place).where(queue.c.id.in_(wanted))).all())


def waiting_position(signup: WorkshopSignup) -> int | None:
    return waiting_positions([signup]).get(signup.id)


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
