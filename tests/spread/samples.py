"""Sample rows of this feature's tables (tests/feature_samples.py)."""

from __future__ import annotations

from champions.core.db import now_utc
from champions.spread.models import ChampionRole


def personal_rows(db, user, champion) -> None:
    """A champion's measures from a run of the network analysis."""
    db.session.add(
        ChampionRole(
            champion_id=champion.id,
            computed_at=now_utc(),
            ties=2,
            strength=3,
            betweenness=1.5,
            reach_2=4,
            reach_3=6,
            boroughs_crossed=1,
            organisations_crossed=0,
            people_reached_3=12,
            hub=False,
            gatekeeper=True,
        )
    )


def route_args(db, make) -> dict[str, dict]:
    from champions.spread.models import SpreadRun

    run = SpreadRun()
    db.session.add(run)
    db.session.commit()
    return {
        "spread.run_status": {"run_id": run.id},
        "spread.table_csv": {"table": "cohorts"},
        "spread.champion_network": {"champion_id": make.champion().id},
    }
