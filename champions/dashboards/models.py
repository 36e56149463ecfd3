from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from champions.core import merging
from champions.core.db import now_utc
from champions.core.work import Leased
from champions.extensions import Model


class ProgrammeSettings(Model):
    """The target and its dates, set by an admin (one row)."""

    __tablename__ = "programme_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[int] = mapped_column(default=20_000)
    start_date: Mapped[date]
    target_date: Mapped[date]
    milestone_label: Mapped[str] = mapped_column(String(80), default="Interim aim")
    milestone_target: Mapped[int] = mapped_column(default=5_000)
    milestone_date: Mapped[date]
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)


class DashboardJob(Leased, Model):
    """A requested recompute, with its progress, so the page can show it."""

    __tablename__ = "dashboard_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(default=now_utc)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_steps: Mapped[int] = mapped_column(default=0)
    total_steps: Mapped[int] = mapped_column(default=1)
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging people (core/merging.py): a requested snapshot follows the login that asked for it.
MERGES.update(merging.moves("users", "dashboard_jobs.requested_by_id"))
