from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.extensions import Model


class ActivityType(StrEnum):
    CONVERSATION = "conversation"
    STALL_OR_EVENT = "stall_or_event"
    GROUP_TALK = "group_talk"
    SOCIAL_MEDIA = "social_media"
    SIGNPOSTING = "signposting"
    TRAINING_OTHERS = "training_others"
    OTHER = "other"

    @property
    def label(self) -> str:
        return ACTIVITY_TYPE_LABELS[self]


ACTIVITY_TYPE_LABELS = {
    ActivityType.CONVERSATION: "A conversation",
    ActivityType.STALL_OR_EVENT: "A stall or event",
    ActivityType.GROUP_TALK: "A talk to a group",
    ActivityType.SOCIAL_MEDIA: "A social media post",
    ActivityType.SIGNPOSTING: "Signposting to screening",
    ActivityType.TRAINING_OTHERS: "Training others",
    ActivityType.OTHER: "Something else",
}
TYPE_VALUES = ", ".join(f"'{t.value}'" for t in ActivityType)
MAX_PEOPLE_REACHED = 10_000


class Activity(Model):
    """One thing a champion did. After erasure champion_id is NULL and notes are gone: an anonymous count."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(f"type IN ({TYPE_VALUES})", name="type_known"),
        CheckConstraint(f"people_reached BETWEEN 0 AND {MAX_PEOPLE_REACHED}", name="people_reached_range"),
        Index("ix_activities_champion_occurred", "champion_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    champion_id: Mapped[int | None] = mapped_column(ForeignKey("champions.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(index=True)
    borough_code: Mapped[str] = mapped_column(ForeignKey("boroughs.code"), index=True)
    topic_code: Mapped[str] = mapped_column(ForeignKey("topics.code"), index=True)
    people_reached: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    borough = relationship("Borough")
    topic = relationship("Topic")
    champion = relationship("Champion")


# An activity's type as stored (its value), in words.
TYPE_LABELS = {t.value: label for t, label in ACTIVITY_TYPE_LABELS.items()}


class DeletedActivity(Model):
    """An activity its champion has just deleted, kept for ``UNDO_MINUTES`` so that "Undo" puts it back exactly
    as it was (its id, dates and notes), then purged. Kept out of the activities table so that no count or list
    of activities has to remember to skip deleted ones."""

    __tablename__ = "deleted_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int]
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), index=True)
    row: Mapped[dict] = mapped_column(JSON)  # the activity's columns, dates as ISO text
    deleted_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)


UNDO_MINUTES = 15

# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging champions (core/merging.py): activities follow the merged record.
MERGES.update(merging.moves("champions", "activities.champion_id", "deleted_activities.champion_id"))
