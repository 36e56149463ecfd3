"""Reading the figures that background jobs compute and keep (``DashboardSnapshot``): the newest of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from champions.core.db import as_utc
from champions.core.models import DashboardSnapshot
from champions.extensions import db


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    computed_at: datetime
    duration_ms: int


def latest_snapshot_info(kind: str) -> SnapshotInfo | None:
    """Which snapshot is newest, without loading its (large) figures."""
    row = db.session.execute(
        select(DashboardSnapshot.id, DashboardSnapshot.computed_at, DashboardSnapshot.duration_ms)
        .where(DashboardSnapshot.kind == kind)
        .order_by(DashboardSnapshot.computed_at.desc(), DashboardSnapshot.id.desc())
        .limit(1)
    ).first()
    return SnapshotInfo(row.id, as_utc(row.computed_at), row.duration_ms) if row else None


def snapshot_data(snapshot_id: int) -> dict[str, Any] | None:
    return db.session.scalar(select(DashboardSnapshot.data).where(DashboardSnapshot.id == snapshot_id))


def latest_snapshot(kind: str) -> DashboardSnapshot | None:
    snapshot = db.session.scalar(
        select(DashboardSnapshot)
        .where(DashboardSnapshot.kind == kind)
        .order_by(DashboardSnapshot.computed_at.desc(), DashboardSnapshot.id.desc())
        .limit(1)
    )
    if snapshot is not None:
        snapshot.computed_at = as_utc(snapshot.computed_at)
    return snapshot
