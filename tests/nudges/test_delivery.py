"""Delivery through a real SMTP server; unsubscribing; effect measurement; the staff pages and the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from champions.accounts.consent import has_consent
from champions.accounts.models import ConsentRecord
from champions.core.db import now_utc
from champions.nudges import delivery, evaluation
from champions.nudges.effect import Effect, rule_effect
from champions.nudges.models import NudgeMessage
from champions.nudges.tokens import unsubscribe_token
from champions.profiles.models import StageChange
from tests.fake_smtp import start_smtp_server
from tests.nudges.conftest import rule_form


class Inbox:
    def __init__(self):
        self.messages = []
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):
        self.sessions.add(id(session))
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller, port = start_smtp_server(inbox)
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    yield inbox
    app.config.update(MAIL_BACKEND="outbox", SMTP_HOST="")
    controller.stop()


def test_a_batch_goes_over_one_smtp_connection_with_unsubscribe_headers(db, rules, unverified, morning, smtp):
    people = [unverified() for _ in range(5)]
    rules["verify-email"].holdout_percent = 0
    evaluation.evaluate_rule(rules["verify-email"], morning)
    result = delivery.deliver_due(now=morning)
    assert result.sent == 5 and len(smtp.messages) == 5 and len(smtp.sessions) == 1
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(p.user.email for p in people)
    raw = smtp.messages[0].content.decode()
    assert "List-Unsubscribe: <http" in raw and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    sent = db.session.scalars(select(NudgeMessage)).all()
    assert {m.status for m in sent} == {"sent"} and len(smtp.messages) == len(sent)


def test_an_smtp_outage_keeps_messages_pending_for_a_retry(app, db, rules, unverified, morning):
    unverified()
    rules["verify-email"].holdout_percent = 0
    evaluation.evaluate_rule(rules["verify-email"], morning)
    db.session.commit()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_STARTTLS=False)
    try:
        with pytest.raises(OSError):
            delivery.deliver_due(now=morning)
    finally:
        app.config.update(MAIL_BACKEND="outbox", SMTP_HOST="")
    db.session.rollback()
    assert [m.status for m in db.session.scalars(select(NudgeMessage))] == ["pending"]


def test_one_click_unsubscribe_is_recorded_like_a_consent_withdrawal(client, db, rules, unverified):
    person = unverified()
    token = unsubscribe_token(person.user_id, "verify-email")
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "one of our “Help getting started” reminders" in page.get_data(as_text=True)
    # What a mail client does with List-Unsubscribe-Post (RFC 8058): a POST, no session, no CSRF token.
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You have unsubscribed" in response.get_data(as_text=True)
    record = db.session.scalar(select(ConsentRecord).where(ConsentRecord.purpose == "nudge:verify-email"))
    assert (record.user_id, record.granted, record.source) == (person.user_id, False, "unsubscribe link")
    assert has_consent(person.user_id, "email_contact")  # other emails still allowed
    client.post(f"/unsubscribe/{unsubscribe_token(person.user_id, 'all')}")
    assert not has_consent(person.user_id, "email_contact")


def test_a_tampered_unsubscribe_link_changes_nothing(client, db, unverified):
    person = unverified()
    token = unsubscribe_token(person.user_id, "all")
    response = client.post(f"/unsubscribe/{token[:-3]}abc")
    assert response.status_code == 400 and "does not work" in response.get_data(as_text=True)
    assert has_consent(person.user_id, "email_contact")


def test_the_effects_index_order_ends_with_their_query(app, db, rules, make, monkeypatch):
    """On PostgreSQL the effect query runs with hash joins and hash grouping off (core.db.in_index_order), and the
    rest of the transaction, such as the page that shows the effect, gets them back."""
    from sqlalchemy import text

    from champions.nudges import effect
    from tests.conftest import only_on_postgres

    only_on_postgres(app)

    def hash_joins() -> str:
        return db.session.scalar(
            text("SELECT current_setting('enable_hashjoin') || ' ' || current_setting('enable_hashagg')")
        )

    seen = []
    real_execute = db.session.execute

    def execute(statement, *args, **kwargs):
        seen.append(hash_joins())
        return real_execute(statement, *args, **kwargs)

    assert hash_joins() == "on on"
    monkeypatch.setattr(effect.db.session, "execute", execute)
    rule_effect(rules["verify-email"])
    monkeypatch.undo()
    assert "off off" in seen and hash_joins() == "on on"
    # A failure in the block that is not the database's still puts the settings back, for the rest of the request.
    from champions.core.db import in_index_order

    with pytest.raises(ValueError), in_index_order(db.session):
        assert hash_joins() == "off off"
        raise ValueError("not the database")
    assert hash_joins() == "on on"


def test_effect_is_measured_against_the_holdout_with_a_confidence_interval(db, rules, make):
    """Synthetic data with a known effect: 60% of 100 nudged verified within the window, 30% of 50 held out."""
    rule = rules["verify-email"]
    start = now_utc() - timedelta(days=30)
    for i in range(150):
        champion = make.champion()
        held = i >= 100
        acted = (i < 60) if not held else (i < 115)
        db.session.add(
            NudgeMessage(
                rule_id=rule.id,
                user_id=champion.user_id,
                period=1,
                created_at=start,
                status="holdout" if held else "sent",
                sent_at=None if held else start,
            )
        )
        if acted:
            champion.user.email_verified_at = start + timedelta(days=3)
    recent = make.champion()  # its window has not closed: not counted yet
    db.session.add(NudgeMessage(rule_id=rule.id, user_id=recent.user_id, period=2, created_at=now_utc(), status="sent"))
    db.session.commit()
    effect = rule_effect(rule)
    assert (effect.nudged, effect.nudged_acted, effect.held_out, effect.held_out_acted) == (100, 60, 50, 15)
    assert effect.difference == pytest.approx(0.30)
    low, high = effect.interval
    # Newcombe's interval from the two Wilson intervals, worked by hand: 60/100 gives 0.5020 to 0.6906 and 15/50
    # gives 0.1910 to 0.4375, so 0.30 - sqrt(0.0980² + 0.1375²) = 0.1311 and 0.30 + sqrt(0.0906² + 0.1090²) = 0.4417.
    assert low == pytest.approx(0.1311, abs=1e-3) and high == pytest.approx(0.4417, abs=1e-3)


def test_the_effect_interval_does_not_vanish_when_nobody_held_out_acted():
    """The Wald interval of 5/20 against 0/14 ignores that 0 of 14 is uncertain too; Newcombe's does not: the held-out
    group's Wilson interval 0 to 0.2153 widens the lower end below zero (worked by hand: -0.0058 to 0.4687)."""
    low, high = Effect(nudged=20, nudged_acted=5, held_out=14, held_out_acted=0).interval
    assert low == pytest.approx(-0.0058, abs=1e-3) and high == pytest.approx(0.4687, abs=1e-3)
    nobody = Effect(nudged=30, nudged_acted=0, held_out=10, held_out_acted=0).interval
    assert nobody[0] < 0 < nobody[1]  # 0% against 0%: not "0 to 0"


