"""Shared builders for workshop, organisation and moment tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from champions.core.db import now_utc
from champions.core.models import OutboxMessage
from champions.moments.models import Moment
from champions.organisations.services import add_contact, create_organisation
from champions.workshops.models import Workshop
from champions.workshops.services import save_workshop


def make_workshop(db, *, borough="bolton", starts=None, hours=2, capacity=20, host=None, **fields) -> Workshop:
    starts = starts or now_utc() + timedelta(days=7)
    values = {
        "type": "co_design",
        "title": "Co-design workshop",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=hours),
        "borough_code": borough,
        "venue": "Town Hall",
        "host_organisation_id": host.id if host else None,
        "capacity": capacity,
        "description": None,
    }
    values.update(fields)
    workshop = save_workshop(Workshop(), facilitator_ids=[], **values)
    db.session.commit()
    return workshop


def make_org(db, name="Bolton Cancer Voices", *, boroughs=("bolton",), **fields):
    organisation = create_organisation(
        name, type=fields.pop("type", "grassroots"), borough_codes=list(boroughs), **fields
    )
    db.session.commit()
    return organisation


def make_contact(db, organisation, name="Pat Jones", **fields):
    contact = add_contact(organisation, name=name, **fields)
    db.session.commit()
    return contact


def sent(db, kind: str | None = None) -> list[OutboxMessage]:
    """The emails in the outbox, oldest first (only those whose subject holds ``kind``, when given)."""
    db.session.expire_all()
    messages = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    return [m for m in messages if kind is None or kind in m.subject]


def at(year, month, day, hour=10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def workshop_sample_args(db) -> dict[str, dict]:
    """Real objects for every workshops, organisations and moments route in the access matrix."""
    from tests.factories import Factory

    make = Factory(db)
    champion = make.champion(first_name="Matrix")
    organisation = make_org(db, "Matrix Group")
    other = make_org(db, "Matrix Group Ltd")
    organisation.champions.append(champion)
    workshop = make_workshop(db, host=organisation)
    from champions.workshops.services import sign_up

    signup = sign_up(workshop.id, champion.id)
    # A place of its own to cancel: the other may be checked in first, and a checked-in place cannot be cancelled.
    to_cancel = sign_up(workshop.id, make.champion(first_name="Cancelled").id)
    contact = make_contact(db, organisation, "Matrix Contact")
    workshop.contacts.append(contact)
    moment = Moment(name="Matrix moment", start_date=date(2026, 1, 1), end_date=date(2026, 1, 2))
    db.session.add(moment)
    db.session.commit()
    org = {"organisation_id": organisation.id}
    ws = {"workshop_id": workshop.id}
    return {
        "organisations.organisation_detail": org,
        "organisations.organisation_edit": org,
        "organisations.organisation_engagement": org,
        "organisations.contact_new": org,
        "organisations.contact_edit": {**org, "contact_id": contact.id},
        "workshops.attendance_contact_remove": {**ws, "contact_id": contact.id},
        "workshops.workshop_cancel": ws,
        "workshops.calendar_subscription": {"token": "not-a-real-token"},
        "organisations.affiliation_add": org,
        "organisations.affiliation_remove": {**org, "champion_id": champion.id},
        "organisations.merge": {**org, "other_id": other.id},
        "workshops.workshop_detail": ws,
        "workshops.workshop_edit": ws,
        "workshops.attendance_champion": ws,
        "workshops.check_in_signup": {**ws, "signup_id": signup.id},
        "workshops.cancel_signup": {**ws, "signup_id": to_cancel.id},
        "workshops.attendance_contact": ws,
        "workshops.headcount": ws,
        "workshops.workshop_outputs": ws,
        "workshops.workshop_report": ws,
        "workshops.champion_workshop": ws,
        "workshops.champion_sign_up": ws,
        "workshops.champion_cancel": ws,
        "workshops.workshop_ics": ws,
        "moments.moment_edit": {"moment_id": moment.id},
    }
