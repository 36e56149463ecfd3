"""Onboarding stages move by themselves; lapsing and withdrawing."""

from __future__ import annotations

from datetime import datetime, timedelta

from champions.accounts.services import verify_email
from champions.accounts.tokens import verification_token
from champions.activities.services import log_activity
from champions.core.clock import today_uk
from champions.profiles.models import Stage
from champions.roster.tasks import mark_lapsed
from champions.training.models import TrainingResource
from champions.training.onboarding import core_resource_ids, progress
from champions.training.services import accept_pledge, complete, current_pledge
from tests.conftest import run_task

ACTIVITY = {
    "type": "conversation",
    "occurred_on": today_uk(),
    "borough_code": "bolton",
    "topic_code": "screening",
    "people_reached": 3,
    "notes": "",
}


def stages(champion) -> list[str]:
    return [h.to_stage for h in champion.history]


def test_a_champion_moves_through_every_stage_as_steps_are_done(db, make):
    champion = make.champion()
    verify_email(verification_token(champion.user))
    assert champion.stage == "verified"
    core = [db.session.get(TrainingResource, i) for i in core_resource_ids()]
    assert len(core) == 4
    for resource in core[:-1]:
        complete(champion, resource, None)
    assert champion.stage == "verified" and progress(champion).core_done == 3
    complete(champion, core[-1], "Useful")
    assert champion.stage == "trained"
    log_activity(champion, ACTIVITY)
    assert champion.stage == "trained"  # the pledge is still to do
    accept_pledge(champion, current_pledge())
    assert champion.stage == "active"
    assert stages(champion) == ["registered", "verified", "trained", "active"]
    assert progress(champion).done_count == 4


def test_steps_done_out_of_order_are_recorded_one_stage_at_a_time(db, make):
    champion = make.champion()
    for resource_id in core_resource_ids():
        complete(champion, db.session.get(TrainingResource, resource_id), None)
    accept_pledge(champion, current_pledge())
    log_activity(champion, ACTIVITY)
    assert champion.stage == "registered"  # nothing counts until the email is verified
    verify_email(verification_token(champion.user))
    assert stages(champion) == ["registered", "verified", "trained", "active"]


def test_inactive_champions_lapse_and_come_back_when_they_log_an_activity(app, db, make):
    champion = make.champion()
    champion.stage = Stage.ACTIVE.value
    days = app.config["LAPSE_AFTER_DAYS"]
    old = {**ACTIVITY, "occurred_on": today_uk() - timedelta(days=days + 1)}
    log_activity(champion, old)
    recent = make.champion()
    recent.stage = Stage.ACTIVE.value
    log_activity(recent, ACTIVITY)
    db.session.commit()
    assert run_task(mark_lapsed) == 1
    db.session.refresh(champion)
    db.session.refresh(recent)
    assert (champion.stage, recent.stage) == ("lapsed", "active")
    assert champion.history[-1].reason == f"No activity for {days} days"
    assert run_task(mark_lapsed) == 0  # a second run changes nothing
    log_activity(champion, ACTIVITY)
    assert champion.stage == "active" and champion.history[-1].reason == "Logged an activity after a lapse"


def test_a_champion_can_withdraw_and_is_no_longer_emailed(client, auth, db):
    from champions.accounts.consent import has_consent, set_consent

    user = auth.login_as("champion")
    set_consent(user.id, "email_contact", True)
    db.session.commit()
    client.post("/me/withdraw")
    db.session.refresh(user)
    assert user.champion.stage == "withdrawn" and not has_consent(user.id, "email_contact")
    assert "You have withdrawn" in client.get("/me").get_data(as_text=True)


def test_lapsing_counts_days_in_uk_dates_in_the_first_hour_of_a_summer_day(app, db, make, clock):
    # 00:30 in London on 1 July is still 30 June in UTC: the cut-off must be counted from the UK date the
    # activity was logged with, or a champion lapses a day late.
    clock.set(datetime(2034, 7, 1, 0, 30))
    champion = make.champion()
    champion.stage = Stage.ACTIVE.value
    days = app.config["LAPSE_AFTER_DAYS"]
    log_activity(champion, {**ACTIVITY, "occurred_on": today_uk() - timedelta(days=days + 1)})
    db.session.commit()
    assert run_task(mark_lapsed) == 1
