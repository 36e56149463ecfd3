from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core.db import now_utc
from champions.core.models import Topic
from champions.extensions import Model, db


class Recurrence(StrEnum):
    YEARLY = "yearly"
    MONTHLY = "monthly"
    ONCE = "once"

    @property
    def label(self) -> str:
        return {"yearly": "Every year", "monthly": "Every month", "once": "One-off"}[self.value]


class Level(StrEnum):
    INDIVIDUALS = "individuals"
    COMMUNITIES = "communities"
    SYSTEMS = "systems"

    @property
    def label(self) -> str:
        return self.value.capitalize()


RECURRENCE_VALUES = ", ".join(f"'{r.value}'" for r in Recurrence)
LEVEL_VALUES = ", ".join(f"'{level.value}'" for level in Level)

moment_topics = Table(
    "moment_topics",
    db.metadata,
    Column("moment_id", ForeignKey("moments.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_code", ForeignKey("topics.code"), primary_key=True),
)


class Moment(Model):
    """A moment for change. Predictable ones recur (the first start date sets the day, and month for yearly);
    unpredictable ones happen once."""

    __tablename__ = "moments"
    __table_args__ = (
        CheckConstraint(f"recurrence IN ({RECURRENCE_VALUES})", name="recurrence_known"),
        CheckConstraint(f"level IN ({LEVEL_VALUES})", name="level_known"),
        CheckConstraint("end_date >= start_date", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20), default=Level.INDIVIDUALS.value)
    recurrence: Mapped[str] = mapped_column(String(10), default=Recurrence.YEARLY.value)
    start_date: Mapped[date]
    end_date: Mapped[date]
    suggested_actions: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    topics: Mapped[list[Topic]] = relationship(secondary=moment_topics, order_by=Topic.name)

    @property
    def predictable(self) -> bool:
        return self.recurrence != Recurrence.ONCE.value
