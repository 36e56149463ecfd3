"""Saved searches: a staff member keeps a list's filters under a name and opens them again from beside the filters;
nobody else sees or opens them; only the list's own filters are kept, checked when saved and again when opened."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from champions.core.saved_searches import SavedSearch
from tests.factories import PASSWORD


def save(client, name: str, query: str, list_name: str = "roster"):
    return client.post("/staff/saved-searches", data={"list_name": list_name, "query": query, "name": name})


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(SavedSearch))


def sign_in(client, user) -> None:
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


@pytest.fixture
def staff(auth, db):
    return auth.login_as("staff")


def test_the_roster_filters_are_saved_and_opened_from_beside_the_filters(client, db, make, staff):
    make.champion(first_name="Wendy", last_name="Wigan", borough_code="wigan", postcode="WN1 1AA")
    make.champion(first_name="Bob", last_name="Bolton")
    roster = client.get("/staff/champions?borough=wigan&stage=registered").get_data(as_text=True)
    assert "Saved searches" in roster and 'name="query"' in roster
    response = save(client, "  Wigan   newcomers ", "stage=registered&borough=wigan&sort=newest")
    assert response.status_code == 302
    assert response.location.endswith("/staff/champions?stage=registered&borough=wigan&sort=newest")
    saved = db.session.scalar(select(SavedSearch))
    assert (saved.user_id, saved.list_name, saved.name) == (staff.id, "roster", "Wigan newcomers")
    page = client.get("/staff/champions").get_data(as_text=True)
    assert f'href="/staff/saved-searches/{saved.id}">Wigan newcomers</a>' in page
    opened = client.get(f"/staff/saved-searches/{saved.id}", follow_redirects=True)
    assert "Wendy Wigan" in opened.get_data(as_text=True) and "Bob Bolton" not in opened.get_data(as_text=True)


def test_nobody_else_sees_or_uses_my_saved_searches(client, db, make, staff):
    assert save(client, "Mine", "stage=active").status_code == 302
    saved = db.session.scalar(select(SavedSearch))
    other = make.user(role="staff")
    sign_in(client, other)
    assert "Mine" not in client.get("/staff/champions").get_data(as_text=True)
    assert "Mine" not in client.get("/staff/saved-searches").get_data(as_text=True)
    assert client.get(f"/staff/saved-searches/{saved.id}").status_code == 404
    assert client.post(f"/staff/saved-searches/{saved.id}/rename", data={"name": "Theirs"}).status_code == 404
    assert client.post(f"/staff/saved-searches/{saved.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(SavedSearch, saved.id).name == "Mine"
    # The same name is theirs to use too: names are per person.
    assert save(client, "Mine", "stage=lapsed").status_code == 302
    assert count(db) == 2


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("Sneaky", "stage=active&is_admin=1", "Champions has no filter called is_admin"),
        ("Twice", "stage=active&stage=lapsed", "Each filter can be given only once"),
        ("Bad date", "registered_from=2025-02-30", "must be a real date"),
        ("Bad stage", "stage=emperor", "Stage must be one of the choices"),
        ("Nothing", "", "Choose some filters first"),
        ("Blank", "q=%20%20", "Choose some filters first"),
        ("Too long", "q=" + "x" * 2100, "too long"),
        ("Nul", "q=a%00b", "Remove the control characters"),
        ("", "stage=active", "Enter a name for the search"),
        ("\x00", "stage=active", "Remove the control characters"),
        ("x" * 300, "stage=active", "80 characters or fewer"),
    ],
)
def test_refused_searches_say_why_keep_what_was_typed_and_save_nothing(client, db, staff, name, query, message):
    response = save(client, name, query)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    if message:
        assert message in page
    if name and "\x00" not in name:
        assert f'value="{name}"' in page
    assert count(db) == 0


def test_a_list_that_does_not_exist_or_is_not_theirs_to_open_is_refused(client, db, staff):
    assert save(client, "Forged", "stage=active", list_name="payroll").status_code == 400
    assert save(client, "Audit", "action=login", list_name="audit").status_code == 400  # the audit log is admins'
    assert count(db) == 0


def test_organisations_and_the_audit_log_can_be_saved_too(client, db, auth):
    auth.login_as("admin")
    assert "Saved searches" in client.get("/staff/organisations?level=partner").get_data(as_text=True)
    assert save(client, "Partners", "level=partner", list_name="organisations").status_code == 302
    assert save(client, "Bad level", "level=overlord", list_name="organisations").status_code == 400
    assert "Saved searches" in client.get("/admin/audit?action=login").get_data(as_text=True)
    response = save(client, "Sign-ins", "action=login&start=2026-01-01", list_name="audit")
    assert response.status_code == 302 and "/admin/audit?action=login&start=2026-01-01" in response.location
    assert save(client, "Bad end", "end=31/02/2026", list_name="audit").status_code == 400
    assert sorted(db.session.scalars(select(SavedSearch.name))) == ["Partners", "Sign-ins"]


def test_a_duplicate_name_is_refused_and_rename_and_delete_work(client, db, staff):
    save(client, "Wigan", "borough=wigan")
    save(client, "Bolton", "borough=bolton")
    assert save(client, "Wigan", "borough=bury").status_code == 400
    wigan, bolton = db.session.scalars(select(SavedSearch).order_by(SavedSearch.id))
    refused = client.post(f"/staff/saved-searches/{bolton.id}/rename", data={"name": "Wigan"})
    assert refused.status_code == 400
    assert "already have a saved search with this name" in refused.get_data(as_text=True)
    assert client.post(f"/staff/saved-searches/{bolton.id}/rename", data={"name": "x" * 81}).status_code == 400
    assert client.post(f"/staff/saved-searches/{bolton.id}/rename", data={"name": "Bolton, all"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SavedSearch, bolton.id).name == "Bolton, all"
    assert client.post(f"/staff/saved-searches/{wigan.id}/delete").status_code == 302
    assert list(db.session.scalars(select(SavedSearch.name))) == ["Bolton, all"]


def test_a_saved_search_is_checked_again_when_opened(client, db, staff):
    save(client, "Old", "stage=active")
    saved = db.session.scalar(select(SavedSearch))
    saved.query = "stage=active&retired_filter=1"  # as if the list had dropped a filter since
    db.session.commit()
    response = client.get(f"/staff/saved-searches/{saved.id}")
    assert response.status_code == 400
    assert re.search(r"‘Old’ no longer works: .*no filter called retired_filter", response.get_data(as_text=True))


def test_a_list_keeps_up_to_its_limit_of_saved_searches_per_person(client, db, make, staff, monkeypatch):
    monkeypatch.setattr("champions.core.saved_searches.PER_LIST_MAX", 2)
    assert save(client, "One", "stage=active").status_code == 302
    assert save(client, "Two", "stage=registered").status_code == 302
    assert save(client, "Charities", "type=charity", list_name="organisations").status_code == 302  # another list
    refused = save(client, "Three", "stage=withdrawn")
    assert refused.status_code == 400
    assert "You can keep up to 2 saved searches for a list" in refused.get_data(as_text=True)
    other = make.user(role="staff")
    sign_in(client, other)
    assert save(client, "Theirs", "stage=withdrawn").status_code == 302  # the limit is each person's own
    assert count(db) == 4
