from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from champions.accounts.consent import set_consent
from champions.core.db import now_utc
from champions.nudges.models import NudgeRule

UK_MORNING = datetime(2026, 11, 26, 10, 0)  # a Thursday morning in London, outside quiet hours


@pytest.fixture(name="rules")
def rules_fixture(db):
    return {r.key: r for r in db.session.scalars(select(NudgeRule))}


def rule_form(rule: NudgeRule, **fields: str) -> dict[str, str]:
    """The rule's edit form as staff post it, with ``fields`` in place of what the page shows."""
    return {
        "name": rule.name,
        "condition": rule.condition,
        "days": "30",
        "subject": rule.subject,
        "body_text": rule.body_text,
        "body_html": rule.body_html,
        "period_days": "30",
        "holdout_percent": "10",
        "effect_days": "14",
        **fields,
    }


@pytest.fixture
def unverified(db, make):
    """Make a champion who signed up ``days`` ago, has not verified, and (by default) agreed to email."""

    def build(days: int = 3, consent: bool = True):
        champion = make.champion()
        champion.user.created_at = now_utc() - timedelta(days=days)
        if consent:
            set_consent(champion.user_id, "email_contact", True)
        db.session.commit()
        return champion

    return build


@pytest.fixture
def morning(clock):
    """The test's clock stopped on a weekday morning in London: sign-ups and "now" share one clock."""
    return clock.set(UK_MORNING)
