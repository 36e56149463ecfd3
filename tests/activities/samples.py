"""What the shared route and table walks need of activities (tests/feature_samples.py)."""

from __future__ import annotations

from champions.activities.models import DeletedActivity


def route_args(db, make) -> dict[str, dict]:
    champion = make.champion()
    kept = DeletedActivity(activity_id=999_999, champion_id=champion.id, row={"id": 999_999})
    db.session.add(kept)
    db.session.commit()
    return {"activities.activity_restore": {"deleted_id": kept.id}}


def personal_rows(db, user, champion) -> None:
    """An activity deleted a moment ago, kept so that it can be undone."""
    row = {"id": 12345, "type": "conversation", "occurred_on": "2026-01-02", "notes": "Chat at the bus stop"}
    db.session.add(DeletedActivity(activity_id=12345, champion_id=champion.id, row=row))
