"""What the shared route and table walks need of activities (tests/feature_samples.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from champions.activities.models import Activity, ActivityOutcome, DeletedActivity


def route_args(db, make) -> dict[str, dict]:
    champion = make.champion()
    kept = DeletedActivity(activity_id=999_999, champion_id=champion.id, row={"id": 999_999})
    db.session.add(kept)
    db.session.commit()
    kind = {"code": "other"}  # retiring it (as the form walk does) leaves the other kinds to choose from
    return {
        "activities.activity_restore": {"deleted_id": kept.id},
        "activities.staff_outcome_kind_edit": kind,
        "activities.staff_outcome_kind_retire": kind,
    }


def personal_rows(db, user, champion) -> None:
    """An activity deleted a moment ago, kept so that it can be undone."""
    row = {"id": 12345, "type": "conversation", "occurred_on": "2026-01-02", "notes": "Chat at the bus stop"}
    db.session.add(DeletedActivity(activity_id=12345, champion_id=champion.id, row=row))
    # What came of an activity of theirs: the one they logged, or one made for it.
    activity = db.session.scalar(select(Activity).where(Activity.champion_id == champion.id).limit(1))
    if activity is None:
        activity = Activity(
            champion_id=champion.id,
            type="stall_or_event",
            occurred_on=date(2026, 1, 3),
            borough_code=champion.borough_code,
            topic_code="screening",
            people_reached=20,
        )
        db.session.add(activity)
        db.session.flush()
    db.session.add(
        ActivityOutcome(
            activity_id=activity.id,
            champion_id=champion.id,
            outcome_code="bowel_screening",
            signposted=1,
            said_would_act=1,
            did_act=0,
        )
    )
