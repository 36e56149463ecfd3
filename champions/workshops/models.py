from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, case
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.core.models import Borough
from champions.extensions import Model, db


class WorkshopType(StrEnum):
    CO_DESIGN = "co_design"
    EXPERT_REFERENCE_GROUP = "expert_reference_group"
    TRAINING = "training"
    COMMUNITY_EVENT = "community_event"
    OTHER = "other"

    @property
    def label(self) -> str:
        return WORKSHOP_TYPE_LABELS[self]


WORKSHOP_TYPE_LABELS = {
    WorkshopType.CO_DESIGN: "Co-design workshop",
    WorkshopType.EXPERT_REFERENCE_GROUP: "Expert reference group",
    WorkshopType.TRAINING: "Training session",
    WorkshopType.COMMUNITY_EVENT: "Community event",
    WorkshopType.OTHER: "Other",
}


class SignupStatus(StrEnum):
    BOOKED = "booked"
    WAITING = "waiting"
    CANCELLED = "cancelled"


TYPE_VALUES = ", ".join(f"'{t.value}'" for t in WorkshopType)
SIGNUP_VALUES = ", ".join(f"'{s.value}'" for s in SignupStatus)
# Signed up: a place or a place on the waiting list (who is told of a change or a cancellation, and whose calendar
# keeps the workshop).
SIGNED_UP = (SignupStatus.BOOKED.value, SignupStatus.WAITING.value)

workshop_facilitators = Table(
    "workshop_facilitators",
    db.metadata,
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

workshop_contacts = Table(
    "workshop_contact_attendance",
    db.metadata,
    Column("workshop_id", ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("organisation_contacts.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# The outputs of the programme's system-mapping and action-plan forms, in the order the forms ask.
OUTPUT_FIELDS: tuple[tuple[str, str], ...] = (
    ("challenges", "Challenges"),
    ("stakeholders", "Stakeholders"),
    ("barriers", "Barriers to change"),
    ("opportunities", "Opportunities and social moments"),
    ("vision", "Vision"),
    ("actions_organisations", "Actions for organisations"),
    ("actions_groups", "Actions for groups"),
    ("actions_individuals", "Actions for individuals"),
)


class Workshop(Model):
    __tablename__ = "workshops"
    __table_args__ = (
        CheckConstraint(f"type IN ({TYPE_VALUES})", name="type_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("unregistered_count >= 0", name="unregistered_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(30), default=WorkshopType.CO_DESIGN.value)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    borough_code: Mapped[str] = mapped_column(ForeignKey("boroughs.code"), index=True)
    venue: Mapped[str] = mapped_column(String(300))
    host_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    capacity: Mapped[int] = mapped_column(default=20)
    description: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    # Why it was cancelled, as staff gave it: in the emails and the calendar event.
    cancel_reason: Mapped[str | None] = mapped_column(String(1000))
    # The calendar event's SEQUENCE (RFC 5545): one more at each change of what the event shows (when, where,
    # title, type, description) and at cancelling.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # People who came but are not registered anywhere: a head-count only.
    unregistered_count: Mapped[int] = mapped_column(default=0)
    challenges: Mapped[str | None] = mapped_column(Text)
    stakeholders: Mapped[str | None] = mapped_column(Text)
    barriers: Mapped[str | None] = mapped_column(Text)
    opportunities: Mapped[str | None] = mapped_column(Text)
    vision: Mapped[str | None] = mapped_column(Text)
    actions_organisations: Mapped[str | None] = mapped_column(Text)
    actions_groups: Mapped[str | None] = mapped_column(Text)
    actions_individuals: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    borough: Mapped[Borough] = relationship()
    host_organisation = relationship("Organisation")
    facilitators = relationship("User", secondary=workshop_facilitators, order_by="User.email")
    contacts = relationship("OrganisationContact", secondary=workshop_contacts, order_by="OrganisationContact.name")
    signups: Mapped[list[WorkshopSignup]] = relationship(
        back_populates="workshop", order_by="WorkshopSignup.id", cascade="all, delete-orphan"
    )

    @property
    def type_label(self) -> str:
        return WorkshopType(self.type).label

    @property
    def has_outputs(self) -> bool:
        return any(getattr(self, name) for name, _ in OUTPUT_FIELDS)


class WorkshopSignup(Model):
    """A champion's place at a workshop: booked, on the waiting list, or cancelled; checked in on the day."""

    __tablename__ = "workshop_signups"
    __table_args__ = (
        UniqueConstraint("workshop_id", "champion_id", name="uq_workshop_signups_workshop_champion"),
        CheckConstraint(f"status IN ({SIGNUP_VALUES})", name="status_known"),
        Index("ix_workshop_signups_reminder_due", "status", "reminder_sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=SignupStatus.BOOKED.value)
    # The waiting list is served in the order people joined it.
    queued_at: Mapped[datetime] = mapped_column(default=now_utc)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    # When the row last changed: the API's ``updated_since`` and its cursor order by it.
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc, index=True)
    cancelled_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    capacity_override: Mapped[bool] = mapped_column(default=False)
    reminder_sent_at: Mapped[datetime | None]
    # Moved up from the waiting list, and when we emailed them to say so (each at most once).
    promoted_at: Mapped[datetime | None]
    promotion_email_sent_at: Mapped[datetime | None]

    workshop: Mapped[Workshop] = relationship(back_populates="signups")
    champion = relationship("Champion")


class WorkshopChange(Model):
    """A change of when or where a workshop is, after people signed up: what it was and what it became, for the
    email each of them is sent (the email is built when it is sent, and must still say what changed)."""

    __tablename__ = "workshop_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int]
    old_starts_at: Mapped[datetime]
    old_ends_at: Mapped[datetime]
    old_place: Mapped[str] = mapped_column(String(400))
    new_starts_at: Mapped[datetime]
    new_ends_at: Mapped[datetime]
    new_place: Mapped[str] = mapped_column(String(400))
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)

    workshop: Mapped[Workshop] = relationship()


class WorkshopRecruit(Model):
    """A champion who joined the movement through a workshop (the workshop's yield)."""

    __tablename__ = "workshop_recruits"

    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=now_utc)

    champion = relationship("Champion")


# Merging champions (core/merging.py): one booking per workshop. A check-in wins, then a place, then a place on the
# waiting list, then the earlier; a place freed that way goes to the waiting list (services.merge_signups). One
# "recruited at" per champion, the earlier; a facilitator is listed once.
KEEP_BEST_SIGNUP = merging.keep_earlier(
    lambda t: [
        case((t.c.checked_in_at.is_not(None), 0), else_=1),
        case((t.c.status == SignupStatus.BOOKED.value, 0), (t.c.status == SignupStatus.WAITING.value, 1), else_=2),
        t.c.created_at,
    ]
)


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py); two bookings
# of one workshop are reconciled by services.merge_signups, declared in feature.py (services import these models).
MERGES: merging.Declarations = {}
MERGES.update(merging.on_conflict("champions", "workshop_recruits.champion_id", merging.keep_earlier("recorded_at")))
MERGES.update(merging.on_conflict("users", "workshop_facilitators.user_id", merging.keep_one()))
MERGES.update(merging.moves("organisations", "workshops.host_organisation_id"))
