"""/api/v1/deletions follows every way a record leaves: a champion deleting an activity (and putting it back),
a merge dropping one of two places at a workshop, retention deleting an abandoned sign-up with what it held. A
partner that applies the feed and the lists since its last sync ends with what the app holds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from champions.activities.services import delete_activity, own_deleted, restore_activity
from champions.core.clock import now_utc
from champions.privacy.services import apply_retention
from champions.roster.duplicates import merge, plan_merge
from champions.workshops.models import WorkshopSignup
from tests.api.helpers import bearer, token_for
from tests.workshops.helpers import make_workshop


def _feed(client, headers, since=None):
    query = {"updated_since": since.isoformat()} if since else {}
    items = client.get("/api/v1/deletions", query_string=query, headers=headers).json["items"]
    return [(i["resource"], i["id"], i["kind"], i["merged_into_id"]) for i in items]


def _ids(client, path, headers, since):
    items = client.get(path, query_string={"updated_since": since.isoformat()}, headers=headers).json["items"]
    return [i["id"] for i in items]


def test_a_deleted_activity_is_reported_and_one_put_back_comes_again_in_the_list(client, db, make, clock):
    clock.set(now_utc())
    champion = make.champion()
    kept_one, deleted_one = make.activity(champion), make.activity(champion)
    headers = bearer(token_for(db, make.user(role="staff")))
    clock.advance(minutes=10)
    synced = now_utc()
    clock.advance(minutes=1)
    undo = delete_activity(champion, deleted_one)
    db.session.commit()
    assert _feed(client, headers, synced) == [("activities", deleted_one.id, "deleted", None)]
    assert _ids(client, "/api/v1/activities", headers, synced) == []
    clock.advance(minutes=2)
    synced_again = now_utc()
    clock.advance(minutes=1)
    restore_activity(champion, own_deleted(champion, undo.id))
    db.session.commit()
    assert _feed(client, headers) == []  # back under its own id: no longer gone
    assert _ids(client, "/api/v1/activities", headers, synced_again) == [deleted_one.id]
    assert kept_one.id not in _ids(client, "/api/v1/activities", headers, synced_again)


def test_a_merge_reports_the_place_it_drops_and_moves_the_rest_as_changes(client, db, make, clock):
    clock.set(now_utc())
    keep, away = make.champion(), make.champion()
    both, only_theirs = make_workshop(db, title="Both"), make_workshop(db, title="Theirs")
    mine = WorkshopSignup(workshop_id=both.id, champion_id=keep.id)
    dropped = WorkshopSignup(workshop_id=both.id, champion_id=away.id)
    moved = WorkshopSignup(workshop_id=only_theirs.id, champion_id=away.id)
    db.session.add_all([mine, dropped, moved])
    db.session.commit()
    keep_id, away_id, dropped_id, moved_id, theirs_id = keep.id, away.id, dropped.id, moved.id, only_theirs.id
    staff = make.user(role="staff")
    headers = bearer(token_for(db, staff))
    clock.advance(minutes=10)
    synced = now_utc()
    clock.advance(minutes=1)
    merge(keep, away, staff.id, fingerprint=plan_merge(keep, away).fingerprint)
    db.session.commit()
    assert sorted(_feed(client, headers, synced)) == [
        ("champions", away_id, "merged", keep_id),
        ("signups", dropped_id, "merged", None),
    ]
    assert db.session.get(WorkshopSignup, dropped_id) is None
    changed = client.get(
        f"/api/v1/workshops/{theirs_id}/signups",
        query_string={"updated_since": synced.isoformat()},
        headers=headers,
    ).json["items"]
    assert [(s["id"], s["champion_id"]) for s in changed] == [(moved_id, keep_id)]
    signups_only = bearer(token_for(db, staff, {"signups": "read"}))
    assert _feed(client, signups_only, synced) == [("signups", dropped_id, "merged", None)]


def test_retention_reports_an_abandoned_sign_up_and_the_places_deleted_with_it(client, db, make, clock):
    clock.set(now_utc())
    abandoned = make.champion()
    abandoned.user.created_at = now_utc() - timedelta(days=31)
    workshop = make_workshop(db)
    place = WorkshopSignup(workshop_id=workshop.id, champion_id=abandoned.id)
    db.session.add(place)
    db.session.commit()
    champion_id, place_id = abandoned.id, place.id
    headers = bearer(token_for(db, make.user(role="staff")))
    assert apply_retention(unverified_days=30, withdrawn_days=365)["unverified_deleted"] == 1
    db.session.commit()
    assert sorted(_feed(client, headers)) == [
        ("champions", champion_id, "erased", None),
        ("signups", place_id, "erased", None),
    ]
    assert db.session.scalar(select(WorkshopSignup).where(WorkshopSignup.id == place_id)) is None
