"""The champion's home in plain words at every stage, and a welcome back for lapsed champions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from champions.profiles.models import PUBLIC_LABELS, Stage
from champions.profiles.services import change_stage
from tests.factories import PASSWORD
from tests.privacy.test_rejoin import active_champion

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
CRM_TERMS = [s.label for s in Stage if s.label != "Trained"]  # "Trained" is plain English as well


@pytest.fixture(autouse=True)
def frozen(clock):
    return clock.set(NOW)


def test_every_stage_has_plain_words_and_staff_keep_the_crm_term():
    assert PUBLIC_LABELS == {
        Stage.REGISTERED: "Getting started",
        Stage.VERIFIED: "Email confirmed",
        Stage.TRAINED: "Trained",
        Stage.ACTIVE: "Active champion",
        Stage.LAPSED: "Taking a break",
        Stage.WITHDRAWN: "Withdrawn — you can rejoin",
    }
    assert [s.label for s in Stage] == ["Registered", "Verified", "Trained", "Active", "Lapsed", "Withdrawn"]


@pytest.mark.parametrize("stage", list(Stage))
def test_the_champions_own_pages_never_show_crm_stage_terms(client, db, make, stage):
    champion = make.champion()
    champion.stage = stage.value
    db.session.commit()
    client.post("/login", data={"email": champion.user.email, "password": PASSWORD})
    home = client.get("/me").get_data(as_text=True)
    assert 'Your stage: <strong class="nhsuk-tag nhsuk-tag--' in home and stage.public_label in home
    for page in (home, client.get("/me/network").get_data(as_text=True)):
        for term in CRM_TERMS:
            assert f">{term}<" not in page and f"Your stage: {term}" not in page


def test_staff_see_the_crm_term(client, db, make, auth):
    champion = make.champion()
    change_stage(champion, Stage.LAPSED, "No activity for 60 days")
    db.session.commit()
    auth.login_as("staff")
    record = client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)
    assert "Lapsed" in record and "Taking a break" not in record


def test_a_lapsed_champion_is_welcomed_back_and_logging_an_activity_makes_them_active(client, db, make):
    champion = active_champion(db, make)
    change_stage(champion, Stage.LAPSED, "No activity for 60 days")
    db.session.commit()
    client.post("/login", data={"email": champion.user.email, "password": PASSWORD})
    home = client.get("/me").get_data(as_text=True)
    assert "Welcome back — log an activity or see what's new" in home
    assert "You have completed every step" not in home and "Taking a break" in home
    assert 'href="/me/activities/new"' in home and 'href="/me/training"' in home

    logged = client.post(
        "/me/activities/new",
        data={
            "type": "conversation",
            "occurred_on": "2026-03-10",
            "borough_code": "bolton",
            "topic_code": "screening",
            "people_reached": "2",
        },
    )
    assert logged.status_code == 302
    db.session.refresh(champion)
    assert champion.stage == "active"
    assert (champion.history[-1].from_stage, champion.history[-1].reason) == (
        "lapsed",
        "Logged an activity after a lapse",
    )
    home = client.get("/me").get_data(as_text=True)
    assert "Active champion" in home and "You have completed every step" in home
