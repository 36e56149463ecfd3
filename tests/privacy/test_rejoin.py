"""Withdrawing and coming back: one step home, history kept, nothing done or sent while withdrawn."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from champions.accounts.consent import has_consent, set_consent
from champions.accounts.models import User
from champions.accounts.services import verify_email
from champions.accounts.tokens import verification_token
from champions.activities.models import Activity
from champions.activities.services import log_activity
from champions.core.errors import Refused
from champions.core.models import AuditEvent, OutboxMessage
from champions.nudges import evaluation
from champions.nudges.models import NudgeMessage, NudgeRule
from champions.privacy.services import erase, rejoin, withdraw
from champions.profiles.models import Champion, Stage
from champions.roster import staff_tasks
from champions.roster.duplicates import merge, plan_merge
from champions.training.models import TrainingResource
from champions.training.onboarding import core_resource_ids
from champions.training.services import accept_pledge, complete, current_pledge
from champions.workshops.services import cancel, sign_up
from champions.workshops.tasks import send_workshop_reminders
from tests.conftest import run_task
from tests.factories import PASSWORD
from tests.roster.test_durable_work import _imported
from tests.workshops.helpers import make_workshop

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # a Tuesday morning in London
ACTIVITY = {
    "type": "conversation",
    "occurred_on": date(2026, 3, 9),
    "borough_code": "bolton",
    "topic_code": "screening",
    "people_reached": 3,
    "notes": "",
}


@pytest.fixture(autouse=True)
def frozen(clock):
    return clock.set(NOW)


def active_champion(db, make, **profile) -> Champion:
    """A champion who did every onboarding step (through the services), so is active."""
    champion = make.champion(**profile)
    verify_email(verification_token(champion.user))
    for resource_id in core_resource_ids():
        complete(champion, db.session.get(TrainingResource, resource_id), None)
    accept_pledge(champion, current_pledge())
    log_activity(champion, ACTIVITY)
    db.session.commit()
    assert champion.stage == Stage.ACTIVE.value
    return champion


def sign_in(client, champion) -> None:
    response = client.post("/login", data={"email": champion.user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_withdrawn_champion_rejoins_in_one_step_at_the_stage_their_progress_reaches(client, db, make):
    champion = active_champion(db, make)
    set_consent(champion.user_id, "email_contact", True)
    db.session.commit()
    sign_in(client, champion)
    client.post("/me/withdraw")
    db.session.refresh(champion)
    assert champion.stage == "withdrawn" and not has_consent(champion.user_id, "email_contact")

    home = client.get("/me").get_data(as_text=True)
    assert "Withdrawn — you can rejoin" in home
    assert 'action="/me/rejoin"' in home and ">Rejoin</button>" in home
    assert "turn them on in your" in home  # says emails stay off, and where to turn them on

    response = client.post("/me/rejoin", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Welcome back" in page and "turn emails back on in your preferences" in page
    db.session.refresh(champion)
    assert champion.stage == "active"
    assert [(h.from_stage, h.to_stage, h.reason) for h in champion.history[-2:]] == [
        ("active", "withdrawn", "Withdrew from the programme"),
        ("withdrawn", "active", "Rejoined the programme"),
    ]
    assert champion.history[-1].changed_by_id == champion.user_id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "champion.rejoined"))
    assert event.actor_id == champion.user_id and event.target_id == str(champion.id)
    assert not has_consent(champion.user_id, "email_contact")  # consent stays as they left it
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 1  # their history came back with them
    assert "Log an activity" in client.get("/me").get_data(as_text=True)


def test_a_champion_who_had_only_confirmed_their_email_rejoins_at_that_stage(db, make):
    champion = make.champion()
    verify_email(verification_token(champion.user))
    withdraw(champion)
    assert rejoin(champion) == Stage.VERIFIED
    assert champion.stage == "verified"


def test_rejoining_an_erased_or_merged_record_is_refused_and_changes_nothing(client, db, make):
    erased = active_champion(db, make)
    email = erased.user.email
    withdraw(erased)
    erase(erased.user)
    db.session.commit()
    with pytest.raises(Refused, match="erased"):
        rejoin(erased)
    db.session.rollback()
    assert db.session.get(Champion, erased.id).stage == "withdrawn"
    signing_in = client.post("/login", data={"email": email, "password": PASSWORD})
    assert signing_in.status_code != 302  # the erased person cannot sign in to reach the button

    keep, gone = make.champion(), make.champion()
    withdraw(gone)
    db.session.commit()
    merge(keep, gone, None, fingerprint=plan_merge(keep, gone).fingerprint)
    db.session.commit()
    with pytest.raises(Refused, match="merged into"):
        rejoin(gone)
    db.session.rollback()
    assert db.session.get(Champion, gone.id).stage == "withdrawn"
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "champion.rejoined"))
        == 0
    )


def test_a_merged_away_login_cannot_post_rejoin(client, db, make):
    keep, gone = make.champion(), make.champion()
    sign_in(client, gone)
    client.post("/me/withdraw")
    keep, gone = db.session.get(Champion, keep.id), db.session.get(Champion, gone.id)
    merge(keep, gone, None, fingerprint=plan_merge(keep, gone).fingerprint)
    db.session.commit()
    response = client.post("/me/rejoin")
    assert response.status_code == 302 and "/login" in response.location  # the merge closed that login
    assert db.session.get(Champion, gone.id).stage == "withdrawn"


def test_rejoining_when_not_withdrawn_says_so_and_changes_nothing(client, db, make):
    champion = make.champion()
    sign_in(client, champion)
    response = client.post("/me/rejoin")
    assert response.status_code == 409 and "already taking part" in response.get_data(as_text=True)
    assert [h.to_stage for h in db.session.get(Champion, champion.id).history] == ["registered"]


def test_while_withdrawn_activities_cannot_be_logged_changed_or_deleted(client, db, make):
    champion = active_champion(db, make)
    activity = db.session.scalar(select(Activity))
    sign_in(client, champion)
    client.post("/me/withdraw")

    for response in (
        client.get("/me/activities/new"),
        client.post("/me/activities/new", data={**ACTIVITY, "occurred_on": "2026-03-09"}),
        client.get(f"/me/activities/{activity.id}/edit"),
        client.post(f"/me/activities/{activity.id}/edit", data={**ACTIVITY, "people_reached": "99"}),
        client.post(f"/me/activities/{activity.id}/delete"),
    ):
        assert response.status_code == 409
        assert "while you are withdrawn" in response.get_data(as_text=True)
    db.session.expire_all()
    assert [(a.id, a.people_reached) for a in db.session.scalars(select(Activity))] == [(activity.id, 3)]
    with pytest.raises(Refused):
        log_activity(db.session.get(Champion, champion.id), ACTIVITY)
    db.session.rollback()

    home = client.get("/me").get_data(as_text=True)
    assert "/me/activities/new" not in home and "Invite others" not in home and champion.referral_code not in home
    mine = client.get("/me/activities").get_data(as_text=True)
    assert "/me/activities/new" not in mine and f"/me/activities/{activity.id}/edit" not in mine
    assert "Rejoin from your home page" in mine
    network = client.get("/me/network").get_data(as_text=True)
    assert "/join/" not in network and "does not sign anyone up" in network
    assert client.get("/me/network/qr.svg").status_code == 404


def test_the_withdraw_page_says_they_can_come_back_from_their_home_page(client, db, make):
    sign_in(client, make.champion())
    assert "you can come back at any time from your home page" in client.get("/me/data").get_data(as_text=True)
    done = client.post("/me/withdraw", follow_redirects=True).get_data(as_text=True)
    assert "you can come back at any time from your home page" in done


def test_a_withdrawn_champions_referral_link_recruits_nobody(client, db, make):
    recruiter = make.champion()
    withdraw(recruiter)
    db.session.commit()
    form = client.get(f"/register?ref={recruiter.referral_code}").get_data(as_text=True)
    assert f'value="{recruiter.referral_code}"' not in form  # their link opens a blank form
    sign_up_data = {
        "first_name": "Nia",
        "last_name": "Okafor",
        "email": "nia@example.org",
        "password": "plenty of long words",
        "postcode": "BL1 1AA",
        "borough": "bolton",
        "privacy_consent": "y",
        "heard_via": "referral",
        "referral_code": recruiter.referral_code,  # typed in: not an error for the person signing up
    }
    assert client.post(f"/register?ref={recruiter.referral_code}", data=sign_up_data).status_code == 302
    joined = db.session.scalar(select(User).where(User.email == "nia@example.org")).champion
    assert joined.recruited_by_id is None
    rejoin(recruiter)
    db.session.commit()
    again = client.get(f"/register?ref={recruiter.referral_code}").get_data(as_text=True)
    assert f'value="{recruiter.referral_code}"' in again  # back, their link recruits again


# --- Nothing is sent to a withdrawn champion: one test per sender of email to champions -----------------------


def test_nudges_leave_out_withdrawn_champions_until_they_rejoin_and_turn_email_on(db, make):
    rule = db.session.scalar(select(NudgeRule).where(NudgeRule.condition == "no_core_training"))
    champion = make.champion()
    verify_email(verification_token(champion.user))
    champion.user.email_verified_at = datetime(2026, 2, 1, tzinfo=UTC)
    set_consent(champion.user_id, "email_contact", True)
    withdraw(champion)
    db.session.commit()
    assert evaluation.evaluate_rule(rule, NOW) == 0
    rejoin(champion)
    assert evaluation.evaluate_rule(rule, NOW) == 0  # back, but emails still off as they left them
    set_consent(champion.user_id, "email_contact", True)
    assert evaluation.evaluate_rule(rule, NOW) == 1
    assert db.session.scalar(select(NudgeMessage.user_id)) == champion.user_id


def test_no_workshop_reminder_for_a_withdrawn_champion(db, make):
    workshop = make_workshop(db, starts=datetime(2026, 3, 11, 18, 30, tzinfo=UTC))
    staying = make.champion(email="staying@example.org")
    leaving = make.champion(email="leaving@example.org")
    sign_up(workshop.id, staying.id, by_staff=True)
    sign_up(workshop.id, leaving.id, by_staff=True)
    withdraw(leaving)
    db.session.commit()
    assert run_task(send_workshop_reminders, NOW.isoformat()) == 1
    assert db.session.scalars(select(OutboxMessage.to_address)).all() == ["staying@example.org"]


def test_no_workshop_place_email_for_a_withdrawn_champion(db, make):
    workshop = make_workshop(db, capacity=1)
    first, waiting = make.champion(), make.champion(email="waiting@example.org")
    sign_up(workshop.id, first.id)
    sign_up(workshop.id, waiting.id)
    withdraw(waiting)
    db.session.commit()
    cancel(workshop.id, first.id)
    db.session.commit()  # the place email's task runs after this commit (at once in tests)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_no_import_welcome_for_an_imported_champion_who_withdrew_first(db, monkeypatch):
    job = _imported(db, monkeypatch)
    first = db.session.scalar(select(User).where(User.email == "p0@example.org"))
    withdraw(first.champion)
    db.session.commit()
    assert run_task(staff_tasks.send_import_emails, job.id) == "finished"
    sent = set(db.session.scalars(select(OutboxMessage.to_address)))
    assert "p0@example.org" not in sent and "p1@example.org" in sent
