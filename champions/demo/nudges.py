"""Demo data for nudges: the onboarding reminders the demo champions would have had, so the dashboard's
"nudge effect" table has something to show on the first start.

Each message is placed where the engine would have put it, from the champion's own stage history: the
email reminder two days after signing up for someone not yet confirmed by then, the training reminder a
week after confirming, the first-activity reminder a week after training. Only those whose measuring
window has closed are written; whether the person then acted is read from their real history, as the
dashboard always does. Whether a message was sent or held out follows the engine's own stable hash.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from champions.accounts.models import ConsentRecord
from champions.core.db import as_utc
from champions.extensions import db
from champions.nudges.conditions import CONDITIONS
from champions.nudges.evaluation import holdout_bucket_of, period_of
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule
from champions.profiles.models import Champion, Stage

# rule key -> (the stage after which the reminder is due, the stage that ends it)
ONBOARDING = {
    "verify-email": (Stage.REGISTERED, Stage.VERIFIED),
    "start-training": (Stage.VERIFIED, Stage.TRAINED),
    "pledge-and-first-activity": (Stage.TRAINED, Stage.ACTIVE),
}


def seed_nudge_history(champions: list[Champion], now: datetime) -> int:
    rules = {r.key: r for r in db.session.scalars(select(NudgeRule).where(NudgeRule.key.in_(ONBOARDING)))}
    emailable = set(
        db.session.scalars(
            select(ConsentRecord.user_id).where(
                ConsentRecord.purpose == "email_contact", ConsentRecord.granted.is_(True)
            )
        )
    )
    messages = []
    for champion in champions:
        if champion.user_id not in emailable:
            continue
        reached = {change.to_stage: as_utc(change.changed_at) for change in champion.history}
        for key, (after, until) in ONBOARDING.items():
            rule = rules.get(key)
            if rule is None or after.value not in reached:
                continue
            days = rule.params.get("days", CONDITIONS[rule.condition].default_days)
            due = reached[after.value] + timedelta(days=days)
            done = reached.get(until.value)
            if (done is not None and done <= due) or due > now - timedelta(days=rule.effect_days):
                continue  # they had already acted, or it is too soon to measure
            held_out = holdout_bucket_of(champion.user_id, rule.id) < rule.holdout_percent
            messages.append(
                NudgeMessage(
                    rule_id=rule.id,
                    user_id=champion.user_id,
                    period=period_of(due, rule.period_days),
                    status=(MessageStatus.HOLDOUT if held_out else MessageStatus.SENT).value,
                    created_at=due,
                    due_at=due,
                    sent_at=None if held_out else due,
                    attempts=0 if held_out else 1,
                )
            )
    db.session.add_all(messages)
    db.session.flush()
    return len(messages)
