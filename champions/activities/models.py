from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Connection,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
    update,
)
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
    # When it was logged: never changed once there are outcomes, which keep a copy (activity_created_at), as they
    # do of its type, date, borough and topic (kept in step when those change: ACTIVITY_COPIES).
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    borough = relationship("Borough")
    topic = relationship("Topic")
    champion = relationship("Champion")


# The kinds of activity whose outcomes a champion records: where someone can be signposted.
OUTCOME_TYPES = (
    ActivityType.CONVERSATION,
    ActivityType.STALL_OR_EVENT,
    ActivityType.GROUP_TALK,
    ActivityType.SIGNPOSTING,
)

class OutcomeKind(Model):
    """What people can be signposted to: reference data (the first kinds come with their migration; staff add more),
    in the order shown; retired kinds are kept for the outcomes already recorded against them but no longer offered.
    A kind with no topic ("Something else") counts under the topic of the activity it came from."""

    __tablename__ = "outcome_kinds"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    topic_code: Mapped[str | None] = mapped_column(ForeignKey("topics.code"))
    position: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    topic = relationship("Topic")


class ActivityOutcome(Model):
    """What came of one activity for one kind of outcome: how many people were signposted to it, how many of them
    said they would act, and (later, if the champion knows) how many did. ``champion_id`` is the activity's, kept
    here so that export, erasure and merge find the rows as they find the activity; after erasure it is NULL and
    the counts stay, anonymous."""

    __tablename__ = "activity_outcomes"
    __table_args__ = (
        UniqueConstraint("activity_id", "outcome_code", name="uq_activity_outcomes_activity_outcome"),
        # A champion's outcomes in order of their activities' times: did a nudge lead to signposting within its
        # days (nudges.effect) reads a few entries a message, and on PostgreSQL only this index.
        Index(
            "ix_activity_outcomes_champion_activity_time",
            "champion_id",
            "activity_created_at",
            postgresql_include=["signposted"],
        ),
        CheckConstraint(f"signposted BETWEEN 1 AND {MAX_PEOPLE_REACHED}", name="signposted_range"),
        CheckConstraint("said_would_act BETWEEN 0 AND signposted", name="said_within_signposted"),
        CheckConstraint("did_act IS NULL OR did_act BETWEEN 0 AND said_would_act", name="did_within_said"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    champion_id: Mapped[int | None] = mapped_column(ForeignKey("champions.id", ondelete="SET NULL"))
    # Copies of the activity's columns (ACTIVITY_COPIES), filled in from it when the row is added and kept in step
    # when it changes. Its created_at (which never changes) lets a window of time find a champion's outcomes without
    # reading each activity; its type, date, borough and topic let the dashboard's outcome figures read these rows
    # alone, where joining them to their activities read all of those (twenty million at national scale) to find the
    # one in twenty with outcomes.
    activity_created_at: Mapped[datetime] = mapped_column()
    activity_type: Mapped[str] = mapped_column(String(20))
    activity_occurred_on: Mapped[date] = mapped_column()
    activity_borough_code: Mapped[str] = mapped_column(String(32))
    activity_topic_code: Mapped[str] = mapped_column(String(32))
    outcome_code: Mapped[str] = mapped_column(ForeignKey("outcome_kinds.code"), index=True)
    signposted: Mapped[int]
    said_would_act: Mapped[int] = mapped_column(default=0)
    did_act: Mapped[int | None]  # None: not known (yet)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    activity = relationship("Activity")
    kind: Mapped[OutcomeKind] = relationship()


#: An outcome's copy of each column of its activity's: the outcome's column, the activity's. The ORM events below
#: keep them: an activity changed by a Core or bulk ``UPDATE`` (or by hand in SQL) must change its outcomes' copies
#: in the same statement's transaction, or the outcome figures count them where the activity was.
ACTIVITY_COPIES = {
    "activity_created_at": "created_at",
    "activity_type": "type",
    "activity_occurred_on": "occurred_on",
    "activity_borough_code": "borough_code",
    "activity_topic_code": "topic_code",
}


def copies_of(activity: Activity) -> dict[str, Any]:
    """The values of an outcome's copies of ``activity``'s columns, to give a new outcome row."""
    return {copy: getattr(activity, column) for copy, column in ACTIVITY_COPIES.items()}


@event.listens_for(ActivityOutcome, "before_insert")
def _copy_from_activity(mapper: object, connection: Connection, target: ActivityOutcome) -> None:
    """Fill in the copies not given, from the activity (the columns are NOT NULL once stored)."""
    missing = [copy for copy in ACTIVITY_COPIES if target.__dict__.get(copy) is None]
    if not missing:
        return
    activity = target.__dict__.get("activity")  # only if already loaded: no lazy load in the middle of a flush
    if activity is not None:
        values = {copy: value for copy, value in copies_of(activity).items() if copy in missing}
    else:
        columns = [getattr(Activity, ACTIVITY_COPIES[copy]) for copy in missing]
        row = connection.execute(select(*columns).where(Activity.id == target.activity_id)).first()
        values = dict(zip(missing, row, strict=True)) if row is not None else {}  # else the foreign key refuses it
    for copy, value in values.items():
        setattr(target, copy, value)


@event.listens_for(Activity, "after_update")
def _keep_copies_in_step(mapper: object, connection: Connection, target: Activity) -> None:
    """An activity whose copied columns changed has its outcomes' copies changed in the same flush."""
    state = inspect(target)
    changed = {
        copy: getattr(target, column)
        for copy, column in ACTIVITY_COPIES.items()
        if state.attrs[column].history.has_changes()
    }
    if changed:  # the outcomes themselves did not change: their updated_at stays ("Last changed" in an export)
        connection.execute(
            update(ActivityOutcome)
            .where(ActivityOutcome.activity_id == target.id)
            .values({**changed, "updated_at": ActivityOutcome.updated_at})
        )


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
MERGES.update(
    merging.moves(
        "champions", "activities.champion_id", "deleted_activities.champion_id", "activity_outcomes.champion_id"
    )
)
