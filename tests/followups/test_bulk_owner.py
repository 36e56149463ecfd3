"""One owner for many organisations, or many of a round's applications: confirmed, all or nothing, audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from champions.core.models import AuditEvent
from champions.grants.models import Application
from champions.organisations.models import Organisation
from tests.workshops.helpers import make_org


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def confirm_token(response) -> str:
    found = re.search(r'name="checked" value="([0-9a-f]+)"', response.get_data(as_text=True))
    assert found, text(response)[-2000:]
    return found.group(1)


def owners(db, model, ids) -> list[int | None]:
    db.session.expire_all()
    return [db.session.get(model, i).owner_id for i in ids]


def test_all_organisations_that_match_the_filter_get_an_owner_after_confirming(auth, client, make, db):
    owner = make.user(role="staff", email="olu@example.org")
    bolton = [make_org(db, f"Bolton Group {i}", type="faith") for i in range(3)]
    other = make_org(db, "Wigan Walkers", type="grassroots", boroughs=("wigan",))
    staff = auth.login_as("staff")
    page = text(client.get("/staff/organisations?type=faith"))
    assert f'name="id" value="{bolton[0].id}"' in page and "Assign an owner to all that match" in page

    form = {"scope": "all", "type": "faith", "owner": str(owner.id)}
    shown = client.get("/staff/owners/organisation", query_string={"scope": "all", "type": "faith"})
    assert "3 organisations selected: all that match the filter" in text(shown)
    preview = client.post("/staff/owners/organisation", data=form)
    assert "3 organisations will be owned by olu@example.org." in text(preview)
    assert owners(db, Organisation, [o.id for o in bolton]) == [None] * 3
    done = client.post("/staff/owners/organisation", data=form | {"checked": confirm_token(preview)})
    assert done.status_code == 302 and "type=faith" in done.location
    assert "Owner changed for 3 organisations." in text(client.get(done.location))
    assert owners(db, Organisation, [o.id for o in [*bolton, other]]) == [owner.id] * 3 + [None]
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "owner.bulk_assigned"))
    assert (event.actor_id, event.details["kind"], event.details["count"]) == (staff.id, "organisation", 3)
    assert event.details["ids"] == sorted(o.id for o in bolton)


def test_a_merged_organisation_in_the_selection_is_named_and_nothing_changes(auth, client, make, db):
    owner = make.user(role="staff")
    keep, merged = make_org(db, "Keep Group"), make_org(db, "Merged Group")
    merged.merged_into_id = keep.id
    db.session.commit()
    auth.login_as("staff")
    response = client.post("/staff/owners/organisation", data={"id": [keep.id, merged.id], "owner": str(owner.id)})
    assert response.status_code == 400 and f"Merged Group (#{merged.id})" in text(response)
    assert owners(db, Organisation, [keep.id, merged.id]) == [None, None]


def test_ticked_applications_of_a_round_get_an_owner_and_other_rounds_ids_are_refused(auth, client, make, db):
    owner = make.user(role="staff", email="gita@example.org")
    first = make.application(status="eligible")
    second = make.application(round=first.round, status="eligible")
    elsewhere = make.application(status="eligible")
    db.session.commit()
    auth.login_as("staff")
    page = text(client.get(f"/grants/staff/rounds/{first.round_id}"))
    assert f'name="id" value="{first.id}"' in page and 'form="bulk"' in page

    form = {"round": first.round_id, "id": [first.id, second.id], "owner": str(owner.id)}
    preview = client.post("/staff/owners/application", data=form)
    assert "2 applications will be owned by gita@example.org." in text(preview)
    client.post("/staff/owners/application", data=form | {"checked": confirm_token(preview)})
    assert owners(db, Application, [first.id, second.id, elsewhere.id]) == [owner.id, owner.id, None]

    every = {"round": first.round_id, "scope": "all", "status": "eligible"}
    shown = client.get("/staff/owners/application", query_string=every)
    assert shown.status_code == 200 and "2 applications selected in" in text(shown)
    assert "all that match the filter" in text(shown)

    forged = client.post("/staff/owners/application", data=form | {"id": [first.id, elsewhere.id], "owner": "none"})
    assert forged.status_code == 400 and "not records we hold in this round" in text(forged)
    assert owners(db, Application, [first.id]) == [owner.id]


def test_bad_owner_or_selection_is_explained_and_changes_nothing(auth, client, make, db):
    funder = make.user(role="funder")
    org = make_org(db, "Lone Group")
    auth.login_as("staff")
    for data, message in [
        ({"owner": "none"}, "Select at least one organisation"),
        ({"id": ["abc"], "owner": "none"}, "not records we hold"),
        ({"id": [str(org.id)], "owner": str(funder.id)}, "Choose a member of staff from the list"),
        ({"id": [str(org.id)], "owner": "a\x00b"}, "Choose a member of staff from the list"),
        ({"id": [str(org.id)], "owner": "99999999999999999999"}, "Choose a member of staff from the list"),
    ]:
        response = client.post("/staff/owners/organisation", data=data)
        assert response.status_code == 400 and message in text(response), data
    assert client.post("/staff/owners/application", data={"id": [org.id], "owner": "none"}).status_code == 400
    assert owners(db, Organisation, [org.id]) == [None]
