"""Looking at personal data is audited: a champion's profile, the roster, a grant application, an organisation's
contacts. One event naming the viewer and the record; none when a person looks at their own. The audit log finds
the events about one person and downloads them."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from champions.core.models import AuditEvent
from champions.grants.models import ReviewAssignment
from tests.factories import PASSWORD
from tests.workshops.helpers import make_contact, make_org


def events(db, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def only_event(db, action: str) -> AuditEvent:
    found = events(db, action)
    assert len(found) == 1, [(e.action, e.target_id) for e in found]
    return found[0]


def test_opening_a_champion_profile_records_who_looked_at_whom(auth, client, make, db):
    champion = make.champion()
    staff = auth.login_as("staff")
    assert client.get(f"/staff/champions/{champion.id}").status_code == 200
    event = only_event(db, "champion.viewed")
    assert (event.actor_id, event.target_type, event.target_id) == (staff.id, "Champion", str(champion.id))


def test_the_roster_records_one_event_a_page_with_the_filter_names_not_what_was_typed(auth, client, make, db):
    make.champion(first_name="Sally")
    staff = auth.login_as("staff")
    assert client.get("/staff/champions?q=Sally&stage=registered").status_code == 200
    event = only_event(db, "roster.viewed")
    assert event.actor_id == staff.id and event.target_type is None
    assert set(event.details["filters"]) >= {"q", "stage"}
    assert "Sally" not in str(event.details)
    # A page that refuses its filter writes nothing, as any refused request.
    assert client.get("/staff/champions?registered_from=31-02-2026").status_code == 400
    assert len(events(db, "roster.viewed")) == 1


def test_grant_applications_seen_by_staff_and_by_their_reviewer_are_recorded(auth, client, make, db):
    application = make.application(status="under_review")
    staff = auth.login_as("staff")
    assert client.get(f"/grants/staff/applications/{application.id}").status_code == 200
    seen = only_event(db, "grant.application_viewed")
    assert (seen.actor_id, seen.target_type, seen.target_id) == (staff.id, "Application", str(application.id))
    client.post("/logout")
    reviewer = application.round.reviewers[0]
    assignment = db.session.scalar(select(ReviewAssignment).where(ReviewAssignment.application_id == application.id))
    client.post("/login", data={"email": reviewer.email, "password": PASSWORD})
    assert client.get(f"/grants/reviews/{assignment.id}").status_code == 200
    by_reviewer = [e for e in events(db, "grant.application_viewed") if e.actor_id == reviewer.id]
    assert len(by_reviewer) == 1 and by_reviewer[0].target_id == str(application.id)


def test_an_organisations_contacts_are_recorded_only_when_there_are_some(auth, client, db):
    empty, busy = make_org(db, "Quiet Group"), make_org(db, "Busy Group")
    make_contact(db, busy, "Pat Jones", email="pat@example.com")
    staff = auth.login_as("staff")
    assert client.get(f"/staff/organisations/{empty.id}").status_code == 200
    assert client.get(f"/staff/organisations/{busy.id}").status_code == 200
    event = only_event(db, "organisation.contacts_viewed")
    assert (event.actor_id, event.target_id) == (staff.id, str(busy.id))


def test_a_champion_who_is_also_staff_looking_at_their_own_profile_is_not_recorded(auth, client, make, db):
    staff = auth.login_as("staff")
    champion = make.champion_profile(staff)
    db.session.commit()
    assert client.get(f"/staff/champions/{champion.id}").status_code == 200
    assert events(db, "champion.viewed") == []


def test_the_audit_log_filters_by_the_person_affected_and_downloads_them(auth, client, make, db):
    sally, other = make.champion(first_name="Sally"), make.champion(first_name="Other")
    staff = auth.login_as("staff")
    client.get(f"/staff/champions/{sally.id}")
    client.get(f"/staff/champions/{other.id}")
    client.post("/logout")
    auth.login_as("admin")
    email = sally.user.email
    for typed in (email, email.upper(), str(sally.id)):
        page = client.get("/admin/audit", query_string={"person": typed})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert f"Champion #{sally.id}<" in text and f"Champion #{other.id}<" not in text
    rows = list(csv.DictReader(io.StringIO(client.get(f"/admin/audit.csv?person={sally.id}").get_data(as_text=True))))
    assert {(r["who"], r["action"], r["target_id"]) for r in rows} >= {(staff.email, "champion.viewed", str(sally.id))}
    assert all(r["target_id"] == str(sally.id) or r["target_type"] == "User" for r in rows)
    exported = events(db, "audit_log.exported")[-1]
    assert exported.details["filters"] == {"person": str(sally.id)}


@pytest.mark.parametrize(
    "typed", ["\x00", "a\x00b@example.com", "x" * 100_000, "ज़@例え.jp", "99999999999999999999", "0"]
)
def test_a_person_filter_naming_no_one_says_so_next_to_the_field(auth, client, make, db, typed):
    make.champion()
    auth.login_as("admin")
    page = client.get("/admin/audit", query_string={"person": typed})
    assert page.status_code == 400
    assert "Enter the email of someone with an account, or a champion number" in page.get_data(as_text=True)
    download = client.get("/admin/audit.csv", query_string={"person": typed})
    assert download.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))) == 0
