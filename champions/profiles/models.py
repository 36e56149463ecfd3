from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.core.models import Borough, Topic
from champions.extensions import Model, db


class Stage(StrEnum):
    REGISTERED = "registered"
    VERIFIED = "verified"
    TRAINED = "trained"
    ACTIVE = "active"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The CRM term, for staff pages."""
        return self.value.capitalize()

    @property
    def public_label(self) -> str:
        """Plain words for the champion's own pages and anything the public sees (never the CRM term)."""
        return PUBLIC_LABELS[self]


PUBLIC_LABELS = {
    Stage.REGISTERED: "Getting started",
    Stage.VERIFIED: "Email confirmed",
    Stage.TRAINED: "Trained",
    Stage.ACTIVE: "Active champion",
    Stage.LAPSED: "Taking a break",
    Stage.WITHDRAWN: "Withdrawn — you can rejoin",
}


STAGE_VALUES = ", ".join(f"'{s.value}'" for s in Stage)

champion_topics = Table(
    "champion_topics",
    db.metadata,
    Column("champion_id", ForeignKey("champions.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_code", ForeignKey("topics.code"), primary_key=True),
)


class Champion(Model):
    __tablename__ = "champions"
    __table_args__ = (
        CheckConstraint(f"stage IN ({STAGE_VALUES})", name="stage_known"),
        # Key-set pages of the staff roster sorted by name, and by most recent activity: (sort value, id). No
        # activity sorts as 1900-01-01 (roster.staff_services.NEVER), the value the roster's key compares.
        Index("ix_champions_last_name_id", "last_name", "id"),
        Index("ix_champions_last_activity_id", func.coalesce(text("last_activity_on"), text("'1900-01-01'")), "id"),
        # Newest (or oldest) first, the roster's own order, and registrations by date. On PostgreSQL it also holds
        # what a search of the roster compares (and the account, to join): a search matching many champions walks
        # this index in the page's order and reads no table rows to find its first page.
        Index(
            "ix_champions_created_at_id",
            "created_at",
            "id",
            postgresql_include=["merged_into_id", "first_name", "last_name", "postcode", "user_id"],
        ),
        # A champion's recruits, and the count of each recruiter's for the dashboard's top recruiters: on PostgreSQL
        # it holds whether the recruit was merged away, so the count reads the index alone, in recruiter order (a
        # hash of a million recruiters took most of the network figures' time).
        Index("ix_champions_recruited_by_id", "recruited_by_id", postgresql_include=["merged_into_id"]),
        # Import and duplicate checks look champions up by postcode (stored normalised, like "M1 1AE").
        Index("ix_champions_postcode", "postcode"),
        # The roster's search for part of a name or postcode (roster.staff_services._search), on the very
        # expressions it compares. On PostgreSQL they are trigram indexes, which a LIKE '%part%' can use.
        *(
            Index(
                f"ix_champions_{name}_search",
                expression.label(name),
                postgresql_using="gin",
                postgresql_ops={name: "gin_trgm_ops"},
            )
            for name, expression in (
                ("first_name", func.lower(text("first_name"))),
                ("last_name", func.lower(text("last_name"))),
                ("postcode", func.replace(func.upper(text("postcode")), " ", "")),
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    borough_code: Mapped[str] = mapped_column(ForeignKey("boroughs.code"), index=True)
    postcode: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(20), default=Stage.REGISTERED.value, index=True)
    referral_code: Mapped[str] = mapped_column(String(16), unique=True)
    recruited_by_id: Mapped[int | None] = mapped_column(ForeignKey("champions.id", ondelete="SET NULL"))
    is_leader: Mapped[bool] = mapped_column(default=False)
    # How they heard: a referral (recruited_by), an organisation from the register, or in their own words.
    heard_via_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    heard_via_other: Mapped[str | None] = mapped_column(String(200))
    last_activity_on: Mapped[date | None] = mapped_column(index=True)
    # Staff CRM (issue 4): where the record came from and on what lawful basis we hold it.
    source: Mapped[str] = mapped_column(String(40), default="sign_up", server_default="sign_up")
    source_detail: Mapped[str | None] = mapped_column(String(200))
    lawful_basis: Mapped[str] = mapped_column(String(40), default="consent", server_default="consent")
    # Normalised keys for spotting duplicates (see roster/duplicates.py).
    email_key: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("champions.id", ondelete="SET NULL"), index=True)
    merged_at: Mapped[datetime | None]
    # The staff member who looks after this record (follow-ups): set with champions.followups.services.set_owner.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    user = relationship("User", foreign_keys=[user_id], backref=db.backref("champion", uselist=False))
    borough: Mapped[Borough] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=champion_topics, order_by=Topic.name)
    recruited_by: Mapped[Champion | None] = relationship(remote_side=[id], foreign_keys=[recruited_by_id])
    heard_via_organisation = relationship("Organisation")
    history: Mapped[list[StageChange]] = relationship(
        back_populates="champion",
        order_by=lambda: (StageChange.changed_at, StageChange.id),  # changes made in one moment, in their order
        cascade="all, delete-orphan",
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def public_stage(self) -> str:
        """Their stage in plain words, for their own pages."""
        return Stage(self.stage).public_label

    @property
    def withdrawn(self) -> bool:
        return self.stage == Stage.WITHDRAWN.value


# A record not merged into another: the only kind counted, listed or linked (a merged-away record is read-only).
LIVE = Champion.merged_into_id.is_(None)


class StageChange(Model):
    __tablename__ = "stage_changes"
    __table_args__ = (
        # A champion's history; on PostgreSQL it also holds each change's stage and time, so the dashboard's funnel
        # (each champion's first time at each stage) streams through it in champion order and reads no table rows,
        # where grouping a million champions' changes in a hash spilled to disk.
        Index("ix_stage_changes_champion_id", "champion_id", postgresql_include=["to_stage", "changed_at"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)

    champion: Mapped[Champion] = relationship(back_populates="history")


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging champions (core/merging.py): a topic both follow is followed once; the merged-away record keeps its
# own login, which the merge closes.
MERGES.update(merging.on_conflict("champions", "champion_topics.champion_id", merging.keep_one()))
MERGES.update(
    merging.stays("users", "champions.user_id", "the merged-away champion keeps its own login, closed by the merge")
)
MERGES.update(
    merging.moves("champions", "champions.recruited_by_id", "champions.merged_into_id", "stage_changes.champion_id")
)
MERGES.update(merging.moves("users", "stage_changes.changed_by_id", "champions.owner_id"))  # an owner's own login
# Champions who heard through an organisation heard through the one kept.
MERGES.update(merging.moves("organisations", "champions.heard_via_organisation_id"))