def test_a_late_action_outside_the_window_does_not_count(db, rules, make):
    rule = rules["start-training"]
    start = now_utc() - timedelta(days=60)
    champion = make.champion()
    db.session.add(NudgeMessage(rule_id=rule.id, user_id=champion.user_id, period=1, created_at=start, status="sent"))
    db.session.add(
        StageChange(
            champion_id=champion.id,
            from_stage="verified",
            to_stage="trained",
            reason="x",
            changed_at=start + timedelta(days=rule.effect_days + 5),
        )
    )
    db.session.commit()
    assert rule_effect(rule).nudged_acted == 0


@pytest.mark.parametrize("key", ["start-training", "keep-going", "five-recruits"])
def test_each_person_is_measured_on_their_own_history(db, rules, make, key):
    """Four people nudged, one acted in time; someone never nudged acted too, and must not count."""
    from champions.activities.models import Activity

    rule = rules[key]
    start = now_utc() - timedelta(days=rule.effect_days + 10)
    nudged = [make.champion() for _ in range(4)]
    bystander = make.champion()
    for champion in nudged:
        db.session.add(
            NudgeMessage(rule_id=rule.id, user_id=champion.user_id, period=1, created_at=start, status="sent")
        )

    def act(champion):
        when = start + timedelta(days=2)
        if key == "start-training":
            db.session.add(
                StageChange(
                    champion_id=champion.id, from_stage="verified", to_stage="trained", reason="x", changed_at=when
                )
            )
        elif key == "keep-going":
            db.session.add(
                Activity(
                    champion_id=champion.id,
                    type="conversation",
                    occurred_on=when.date(),
                    borough_code="bolton",
                    topic_code="smoking",
                    people_reached=1,
                    created_at=when,
                )
            )
        else:
            recruit = make.champion()
            recruit.recruited_by_id, recruit.created_at = champion.id, when

    act(nudged[2])
    act(bystander)
    db.session.commit()
    effect = rule_effect(rule)
    assert (effect.nudged, effect.nudged_acted) == (4, 1)


