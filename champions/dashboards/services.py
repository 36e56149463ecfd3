"""Compute and read dashboard snapshots with set-based queries."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from champions.core.db import as_utc, now_utc
from champions.dashboards.models import DashboardSnapshot
from champions.extensions import db
from champions.roster.models import Champion, Stage

PROGRAMME = "programme"
# Withdrawn champions have left the network; everyone else counts towards the target.
COUNTED_STAGES = [s.value for s in Stage if s is not Stage.WITHDRAWN]


def programme_figures() -> dict[str, Any]:
    """Champions by stage (one aggregate query) and progress against the target."""
    rows = db.session.execute(select(Champion.stage, func.count()).group_by(Champion.stage)).all()
    by_stage = {stage.value: 0 for stage in Stage}
    by_stage.update({stage: count for stage, count in rows})
    in_network = sum(by_stage[s] for s in COUNTED_STAGES)
    target = current_app.config["CHAMPION_TARGET"]
    return {
        "by_stage": by_stage,
        "champions": in_network,
        "target": target,
        "percent_of_target": round(100 * in_network / target, 1) if target else None,
    }


def compute_programme_snapshot() -> DashboardSnapshot:
    started = time.perf_counter()
    data = programme_figures()
    snapshot = DashboardSnapshot(
        kind=PROGRAMME, data=data, computed_at=now_utc(), duration_ms=round(1000 * (time.perf_counter() - started))
    )
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def latest_snapshot(kind: str = PROGRAMME) -> DashboardSnapshot | None:
    snapshot = db.session.scalar(
        select(DashboardSnapshot)
        .where(DashboardSnapshot.kind == kind)
        .order_by(DashboardSnapshot.computed_at.desc(), DashboardSnapshot.id.desc())
        .limit(1)
    )
    if snapshot is not None:
        snapshot.computed_at = as_utc(snapshot.computed_at)
    return snapshot
