"""/api/v1/workshops and /api/v1/signups: the workshop pages' rules through the API (who sees which workshop, the
staff form's checks, places and the waiting list), paged by cursor with updated_since."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from champions.api.tokens import resources_for
from champions.core.clock import now_utc
from champions.core.models import PendingEmail
from champions.workshops.models import Workshop, WorkshopSignup
from tests.api.helpers import bearer, token_for
from tests.workshops.helpers import make_workshop

PROBLEM = "application/problem+json"


def _new_workshop(**changes):
    starts = now_utc() + timedelta(days=10)
    body = {
        "type": "co_design",
        "title": "Bolton co-design",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "borough_code": "bolton",
        "venue": "Town Hall",
        "capacity": 12,
    }
    return {**body, **changes}


def test_a_champion_sees_their_boroughs_workshops_and_those_they_signed_up_to(client, db, make):
    champion = make.champion(borough_code="bolton")
    here = make_workshop(db, borough="bolton", title="Here")
    away = make_workshop(db, borough="wigan", title="Away")
    elsewhere_booked = make_workshop(db, borough="bury", title="Booked elsewhere")
    db.session.add(WorkshopSignup(workshop_id=elsewhere_booked.id, champion_id=champion.id))
    db.session.commit()
    headers = bearer(token_for(db, champion.user))
    listed = client.get("/api/v1/workshops", headers=headers).json["items"]
    assert sorted(w["title"] for w in listed) == ["Booked elsewhere", "Here"]
    assert client.get(f"/api/v1/workshops/{here.id}", headers=headers).json["places_left"] == 20
    assert client.get(f"/api/v1/workshops/{away.id}", headers=headers).status_code == 404
    staff = bearer(token_for(db, make.user(role="staff")))
    assert len(client.get("/api/v1/workshops", headers=staff).json["items"]) == 3


def test_champions_cannot_add_workshops_nor_list_a_workshops_signups(client, db, make):
    champion = make.champion()
    workshop = make_workshop(db)
    headers = bearer(token_for(db, champion.user, {"workshops": "read"}))
    assert client.post("/api/v1/workshops", json=_new_workshop(), headers=headers).status_code == 403
    assert client.get(f"/api/v1/workshops/{workshop.id}/signups", headers=headers).status_code == 403
    assert "workshops" not in resources_for("funder")  # no workshop page is a funder's, so no token scope either


def test_staff_add_a_workshop_through_the_forms_checks(client, db, make):
    headers = bearer(token_for(db, make.user(role="staff")))
    made = client.post("/api/v1/workshops", json=_new_workshop(), headers=headers)
    assert made.status_code == 201
    assert made.headers["Location"] == f"/api/v1/workshops/{made.json['id']}"
    assert made.json["capacity"] == 12 and made.json["places_left"] == 12

    bad = _new_workshop(borough_code="atlantis", title="", capacity=0, type="rave")
    refused = client.post("/api/v1/workshops", json=bad, headers=headers)
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    messages = {e["field"]: e["detail"] for e in refused.json["errors"]}
    assert messages == {
        "borough_code": "Select the borough",
        "title": "Enter a title",
        "capacity": "Capacity must be between 1 and 5,000",
        "type": "Select the type of workshop",
    }
    backwards = _new_workshop(ends_at=(now_utc() + timedelta(days=9)).isoformat())
    assert client.post("/api/v1/workshops", json=backwards, headers=headers).json["errors"] == [
        {"field": "ends_at", "detail": "The end must be after the start"}
    ]
    for sneaky in ({"sequence": 9}, {"cancelled_at": now_utc().isoformat()}, {"id": 5}):
        assert client.post("/api/v1/workshops", json=_new_workshop(**sneaky), headers=headers).status_code == 422
    assert db.session.scalar(select(func.count(Workshop.id))) == 1


def test_staff_change_a_workshop_and_the_people_signed_up_are_told(client, db, make):
    workshop = make_workshop(db, capacity=2)
    champions = [make.champion(), make.champion()]
    for champion in champions:
        client.post(
            "/api/v1/signups/mine", json={"workshop_id": workshop.id}, headers=bearer(token_for(db, champion.user))
        )
    headers = bearer(token_for(db, make.user(role="staff")))
    too_small = client.patch(f"/api/v1/workshops/{workshop.id}", json={"capacity": 1}, headers=headers)
    assert too_small.status_code == 422
    assert too_small.json["errors"][0]["field"] == "capacity"
    assert "cannot be less than 2" in too_small.json["errors"][0]["detail"]

    moved = client.patch(f"/api/v1/workshops/{workshop.id}", json={"venue": "Library"}, headers=headers)
    assert moved.status_code == 200 and moved.json["venue"] == "Library" and moved.json["sequence"] == 1
    assert moved.json["title"] == "Co-design workshop"  # what was not sent stays
    past = client.patch(
        f"/api/v1/workshops/{workshop.id}",
        json={"starts_at": (now_utc() - timedelta(days=1)).isoformat()},
        headers=headers,
    )
    assert past.status_code == 422 and past.json["errors"][0]["field"] == "starts_at"
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).venue == "Library"
    told = db.session.scalars(select(PendingEmail.ids).where(PendingEmail.kind == "workshop_moved")).all()
    assert len(told) == 2  # each person signed up, once


def test_a_champion_signs_up_is_queued_when_full_and_cancels(client, db, make):
    workshop = make_workshop(db, capacity=1)
    first, second = make.champion(), make.champion()
    first_headers, second_headers = bearer(token_for(db, first.user)), bearer(token_for(db, second.user))
    booked = client.post("/api/v1/signups/mine", json={"workshop_id": workshop.id}, headers=first_headers)
    assert booked.status_code == 201 and booked.json["status"] == "booked"
    again = client.post("/api/v1/signups/mine", json={"workshop_id": workshop.id}, headers=first_headers)
    assert again.status_code == 200 and again.json["id"] == booked.json["id"]
    waiting = client.post("/api/v1/signups/mine", json={"workshop_id": workshop.id}, headers=second_headers)
    assert waiting.json["status"] == "waiting" and waiting.json["waiting_position"] == 1

    # Another champion's sign-up is not theirs to read or cancel.
    assert client.get(f"/api/v1/signups/{booked.json['id']}", headers=second_headers).status_code == 404
    assert client.delete(f"/api/v1/signups/{booked.json['id']}", headers=second_headers).status_code == 404

    cancelled = client.delete(f"/api/v1/signups/{booked.json['id']}", headers=first_headers)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    promoted = client.get(f"/api/v1/signups/{waiting.json['id']}", headers=second_headers).json
    assert promoted["status"] == "booked" and promoted["promoted_at"]
    assert [s["id"] for s in client.get("/api/v1/signups/mine", headers=second_headers).json["items"]] == [
        waiting.json["id"]
    ]
    staff = bearer(token_for(db, make.user(role="staff")))
    listed = client.get(f"/api/v1/workshops/{workshop.id}/signups", headers=staff).json["items"]
    assert {s["status"] for s in listed} == {"booked", "cancelled"}
    assert db.session.scalars(select(PendingEmail.ids).where(PendingEmail.kind == "workshop_place")).all() == [
        [waiting.json["id"]]
    ]


def test_signing_up_elsewhere_or_to_a_cancelled_workshop_is_refused(client, db, make):
    champion = make.champion(borough_code="bolton")
    away = make_workshop(db, borough="wigan")
    cancelled = make_workshop(db, borough="bolton", cancelled_at=now_utc())
    headers = bearer(token_for(db, champion.user))
    elsewhere = client.post("/api/v1/signups/mine", json={"workshop_id": away.id}, headers=headers)
    assert elsewhere.status_code == 404 and elsewhere.json["errors"][0]["field"] == "workshop_id"
    refused = client.post("/api/v1/signups/mine", json={"workshop_id": cancelled.id}, headers=headers)
    assert refused.status_code == 409 and refused.json["detail"] == "This workshop is not taking sign-ups"
    wrong = client.post("/api/v1/signups/mine", json={"workshop_id": "one"}, headers=headers)
    assert wrong.status_code == 422
    assert db.session.scalar(select(func.count(WorkshopSignup.id))) == 0


def test_workshops_page_by_cursor_and_updated_since(client, db, make, clock):
    headers = bearer(token_for(db, make.user(role="staff")))
    clock.set(now_utc())
    made = [make_workshop(db, title=f"W{i}") for i in range(3)]
    since = clock.advance(hours=1)
    clock.advance(minutes=1)
    client.patch(f"/api/v1/workshops/{made[0].id}", json={"title": "W0 renamed"}, headers=headers)

    first = client.get("/api/v1/workshops?limit=2", headers=headers).json
    second = client.get(f"/api/v1/workshops?limit=2&cursor={first['next_cursor']}", headers=headers).json
    titles = [w["title"] for w in first["items"] + second["items"]]
    assert titles == ["W1", "W2", "W0 renamed"] and second["next_cursor"] is None
    changed = client.get("/api/v1/workshops", headers=headers, query_string={"updated_since": since.isoformat()})
    assert [w["title"] for w in changed.json["items"]] == ["W0 renamed"]
    bad = client.get("/api/v1/workshops?cursor=nonsense", headers=headers)
    assert bad.status_code == 400 and bad.mimetype == PROBLEM
    # An empty cursor, as the document allows, is the first page.
    assert client.get("/api/v1/workshops?limit=2&cursor=", headers=headers).json == first


def test_an_impossible_id_is_not_found_by_any_method_and_a_wrong_method_is_a_405(client, db, make):
    workshop = make_workshop(db)
    headers = bearer(token_for(db, make.user(role="staff")))
    for method in ("GET", "PATCH", "PUT"):
        assert client.open("/api/v1/workshops/2147483648", method=method, headers=headers).status_code == 404
    wrong = client.put(f"/api/v1/workshops/{workshop.id}", json={}, headers=headers)
    assert wrong.status_code == 405 and set(wrong.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PATCH"}


def test_a_repeated_sign_up_with_its_idempotency_key_answers_as_the_first_did(client, db, make):
    workshop = make_workshop(db, capacity=1)
    headers = {**bearer(token_for(db, make.champion().user)), "Idempotency-Key": "retry-7"}
    first = client.post("/api/v1/signups/mine", json={"workshop_id": workshop.id}, headers=headers)
    again = client.post("/api/v1/signups/mine", json={"workshop_id": workshop.id}, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count(WorkshopSignup.id))) == 1


def test_a_champion_cannot_cancel_a_place_on_a_workshop_that_has_started(client, db, make, clock):
    from champions.workshops.services import check_in, sign_up

    clock.set(now_utc())
    workshop = make_workshop(db, capacity=1)
    champion = make.champion()
    signup = sign_up(workshop.id, champion.id)
    db.session.commit()
    clock.advance(days=7, minutes=30)  # it has started, and they came
    check_in(signup)
    db.session.commit()
    checked_in_at = signup.checked_in_at
    refused = client.delete(f"/api/v1/signups/{signup.id}", headers=bearer(token_for(db, champion.user)))
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    assert "already started" in refused.json["detail"]
    db.session.expire_all()
    kept = db.session.get(WorkshopSignup, signup.id)
    assert (kept.status, kept.checked_in_at) == ("booked", checked_in_at)