def test_staff_see_rules_with_audience_preview_and_effect(client, auth, db, rules, unverified):
    unverified()
    auth.login_as("staff")
    page = client.get("/staff/nudges").get_data(as_text=True)
    assert "Confirm your email address" in page and "Not enough data yet" in page
    rule = rules["verify-email"]
    detail = client.get(f"/staff/nudges/{rule.id}").get_data(as_text=True)
    assert "Audience right now: <strong>1</strong>" in detail and "Preview for" in detail
    assert "/verify/" in detail  # the rendered link for the sample champion


def test_a_rule_with_a_broken_template_or_condition_cannot_be_saved(client, auth, db, rules):
    auth.login_as("staff")
    rule = rules["keep-going"]
    form = rule_form(rule, subject="Hi {{ first_name }", enabled="y")
    bad = client.post(f"/staff/nudges/{rule.id}", data=form)
    assert bad.status_code == 400 and "This template cannot be used" in bad.get_data(as_text=True)
    unknown = client.post(f"/staff/nudges/{rule.id}", data={**form, "subject": "Hi {{ favourite_colour }}"})
    assert unknown.status_code == 400 and "favourite_colour" in unknown.get_data(as_text=True)
    weird = client.post(f"/staff/nudges/{rule.id}", data={**form, "subject": "Hi", "condition": "everyone"})
    assert weird.status_code == 400
    db.session.refresh(rule)
    assert rule.subject != "Hi"
    ok = client.post(f"/staff/nudges/{rule.id}", data={**form, "subject": "Still there, {{ first_name }}?"})
    assert ok.status_code == 302
    db.session.refresh(rule)
    assert rule.subject == "Still there, {{ first_name }}?"


def test_champions_turn_kinds_of_nudge_on_and_off(client, auth, db, rules):
    user = auth.login_as("champion")
    page = client.get("/me/preferences").get_data(as_text=True)
    assert "Reminders and suggestions" in page and "Help getting started" in page
    client.post("/me/preferences/reminders/getting-started/off")
    assert not has_consent(user.id, "nudge:verify-email") and not has_consent(user.id, "nudge-kind:getting-started")
    client.post("/me/preferences/reminders/getting-started/on")
    assert has_consent(user.id, "nudge:verify-email") and has_consent(user.id, "nudge-kind:getting-started")


def test_flask_nudges_run_evaluates_and_sends_once(app, db, rules, unverified, monkeypatch):
    for _ in range(3):
        unverified()
    monkeypatch.setattr(delivery, "in_quiet_hours", lambda now: False)
    result = app.test_cli_runner().invoke(args=["nudges", "run"])
    assert result.exit_code == 0, result.output
    assert "verify-email: 3 new" in result.output
    sent = db.session.scalars(select(NudgeMessage).where(NudgeMessage.status == "sent")).all()
    assert f"Sent {len(sent)}," in result.output and len(sent) >= 2  # 3 less any held out
    again = app.test_cli_runner().invoke(args=["nudges", "run"])
    assert "verify-email: 0 new" in again.output and "Sent 0," in again.output
