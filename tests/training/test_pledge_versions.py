"""New pledge versions: what changed, the current version only, and versions champions must accept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from champions.core.errors import Refused
from champions.core.models import AuditEvent
from champions.profiles.models import Stage
from champions.training.catalogue import publish_pledge
from champions.training.models import Pledge, PledgeAcceptance
from champions.training.onboarding import progress
from champions.training.services import accept_pledge, current_pledge, pledge_update, word_changes
from tests.factories import PASSWORD
from tests.privacy.test_rejoin import active_champion

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(clock, db):
    """The clock stopped at NOW, the migration's pledge published a month before (it was loaded at set-up time)."""
    db.session.execute(update(Pledge).values(published_at=NOW - timedelta(days=30)))
    db.session.commit()
    return clock.set(NOW)


def signed_in_champion(client, make, stage: Stage = Stage.ACTIVE):
    champion = make.champion()
    champion.stage = stage.value
    make.db.session.commit()
    assert client.post("/login", data={"email": champion.user.email, "password": PASSWORD}).status_code == 302
    return champion


def acceptances(db, champion) -> list[str]:
    rows = db.session.scalars(select(PledgeAcceptance).where(PledgeAcceptance.champion_id == champion.id))
    return sorted(a.pledge.version for a in rows)


def test_staff_publish_a_version_with_what_changed_and_must_accept(auth, client, db):
    auth.login_as("staff")
    form = client.get("/staff/training/pledge").get_data(as_text=True)
    assert 'name="summary"' in form and 'name="must_accept"' in form
    response = client.post(
        "/staff/training/pledge",
        data={
            "version": "2026-05",
            "text": "I will talk and listen.",
            "summary": "Listening added.",
            "must_accept": "y",
        },
    )
    assert response.status_code == 302
    pledge = current_pledge()
    assert (pledge.version, pledge.summary, pledge.must_accept) == ("2026-05", "Listening added.", True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "training.pledge_published"))
    assert event.details["must_accept"] is True
    catalogue = client.get("/staff/training").get_data(as_text=True)
    assert "What changed:</strong> Listening added." in catalogue and "Champions must accept this version." in catalogue


@pytest.mark.parametrize(
    "summary, message",
    [("x" * 501, "500 characters or fewer"), ("a\x00b", "Remove the control characters")],
)
def test_a_bad_summary_is_explained_beside_it_and_publishes_nothing(auth, client, db, summary, message):
    auth.login_as("staff")
    before = db.session.scalar(select(func.count()).select_from(Pledge))
    response = client.post("/staff/training/pledge", data={"version": "v9", "text": "Words", "summary": summary})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Pledge)) == before


def test_word_changes_keep_removed_and_added_runs_in_reading_order():
    assert word_changes("I will talk to my friends", "I will talk and listen to my family") == [
        ("same", "I will talk"),
        ("added", "and listen"),
        ("same", "to my"),
        ("removed", "friends"),
        ("added", "family"),
    ]


def test_a_champion_who_accepted_an_earlier_version_sees_what_changed_and_accepts_the_new_one(client, db, make):
    champion = signed_in_champion(client, make)
    old = current_pledge()
    accept_pledge(champion, old)
    db.session.commit()
    assert "The champion pledge has changed" not in client.get("/me").get_data(as_text=True)

    publish_pledge("2026-05", old.text + " I will listen too.", "We added listening.")
    db.session.commit()
    home = client.get("/me").get_data(as_text=True)
    assert "The champion pledge has changed" in home and "We added listening." in home
    assert '<ins><span class="nhsuk-u-visually-hidden">added: </span>I will listen too.</ins>' in home
    assert "You do not have to make it again" in home and 'href="/me/pledge"' in home
    page = client.get("/me/pledge").get_data(as_text=True)
    assert "We added listening." in page and "I will listen too." in page
    # Dates, not the version codes staff use.
    assert "(the pledge as published on 4 April 2026)" in page and "The pledge as published on 4 May 2026" in page
    assert f"version {old.version}" not in page and "2026-05" not in page

    new = current_pledge()
    assert client.post("/me/pledge", data={"agree": "y", "pledge_id": str(new.id)}).status_code == 302
    assert acceptances(db, champion) == sorted([old.version, "2026-05"])
    assert pledge_update(champion) is None
    assert "The champion pledge has changed" not in client.get("/me").get_data(as_text=True)


@pytest.mark.parametrize("posted", ["old", "", "a\x00b", "99999999999999999999", ["1", "2"]])
def test_only_the_current_version_can_be_accepted(client, db, make, posted):
    champion = signed_in_champion(client, make, Stage.TRAINED)
    old = current_pledge()
    publish_pledge("2026-05", "New words.")
    db.session.commit()
    response = client.post("/me/pledge", data={"agree": "y", "pledge_id": str(old.id) if posted == "old" else posted})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "The pledge changed while you were reading it" in page
    assert "New words." in page and f'value="{current_pledge().id}"' in page
    assert acceptances(db, champion) == []
    with pytest.raises(Refused, match="replaced by a newer one"):
        accept_pledge(champion, old)


def test_a_version_champions_must_accept_reopens_the_step_without_demoting_anyone(client, db, make):
    champion = active_champion(db, make)
    assert client.post("/login", data={"email": champion.user.email, "password": PASSWORD}).status_code == 302
    assert progress(champion).pledged and "You have completed every step" in client.get("/me").get_data(as_text=True)

    publish_pledge("optional", "Optional words.")
    db.session.commit()
    assert progress(champion).pledged  # not must_accept: the step stays done

    publish_pledge("required", "Required words.", "Safeguarding added.", must_accept=True)
    db.session.commit()
    assert not progress(champion).pledged
    home = client.get("/me").get_data(as_text=True)
    # An established champion is asked to make the pledge again, not shown the beginner's checklist.
    assert "Please read the new words and make the pledge again." in home and "Read and accept the new pledge" in home
    assert "Getting started" not in home and "of 4 steps" not in home and "You have completed every step" not in home
    assert "To stay an active champion" not in home and "Active champion" in home
    page = client.get("/me/pledge").get_data(as_text=True)
    assert "The pledge has changed since you made it. Please read the new words and make the pledge again." in page
    assert "The pledge as published on 4 May 2026" in page and "version required" not in page
    assert champion.stage == "active"  # nobody is moved back a stage

    later = NOW + timedelta(days=1)
    publish_pledge("after", "Later optional words.").published_at = later
    db.session.commit()
    assert not progress(champion).pledged  # a later optional version does not lift the requirement
    accept_pledge(champion, current_pledge())  # ...but accepting it (later than the required one) meets it
    db.session.commit()
    assert progress(champion).pledged
    assert "You have completed every step" in client.get("/me").get_data(as_text=True)


def test_a_new_champion_needs_the_version_they_must_accept_to_become_active(db, make):
    champion = make.champion()
    old = current_pledge()
    accept_pledge(champion, old)
    publish_pledge("required", "Required words.", must_accept=True)
    assert not progress(champion).pledged
    accept_pledge(champion, current_pledge())
    assert progress(champion).pledged
