from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from champions.activities.models import Activity
from champions.core.clock import today_uk
from tests.factories import PASSWORD

GOOD = {
    "type": "group_talk",
    "occurred_on": today_uk().isoformat(),
    "borough_code": "wigan",
    "topic_code": "screening",
    "people_reached": "25",
    "notes": "Talk at the community centre",
}


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_a_champion_logs_sees_edits_and_deletes_their_activity(client, db, make):
    champion = make.champion()
    login(client, champion.user)
    assert client.post("/me/activities/new", data=GOOD).status_code == 302
    activity = db.session.scalar(select(Activity))
    assert (activity.champion_id, activity.type, activity.people_reached) == (champion.id, "group_talk", 25)
    db.session.refresh(champion)
    assert champion.last_activity_on == today_uk()
    page = client.get("/me/activities").get_data(as_text=True)
    assert "A talk to a group: Screening" in page and "Talk at the community centre" in page
    assert "reached 25 people" in page
    assert client.post(f"/me/activities/{activity.id}/edit", data={**GOOD, "people_reached": "30"}).status_code == 302
    db.session.refresh(activity)
    assert activity.people_reached == 30
    assert client.post(f"/me/activities/{activity.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("occurred_on", (today_uk() + timedelta(days=1)).isoformat(), "The date cannot be in the future"),
        ("occurred_on", "not a date", "Enter a real date"),
        ("occurred_on", "", "Enter the date you did it"),
        ("people_reached", "10001", "Enter a number from 0 to 10,000"),
        ("people_reached", "-1", "Enter a number from 0 to 10,000"),
        ("notes", "x" * 2001, "Notes must be 2,000 characters or fewer"),
        ("type", "juggling", "Not a valid choice"),
        ("topic_code", "", "Select the topic it was about"),
    ],
)
def test_bad_activity_input_is_explained_and_saves_nothing(client, db, make, field, value, message):
    login(client, make.user(role="champion"))
    response = client.post("/me/activities/new", data={**GOOD, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html and message in html
    assert "Talk at the community centre" in html or field == "notes"  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_a_champion_can_never_see_or_change_another_champions_activity(client, db, make):
    owner = make.champion()
    other = make.champion()
    login(client, owner.user)
    client.post("/me/activities/new", data=GOOD)
    activity = db.session.scalar(select(Activity))
    client.post("/logout")
    login(client, other.user)
    assert "Talk at the community centre" not in client.get("/me/activities").get_data(as_text=True)
    assert client.get(f"/me/activities/{activity.id}/edit").status_code == 404
    assert client.post(f"/me/activities/{activity.id}/edit", data={**GOOD, "notes": "hijacked"}).status_code == 404
    assert client.post(f"/me/activities/{activity.id}/delete").status_code == 404
    # An owner field slipped into the form does not move the activity either.
    client.post("/me/activities/new", data={**GOOD, "champion_id": owner.id, "notes": "mine"})
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).notes == "Talk at the community centre"
    assert db.session.scalar(select(Activity.champion_id).where(Activity.notes == "mine")) == other.id


def test_totals_by_type_and_topic(client, db, make):
    login(client, make.user(role="champion"))
    client.post("/me/activities/new", data=GOOD)
    client.post("/me/activities/new", data={**GOOD, "type": "conversation", "people_reached": "2"})
    client.post("/me/activities/new", data={**GOOD, "topic_code": "smoking", "people_reached": "5"})
    html = client.get("/me/activities").get_data(as_text=True)
    assert "You have logged 3 activities and reached 32 people" in html
