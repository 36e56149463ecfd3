"""Evaluation is idempotent and respectful; delivery honours quiet hours, the weekly cap and template errors."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from champions import create_app
from champions.accounts.consent import set_consent
from champions.core.db import as_utc
from champions.core.models import OutboxMessage
from champions.extensions import db as _db
from champions.nudges import delivery, evaluation
from champions.nudges.models import NudgeMessage
from champions.privacy.services import erase
from champions.profiles.models import Stage
from champions.profiles.services import change_stage


def messages(db, **where):
    query = select(NudgeMessage)
    for key, value in where.items():
        query = query.where(getattr(NudgeMessage, key) == value)
    return list(db.session.scalars(query))


def test_evaluating_twice_creates_one_message_per_person_rule_and_period(db, rules, unverified, morning):
    people = [unverified() for _ in range(3)]
    assert evaluation.evaluate_rule(rules["verify-email"], morning) == 3
    assert evaluation.evaluate_rule(rules["verify-email"], morning) == 0
    assert evaluation.evaluate_rule(rules["verify-email"], morning + timedelta(days=1)) == 0  # same 30-day period
    assert {m.user_id for m in messages(db)} == {p.user_id for p in people}
    later = morning + timedelta(days=31)
    assert evaluation.evaluate_rule(rules["verify-email"], later) == 3  # a new period, a new nudge


def test_only_people_who_may_be_emailed_are_in_the_audience(db, rules, unverified, morning):
    keen = unverified()
    unverified(consent=False)
    changed_mind = unverified()
    set_consent(changed_mind.user_id, "email_contact", False)
    withdrawn = unverified()
    change_stage(withdrawn, Stage.WITHDRAWN, "left")
    erased = unverified()
    erase(erased.user)
    opted_out = unverified()
    from champions.nudges.services import unsubscribe

    unsubscribe(opted_out.user_id, "verify-email")
    too_soon = unverified(days=1)
    db.session.commit()
    evaluation.evaluate_rule(rules["verify-email"], morning)
    assert [m.user_id for m in messages(db)] == [keen.user_id]
    assert too_soon.user_id not in [m.user_id for m in messages(db)]
    assert evaluation.audience_size(rules["verify-email"], morning) == 1


def test_the_holdout_is_a_stable_share_that_is_never_sent(db, rules, unverified, morning):
    rule = rules["verify-email"]
    rule.holdout_percent = 30
    for _ in range(200):
        unverified()
    evaluation.evaluate_rule(rule, morning)
    held = {m.user_id for m in messages(db, status="holdout")}
    assert 40 <= len(held) <= 80  # about 30% of 200
    _db.session.execute(NudgeMessage.__table__.delete())
    evaluation.evaluate_rule(rule, morning)
    assert {m.user_id for m in messages(db, status="holdout")} == held  # the same people each time
    delivery.deliver_due(batch=500, now=morning)
    assert {m.status for m in messages(db) if m.user_id in held} == {"holdout"}


def test_delivery_sends_each_message_once_with_unsubscribe_headers(db, rules, unverified, morning):
    person = unverified()
    evaluation.evaluate_rule(rules["verify-email"], morning)
    result = delivery.deliver_due(now=morning)
    assert (result.sent, result.failed) == (1, 0)
    assert delivery.deliver_due(now=morning).sent == 0
    email = db.session.scalar(select(OutboxMessage))
    assert email.to_address == person.user.email
    assert (
        email.headers["List-Unsubscribe"].startswith("<http") and "/unsubscribe/" in email.headers["List-Unsubscribe"]
    )
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Confirm my email address" in email.text_body and "Stop all emails:" in email.text_body
    assert messages(db)[0].status == "sent" and messages(db)[0].sent_at is not None


def test_nothing_is_sent_in_quiet_hours_and_it_goes_in_the_morning(db, rules, unverified, morning):
    unverified()
    night = morning.replace(hour=22)  # 22:00 UK
    evaluation.evaluate_rule(rules["verify-email"], night)
    assert delivery.deliver_due(now=night).quiet
    assert delivery.deliver_due(now=morning.replace(hour=7, minute=59)).quiet
    assert messages(db)[0].status == "pending"
    assert delivery.deliver_due(now=morning.replace(hour=8, minute=0) + timedelta(days=1)).sent == 1


def test_the_weekly_cap_defers_extra_nudges(app, db, rules, unverified, morning):
    person = unverified()
    change_stage(person, Stage.VERIFIED, "test")
    person.user.email_verified_at = morning - timedelta(days=10)
    db.session.commit()
    app.config["NUDGE_WEEKLY_CAP"] = 1
    try:
        evaluation.evaluate_rule(rules["start-training"], morning)
        evaluation.evaluate_rule(rules["new-training"], morning)  # nothing new: not in this audience
        _db.session.add(
            NudgeMessage(
                rule_id=rules["keep-going"].id,
                user_id=person.user_id,
                period=1,
                status="sent",
                sent_at=morning - timedelta(days=2),
            )
        )
        db.session.commit()
        result = delivery.deliver_due(now=morning)
    finally:
        app.config["NUDGE_WEEKLY_CAP"] = 2
    assert (result.sent, result.deferred) == (0, 1)
    pending = messages(db, status="pending")[0]
    assert as_utc(pending.due_at) > morning


def test_consent_withdrawn_after_evaluation_stops_the_send(db, rules, unverified, morning):
    person = unverified()
    evaluation.evaluate_rule(rules["verify-email"], morning)
    set_consent(person.user_id, "email_contact", False)
    db.session.commit()
    result = delivery.deliver_due(now=morning)
    assert (result.sent, result.skipped) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_template_that_fails_for_one_person_skips_them_and_not_the_batch(db, rules, unverified, morning):
    rule = rules["verify-email"]
    rule.body_text = "Hello {{ first_name }}{% if first_name == 'Broken' %}{{ missing_value }}{% endif %}"
    ok = unverified()
    broken = unverified()
    broken.first_name = "Broken"
    db.session.commit()
    evaluation.evaluate_rule(rule, morning)
    result = delivery.deliver_due(now=morning)
    assert (result.sent, result.failed) == (1, 1)
    failed = messages(db, status="failed")[0]
    assert failed.user_id == broken.user_id and "missing_value" in failed.error
    assert db.session.scalar(select(OutboxMessage.to_address)) == ok.user.email


def test_two_evaluations_at_once_create_no_duplicates(db, rules, unverified, morning):
    for _ in range(50):
        unverified()
    db.session.commit()
    apps = [create_app("testing"), create_app("testing")]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def evaluate(app):
        with app.app_context():
            try:
                barrier.wait()
                results.append(evaluation.evaluate_all(morning))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [threading.Thread(target=evaluate, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["verify-email"] for r in results) == 50
    assert db.session.scalar(select(func.count()).select_from(NudgeMessage)) == 50


@pytest.mark.parametrize(
    "rule_key",
    [
        "verify-email",
        "start-training",
        "pledge-and-first-activity",
        "keep-going",
        "new-training",
        "recruit-trained",
        "five-recruits",
        "come-back",
        "pledge-updated",
    ],
)
def test_each_rule_evaluates_with_a_fixed_number_of_queries(db, rules, rule_key, morning, make):
    from sqlalchemy import event

    for _ in range(5):
        make.champion()
    statements = []

    def count(*args):
        if not args[2].startswith("BEGIN"):
            statements.append(args[2])

    db.session.refresh(rules[rule_key])
    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        evaluation.evaluate_rule(rules[rule_key], morning)
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    few = len(statements)
    for _ in range(20):
        make.champion()
    statements.clear()
    db.session.refresh(rules[rule_key])
    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        evaluation.evaluate_rule(rules[rule_key], morning + timedelta(days=400))
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    assert len(statements) == few == 1


def test_a_moment_on_a_followed_topic_prompts_with_its_suggested_actions(db, rules, make, morning):
    from champions.core.models import Topic
    from champions.moments.models import Moment

    rule = rules["moment-coming-up"]
    rule.holdout_percent = 0
    moment = Moment(
        name="Test Screening Week",
        recurrence="once",
        start_date=morning.date() + timedelta(days=5),
        end_date=morning.date() + timedelta(days=11),
        suggested_actions="Talk to a friend about screening",
    )
    moment.topics = [db.session.get(Topic, "screening")]
    far = Moment(
        name="Far Away Day",
        recurrence="once",
        start_date=morning.date() + timedelta(days=60),
        end_date=morning.date() + timedelta(days=61),
    )
    far.topics = [db.session.get(Topic, "smoking")]
    db.session.add_all([moment, far])
    cares = make.champion(topic_codes=["screening"])
    other = make.champion(topic_codes=["smoking"])
    for champion in (cares, other):
        set_consent(champion.user_id, "email_contact", True)
    db.session.commit()
    assert evaluation.evaluate_rule(rule, morning) == 1
    message = messages(db)[0]
    assert (message.user_id, message.context_id) == (cares.user_id, moment.id)
    delivery.deliver_due(now=morning)
    email = db.session.scalar(select(OutboxMessage))
    assert email.subject.startswith("Test Screening Week starts on")
    assert "Talk to a friend about screening" in email.text_body


def test_a_grant_holder_is_reminded_of_a_report_falling_due(db, rules, make, morning):
    rule = rules["grant-report-due"]
    due_soon = make.application(status="paid_full")
    due_soon.report_due_on = morning.date() + timedelta(days=10)
    due_later = make.application(status="paid_full")
    due_later.report_due_on = morning.date() + timedelta(days=60)
    reported = make.application(status="reported")
    reported.report_due_on = morning.date() + timedelta(days=5)
    db.session.commit()
    assert evaluation.evaluate_rule(rule, morning) == 1
    message = messages(db)[0]
    assert (message.user_id, message.context_id) == (due_soon.applicant_id, due_soon.id)
    delivery.deliver_due(now=morning)
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.subject.contains("report is due on")))
    assert email.to_address == due_soon.applicant.email
    assert f"/{due_soon.id}/report" in email.text_body


def test_a_group_whose_report_was_sent_back_is_reminded_again_one_waiting_for_staff_is_not(db, rules, make, morning):
    from champions.grants.services.reports import return_report

    sent_back, waiting = make.application(status="reported"), make.application(status="reported")
    for application in (sent_back, waiting):
        application.report_due_on = morning.date() + timedelta(days=5)
    return_report(sent_back, "Say how many people came to the stall")
    db.session.commit()
    assert evaluation.evaluate_rule(rules["grant-report-due"], morning) == 1
    assert [(m.user_id, m.context_id) for m in messages(db)] == [(sent_back.applicant_id, sent_back.id)]
