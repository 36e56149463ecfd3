"""Rules management and unsubscribing. Services flush; the request commits."""

from __future__ import annotations

from sqlalchemy import select

from champions.core import audit
from champions.core.keys import unique_key
from champions.extensions import db
from champions.nudges.models import NudgeRule
from champions.privacy.services import record_consent, set_consent

NUDGE_CONSENT_VERSION = "nudges-2026-11"


def save_rule(rule: NudgeRule | None, data: dict) -> NudgeRule:
    if rule is None:
        rule = NudgeRule(key=unique_key(NudgeRule.key, data["name"], fallback="rule"))
        db.session.add(rule)
    for name in (
        "name",
        "condition",
        "subject",
        "body_text",
        "body_html",
        "period_days",
        "holdout_percent",
        "effect_days",
        "enabled",
    ):
        setattr(rule, name, data[name])
    rule.params = {"days": data["days"]}
    db.session.flush()
    audit.record("nudge_rule.saved", rule)
    return rule


def unsubscribe(user_id: int, kind: str) -> None:
    """Recorded exactly like a consent withdrawal: one kind of nudge, or every email."""
    if kind == "all":
        set_consent(user_id, "email_contact", False)
    else:
        record_consent(user_id, f"nudge:{kind}", False, NUDGE_CONSENT_VERSION, source="unsubscribe link")


def set_nudge_preference(user_id: int, kind: str, wanted: bool) -> None:
    record_consent(user_id, f"nudge:{kind}", wanted, NUDGE_CONSENT_VERSION, source="preferences")


def nudge_preferences(user_id: int) -> list[tuple[NudgeRule, bool]]:
    from champions.privacy.services import current_consents

    consents = current_consents(user_id)
    rules = db.session.scalars(select(NudgeRule).where(NudgeRule.enabled).order_by(NudgeRule.id))
    return [
        (rule, consents.get(f"nudge:{rule.key}") is None or consents[f"nudge:{rule.key}"].granted) for rule in rules
    ]
