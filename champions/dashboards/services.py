"""Compute and read dashboard snapshots. Pages read snapshots only, never the live tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from champions.core.clock import today_uk
from champions.core.db import as_utc, now_utc
from champions.dashboards import figures
from champions.dashboards.models import DashboardSnapshot
from champions.extensions import db

PROGRAMME = "programme"

Progress = Callable[[int, int], None]


def programme_figures(progress: Progress | None = None) -> dict[str, Any]:
    today = today_uk()
    data: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("headline", lambda: figures.headline(today)),
        ("trajectory", lambda: figures.trajectory(today, data["headline"]["champions"])),
        ("funnel", figures.funnel),
        ("cohorts", lambda: figures.cohorts(today)),
        ("engagement", lambda: figures.engagement(today)),
        ("boroughs", lambda: figures.by_borough(data["engagement"]["by_borough"])),
        ("topics", figures.by_topic),
        ("activity", figures.activity_totals),
        ("network", figures.network),
        ("nudges", figures.nudge_effects),
    ]
    for done, (name, compute) in enumerate(steps, start=1):
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


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    computed_at: datetime
    duration_ms: int


def latest_snapshot_info(kind: str = PROGRAMME) -> SnapshotInfo | None:
    """Which snapshot is newest, without loading its (large) figures."""
    row = db.session.execute(
        select(DashboardSnapshot.id, DashboardSnapshot.computed_at, DashboardSnapshot.duration_ms)
        .where(DashboardSnapshot.kind == kind)
        .order_by(DashboardSnapshot.computed_at.desc(), DashboardSnapshot.id.desc())
        .limit(1)
    ).first()
    return SnapshotInfo(row.id, as_utc(row.computed_at), row.duration_ms) if row else None


def snapshot_data(snapshot_id: int) -> dict[str, Any]:
    return db.session.scalar(select(DashboardSnapshot.data).where(DashboardSnapshot.id == snapshot_id))


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
