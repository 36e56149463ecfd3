"""/api/v1/moments (staff: the calendar, through the page's form) and /api/v1/training (champions the catalogue
they are offered, staff every resource), paged by cursor with updated_since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from champions.api.tokens import resources_for
from champions.core.clock import now_utc
from champions.moments.models import Moment
from champions.training.models import TrainingResource
from tests.api.helpers import bearer, token_for

MOMENT = {
    "name": "Bowel Screening Day",
    "recurrence": "yearly",
    "level": "communities",
    "start_date": "2027-04-01",
    "topic_codes": ["screening"],
}


def test_moments_are_staff_only(client, db, make):
    assert "moments" not in resources_for("champion") and "moments" in resources_for("staff")
    headers = bearer(token_for(db, make.champion().user))
    assert client.get("/api/v1/moments", headers=headers).status_code == 403


def test_staff_add_a_moment_and_its_name_must_be_new(client, db, make, clock):
    clock.set(datetime(2027, 3, 1, 12, tzinfo=UTC))
    headers = bearer(token_for(db, make.user(role="staff")))
    made = client.post("/api/v1/moments", json=MOMENT, headers=headers)
    assert made.status_code == 201
    assert made.json["end_date"] == "2027-04-01"  # one day, as the form makes it
    assert made.json["next_starts_on"] == "2027-04-01" and made.json["topic_codes"] == ["screening"]
    again = client.post("/api/v1/moments", json=MOMENT, headers=headers)
    assert again.status_code == 422
    assert again.json["errors"] == [{"field": "name", "detail": "There is already a moment with that name"}]
    bad = {**MOMENT, "name": "Other", "end_date": "2027-03-01", "topic_codes": ["astrology"], "level": "cosmic"}
    refused = client.post("/api/v1/moments", json=bad, headers=headers)
    fields = {e["field"]: e["detail"] for e in refused.json["errors"]}
    assert fields == {
        "end_date": "The end date must be the same as or after the start date",
        "topic_codes": "Select topics from the list",
        "level": "Select the level",
    }
    impossible = client.post(
        "/api/v1/moments", json={**MOMENT, "name": "X", "start_date": "2027-02-30"}, headers=headers
    )
    assert impossible.status_code == 422 and impossible.json["errors"][0]["field"] == "start_date"
    assert db.session.scalars(select(Moment.name).where(Moment.name.in_(["Other", "X", MOMENT["name"]]))).all() == [
        MOMENT["name"]
    ]


def test_staff_change_a_moment_and_sync_by_updated_since(client, db, make, clock):
    clock.set(now_utc() + timedelta(days=1))  # after the calendar's seeded moments
    headers = bearer(token_for(db, make.user(role="staff")))
    first = client.post("/api/v1/moments", json=MOMENT, headers=headers).json
    client.post("/api/v1/moments", json={**MOMENT, "name": "Second"}, headers=headers)
    since = clock.advance(hours=1)
    changed = client.patch(f"/api/v1/moments/{first['id']}", json={"level": "systems"}, headers=headers)
    assert changed.status_code == 200 and changed.json["level"] == "systems"
    assert changed.json["name"] == MOMENT["name"] and changed.json["start_date"] == "2027-04-01"
    newer = client.get("/api/v1/moments", headers=headers, query_string={"updated_since": since.isoformat()}).json
    assert [m["id"] for m in newer["items"]] == [first["id"]]
    seeded = db.session.scalar(select(func.count(Moment.id))) - 2
    page = client.get(f"/api/v1/moments?limit={seeded + 1}", headers=headers).json
    assert page["items"][-1]["name"] == "Second" and page["next_cursor"]
    rest = client.get(f"/api/v1/moments?cursor={page['next_cursor']}", headers=headers).json
    assert [m["id"] for m in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    assert client.get("/api/v1/moments/999999", headers=headers).status_code == 404


def _resource(db, title, **values):
    resource = TrainingResource(title=title, summary="S", format="video", minutes=5, **values)
    db.session.add(resource)
    db.session.commit()
    return resource


def test_champions_see_the_catalogue_they_are_offered_staff_see_all(client, db, make):
    retired = _resource(db, "Old course", retired_at=now_utc())
    live = _resource(db, "New course")
    champion = bearer(token_for(db, make.champion().user))
    titles = {r["title"] for r in client.get("/api/v1/training?limit=100", headers=champion).json["items"]}
    assert "New course" in titles and "Old course" not in titles
    assert client.get(f"/api/v1/training/{retired.id}", headers=champion).status_code == 404
    assert client.get(f"/api/v1/training/{live.id}", headers=champion).json["title"] == "New course"
    staff = bearer(token_for(db, make.user(role="staff")))
    assert client.get(f"/api/v1/training/{retired.id}", headers=staff).json["retired_at"] is not None
    funder = make.user(role="funder")
    assert "training" not in resources_for(funder.role)


def test_a_changed_resource_comes_again_after_updated_since(client, db, make, clock):
    clock.set(now_utc() + timedelta(days=1))
    resource = _resource(db, "Course")
    since = clock.advance(hours=1)
    headers = bearer(token_for(db, make.user(role="staff")))
    assert (
        client.get("/api/v1/training", headers=headers, query_string={"updated_since": since.isoformat()}).json["items"]
        == []
    )
    resource.title = "Course, revised"
    db.session.commit()
    newer = client.get("/api/v1/training", headers=headers, query_string={"updated_since": since.isoformat()}).json
    assert [r["title"] for r in newer["items"]] == ["Course, revised"]
