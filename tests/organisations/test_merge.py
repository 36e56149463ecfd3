"""Merging organisations: every row that refers to the one merged away moves (found from the schema), the
preview counts them, links both hold are kept once, and refusals change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from champions.core import merging
from champions.extensions import db as _db
from champions.organisations.models import Organisation, OrganisationContact
from champions.organisations.services import (
    MergeRefused,
    duplicate_pairs,
    merge_organisations,
    plan_organisation_merge,
)
from champions.workshops.models import Workshop
from tests.roster.race import MERGED, RACES, fail_the_second_move, race_two_merges
from tests.roster.rows import RowMaker, one_row_per_reference, pointing_at
from tests.roster.test_merge import dump, fingerprint_on, preview_counts
from tests.workshops.helpers import make_contact, make_org, make_workshop


def organisations():
    return _db.metadata.tables["organisations"]


def test_every_reference_to_organisations_is_moved_or_reconciled(app):
    assert merging.unhandled(organisations()) == []
    assert all(merging.policy(organisations(), r).kind != "stays" for r in merging.references(organisations()))


def test_merge_leaves_no_row_pointing_at_the_organisation_merged_away(make, db):
    bystander = make.champion()
    other, keep, gone = make_org(db, "Other"), make_org(db, "Keep"), make_org(db, "Gone")
    maker = RowMaker({"champions": bystander.id, "users": bystander.user_id, "organisations": other.id})
    made = one_row_per_reference(organisations(), gone.id, maker)
    assert set(made) == {r.key for r in merging.references(organisations())}
    db.session.commit()
    merge_organisations(keep, gone, fingerprint=plan_organisation_merge(keep, gone).fingerprint)
    db.session.commit()
    assert pointing_at(organisations(), gone.id) == {}
    held = pointing_at(organisations(), keep.id)
    assert all(held.get(key) for key in made if not key.startswith("organisations."))


def test_merging_moves_everything_to_the_kept_organisation(client, auth, db, make):
    auth.login_as("staff")
    keep = make_org(db, "Bury Carers' Network", boroughs=("bury",))
    remove = make_org(db, "Bury Carers Network", boroughs=("bury", "rochdale"), charity_number="1234567")
    both, only_removed = make.champion(first_name="Both"), make.champion(first_name="Only")
    keep.champions.append(both)
    remove.champions.extend([both, only_removed])
    only_removed.heard_via_organisation_id = remove.id
    make_contact(db, keep, "Kim Keep")
    contact = make_contact(db, remove, "Rob Remove")
    workshop = make_workshop(db, borough="bury", host=remove)
    db.session.commit()
    keep_id, remove_id, workshop_id = keep.id, remove.id, workshop.id

    url = f"/staff/organisations/{keep_id}/merge/{remove_id}"
    preview = client.get(url)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert preview_counts(page) == {
        "Affiliated champions": 2,
        "Boroughs": 2,
        "Champions who heard through it": 1,
        "Contacts": 1,
        "Engagement history": 1,
        "Workshops it hosted": 1,
    }
    assert client.post(url, data={"fingerprint": fingerprint_on(page)}).status_code == 302
    db.session.expire_all()
    kept = db.session.get(Organisation, keep_id)
    assert sorted(c.name for c in kept.contacts) == ["Kim Keep", "Rob Remove"]
    assert sorted(c.first_name for c in kept.champions) == ["Both", "Only"]
    assert [b.code for b in kept.boroughs] == ["bury", "rochdale"]
    assert kept.charity_number == "1234567"
    assert db.session.get(Workshop, workshop_id).host_organisation_id == keep_id
    assert db.session.get(OrganisationContact, contact.id).organisation_id == keep_id
    assert db.session.get(type(only_removed), only_removed.id).heard_via_organisation_id == keep_id
    assert db.session.get(Organisation, remove_id).merged_into_id == keep_id
    assert duplicate_pairs() == []
    listing = client.get("/staff/organisations").get_data(as_text=True)
    assert "Bury Carers&#39; Network" in listing and "Bury Carers Network<" not in listing
    assert client.get(f"/staff/organisations/{remove_id}").headers["Location"].endswith(f"/organisations/{keep_id}")
    again = client.get(url)
    assert again.status_code == 400 and "already been merged" in again.get_data(as_text=True)


def test_merging_an_organisation_into_itself_or_an_already_merged_one_is_refused(client, auth, db):
    a, b, c = make_org(db, "A"), make_org(db, "B"), make_org(db, "C")
    with pytest.raises(MergeRefused, match="cannot be merged with itself"):
        merge_organisations(a, a)
    merge_organisations(a, b, fingerprint=plan_organisation_merge(a, b).fingerprint)
    db.session.commit()
    auth.login_as("staff")
    before = dump(db)
    for keep, remove in ((c.id, b.id), (b.id, c.id)):
        response = client.post(f"/staff/organisations/{keep}/merge/{remove}", data={"fingerprint": "x"})
        assert response.status_code == 400 and "already been merged" in response.get_data(as_text=True)
    assert dump(db) == before


def test_a_stale_or_missing_preview_is_refused_and_changes_nothing(client, auth, db):
    keep, gone = make_org(db, "Keep"), make_org(db, "Gone")
    auth.login_as("staff")
    url = f"/staff/organisations/{keep.id}/merge/{gone.id}"
    fingerprint = fingerprint_on(client.get(url).get_data(as_text=True))
    make_contact(db, gone, "Added after the preview")
    before = dump(db)
    for data in ({"fingerprint": fingerprint}, {}):
        response = client.post(url, data=data)
        assert response.status_code == 400 and "changed since the preview" in response.get_data(as_text=True)
    assert dump(db) == before
    assert db.session.scalar(select(Organisation.merged_into_id).where(Organisation.id == gone.id)) is None


def test_an_organisation_merge_that_fails_half_way_changes_nothing(db, monkeypatch):
    keep, gone = make_org(db, "Keep", boroughs=("bury",)), make_org(db, "Gone", boroughs=("bury", "wigan"))
    make_contact(db, gone, "Rob")
    before = dump(db)
    fail_the_second_move(monkeypatch)
    with pytest.raises(RuntimeError):
        merge_organisations(keep, gone, fingerprint=plan_organisation_merge(keep, gone).fingerprint)
    db.session.commit()
    assert dump(db) == before


@pytest.mark.parametrize("race", RACES)
def test_of_two_merges_at_once_one_goes_through_and_the_other_is_refused(app, make, db, monkeypatch, race):
    a, b, c = make_org(db, "Alpha"), make_org(db, "Beta"), make_org(db, "Gamma")
    contact = make_contact(db, b)
    db.session.commit()
    outcomes, pairs = race_two_merges(app, monkeypatch, race, (a, b, c), plan_organisation_merge, _merge_ids)
    assert outcomes.count(MERGED) == 1, outcomes
    assert "has already been merged into another organisation" in next(o for o in outcomes if o != MERGED), outcomes
    keep, gone = pairs[outcomes.index(MERGED)]
    db.session.rollback()  # a fresh look at what the other connections committed
    assert db.session.get(Organisation, gone.id).merged_into_id == keep.id
    assert db.session.get(Organisation, keep.id).merged_into_id is None
    assert db.session.get(OrganisationContact, contact.id).organisation_id == (keep.id if gone is b else b.id)


def _merge_ids(keep_id: int, remove_id: int, fingerprint: str) -> None:
    keep, remove = _db.session.get(Organisation, keep_id), _db.session.get(Organisation, remove_id)
    merge_organisations(keep, remove, fingerprint=fingerprint)
