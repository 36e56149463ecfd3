"""Follow-up tasks on a champion, an organisation or a grant application, the daily digest of them, and each
staff member's choice about that digest. The owners are columns of those records' own tables (``owner_id``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.accounts.models import User
from champions.core import merging
from champions.core.db import now_utc
from champions.extensions import Model
from champions.grants.models import Application
from champions.organisations.models import Organisation
from champions.profiles.models import Champion

TITLE_MAX, NOTE_MAX = 200, 2000
# A task is about exactly one record: a champion, an organisation or a grant application.
_ONE_RECORD = (
    "(CASE WHEN champion_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN application_id IS NULL THEN 0 ELSE 1 END) = 1"
)


class Task(Model):
    __tablename__ = "followup_tasks"
    __table_args__ = (
        CheckConstraint(_ONE_RECORD, name="one_record"),
        # "My tasks": someone's open tasks, soonest due first, a page at a time.
        Index("ix_followup_tasks_assignee_open", "assignee_id", "done_at", "due_on", "id"),
        # The daily digest: open tasks due by a day.
        Index("ix_followup_tasks_open_due", "done_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    champion_id: Mapped[int | None] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    note: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])
    champion: Mapped[Champion | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    application: Mapped[Application | None] = relationship()

    @property
    def kind(self) -> str:
        if self.champion_id is not None:
            return "champion"
        return "organisation" if self.organisation_id is not None else "application"

    @property
    def record_id(self) -> int:
        return self.champion_id or self.organisation_id or self.application_id or 0

    @property
    def record(self) -> Champion | Organisation | Application | None:
        return self.champion or self.organisation or self.application


class Digest(Model):
    """One day's reminder email to one person of their tasks due that day or overdue: the row is written (with
    the pending email that sends it) once per person and day, so the email goes once however often beat fires."""

    __tablename__ = "followup_digests"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_followup_digests_user_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[datetime | None]


class Preference(Model):
    """A staff member's own choice about the daily email of their tasks (no row: they get it)."""

    __tablename__ = "followup_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    daily_digest: Mapped[bool] = mapped_column(default=True)
    changed_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)


MERGES: merging.Declarations = {
    # Tasks follow their record, and the person they belong to, into the record kept (owners: each record's feature).
    **merging.moves("users", "followup_tasks.assignee_id", "followup_tasks.created_by_id", "followup_tasks.done_by_id"),
    **merging.moves("champions", "followup_tasks.champion_id"),
    **merging.moves("organisations", "followup_tasks.organisation_id"),
    **merging.on_conflict("users", "followup_digests.user_id", merging.keep_one()),
    **merging.on_conflict("users", "followup_preferences.user_id", merging.keep_one()),
}
