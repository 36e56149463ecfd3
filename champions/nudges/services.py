"""Rules management and unsubscribing. Services flush; the request commits."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select

from champions.accounts.consent import current_consents, record_consent, set_consent
from champions.accounts.models import User
from champions.core import audit
from champions.core.keys import unique_key
from champions.extensions import db
from champions.grants.models import Application
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule

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
    consents = current_consents(user_id)
    rules = db.session.scalars(select(NudgeRule).where(NudgeRule.enabled).order_by(NudgeRule.id))
    return [
        (rule, consents.get(f"nudge:{rule.key}") is None or consents[f"nudge:{rule.key}"].granted) for rule in rules
    ]


def grant_report_already_nudged(sender: object = None) -> ColumnElement[bool]:
    """The 'report due soon' nudge already went to this grant's contact: the same email, not twice.

    The nudge goes to the applicant's account; the reminder to the contact email on the application. Only
    when they are the same person is the reminder left out. Overdue reminders always go. People the nudge
    holds out still get this reminder, so if that rule is ever given a holdout share, its measured effect is
    the nudge's over the reminder, not over nothing.
    """
    return (
        select(NudgeMessage.id)
        .join(NudgeRule, NudgeRule.id == NudgeMessage.rule_id)
        .join(User, User.id == NudgeMessage.user_id)
        .where(
            NudgeRule.key == "grant-report-due",
            NudgeMessage.user_id == Application.applicant_id,
            NudgeMessage.context_id == Application.id,
            NudgeMessage.status.in_([MessageStatus.PENDING.value, MessageStatus.SENT.value]),
            User.email == func.lower(Application.contact_email),
        )
        .exists()
    )


def purpose_label(purpose: str) -> str | None:
    """A nudge's consent purpose ("nudge:<rule key>") in words, for the person's data export; None for others'."""
    if not purpose.startswith("nudge:"):
        return None
    name = db.session.scalar(select(NudgeRule.name).where(NudgeRule.key == purpose.removeprefix("nudge:")))
    return f"Reminder emails about: {name or 'a kind no longer sent'}"


def nudge_choices(user, champion=None) -> list[tuple[str, str]]:
    """Each kind of reminder email, and whether this person wants it, for their data export."""
    return [
        (f"Reminder emails about: {rule.name}", "Yes" if wanted else "No, you turned these off")
        for rule, wanted in nudge_preferences(user.id)
    ]
