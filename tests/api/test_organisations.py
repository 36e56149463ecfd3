"""/api/v1/organisations: staff only; the register's forms check what is sent (charity number, postcode, website,
boroughs), a likely duplicate is added and named, as on the page; merged organisations leave the list."""

from __future__ import annotations

from sqlalchemy import func, select

from champions.api.tokens import resources_for
from champions.core.clock import now_utc
from champions.core.models import AuditEvent
from champions.organisations.models import Organisation
from champions.organisations.services import merge_organisations, plan_organisation_merge
from tests.api.helpers import bearer, token_for
from tests.workshops.helpers import make_org

NEW = {"name": "Wigan Walkers", "type": "grassroots", "borough_codes": ["wigan"], "charity_number": "1234567"}


def test_only_staff_may_hold_an_organisations_scope():
    assert "organisations" in resources_for("staff")
    assert all("organisations" not in resources_for(role) for role in ("champion", "funder", "applicant"))


def test_a_champion_token_is_refused(client, db, make):
    organisation = make_org(db)
    headers = bearer(token_for(db, make.champion().user))
    assert client.get("/api/v1/organisations", headers=headers).status_code == 403
    assert client.get(f"/api/v1/organisations/{organisation.id}", headers=headers).status_code == 403


def test_staff_add_one_and_a_likely_duplicate_is_named(client, db, make):
    headers = bearer(token_for(db, make.user(role="staff")))
    made = client.post("/api/v1/organisations", json=NEW, headers=headers)
    assert made.status_code == 201 and made.json["likely_duplicate_ids"] == []
    assert made.json["engagement_level"] == "aware" and made.json["borough_codes"] == ["wigan"]
    again = client.post("/api/v1/organisations", json={**NEW, "name": "WIGAN WALKERS"}, headers=headers)
    assert again.status_code == 201 and again.json["likely_duplicate_ids"] == [made.json["id"]]
    created = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "organisation.created")).all()
    assert len(created) == 2


def test_the_forms_messages_come_back_by_field_and_nothing_is_saved(client, db, make):
    headers = bearer(token_for(db, make.user(role="staff")))
    bad = {
        "name": "",
        "type": "cult",
        "borough_codes": ["atlantis"],
        "charity_number": "12",
        "postcode": "NOT A POSTCODE",
        "website": "javascript:alert(1)",
    }
    refused = client.post("/api/v1/organisations", json=bad, headers=headers)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    fields = {e["field"]: e["detail"] for e in refused.json["errors"]}
    assert fields["charity_number"] == "Enter a charity number in the correct format, like 1234567 or SC012345"
    assert fields["postcode"] == "Enter a real UK postcode, like M1 1AE"
    assert fields["website"] == "Enter a website address starting with https://"
    assert {"name", "type", "borough_codes"} <= set(fields)
    owner = client.post("/api/v1/organisations", json={**NEW, "owner_id": 1}, headers=headers)
    assert owner.status_code == 422 and owner.json["errors"][0]["field"] == "owner_id"
    level = client.post("/api/v1/organisations", json={**NEW, "engagement_level": "best friends"}, headers=headers)
    assert level.json["errors"] == [{"field": "engagement_level", "detail": "Select an engagement level"}]
    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_staff_change_only_what_they_send(client, db, make):
    organisation = make_org(db, "Bolton Voices", boroughs=("bolton",), postcode="BL1 1AA")
    headers = bearer(token_for(db, make.user(role="staff")))
    changed = client.patch(
        f"/api/v1/organisations/{organisation.id}", json={"website": "https://example.org"}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.json["website"] == "https://example.org" and changed.json["postcode"] == "BL1 1AA"
    assert changed.json["name"] == "Bolton Voices" and changed.json["borough_codes"] == ["bolton"]
    refused = client.patch(f"/api/v1/organisations/{organisation.id}", json={"borough_codes": []}, headers=headers)
    assert refused.json["errors"] == [
        {"field": "borough_codes", "detail": "Select at least one borough the organisation serves"}
    ]
    level = client.patch(
        f"/api/v1/organisations/{organisation.id}", json={"engagement_level": "partner"}, headers=headers
    )
    assert level.status_code == 422  # the level changes on the page only, with its reason and history
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).engagement_level == "aware"


def test_the_list_filters_pages_and_follows_changes_and_merges(client, db, make, clock):
    clock.set(now_utc())
    keep, gone, other = make_org(db, "Keep"), make_org(db, "Gone"), make_org(db, "Other", boroughs=("wigan",))
    since = clock.advance(hours=1)
    headers = bearer(token_for(db, make.user(role="staff")))
    merge_organisations(other, gone, fingerprint=plan_organisation_merge(other, gone).fingerprint)
    db.session.commit()
    client.patch(f"/api/v1/organisations/{keep.id}", json={"name": "Keep renamed"}, headers=headers)
    listed = client.get("/api/v1/organisations?limit=1", headers=headers).json
    rest = client.get(f"/api/v1/organisations?cursor={listed['next_cursor']}", headers=headers).json
    assert [o["name"] for o in listed["items"] + rest["items"]] == ["Other", "Keep renamed"]  # oldest change first
    assert rest["next_cursor"] is None
    assert client.get(f"/api/v1/organisations/{gone.id}", headers=headers).status_code == 404  # merged away
    deletions = client.get("/api/v1/deletions", headers=headers).json["items"]
    assert [(d["resource"], d["id"], d["kind"], d["merged_into_id"]) for d in deletions] == [
        ("organisations", gone.id, "merged", other.id)
    ]
    champions_only = bearer(token_for(db, make.user(role="staff"), {"champions": "read"}))
    assert client.get("/api/v1/deletions", headers=champions_only).json["items"] == []  # not a resource it reads
    changed = client.get("/api/v1/organisations", headers=headers, query_string={"updated_since": since.isoformat()})
    assert [o["name"] for o in changed.json["items"]] == ["Keep renamed"]
    in_wigan = client.get("/api/v1/organisations?borough_code=wigan", headers=headers).json["items"]
    assert [o["id"] for o in in_wigan] == [other.id]
    assert client.get("/api/v1/organisations?level=nonsense", headers=headers).status_code == 400
    assert client.get("/api/v1/organisations?updated_since=yesterday", headers=headers).status_code == 400


def test_a_repeated_post_with_its_idempotency_key_adds_one_organisation(client, db, make):
    headers = {**bearer(token_for(db, make.user(role="staff"))), "Idempotency-Key": "org-1"}
    first = client.post("/api/v1/organisations", json=NEW, headers=headers)
    again = client.post("/api/v1/organisations", json=NEW, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count(Organisation.id))) == 1
