from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.extensions import Model


class ResourceFormat(StrEnum):
    ELEARNING = "elearning"
    VIDEO = "video"
    PDF = "pdf"
    FACE_TO_FACE = "face_to_face"

    @property
    def label(self) -> str:
        return {"elearning": "E-learning", "video": "Video", "pdf": "PDF", "face_to_face": "Face to face"}[self.value]


FORMAT_VALUES = ", ".join(f"'{f.value}'" for f in ResourceFormat)


class TrainingResource(Model):
    __tablename__ = "training_resources"
    __table_args__ = (CheckConstraint(f"format IN ({FORMAT_VALUES})", name="format_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    # What to read, inside the app: plain text, paragraphs and "- " lists (training/text.py), never HTML.
    body: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(500))
    topic_code: Mapped[str | None] = mapped_column(ForeignKey("topics.code"), index=True)
    minutes: Mapped[int]
    is_core: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    retired_at: Mapped[datetime | None]
    # When the row last changed: the API's ``updated_since`` and its cursor order by it.
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc, index=True)

    topic = relationship("Topic")


class TrainingCompletion(Model):
    __tablename__ = "training_completions"
    __table_args__ = (UniqueConstraint("champion_id", "resource_id", name="uq_training_completions_champion_resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("training_resources.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=now_utc)
    reflection: Mapped[str | None] = mapped_column(String(1000))

    resource: Mapped[TrainingResource] = relationship()
    champion = relationship("Champion")


PLEDGE_SUMMARY_MAX = 500


class Pledge(Model):
    """A version of the champion pledge text; the newest published one is shown."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    text: Mapped[str] = mapped_column(Text)
    # What changed since the version before, in a sentence or two, for champions who accepted an earlier one.
    summary: Mapped[str | None] = mapped_column(String(PLEDGE_SUMMARY_MAX))
    # Champions must accept this version (or a later one) for the pledge step of onboarding to count as done.
    must_accept: Mapped[bool] = mapped_column(default=False, server_default=false())
    published_at: Mapped[datetime] = mapped_column(default=now_utc)


# Newest version first: the current pledge is the first in this order.
PLEDGE_NEWEST_FIRST = (Pledge.published_at.desc(), Pledge.id.desc())


class PledgeAcceptance(Model):
    __tablename__ = "pledge_acceptances"
    __table_args__ = (UniqueConstraint("champion_id", "pledge_id", name="uq_pledge_acceptances_champion_pledge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), index=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id"))
    accepted_at: Mapped[datetime] = mapped_column(default=now_utc)

    pledge: Mapped[Pledge] = relationship()
    champion = relationship("Champion")


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging champions (core/merging.py): one completion per resource and one acceptance per pledge; the earlier stays.
MERGES.update(
    merging.on_conflict("champions", "training_completions.champion_id", merging.keep_earlier("completed_at"))
)
MERGES.update(merging.on_conflict("champions", "pledge_acceptances.champion_id", merging.keep_earlier("accepted_at")))
