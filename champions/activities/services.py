"""Activity logging. Every query is scoped to the champion who owns the activity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from champions.activities import outcomes, signals
from champions.activities.models import UNDO_MINUTES, Activity, DeletedActivity
from champions.core import audit, tombstones
from champions.core.clock import uk_date
from champions.core.db import as_utc, now_utc, rowcount
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


def log_activity(champion: Champion, data: dict[str, Any], chosen: Sequence[outcomes.OutcomeInput] = ()) -> Activity:
    """Log what the champion did and what came of it (``chosen``); outcomes that break the rules are refused
    (``outcomes.OutcomeProblems``) before anything is written."""
    ensure_taking_part(champion, "log an activity")
    if chosen:
        outcomes.refuse_wrong(data["type"], data["people_reached"], chosen, outcomes.offered_kinds())
    activity = Activity(champion_id=champion.id, **{k: data[k] for k in FIELDS})
    activity.notes = activity.notes or None
    db.session.add(activity)
    db.session.flush()
    if chosen:
        outcomes.save_outcomes(activity, chosen)
    _refresh_last_activity(champion)
    if champion.stage == Stage.LAPSED.value:
        change_stage(champion, Stage.ACTIVE, "Logged an activity after a lapse")
    signals.activity_logged.send(champion)
    return activity


def update_activity(
    champion: Champion,
    activity: Activity,
    data: dict[str, Any],
    chosen: Sequence[outcomes.OutcomeInput] | None = None,
) -> None:
    """Change the activity; with ``chosen``, its outcomes become those (the ones left out are removed), and
    without, they stay as they are. Either way the outcomes it will have must fit its new type and number reached
    (``outcomes.OutcomeProblems``: without ``chosen``, by the field "type" or "people_reached"), checked with the
    activity's row locked, so that outcomes saved at the same moment are seen."""
    ensure_taking_part(champion, "change an activity")
    outcomes.lock_activity(activity)
    if chosen is not None:
        outcomes.refuse_wrong(data["type"], data["people_reached"], chosen, outcomes.offered_kinds(activity))
    else:
        outcomes.refuse_breaking_recorded(activity, data["type"], data["people_reached"])
    for key in FIELDS:
        setattr(activity, key, data[key])
    activity.notes = activity.notes or None
    db.session.flush()
    if chosen is not None:
        outcomes.save_outcomes(activity, chosen)
    _refresh_last_activity(champion)


def earliest_day(champion: Champion) -> date:
    """The earliest date an activity of this champion's may have: a year before they joined (something done
    shortly before signing up counts; a date much earlier is a slip, like 2016 for 2026)."""
    return uk_date(champion.created_at) - timedelta(days=365)


# Every column of an activity, kept whole while its deletion can be undone.
_KEPT = ("id", "champion_id", *FIELDS, "created_at", "updated_at")


def delete_activity(champion: Champion, activity: Activity) -> DeletedActivity:
    """Delete the activity and what came of it, keeping both for ``UNDO_MINUTES`` so that they can be put back
    exactly."""
    ensure_taking_part(champion, "delete an activity")
    row = {key: _as_json(getattr(activity, key)) for key in _KEPT}
    row["outcomes"] = outcomes.kept_outcomes(activity)
    kept = DeletedActivity(activity_id=activity.id, champion_id=champion.id, row=row)
    db.session.add(kept)
    db.session.delete(activity)
    tombstones.bury("activities", [activity.id], "deleted")
    db.session.flush()
    _refresh_last_activity(champion)
    audit.record("activity.deleted", activity)
    return kept


def undo_deadline(kept: DeletedActivity) -> datetime:
    return as_utc(kept.deleted_at) + timedelta(minutes=UNDO_MINUTES)


def own_deleted(champion: Champion, deleted_id: int) -> DeletedActivity | None:
    """A deletion of this champion's that can still be undone, or None."""
    kept = db.session.scalar(
        select(DeletedActivity).where(DeletedActivity.id == deleted_id, DeletedActivity.champion_id == champion.id)
    )
    return kept if kept is not None and now_utc() < undo_deadline(kept) else None


def restore_activity(champion: Champion, kept: DeletedActivity) -> Activity:
    """Put a deleted activity back as it was, under its old id unless another activity has taken it since."""
    ensure_taking_part(champion, "put back an activity")
    row = dict(kept.row)
    kept_outcomes = row.pop("outcomes", [])
    if db.session.get(Activity, row["id"]) is not None:
        row.pop("id")
    else:
        tombstones.unbury("activities", row["id"])
    activity = Activity(**{key: _from_json(key, value) for key, value in row.items()})
    activity.champion_id = champion.id  # the champion it was merged into, if it was
    activity.updated_at = now_utc()  # back now: a copy that followed the deletion takes it again
    db.session.add(activity)
    db.session.delete(kept)
    db.session.flush()
    outcomes.restore_outcomes(activity, kept_outcomes)
    _refresh_last_activity(champion)
    audit.record("activity.restored", activity)
    return activity


def purge_deleted(now: datetime) -> int:
    """Forget the deleted activities that can no longer be undone."""
    cutoff = now - timedelta(minutes=UNDO_MINUTES)
    return rowcount(db.session.execute(delete(DeletedActivity).where(DeletedActivity.deleted_at <= cutoff)))


def _as_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value  # datetimes are dates too


def _from_json(key: str, value: Any) -> Any:
    if value is None or key not in ("occurred_on", "created_at", "updated_at"):
        return value
    return date.fromisoformat(value) if key == "occurred_on" else datetime.fromisoformat(value)


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
