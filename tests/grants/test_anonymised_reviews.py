"""A round whose reviewers see anonymised applications: the project, never who is behind it; staff see everything."""

from __future__ import annotations

import html
from datetime import datetime

import pytest

from champions.grants.services import reviews
from tests.grants.helpers import login

NOW = datetime(2027, 2, 10, 10, 30)
# Everything that says who applied: the group as typed and on the register, its contact and its register details.
IDENTIFYING = {
    "group_name": "Hollins Knit and Natter",
    "contact_name": "Philippa Quarmby",
    "contact_email": "pquarmby@knitters.example",
    "contact_phone": "07700 900461",
    "group_number": "1187342",
    "group_postcode": "BL9 8QZ",
    "group_website": "https://knit-and-natter.example",
}
REGISTER_NAME = "Hollins Knitters (register)"


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(NOW)



def identified_application(make, db, anonymise: bool):
    reviewer = make.user(role="reviewer")
    round_ = make.round(reviewers=[reviewer], anonymise_reviews=anonymise)
    application = make.application(round=round_, status="under_review")
    for name, value in IDENTIFYING.items():
        setattr(application, name, value)
    application.organisation.name = REGISTER_NAME
    db.session.commit()
    return application, application.assignments[0]


def shown(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def leaks(page: str) -> list[str]:
    words = [*IDENTIFYING.values(), REGISTER_NAME, "07700900461", "+44 7700 900461"]
    return [w for w in words if w in page]


def test_a_reviewer_of_an_anonymised_round_sees_no_name_contact_or_register_detail(client, make, db):
    application, assignment = identified_application(make, db, anonymise=True)
    login(client, assignment.reviewer)
    label = f"Applicant A-{application.id}"
    listed = shown(client.get("/grants/reviews"))
    assert label in listed and not leaks(listed)
    declared = shown(client.get(f"/grants/reviews/{assignment.id}"))
    assert label in declared and "Weekly tea mornings" in declared and "Room hire" in declared  # the project is there
    assert not leaks(declared)
    # Through every step of the review: declaring, scoring, and reading the scores afterwards.
    reviews.declare_conflict(assignment, False, None)
    db.session.commit()
    assert not leaks(shown(client.get(f"/grants/reviews/{assignment.id}")))
    reviews.submit_scores(assignment, {c.id: (4, "Good") for c in application.round.criteria})
    db.session.commit()
    assert not leaks(shown(client.get(f"/grants/reviews/{assignment.id}")))
    assert not leaks(shown(client.get("/grants/reviews")))


def test_a_refused_review_form_shows_no_identifying_detail_either(client, make, db):
    application, assignment = identified_application(make, db, anonymise=True)
    login(client, assignment.reviewer)
    response = client.post(f"/grants/reviews/{assignment.id}", data={"action": "conflict", "c-conflict": "maybe"})
    assert response.status_code == 400
    assert not leaks(html.unescape(response.get_data(as_text=True)))


def test_staff_still_see_everything_of_an_anonymised_round(client, make, db):
    application, _ = identified_application(make, db, anonymise=True)
    login(client, make.user(role="staff"))
    page = shown(client.get(f"/grants/staff/applications/{application.id}"))
    for value in ("Philippa Quarmby", "pquarmby@knitters.example", REGISTER_NAME):
        assert value in page, value


def test_a_reviewer_of_a_round_that_does_not_anonymise_sees_the_group(client, make, db):
    application, assignment = identified_application(make, db, anonymise=False)
    login(client, assignment.reviewer)
    page = shown(client.get(f"/grants/reviews/{assignment.id}"))
    assert "Hollins Knit and Natter" in page and "Philippa Quarmby" in page
    assert f"Applicant A-{application.id}" not in page
