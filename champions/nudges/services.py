"""Rules management and unsubscribing. Services flush; the request commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from champions.accounts.consent import current_consents, record_consent, set_consent
from champions.accounts.models import User
from champions.core import audit
from champions.core.keys import unique_key
from champions.extensions import db
from champions.grants.models import Application
from champions.nudges.conditions import CONDITIONS, KINDS, Reach, kind_purpose
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule

NUDGE_CONSENT_VERSION = "nudges-2026-11"


RULE_FIELDS = (
    "name",
    "condition",
    "subject",
    "body_text",
    "body_html",
    "period_days",
    "holdout_percent",
    "effect_days",
    "enabled",
)


def rule_params(data: dict) -> dict:
    """A rule's params as its condition uses them: N ("days") and the network role ("role"), each only where the
    condition uses it and it is given."""
    condition = CONDITIONS.get(data.get("condition") or "")
    used = condition.params if condition is not None else ("days",)
    return {name: data[name] for name in used if data.get(name) not in (None, "")}


def save_rule(rule: NudgeRule | None, data: dict) -> NudgeRule:
    """Add a rule, or change one: a change's audit event names the fields that changed (none: nothing recorded)."""
    new = rule is None
    if rule is None:
        rule = NudgeRule(key=unique_key(NudgeRule.key, data["name"], fallback="rule"))
        db.session.add(rule)
    changed = audit.assign(rule, {name: data[name] for name in RULE_FIELDS} | {"params": rule_params(data)})
    db.session.flush()
    if new:
        audit.record("nudge_rule.saved", rule)
    elif changed:
        audit.record("nudge_rule.saved", rule, fields=changed)
    return rule


def unsubscribe(user_id: int, kind: str) -> None:
    """Recorded exactly like a consent withdrawal: one kind of nudge, or every email."""
    if kind == "all":
        set_consent(user_id, "email_contact", False)
    else:
        record_consent(user_id, f"nudge:{kind}", False, NUDGE_CONSENT_VERSION, source="unsubscribe link")


@dataclass(frozen=True)
class KindPreference:
    """One kind of reminder as a person sees it on their preferences: its words and whether they get it."""

    kind: str
    label: str
    state: str  # "on", "off" or "some" (they unsubscribed from some of its emails by a link)

    @property
    def answer(self) -> str:
        return {"on": "Yes", "off": "No, you turned these off", "some": "Some: you turned some of these off"}[
            self.state
        ]


def reach_of(user) -> Reach:
    champion = user.champion
    applicant = db.session.scalar(select(Application.id).where(Application.applicant_id == user.id).limit(1))
    return Reach(
        champion=champion is not None,
        verified=user.email_verified_at is not None,
        stage=champion.stage if champion is not None else None,
        applicant=applicant is not None,
    )


def rules_of_kind(kind: str) -> list[NudgeRule]:
    conditions = [key for key, condition in CONDITIONS.items() if condition.kind == kind]
    return list(db.session.scalars(select(NudgeRule).where(NudgeRule.condition.in_(conditions)).order_by(NudgeRule.id)))


def set_kind_preference(user_id: int, kind: str, wanted: bool) -> None:
    """Turn a whole kind of reminder on or off: the kind's own decision (which also covers rules added to it later)
    and each of its rules' (which the one-click unsubscribe sets alone)."""
    record_consent(user_id, kind_purpose(kind), wanted, NUDGE_CONSENT_VERSION, source="preferences")
    for rule in rules_of_kind(kind):
        record_consent(user_id, f"nudge:{rule.key}", wanted, NUDGE_CONSENT_VERSION, source="preferences")


def kind_preferences(user) -> list[KindPreference]:
    """The kinds of reminder that can reach this person now (by their rules' conditions), in plain words."""
    consents = current_consents(user.id)
    reach = reach_of(user)

    def wanted(purpose: str) -> bool:
        return consents.get(purpose) is None or consents[purpose].granted

    rules = db.session.scalars(select(NudgeRule).where(NudgeRule.enabled).order_by(NudgeRule.id))
    reaching: dict[str, list[bool]] = {}
    for rule in rules:
        condition = CONDITIONS.get(rule.condition)
        if condition is not None and condition.can_reach(reach):
            reaching.setdefault(condition.kind, []).append(wanted(f"nudge:{rule.key}"))
    out = []
    for kind, label in KINDS.items():
        if kind not in reaching:
            continue
        answers = reaching[kind]
        state = "off" if not wanted(kind_purpose(kind)) or not any(answers) else "on" if all(answers) else "some"
        out.append(KindPreference(kind, label, state))
    return out


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
    """A reminder's consent purpose (a rule's "nudge:<key>" or a kind's "nudge-kind:<kind>") in words, for the
    person's data export; None for others'."""
    if purpose.startswith("nudge-kind:"):
        return f"Reminder emails: {KINDS.get(purpose.removeprefix('nudge-kind:'), 'a kind no longer sent')}"
    if not purpose.startswith("nudge:"):
        return None
    condition = db.session.scalar(select(NudgeRule.condition).where(NudgeRule.key == purpose.removeprefix("nudge:")))
    return (
        f"Reminder emails: {CONDITIONS[condition].public_label if condition in CONDITIONS else 'a kind no longer sent'}"
    )


def nudge_choices(user, champion=None) -> list[tuple[str, str]]:
    """Each kind of reminder email that can reach this person, and whether they want it, for their data export."""
    return [(f"Reminder emails: {kind.label}", kind.answer) for kind in kind_preferences(user)]
