"""A rule's key is made from its name and is always unique; choosing it takes a bounded number of queries."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from champions.core.keys import unique_key
from champions.nudges.models import NudgeRule
from champions.nudges.services import save_rule

RULE = {
    "condition": "not_verified",
    "days": 3,
    "subject": "Hello",
    "body_text": "Hello",
    "body_html": "<p>Hello</p>",
    "period_days": 30,
    "holdout_percent": 0,
    "effect_days": 7,
    "enabled": False,
}


@contextmanager
def statement_limit(db, limit: int):
    """Fail instead of hanging: a key search that never ends runs out of statements."""
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1
        assert count <= limit, f"more than {limit} statements to save one rule"

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)


def test_sixty_rules_with_one_long_name_all_save_with_distinct_keys(db):
    name = "Remind new champions who have not yet verified their email address"  # slug longer than 50
    keys = []
    for _ in range(60):
        with statement_limit(db, 10):
            keys.append(save_rule(None, {**RULE, "name": name}).key)
        db.session.commit()
    assert len(set(keys)) == 60
    base = keys[0]
    assert len(base) == 50 and base.startswith("remind-new-champions")
    assert keys[1:3] == [f"{base}-2", f"{base}-3"]
    assert keys[-1] == f"{base}-60"
    assert all(len(key) <= NudgeRule.key.type.length for key in keys)


def test_short_names_and_names_without_letters(db):
    assert save_rule(None, {**RULE, "name": "Welcome!"}).key == "welcome"
    assert save_rule(None, {**RULE, "name": "Welcome"}).key == "welcome-2"
    assert save_rule(None, {**RULE, "name": "Welcome back"}).key == "welcome-back"  # another base, shares a prefix
    assert save_rule(None, {**RULE, "name": "!!!"}).key == "rule"
    assert save_rule(None, {**RULE, "name": "★"}).key == "rule-2"


def test_a_freed_suffix_is_reused_and_the_keys_stay_distinct(db):
    first, second, third = (save_rule(None, {**RULE, "name": "Thanks"}) for _ in range(3))
    db.session.delete(second)
    db.session.flush()
    assert save_rule(None, {**RULE, "name": "Thanks"}).key == "thanks-2"
    assert len(set(db.session.scalars(select(NudgeRule.key)))) == db.session.query(NudgeRule).count()
    assert (first.key, third.key) == ("thanks", "thanks-3")


def test_the_base_leaves_room_in_the_column_for_a_suffix(db):
    assert unique_key(NudgeRule.key, "x" * 200, fallback="rule") == "x" * 50
