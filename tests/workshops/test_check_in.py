"""Check-in at the door: the workshop's staff page finds the people signed up by name, email or postcode (case and
spaces ignored) with a plain GET form that works without JavaScript, and a big Check in button for each."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from champions.workshops.models import WorkshopSignup
from champions.workshops.services import sign_up
from tests.workshops.helpers import make_workshop

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)


@pytest.fixture
def door(db, make, clock):
    clock.set(NOW)
    workshop = make_workshop(db, starts=datetime(2026, 3, 20, 18, 30, tzinfo=UTC), capacity=2)
    people = [
        make.champion(first_name="Priya", last_name="Shah", email="priya.shah@example.org", postcode="M1 1AE"),
        make.champion(first_name="Tom", last_name="O'Neil", email="tom@example.net", postcode="BL1 1AA"),
        make.champion(first_name="Sam", last_name="Okafor", email="sam@example.org", postcode="OL1 1HD"),
    ]
    for person in people:
        sign_up(workshop.id, person.id, by_staff=person is not people[2])
    db.session.commit()
    return workshop


def names(page: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong><br>", page)


@pytest.mark.parametrize(
    "typed, found",
    [
        ("priya", ["Priya Shah"]),
        ("PRIYA sh", ["Priya Shah"]),  # case and the space between names ignored
        ("priyashah", ["Priya Shah"]),
        ("o&#39;neil", []),  # what is typed is text, not markup
        ("O'Neil", ["Tom O&#39;Neil"]),
        ("@EXAMPLE.net", ["Tom O&#39;Neil"]),
        ("bl11aa", ["Tom O&#39;Neil"]),  # a postcode without its space
        ("ol1 1hd", ["Sam Okafor"]),
        ("example.org", ["Priya Shah", "Sam Okafor"]),
        ("  ", ["Priya Shah", "Tom O&#39;Neil", "Sam Okafor"]),
    ],
)
def test_the_search_finds_people_by_name_email_or_postcode(client, auth, door, typed, found):
    auth.login_as("staff")
    page = client.get(f"/staff/workshops/{door.id}", query_string={"q": typed}).get_data(as_text=True)
    assert names(page) == found
    if typed.strip() and found:
        assert f"{len(found)} of 3 signed up match" in page
    elif typed.strip():
        assert "Nobody signed up matches" in page


def test_the_search_is_a_plain_form_with_a_big_check_in_button_for_each_person_booked(client, auth, door):
    auth.login_as("staff")
    page = client.get(f"/staff/workshops/{door.id}?q=shah").get_data(as_text=True)
    form = re.search(r'<form method="get"[^>]*>.*?</form>', page, re.S).group(0)
    assert f'action="/staff/workshops/{door.id}#check-in"' in form and 'name="q"' in form and 'value="shah"' in form
    assert '<button class="nhsuk-button nhsuk-button--secondary" type="submit">Find</button>' in form
    assert page.count('class="nhsuk-button app-check-in__button"') == 1
    # Sam is on the waiting list: no check-in button for them (a place first).
    everyone = client.get(f"/staff/workshops/{door.id}").get_data(as_text=True)
    assert everyone.count('class="nhsuk-button app-check-in__button"') == 2
    # No inline script (CSP): the filter-as-you-type script is a static file, and the server does it without it.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", everyone)
    assert 'src="/static/js/check-in.js"' in everyone
    assert client.get("/static/js/check-in.js").status_code == 200


def test_checking_in_from_the_search_and_undoing_it(client, auth, db, door):
    auth.login_as("staff")
    signup = db.session.scalar(select(WorkshopSignup).where(WorkshopSignup.workshop_id == door.id))
    response = client.post(f"/staff/workshops/{door.id}/signups/{signup.id}/check-in", data={"present": "yes"})
    assert response.status_code == 302 and response.location.endswith("#attendance")
    page = client.get(f"/staff/workshops/{door.id}?q=priya").get_data(as_text=True)
    assert "Checked in 6:00PM" in page.replace("pm", "PM") and "Undo check-in" in page
    assert "app-check-in__button" not in page  # the one result is checked in: nothing more to press
    client.post(f"/staff/workshops/{door.id}/signups/{signup.id}/check-in", data={"present": "no"})
    db.session.expire_all()
    assert db.session.get(WorkshopSignup, signup.id).checked_in_at is None


@pytest.mark.parametrize("typed", ["x" * 10_000, "%", "_", "\u202e\u0000zz", "ﬀ" * 50])
def test_a_hostile_search_is_just_a_search(client, auth, door, typed):
    auth.login_as("staff")
    response = client.get(f"/staff/workshops/{door.id}", query_string={"q": typed})
    assert response.status_code == 200
    assert "Nobody signed up matches" in response.get_data(as_text=True)


def test_a_search_of_control_characters_alone_is_no_search(client, auth, door):
    auth.login_as("staff")
    page = client.get(f"/staff/workshops/{door.id}", query_string={"q": "\x00\x07"}).get_data(as_text=True)
    assert names(page) == ["Priya Shah", "Tom O&#39;Neil", "Sam Okafor"]
