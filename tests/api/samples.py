"""Sample ids for the API's routes (tests/feature_samples.py)."""

from __future__ import annotations

from champions.core.clock import today_uk


def route_args(db, make) -> dict[str, dict]:
    champion = make.champion()
    activity = make.activity(champion, occurred_on=today_uk(), borough_code="bolton", people_reached=1)
    db.session.commit()
    return {
        "api_champions.get_champion": {"champion_id": champion.id},
        "api_champions.correct_champion": {"champion_id": champion.id},
        "api_activities.get_activity": {"activity_id": activity.id},
        "api.revoke_token": {"token_id": 1},
    }
