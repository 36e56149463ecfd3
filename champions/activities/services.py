"""Activity logging. Every query is scoped to the champion who owns the activity."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from champions.activities import signals
from champions.activities.models import Activity
from champions.extensions import db
from champions.profiles.models import Champion, Stage
from champions.profiles.services import change_stage, ensure_taking_part

FIELDS = ("type", "occurred_on", "borough_code", "topic_code", "people_reached", "notes")


def own_activity(champion: Champion, activity_id: int) -> Activity | None:
    """The champion's own activity, or None: another champion's id is simply not found."""
    return db.session.scalar(select(Activity).where(Activity.id == activity_id, Activity.champion_id == champion.id))


def _refresh_last_activity(champion: Champion) -> None:
    champion.last_activity_on = db.session.scalar(
        select(func.max(Activity.occurred_on)).where(Activity.champion_id == champion.id)
    )


def log_activity(champion: Champion, data: dict[str, Any]) -> Activity:
    ensure_taking_part(champion, "log an activity")
    activity = Activity(champion_id=champion.id, **{k: data[k] for k in FIELDS})
    activity.notes = activity.notes or None
    db.session.add(activity)
    db.session.flush()
    _refresh_last_activity(champion)
    if champion.stage == Stage.LAPSED.value:
        change_stage(champion, Stage.ACTIVE, "Logged an activity after a lapse")
    signals.activity_logged.send(champion)
    return activity


def update_activity(champion: Champion, activity: Activity, data: dict[str, Any]) -> None:
    ensure_taking_part(champion, "change an activity")
    for key in FIELDS:
        setattr(activity, key, data[key])
    activity.notes = activity.notes or None
    db.session.flush()
    _refresh_last_activity(champion)


def delete_activity(champion: Champion, activity: Activity) -> None:
    ensure_taking_part(champion, "delete an activity")
    db.session.delete(activity)
    db.session.flush()
    _refresh_last_activity(champion)


def totals(champion: Champion) -> dict[str, Any]:
    """Totals by type and by topic, in two aggregate queries."""
    mine = Activity.champion_id == champion.id
    by_type = db.session.execute(
        select(Activity.type, func.count(), func.coalesce(func.sum(Activity.people_reached), 0))
        .where(mine)
        .group_by(Activity.type)
    ).all()
    by_topic = db.session.execute(
        select(Activity.topic_code, func.count(), func.coalesce(func.sum(Activity.people_reached), 0))
        .where(mine)
        .group_by(Activity.topic_code)
    ).all()
    return {
        "activities": sum(row[1] for row in by_type),
        "people": sum(row[2] for row in by_type),
        "by_type": [(t, n, p) for t, n, p in by_type],
        "by_topic": [(t, n, p) for t, n, p in by_topic],
    }


def not_in_future(value: date, today: date) -> bool:
    return value <= today
