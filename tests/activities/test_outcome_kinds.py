"""Staff keep the list of what champions signpost people to: add, rename, change topic or place, retire, bring back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from champions.activities.models import Activity, ActivityOutcome, OutcomeKind
from champions.activities.outcome_kinds import add_kind, code_for
from champions.core.models import AuditEvent
from tests.factories import PASSWORD

NEW = {"name": "Diabetes prevention programme", "topic_code": "diet", "position": ""}


def kinds(db) -> list[tuple]:
    query = select(OutcomeKind.code, OutcomeKind.name, OutcomeKind.topic_code, OutcomeKind.position)
    return sorted(db.session.execute(query).all())


def events(db) -> list[tuple]:
    query = select(AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id).order_by(AuditEvent.id)
    query = query.where(AuditEvent.action.like("outcome_kind.%"))  # signing in is recorded too
    return [tuple(row) for row in db.session.execute(query)]


def test_staff_add_a_kind_that_champions_are_offered_from_then_on(client, db, auth):
    staff = auth.login_as("staff")
    page = client.get("/staff/outcomes").get_data(as_text=True)
    assert "Bowel cancer screening" in page and "The activity&#39;s own topic" in page  # "Something else"
    assert "/staff/outcomes/new" in page
    assert client.post("/staff/outcomes/new", data=NEW).status_code == 302
    kind = db.session.get(OutcomeKind, "diabetes_prevention_programme")
    assert (kind.name, kind.topic_code, kind.position, kind.retired_at) == (NEW["name"], "diet", 10, None)
    assert events(db) == [("outcome_kind.created", "OutcomeKind", "diabetes_prevention_programme")]
    assert db.session.scalar(select(AuditEvent.actor_id)) == staff.id
    client.post("/logout")
    auth.login_as("champion")
    assert 'value="diabetes_prevention_programme"' in client.get("/me/activities/new").get_data(as_text=True)


def test_a_general_kind_counts_under_the_activitys_topic_and_goes_where_it_is_put(client, db, auth):
    auth.login_as("staff")
    data = {"name": "Pharmacy advice", "topic_code": "", "position": "2"}
    assert client.post("/staff/outcomes/new", data=data).status_code == 302
    kind = db.session.get(OutcomeKind, "pharmacy_advice")
    assert (kind.topic_code, kind.position) == (None, 2)
    page = client.get("/staff/outcomes").get_data(as_text=True)
    table = page[page.index("<table") :]
    assert table.index("Bowel cancer screening") < table.index("Pharmacy advice") < table.index("Cervical screening")


def test_staff_rename_change_topic_and_place_while_the_code_stays(client, db, auth, make):
    auth.login_as("staff")
    champion = make.champion()
    activity = make.activity(champion, people_reached=4)
    db.session.add(
        ActivityOutcome(activity_id=activity.id, champion_id=champion.id, outcome_code="gp_symptom", signposted=4)
    )
    db.session.commit()
    page = client.get("/staff/outcomes/gp_symptom").get_data(as_text=True)
    assert 'value="The GP about a symptom"' in page
    data = {"name": "Their GP about a symptom", "topic_code": "screening", "position": "1"}
    assert client.post("/staff/outcomes/gp_symptom", data=data).status_code == 302
    kind = db.session.get(OutcomeKind, "gp_symptom")
    assert (kind.name, kind.topic_code, kind.position) == ("Their GP about a symptom", "screening", 1)
    assert db.session.scalar(select(ActivityOutcome.outcome_code)) == "gp_symptom"  # what was recorded follows
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action.like("outcome_kind.%")))
    assert (event.action, event.target_id, event.details["fields"]) == (
        "outcome_kind.changed",
        "gp_symptom",
        ["name", "topic_code", "position"],
    )
    assert client.post("/staff/outcomes/gp_symptom", data={**data, "position": ""}).status_code == 302
    assert db.session.get(OutcomeKind, "gp_symptom").position == 1  # blank keeps its place
    assert len(events(db)) == 1  # nothing changed: nothing recorded


def test_retiring_stops_offering_a_kind_and_bringing_it_back_offers_it_again(client, db, auth, make):
    auth.login_as("staff")
    assert client.post("/staff/outcomes/lung_health_check/retire").status_code == 302
    assert db.session.get(OutcomeKind, "lung_health_check").retired_at is not None
    assert "Bring back" in client.get("/staff/outcomes").get_data(as_text=True)
    champion = make.champion()
    client.post("/logout")
    client.post("/login", data={"email": champion.user.email, "password": PASSWORD})
    assert 'value="lung_health_check"' not in client.get("/me/activities/new").get_data(as_text=True)
    client.post("/logout")
    auth.login_as("staff")
    assert client.post("/staff/outcomes/lung_health_check/retire").status_code == 302
    assert db.session.get(OutcomeKind, "lung_health_check").retired_at is None
    assert [e[0] for e in events(db)] == ["outcome_kind.retired", "outcome_kind.restored"]


def test_pressing_retire_twice_leaves_the_kind_retired(client, db, auth):
    """The second press of a "Retire" button (a double click, or the same page left open in another tab) must not
    bring the kind back: each button says which way it goes."""
    auth.login_as("staff")
    page = client.get("/staff/outcomes").get_data(as_text=True)
    assert 'name="retire" value="1"' in page
    for _ in range(2):
        assert client.post("/staff/outcomes/lung_health_check/retire", data={"retire": "1"}).status_code == 302
    assert db.session.get(OutcomeKind, "lung_health_check").retired_at is not None
    assert "is already retired" in client.get("/staff/outcomes").get_data(as_text=True)
    for _ in range(2):
        assert client.post("/staff/outcomes/lung_health_check/retire", data={"retire": "0"}).status_code == 302
    assert db.session.get(OutcomeKind, "lung_health_check").retired_at is None
    assert [e[0] for e in events(db)] == ["outcome_kind.retired", "outcome_kind.restored"]
    for hostile in ("\x00", "2", "x" * 100_000):
        assert client.post("/staff/outcomes/lung_health_check/retire", data={"retire": hostile}).status_code == 400
    assert db.session.get(OutcomeKind, "lung_health_check").retired_at is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Enter what people are signposted to"),
        ({"name": "   "}, "name", "Enter what people are signposted to"),
        ({"name": "x" * 100_000}, "name", "Keep the name to 80 characters or fewer"),
        ({"name": "a\x00b"}, "name", "Remove the control characters"),
        ({"name": "breast SCREENING"}, "name", "There is already an outcome called “breast SCREENING”"),
        ({"topic_code": "juggling"}, "topic_code", "Choose a topic from the list"),
        ({"topic_code": "x" * 100_000}, "topic_code", "Choose a topic from the list"),
        ({"position": "0"}, "position", "Enter a place from 1 to 999, or leave it blank"),
        ({"position": "-5"}, "position", "Enter a place from 1 to 999"),
        ({"position": "100000000000000000000000"}, "position", "Enter a place from 1 to 999"),
        ({"position": "first"}, "position", "Enter a place from 1 to 999"),
    ],
)
def test_bad_input_is_explained_by_the_field_and_changes_nothing(client, db, auth, fields, field, message):
    auth.login_as("staff")
    before = kinds(db)
    for url in ("/staff/outcomes/new", "/staff/outcomes/other"):
        response = client.post(url, data={**NEW, **fields})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and "There is a problem" in html, url
        assert message in html and f'href="#{field}"' in html, url
    assert kinds(db) == before and events(db) == []


def test_codes_come_from_the_name_and_never_clash(db):
    assert code_for("Lung health check") == "lung_health_check_2"  # taken by the seeded kind
    assert code_for("Dépistage: côlon!") == "depistage_colon"
    assert code_for("🎉") == "outcome"
    long = "Community pharmacy blood pressure check service"
    first = add_kind(long, None, None)
    second = add_kind(long + " again", None, None)
    assert first.code == "community_pharmacy_blood_pressur" and len(first.code) == 32
    assert second.code == "community_pharmacy_blood_press_2"


def test_only_staff_manage_the_list(client, db, auth, make):
    auth.login_as("champion")
    assert client.get("/staff/outcomes").status_code == 403
    assert client.post("/staff/outcomes/new", data=NEW).status_code == 403
    assert client.post("/staff/outcomes/other/retire").status_code == 403
    assert db.session.get(OutcomeKind, "diabetes_prevention_programme") is None
    assert db.session.get(OutcomeKind, "other").retired_at is None
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_an_unknown_kind_is_not_found(client, auth):
    auth.login_as("staff")
    for code in ("a%00b", "x" * 5000, "%E2%80%AE"):
        assert client.get(f"/staff/outcomes/{code}").status_code == 404
        assert client.post(f"/staff/outcomes/{code}", data=NEW).status_code in (400, 404)
    assert client.get("/staff/outcomes/no_such_kind").status_code == 404
    assert client.post("/staff/outcomes/no_such_kind/retire").status_code == 404
