"""Nudge conditions for lapsed champions and for a new pledge version: the right people, one query, the holdout."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from champions.accounts.consent import set_consent
from champions.extensions import db as _db
from champions.nudges import evaluation
from champions.nudges.conditions import CONDITIONS, audience, target_done
from champions.nudges.forms import SAMPLE_CONTEXT
from champions.nudges.models import NudgeMessage, NudgeRule
from champions.privacy.services import withdraw
from champions.profiles.models import Stage
from champions.profiles.services import change_stage
from champions.training.catalogue import publish_pledge
from champions.training.models import Pledge
from champions.training.services import accept_pledge, current_pledge


@contextmanager
def counted_queries():
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)


def rule_for(db, condition: str, days: int, holdout: int = 0) -> NudgeRule:
    rule = NudgeRule(
        key=f"{condition}-rule",
        name=condition,
        condition=condition,
        params={"days": days},
        subject="Hello {{ first_name }}",
        body_text="Come back: {{ log_url }} {{ pledge_url }}",
        body_html="<p>Come back</p>",
        holdout_percent=holdout,
    )
    db.session.add(rule)
    db.session.commit()
    return rule


def who(condition: str, days: int, now) -> set[int]:
    return {row.user_id for row in _db.session.execute(audience(condition, {"days": days}, now))}


def lapsed_on(make, when, consent: bool = True):
    champion = make.champion()
    change_stage(champion, Stage.ACTIVE, "onboarded", when=when - timedelta(days=90))
    change_stage(champion, Stage.LAPSED, "No activity for 60 days", when=when)
    if consent:
        set_consent(champion.user_id, "email_contact", True)
    return champion


def test_the_lapsed_condition_finds_people_lapsed_at_least_n_days(db, make, morning):
    long_ago = lapsed_on(make, morning - timedelta(days=20))
    just_now = lapsed_on(make, morning - timedelta(days=3))
    came_back = lapsed_on(make, morning - timedelta(days=30))
    change_stage(came_back, Stage.ACTIVE, "Logged an activity after a lapse", when=morning - timedelta(days=1))
    withdrew = lapsed_on(make, morning - timedelta(days=30))
    withdraw(withdrew)
    no_consent = lapsed_on(make, morning - timedelta(days=30), consent=False)
    db.session.commit()

    assert who("lapsed", 14, morning) == {long_ago.user_id, no_consent.user_id}
    assert who("lapsed", 2, morning) == {long_ago.user_id, just_now.user_id, no_consent.user_id}
    rule = rule_for(db, "lapsed", 14)
    assert evaluation.evaluate_rule(rule, morning) == 1  # consent and withdrawal are the engine's, as for any rule
    assert db.session.scalars(select(NudgeMessage.user_id)).all() == [long_ago.user_id]
    assert CONDITIONS["lapsed"].target == "activity"


def test_the_pledge_updated_condition_finds_who_accepted_an_earlier_version_only(db, make, morning):
    db.session.execute(update(Pledge).values(published_at=morning - timedelta(days=60)))
    old = current_pledge()
    pledged_before, pledged_both, never_pledged = make.champion(), make.champion(), make.champion()
    for champion in (pledged_before, pledged_both, never_pledged):
        set_consent(champion.user_id, "email_contact", True)
    accept_pledge(pledged_before, old)
    accept_pledge(pledged_both, old)
    db.session.commit()
    assert who("pledge_updated", 7, morning) == set()  # no newer version yet

    new = publish_pledge("2026-11", "New words.")
    new.published_at = morning - timedelta(days=10)
    accept_pledge(pledged_both, new)
    db.session.commit()
    assert who("pledge_updated", 7, morning) == {pledged_before.user_id}
    assert who("pledge_updated", 14, morning) == set()  # published 10 days ago: not yet 14
    rows = db.session.execute(audience("pledge_updated", {"days": 7}, morning)).all()
    assert [(r.user_id, r.context_id) for r in rows] == [(pledged_before.user_id, new.id)]


def test_the_new_conditions_are_one_query_whatever_the_audience(db, make, morning):
    rules = [rule_for(db, "lapsed", 14), rule_for(db, "pledge_updated", 7)]
    new = publish_pledge("2026-11", "New words.")
    new.published_at = morning - timedelta(days=10)
    db.session.commit()

    def evaluate_all() -> list[int]:
        with counted_queries() as statements:
            for rule in rules:
                evaluation.evaluate_rule(rule, morning)
        return [len(statements)]

    small = evaluate_all()
    for _ in range(30):
        lapsed_on(make, morning - timedelta(days=20))
    db.session.commit()
    assert evaluate_all() == small  # as many queries for 30 people as for none


@pytest.mark.parametrize("condition", ["lapsed", "pledge_updated"])
def test_the_holdout_is_a_stable_share_never_sent(db, make, morning, condition):
    rule = rule_for(db, condition, 7, holdout=30)
    db.session.execute(update(Pledge).values(published_at=morning - timedelta(days=60)))
    old = current_pledge()
    people = []
    for _ in range(120):
        champion = lapsed_on(make, morning - timedelta(days=20))
        accept_pledge(champion, old)
        people.append(champion)
    publish_pledge("2026-11", "New words.").published_at = morning - timedelta(days=10)
    db.session.commit()
    assert evaluation.evaluate_rule(rule, morning) == 120
    held = set(db.session.scalars(select(NudgeMessage.user_id).where(NudgeMessage.status == "holdout")))
    expected = {p.user_id for p in people if evaluation.holdout_bucket_of(p.user_id, rule.id) < 30}
    assert held == expected and 15 <= len(held) <= 60


def test_accepting_the_new_pledge_counts_as_the_pledge_rules_effect(db, make, morning):
    db.session.execute(update(Pledge).values(published_at=morning - timedelta(days=60)))
    champion = make.champion()
    accept_pledge(champion, current_pledge())
    db.session.commit()
    user = champion.user_id
    check = target_done("pledge", user, morning - timedelta(days=1), morning + timedelta(days=1))
    assert db.session.scalar(select(check)) is True
    check = target_done("pledge", user, morning + timedelta(days=1), morning + timedelta(days=2))
    assert db.session.scalar(select(check)) is False


def test_a_pledge_rule_can_use_the_pledge_link():
    assert SAMPLE_CONTEXT["pledge_url"].endswith("/me/pledge")


def test_the_standing_rules_ask_lapsed_champions_back_and_pledgers_to_read_a_new_pledge(db, make, rules, morning):
    """A new database has a rule for each new audience, so publishing a pledge version reaches people by email
    as well as on their home page, with the usual consent, holdout and unsubscribe links."""
    from champions.accounts.models import User
    from champions.nudges.rendering import context_for, render

    db.session.execute(update(Pledge).values(published_at=morning - timedelta(days=60)))
    pledged = make.champion()
    set_consent(pledged.user_id, "email_contact", True)
    accept_pledge(pledged, current_pledge())
    away = lapsed_on(make, morning - timedelta(days=20))
    publish_pledge("2026-12", "Newer words.").published_at = morning - timedelta(days=3)
    db.session.commit()

    come_back, pledge_updated = rules["come-back"], rules["pledge-updated"]
    assert (come_back.condition, pledge_updated.condition) == ("lapsed", "pledge_updated")
    assert come_back.holdout_percent > 0 and pledge_updated.holdout_percent > 0
    for rule, person, link in ((come_back, away, "/me/activities/new"), (pledge_updated, pledged, "/me/pledge")):
        evaluation.evaluate_rule(rule, morning)
        message = db.session.scalar(select(NudgeMessage).where(NudgeMessage.rule_id == rule.id))
        assert message is not None and message.user_id == person.user_id
        user = db.session.get(User, person.user_id)
        subject, text, html = render(rule, context_for(user, rule, message.context_id))
        assert person.first_name in subject
        assert link in text and link in html and "Stop these emails" in text
