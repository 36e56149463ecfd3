"""A champion changes their own activity through the API, as its edit page does; what came of it stays true to it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from champions.activities.models import Activity, ActivityOutcome
from tests.api.helpers import bearer, token_for

PROBLEM = "application/problem+json"


@pytest.fixture
def stall(db, make, clock):
    """A champion's stall that reached 20 people, 12 of them signposted to bowel screening, and their token."""
    clock.set(datetime(2026, 3, 20, 12, 0))
    champion = make.champion()
    activity = make.activity(champion, type="stall_or_event", people_reached=20, occurred_on=date(2026, 3, 19))
    row = ActivityOutcome(activity_id=activity.id, champion_id=champion.id, outcome_code="bowel_screening")
    row.signposted, row.said_would_act = 12, 2
    db.session.add(row)
    db.session.commit()
    return activity, bearer(token_for(db, champion.user))


def _as_it_is(db) -> tuple:
    db.session.expire_all()
    activity = db.session.scalar(select(Activity))
    outcomes = db.session.execute(select(ActivityOutcome.outcome_code, ActivityOutcome.signposted)).all()
    return activity.type, activity.people_reached, activity.notes, outcomes


def test_a_champion_changes_only_the_fields_sent_and_the_outcomes_stay(client, db, stall):
    activity, headers = stall
    body = {"people_reached": 12, "type": "group_talk", "notes": "Moved indoors"}
    answer = client.patch(f"/api/v1/activities/mine/{activity.id}", json=body, headers=headers)
    assert answer.status_code == 200, answer.json
    assert answer.json["people_reached"] == 12 and answer.json["occurred_on"] == "2026-03-19"
    assert _as_it_is(db) == ("group_talk", 12, "Moved indoors", [("bowel_screening", 12)])


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"type": "social_media"}, "type", "This activity cannot become a social media post while it has people"),
        ({"people_reached": 11}, "people_reached", "People reached cannot be fewer than the 12 people signposted"),
        ({"people_reached": 0, "notes": "x"}, "people_reached", "signposted to Bowel cancer screening"),
    ],
)
def test_a_change_its_outcomes_would_not_fit_is_a_problem_naming_the_field(client, db, stall, body, field, message):
    activity, headers = stall
    before = _as_it_is(db)
    answer = client.patch(f"/api/v1/activities/mine/{activity.id}", json=body, headers=headers)
    assert answer.status_code == 422 and answer.mimetype == PROBLEM, answer.json
    assert [error["field"] for error in answer.json["errors"]] == [field]
    assert message in answer.json["errors"][0]["detail"]
    assert _as_it_is(db) == before


def test_the_edit_pages_checks_apply_and_another_champions_activity_is_not_found(client, db, make, stall):
    activity, headers = stall
    future = client.patch(f"/api/v1/activities/mine/{activity.id}", json={"occurred_on": "2026-03-21"}, headers=headers)
    assert future.status_code == 422
    assert future.json["errors"] == [{"field": "occurred_on", "detail": "The date cannot be in the future"}]
    long_notes = client.patch(f"/api/v1/activities/mine/{activity.id}", json={"notes": "n" * 2001}, headers=headers)
    assert long_notes.status_code == 422 and long_notes.json["errors"][0]["field"] == "notes"
    other = bearer(token_for(db, make.champion().user))
    assert client.patch(f"/api/v1/activities/mine/{activity.id}", json={"notes": "x"}, headers=other).status_code == 404
    assert _as_it_is(db) == ("stall_or_event", 20, None, [("bowel_screening", 12)])
