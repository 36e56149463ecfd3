"""Reading through the API: the deletions feed, staff reading and correcting champions, staff reading every
activity while a champion reads only their own."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from champions.core.clock import now_utc, today_uk
from champions.core.models import AuditEvent
from champions.privacy.services import erase
from champions.roster.duplicates import merge, plan_merge
from tests.api.helpers import bearer, token_for


def test_the_deletions_feed_reports_erasures_and_merges_without_personal_data(client, db, make, clock):
    start = clock.set(now_utc())
    staff = make.user(role="staff")
    headers = bearer(token_for(db, staff))
    erased, keep, away, untouched = (make.champion() for _ in range(4))
    clock.advance(minutes=5)
    erase(erased.user, by_user_id=staff.id)
    merge(keep, away, staff.id, fingerprint=plan_merge(keep, away).fingerprint)
    db.session.commit()
    feed = client.get("/api/v1/deletions", headers=headers).json
    assert [(i["id"], i["kind"], i["merged_into_id"]) for i in feed["items"]] == [
        (erased.id, "erased", None),
        (away.id, "merged", keep.id),
    ]
    assert set(feed["items"][0]) == {"resource", "id", "kind", "merged_into_id", "at"}
    listed = [i["id"] for i in client.get("/api/v1/champions", headers=headers).json["items"]]
    assert erased.id not in listed and away.id not in listed and untouched.id in listed
    assert client.get(f"/api/v1/champions/{away.id}", headers=headers).status_code == 404
    since = (start + timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/deletions", query_string={"updated_since": since}, headers=headers).json["items"] == []


def test_a_token_without_champions_scope_sees_no_champion_deletions(client, db, make):
    staff = make.user(role="staff")
    gone = make.champion()
    erase(gone.user, by_user_id=staff.id)
    db.session.commit()
    headers = bearer(token_for(db, staff, {"activities": "read"}))
    assert client.get("/api/v1/deletions", headers=headers).json["items"] == []


def test_staff_correct_a_champion_as_on_the_page(client, db, make):
    staff = make.user(role="staff")
    champion = make.champion()
    headers = bearer(token_for(db, staff))
    response = client.patch(f"/api/v1/champions/{champion.id}", json={"first_name": "Robin"}, headers=headers)
    assert response.status_code == 200 and response.json["first_name"] == "Robin"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "champion.details_corrected"))
    assert event.actor_id == staff.id and event.details["fields"] == ["first_name"]
    refused = client.patch(f"/api/v1/champions/{champion.id}", json={"postcode": "nowhere"}, headers=headers)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "postcode"
    stage = client.patch(f"/api/v1/champions/{champion.id}", json={"stage": "active"}, headers=headers)
    assert stage.status_code == 422
    db.session.refresh(champion)
    assert champion.first_name == "Robin" and champion.stage == "registered"


def test_staff_read_every_activity_and_a_champion_only_their_own(client, db, make):
    staff = make.user(role="staff")
    one, two = make.champion(), make.champion()
    mine = make.activity(one, occurred_on=today_uk(), borough_code="bolton", people_reached=1)
    theirs = make.activity(two, occurred_on=today_uk(), borough_code="bolton", people_reached=1)
    db.session.commit()
    staff_headers = bearer(token_for(db, staff))
    everything = client.get("/api/v1/activities", headers=staff_headers).json["items"]
    assert {a["id"] for a in everything} == {mine.id, theirs.id}
    just_two = client.get("/api/v1/activities", query_string={"champion_id": two.id}, headers=staff_headers).json
    assert [a["id"] for a in just_two["items"]] == [theirs.id]
    champion_headers = bearer(token_for(db, one.user))
    own = client.get("/api/v1/activities/mine", headers=champion_headers).json["items"]
    assert [a["id"] for a in own] == [mine.id]
    assert client.get(f"/api/v1/activities/{theirs.id}", headers=champion_headers).status_code == 404
    assert client.get(f"/api/v1/activities/{mine.id}", headers=champion_headers).status_code == 200


def test_a_control_character_in_any_query_parameter_is_a_400_problem_on_every_database(app, client, db, make):
    """PostgreSQL cannot hold a NUL: a filter carrying one is refused before it reaches the database."""
    headers = bearer(token_for(db, make.user(role="staff")))
    for url in (
        "/api/v1/organisations?name=a%00b",
        "/api/v1/champions?borough=%00",
        "/api/v1/moments?q=%1b",
        "/api/v1/activities?x%00=1",
    ):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 400 and answer.mimetype == "application/problem+json", url
        assert "control characters" in answer.json["detail"] and answer.json["errors"], url
