from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from champions.activities.models import UNDO_MINUTES, Activity, DeletedActivity
from champions.activities.tasks import purge_deleted_activities
from champions.core.clock import now_utc, today_uk
from champions.core.db import as_utc
from tests.conftest import run_task
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


# --- Dates typed as Day, Month and Year ------------------------------------------------------------------------


def parts(day, month, year) -> dict[str, str]:
    return {"occurred_on-day": str(day), "occurred_on-month": str(month), "occurred_on-year": str(year)}


def post_new(client, **fields):
    data = {key: value for key, value in GOOD.items() if key != "occurred_on"} | fields
    return client.post("/me/activities/new", data=data)


def test_the_date_is_typed_in_three_boxes_and_kept_when_the_form_comes_back(client, db, make, clock):
    clock.set(datetime(2026, 3, 20, 12, 0))
    login(client, make.champion().user)
    page = client.get("/me/activities/new").get_data(as_text=True)
    for box, name in (("occurred_on", "occurred_on-day"), ("occurred_on-month",) * 2, ("occurred_on-year",) * 2):
        assert f'id="{box}" name="{name}"' in page
    assert [label.strip() for label in re.findall(r'date-input__label" for="[^"]+">([^<]+)<', page)] == [
        "Day",
        "Month",
        "Year",
    ]
    assert "For example, 15 3 2026" in page and 'type="date"' not in page
    refused = post_new(client, **parts(31, 2, 2026), notes="Stall at the market")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "31 February 2026 is not a real date: February 2026 has 28 days" in html
    assert html.count("is not a real date") == 2  # beside the boxes and in the summary, once each
    assert 'value="31"' in html and "Stall at the market" in html  # what was typed comes back
    assert post_new(client, **parts(14, "March", 2026)).status_code == 302
    assert db.session.scalar(select(Activity.occurred_on)) == date(2026, 3, 14)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ((29, 2, 2026), "29 February 2026 is not a real date: February 2026 has 28 days"),
        ((1, 13, 2026), "The month must be a number from 1 to 12"),
        ((32, 1, 2026), "The day must be a number from 1 to 31"),
        ((1, 3, 26), "The year must be 4 numbers, for example 2026"),
        (("", 3, ""), "The date must include a day and a year"),
        (("x", 3, 2026), "Enter the date as numbers, for example 15 3 2026"),
        (("\u0661", 3, 2026), "Enter the date as numbers, for example 15 3 2026"),  # an Arabic-Indic digit
        (("1\x00", 3, 2026), "Enter the date as numbers, for example 15 3 2026"),
        ((1, 3, 9999), "Enter a year between 1900 and 2199"),
        ((1, 3, "0000"), "Enter a year between 1900 and 2199"),
        (("9" * 5000, 3, 2026), "Enter the date as numbers, for example 15 3 2026"),
        (("", "", ""), "Enter the date you did it"),
        ((21, 3, 2026), "The date cannot be in the future"),
        ((1, 1, 1900), "Enter a date from 20 March 2025 onwards"),
        ((19, 3, 2025), "Enter a date from 20 March 2025 onwards"),
    ],
)
def test_a_date_that_cannot_be_right_is_explained_beside_it_and_saves_nothing(client, db, make, clock, typed, message):
    clock.set(datetime(2026, 3, 20, 12, 0))
    login(client, make.champion().user)  # joined today: a year back is 20 March 2025
    response = post_new(client, **parts(*typed))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and 'href="#occurred_on"' in html
    assert "Not a valid" not in html
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_a_year_before_joining_is_the_earliest_date_and_an_older_activity_keeps_its_own(client, db, make, clock):
    clock.set(datetime(2026, 3, 20, 12, 0))
    champion = make.champion()
    login(client, champion.user)
    assert post_new(client, **parts(20, 3, 2025)).status_code == 302
    old = make.activity(champion, occurred_on=date(2024, 6, 1))  # from an import, say
    db.session.commit()
    changed = {**GOOD, "occurred_on-day": "1", "occurred_on-month": "6", "occurred_on-year": "2024", "notes": "Kept"}
    del changed["occurred_on"]
    assert client.post(f"/me/activities/{old.id}/edit", data=changed).status_code == 302
    db.session.refresh(old)
    assert old.notes == "Kept" and old.occurred_on == date(2024, 6, 1)


