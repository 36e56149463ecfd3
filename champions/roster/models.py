"""Staff CRM records: notes on champions, import jobs with their rows, export jobs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.core.work import Leased
from champions.extensions import Model, db


class ChampionNote(Model):
    __tablename__ = "champion_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    author = relationship("User")


class Tag(Model):
    """A label staff give champions ("Spoke at the mosque open day", "Wigan walking group"), to find them again.

    Names are unique whatever their case: ``name_key`` is the name case-folded, so "Walkers" and "walkers" are one.
    """

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(60), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


champion_tags = Table(
    "champion_tags",
    db.metadata,
    Column("champion_id", ForeignKey("champions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("added_by_id", ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("added_at", DateTime(timezone=True), nullable=False, default=now_utc),
)


class JobStatus(StrEnum):
    WAITING = "waiting"  # uploaded, columns not yet mapped / queued
    CHECKING = "checking"  # dry run in progress
    CHECKED = "checked"  # dry run finished, waiting for the go-ahead
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(Leased, Model):
    """One uploaded CSV: its text, the column mapping, the dry run's counts and the import's."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    # The file as decoded text: a task on any worker can read it (tasks take ids, not files).
    content: Mapped[str] = mapped_column(Text, deferred=True)  # loaded only when read: progress reloads skip it
    encoding: Mapped[str] = mapped_column(String(20))
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(200))
    lawful_basis: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.WAITING.value)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    dry_run_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None]
    # Set once every welcome email this import owes has been sent (each champion's is marked on their account).
    emails_done_at: Mapped[datetime | None]

    created_by = relationship("User")


class ImportRow(Model):
    """What happened to one line of an import (or of its dry run): the report is built from these."""

    __tablename__ = "import_rows"
    __table_args__ = (Index("ix_import_rows_job_dry_line", "job_id", "dry_run", "line_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    dry_run: Mapped[bool] = mapped_column(default=False)
    line_number: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(20))  # new, updated, duplicate, rejected
    message: Mapped[str | None] = mapped_column(String(500))
    flagged: Mapped[bool] = mapped_column(default=False)  # same name and postcode as someone already here
    warning: Mapped[str | None] = mapped_column(String(500))  # imported, but for staff to check (the postcode)
    email: Mapped[str | None] = mapped_column(String(254))
    champion_id: Mapped[int | None] = mapped_column(ForeignKey("champions.id", ondelete="SET NULL"), index=True)

    job: Mapped[ImportJob] = relationship()


class ExportJob(Leased, Model):
    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    include_special: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.WAITING.value)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    content: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging (core/merging.py): notes, imports and exports follow the merged record and the login that made them.
MERGES.update(merging.moves("champions", "champion_notes.champion_id", "import_rows.champion_id"))
MERGES.update(
    merging.moves(
        "users",
        "champion_notes.author_id",
        "import_jobs.created_by_id",
        "export_jobs.created_by_id",
        "tags.created_by_id",
        "champion_tags.added_by_id",
    )
)
# Merging champions: the kept record has every tag of both, once each.
MERGES.update(merging.on_conflict("champions", "champion_tags.champion_id", merging.keep_one()))
