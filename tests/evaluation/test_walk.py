"""A new champion answers the check before the core training, straight after it and, nudged, eight weeks later;
skipping every check never holds anyone back."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from champions.accounts.consent import set_consent
from champions.core.db import now_utc
from champions.evaluation.models import Point, Response
from champions.nudges import evaluation as nudge_evaluation
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule
from champions.nudges.rendering import context_for, render
from champions.profiles.models import Stage
from champions.training.onboarding import advance
from champions.training.services import accept_pledge, current_pledge
from tests.evaluation.helpers import answers, finish_core, sign_in

MONDAY_MORNING = datetime(2027, 3, 1, 10, 0)


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


def test_a_new_champion_answers_before_after_and_eight_weeks_later(client, auth, db, clock):
    clock.set(MONDAY_MORNING)
    user = auth.login_as("champion")
    user.email_verified_at = now_utc()
    set_consent(user.id, "email_contact", True)
    db.session.commit()
    training = client.get("/me/training").get_data(as_text=True)
    assert "Before you start, a 2-minute check (optional)" in training
    assert 'href="/me/training-check/before"' in training

    page = client.get("/me/training-check/before").get_data(as_text=True)
    assert "Skip this" in page and "Which of these is the biggest preventable cause of cancer" in page
    assert client.post("/me/training-check/before", data=answers(right=2, confidence=2)).status_code == 302
    before = db.session.scalar(select(Response).where(Response.point == "before"))
    assert (before.knowledge_right, before.knowledge_asked, before.confidence_mean) == (2, 4, 2.0)

    # "After" is not open until the core training is finished, and "before" goes once the training has started.
    early = client.post("/me/training-check/after", data=answers())
    assert early.status_code == 400 and "once you have finished the core training" in early.get_data(as_text=True)
    clock.advance(days=3)
    sign_in(client, user)  # days later: a new visit
    finish_core(client, db)
    db.session.refresh(user.champion)
    assert user.champion.stage == Stage.TRAINED.value
    training = client.get("/me/training").get_data(as_text=True)
    assert "Before you start" not in training and 'href="/me/training-check/after"' in training
    assert client.post("/me/training-check/after", data=answers(right=4, confidence=4)).status_code == 302
    finished = now_utc()

    # Eight weeks on: too early by a day, then open; the nudge finds them and its email links to the later check.
    clock.advance(days=55)
    sign_in(client, user)
    too_early = client.post("/me/training-check/later", data=answers())
    text = too_early.get_data(as_text=True)
    opens = (finished + timedelta(days=56)).strftime("%-d %B %Y")
    assert too_early.status_code == 400 and f"This check opens on {opens}" in text and _count(db) == 2
    rule = db.session.scalar(select(NudgeRule).where(NudgeRule.key == "training-check-later"))
    assert nudge_evaluation.evaluate_rule(rule, now_utc()) == 0
    clock.advance(days=1, hours=1)
    db.session.commit()
    assert nudge_evaluation.evaluate_rule(rule, now_utc()) == 1
    message = db.session.scalar(select(NudgeMessage).where(NudgeMessage.rule_id == rule.id))
    assert message.user_id == user.id and message.status in (MessageStatus.PENDING.value, MessageStatus.HOLDOUT.value)
    subject, body, html = render(rule, context_for(user, rule, message.context_id))
    link = re.search(r"https?://[^/\s]+(/me/training-check/later)\b", body)
    assert link and "Stop these emails" in body and "Eight weeks on" in subject
    sign_in(client, user)
    assert client.post(link.group(1), data=answers(right=3, confidence=5)).status_code == 302
    db.session.commit()
    assert nudge_evaluation.evaluate_rule(rule, now_utc() + timedelta(days=400)) == 0  # answered: never asked again

    results = client.get("/me/training-check").get_data(as_text=True)
    assert "Before the training" in results and "you got 2 of 4 questions right" in results
    assert "you got 4 of 4 questions right" in results and "you got 3 of 4 questions right" in results
    assert "your confidence was 5.0 out of 5" in results
    assert "Straight after the training you got more questions right than before it." in results
    assert "Eight weeks on, you got fewer right than straight after the training" in results
    points = dict(db.session.execute(select(Response.point, Response.knowledge_score)).all())
    assert points == {"before": 0.5, "after": 1.0, "later": 0.75}


def test_a_champion_who_skips_every_check_still_becomes_trained_and_active(client, auth, db, make, clock):
    clock.set(MONDAY_MORNING)
    user = auth.login_as("champion")
    user.email_verified_at = now_utc()
    db.session.commit()
    skip = client.get("/me/training-check/before").get_data(as_text=True)
    assert '<a class="nhsuk-link" href="/me/training">Skip this</a>' in skip
    finish_core(client, db)
    champion = user.champion
    db.session.refresh(champion)
    assert champion.stage == Stage.TRAINED.value
    accept_pledge(champion, current_pledge())
    make.activity(champion)
    advance(champion)
    db.session.commit()
    assert champion.stage == Stage.ACTIVE.value and _count(db) == 0
    assert "Before you start" not in client.get("/me/training").get_data(as_text=True)  # gone once started


def test_the_straight_after_check_closes_when_the_later_one_opens(client, auth, db, clock):
    clock.set(MONDAY_MORNING)
    user = auth.login_as("champion")
    finish_core(client, db)
    clock.advance(days=57)
    sign_in(client, user)
    refused = client.post("/me/training-check/after", data=answers())
    assert refused.status_code == 400 and "closed on" in refused.get_data(as_text=True) and _count(db) == 0
    assert 'href="/me/training-check/later"' in client.get("/me/training").get_data(as_text=True)
    assert client.post("/me/training-check/later", data=answers()).status_code == 302
    assert db.session.scalar(select(Response.point)) == Point.LATER.value