# --- Deleting asks first, and can be undone for a while ----------------------------------------------------------


def test_deleting_asks_first_then_offers_undo_which_puts_it_back_exactly(client, db, make, clock):
    clock.set(datetime(2026, 3, 20, 12, 0))
    champion = make.champion()
    login(client, champion.user)
    client.post("/me/activities/new", data={**GOOD, "occurred_on": "2026-03-19"})
    activity = db.session.scalar(select(Activity))
    before = {c: getattr(activity, c) for c in ("id", "type", "occurred_on", "notes", "created_at", "updated_at")}
    listing = client.get("/me/activities").get_data(as_text=True)
    assert f'href="/me/activities/{activity.id}/delete"' in listing  # a link to the question, not a delete button

    asked = client.get(f"/me/activities/{activity.id}/delete").get_data(as_text=True)
    assert "Are you sure you want to delete this activity?" in asked and "Talk at the community centre" in asked
    assert "Yes, delete it" in asked and "No, keep it" in asked
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 1  # asking deletes nothing

    clock.advance(minutes=3)
    assert client.post(f"/me/activities/{activity.id}/delete").headers["Location"].endswith("/me/activities")
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
    db.session.refresh(champion)
    assert champion.last_activity_on is None
    page = client.get("/me/activities").get_data(as_text=True)
    assert "The activity has been deleted" in page and "Undo" in page and "You have logged 0 activities" in page
    kept = db.session.scalar(select(DeletedActivity))
    assert "Undo" not in client.get("/me/activities").get_data(as_text=True)  # offered once, straight after

    clock.advance(minutes=10)
    restored = client.post(f"/me/activities/deleted/{kept.id}/restore", follow_redirects=True)
    assert "The activity has been put back" in restored.get_data(as_text=True)
    db.session.expire_all()
    activity = db.session.scalar(select(Activity))
    # As it was, under its own id; changed now, so that a copy synced through the API takes it back.
    same = [c for c in before if c != "updated_at"]
    assert {c: getattr(activity, c) for c in same} == {c: before[c] for c in same}
    assert as_utc(activity.updated_at) == now_utc() > as_utc(before["updated_at"])
    assert db.session.scalar(select(func.count()).select_from(DeletedActivity)) == 0
    db.session.refresh(champion)
    assert champion.last_activity_on == date(2026, 3, 19)


def test_undo_is_refused_after_the_window_and_the_hourly_job_forgets_the_row(client, db, make, clock):
    clock.set(datetime(2026, 3, 20, 12, 0))
    login(client, make.champion().user)
    client.post("/me/activities/new", data={**GOOD, "occurred_on": "2026-03-19"})
    activity = db.session.scalar(select(Activity))
    client.post(f"/me/activities/{activity.id}/delete")
    kept = db.session.scalar(select(DeletedActivity))
    clock.advance(minutes=UNDO_MINUTES, seconds=1)
    late = client.post(f"/me/activities/deleted/{kept.id}/restore", follow_redirects=True).get_data(as_text=True)
    assert "It is too late to undo that" in late
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
    assert run_task(purge_deleted_activities) == 1
    assert db.session.scalar(select(func.count()).select_from(DeletedActivity)) == 0


def test_a_champion_cannot_undo_another_champions_deletion(client, db, make, clock):
    clock.set(datetime(2026, 3, 20, 12, 0))
    owner, other = make.champion(), make.champion()
    login(client, owner.user)
    client.post("/me/activities/new", data={**GOOD, "occurred_on": "2026-03-19"})
    client.post(f"/me/activities/{db.session.scalar(select(Activity.id))}/delete")
    kept = db.session.scalar(select(DeletedActivity))
    client.post("/logout")
    login(client, other.user)
    client.post(f"/me/activities/deleted/{kept.id}/restore")
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
    assert db.session.scalar(select(func.count()).select_from(DeletedActivity)) == 1
