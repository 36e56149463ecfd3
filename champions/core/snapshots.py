"""Reading the figures that background jobs compute and keep (``DashboardSnapshot``): the newest of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select

from champions.core.db import as_utc
from champions.core.models import DashboardSnapshot
from champions.extensions import db


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    computed_at: datetime
    duration_ms: int


_Query = TypeVar("_Query", bound=Select)


def _newest(query: _Query, kind: str) -> _Query:
    """``query`` narrowed to the newest snapshot of ``kind``."""
    return (
        query.where(DashboardSnapshot.kind == kind)
        .order_by(DashboardSnapshot.computed_at.desc(), DashboardSnapshot.id.desc())
        .limit(1)
    )


def latest_snapshot_info(kind: str) -> SnapshotInfo | None:
    """Which snapshot is newest, without loading its (large) figures."""
    columns = select(DashboardSnapshot.id, DashboardSnapshot.computed_at, DashboardSnapshot.duration_ms)
    row = db.session.execute(_newest(columns, kind)).first()
    return SnapshotInfo(row.id, as_utc(row.computed_at), row.duration_ms) if row else None


def snapshot_data(snapshot_id: int) -> dict[str, Any] | None:
    return db.session.scalar(select(DashboardSnapshot.data).where(DashboardSnapshot.id == snapshot_id))


def latest_snapshot(kind: str) -> DashboardSnapshot | None:
    snapshot = db.session.scalar(_newest(select(DashboardSnapshot), kind))
    if snapshot is not None:
        snapshot.computed_at = as_utc(snapshot.computed_at)
    return snapshot
