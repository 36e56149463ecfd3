from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from champions.core.db import now_utc
from champions.extensions import db


class DashboardSnapshot(db.Model):
    """Figures computed by a background job; pages read the newest of each kind."""

    __tablename__ = "dashboard_snapshots"
    __table_args__ = (Index("ix_dashboard_snapshots_kind_computed", "kind", "computed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(default=now_utc)
    duration_ms: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
