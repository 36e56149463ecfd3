"""Compute and read dashboard snapshots. Pages read snapshots only, never the live tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from champions.core.clock import today_uk
from champions.core.db import now_utc, roomy_aggregates
from champions.core.models import DashboardSnapshot
from champions.dashboards.figures import growth, network, nudges, onboarding, outcomes, reach
from champions.extensions import db

PROGRAMME = "programme"

Progress = Callable[[int, int], None]


def programme_figures(progress: Progress | None = None) -> dict[str, Any]:
    today = today_uk()
    data: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("headline", lambda: growth.headline(today)),
        ("trajectory", lambda: growth.trajectory(today, data["headline"]["champions"])),
        ("funnel", onboarding.funnel),
        ("cohorts", lambda: onboarding.cohorts(today)),
        ("engagement", lambda: reach.engagement(today)),
        ("boroughs", lambda: reach.by_borough(data["engagement"]["by_borough"])),
        ("topics", reach.by_topic),
        ("activity", reach.activity_totals),
        ("network", network.network),
        ("outcomes", outcomes.outcomes),
        ("nudges", nudges.nudge_effects),
    ]
    for done, (name, compute) in enumerate(steps, start=1):
        roomy_aggregates(db.session)  # again for each step: ``progress`` may commit between them
        data[name] = compute()
        if progress:
            progress(done, len(steps))
    data["as_of"] = today.isoformat()
    return data


def compute_programme_snapshot(progress: Progress | None = None) -> DashboardSnapshot:
    started = time.perf_counter()
    data = programme_figures(progress)
    snapshot = DashboardSnapshot(
        kind=PROGRAMME, data=data, computed_at=now_utc(), duration_ms=round(1000 * (time.perf_counter() - started))
    )
    db.session.add(snapshot)
    db.session.flush()
    return snapshot
