"""Hostile bodies sent to the workshop, sign-up, organisation and moment writes: a 4xx problem document, never a
500, and nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from champions.core.clock import now_utc
from champions.moments.models import Moment
from champions.organisations.models import Organisation
from champions.workshops.models import Workshop, WorkshopSignup
from tests.api.helpers import bearer, token_for
from tests.workshops.helpers import make_org, make_workshop

HUGE = 10**30
STARTS = now_utc() + timedelta(days=10)
WORKSHOP = {
    "type": "co_design",
    "title": "T",
    "starts_at": STARTS.isoformat(),
    "ends_at": (STARTS + timedelta(hours=1)).isoformat(),
    "borough_code": "bolton",
    "venue": "Hall",
    "capacity": 10,
}
HOSTILE_WORKSHOPS = [
    {**WORKSHOP, "title": "Tea\x00party"},
    {**WORKSHOP, "capacity": HUGE},
    {**WORKSHOP, "capacity": "10"},
    {**WORKSHOP, "capacity": 1.5},
    {**WORKSHOP, "host_organisation_id": HUGE},
    {**WORKSHOP, "facilitator_ids": [HUGE, -1]},
    {**WORKSHOP, "starts_at": "2027-02-30T10:00:00Z"},
    {**WORKSHOP, "starts_at": "2027-03-01T10:00:00"},  # no zone
    {**WORKSHOP, "starts_at": "9999-12-31T23:59:59+14:00", "ends_at": "9999-12-31T23:59:59-12:00"},
    {**WORKSHOP, "title": "x" * 5000},
    {**WORKSHOP, "borough_code": ["bolton", "wigan"]},
    {**WORKSHOP, "sequence": 0},
    [WORKSHOP],
    "a string",
]
HOSTILE_ORGANISATIONS = [
    {"name": "A\x00B", "type": "grassroots", "borough_codes": ["bolton"]},
    {"name": "A", "type": "grassroots", "borough_codes": ["bolton"], "postcode": "\u202eBL1 1AA"},
    {"name": "A", "type": "grassroots", "borough_codes": [None]},
    {"name": "A", "type": "grassroots", "borough_codes": "bolton"},
    {"name": "A", "type": "grassroots", "borough_codes": ["bolton"], "merged_into_id": 1},
    {"name": "A", "type": "grassroots", "borough_codes": ["bolton"], "owner_id": 1},
]
HOSTILE_MOMENTS = [
    {"name": "M", "recurrence": "yearly", "level": "systems", "start_date": "0000-01-01", "topic_codes": ["smoking"]},
    {
        "name": "M\x00",
        "recurrence": "yearly",
        "level": "systems",
        "start_date": "2027-01-01",
        "topic_codes": ["smoking"],
    },
    {"name": "M", "recurrence": "yearly", "level": "systems", "start_date": HUGE, "topic_codes": ["smoking"]},
]


@pytest.mark.parametrize("body", HOSTILE_WORKSHOPS, ids=range(len(HOSTILE_WORKSHOPS)))
def test_hostile_workshops_are_refused(client, db, make, body):
    headers = bearer(token_for(db, make.user(role="staff")))
    response = client.post("/api/v1/workshops", json=body, headers=headers)
    assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json"
    assert db.session.scalar(select(func.count(Workshop.id))) == 0


@pytest.mark.parametrize("body", HOSTILE_ORGANISATIONS, ids=range(len(HOSTILE_ORGANISATIONS)))
def test_hostile_organisations_are_refused(client, db, make, body):
    organisation = make_org(db, "Kept as it was")
    headers = bearer(token_for(db, make.user(role="staff")))
    assert 400 <= client.post("/api/v1/organisations", json=body, headers=headers).status_code < 500
    changes = {k: v for k, v in body.items() if k not in ("type",)}
    assert (
        400 <= client.patch(f"/api/v1/organisations/{organisation.id}", json=changes, headers=headers).status_code < 500
    )
    db.session.expire_all()
    assert db.session.scalars(select(Organisation.name)).all() == ["Kept as it was"]


@pytest.mark.parametrize("body", HOSTILE_MOMENTS, ids=range(len(HOSTILE_MOMENTS)))
def test_hostile_moments_are_refused(client, db, make, body):
    headers = bearer(token_for(db, make.user(role="staff")))
    before = db.session.scalar(select(func.count(Moment.id)))
    assert 400 <= client.post("/api/v1/moments", json=body, headers=headers).status_code < 500
    assert db.session.scalar(select(func.count(Moment.id))) == before


@pytest.mark.parametrize(
    "body", [{"workshop_id": HUGE}, {"workshop_id": None}, {"workshop_id": 1, "status": "booked"}, {}]
)
def test_hostile_sign_ups_are_refused(client, db, make, body):
    make_workshop(db)
    headers = bearer(token_for(db, make.champion().user))
    response = client.post("/api/v1/signups/mine", json=body, headers=headers)
    assert response.status_code == 422 and response.json["errors"]
    assert db.session.scalar(select(func.count(WorkshopSignup.id))) == 0


def test_a_field_given_twice_counts_once_as_json_does(client, db, make):
    """JSON keeps the last of a repeated key; the form is filled from the parsed body, so one value reaches it."""
    headers = bearer(token_for(db, make.user(role="staff")))
    text = '{"name": "First", "name": "Second", "type": "grassroots", "borough_codes": ["bolton"]}'
    response = client.post("/api/v1/organisations", data=text, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 201 and response.json["name"] == "Second"
