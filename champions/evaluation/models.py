from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.extensions import Model


class Point(StrEnum):
    """When a champion answers the check, in the order they come."""

    BEFORE = "before"
    AFTER = "after"
    LATER = "later"

    @property
    def label(self) -> str:
        return {"before": "Before the training", "after": "Straight after", "later": "Eight weeks later"}[self.value]


class Kind(StrEnum):
    KNOWLEDGE = "knowledge"  # a question with options, one of them right
    CONFIDENCE = "confidence"  # a statement answered on a five-point scale


POINT_VALUES = ", ".join(f"'{p.value}'" for p in Point)
KIND_VALUES = ", ".join(f"'{k.value}'" for k in Kind)
# The five-point scale of a confidence statement, 1 to 5.
SCALE = ("Not at all confident", "Slightly confident", "Fairly confident", "Confident", "Very confident")


class CheckVersion(Model):
    """One version of the check; champions answer the newest. A version somebody answered is never changed."""

    __tablename__ = "evaluation_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    published_at: Mapped[datetime] = mapped_column(default=now_utc)

    questions: Mapped[list[Question]] = relationship(
        order_by="Question.position", cascade="all, delete-orphan", back_populates="version"
    )

    def of_kind(self, kind: Kind | str) -> list[Question]:
        return [q for q in self.questions if q.kind == Kind(kind).value]


class Question(Model):
    __tablename__ = "evaluation_questions"
    __table_args__ = (
        CheckConstraint(f"kind IN ({KIND_VALUES})", name="kind_known"),
        CheckConstraint("kind = 'confidence' OR correct IS NOT NULL", name="knowledge_has_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("evaluation_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)  # knowledge: 2 to 5 options
    correct: Mapped[int | None]  # knowledge: the index of the right option (0 is the first)

    version: Mapped[CheckVersion] = relationship(back_populates="questions")


class Response(Model):
    """A champion's answers at one point: one per champion per point."""

    __tablename__ = "evaluation_responses"
    __table_args__ = (
        UniqueConstraint("champion_id", "point", name="uq_evaluation_responses_champion_point"),
        CheckConstraint(f"point IN ({POINT_VALUES})", name="point_known"),
        CheckConstraint("knowledge_right BETWEEN 0 AND knowledge_asked", name="right_within_asked"),
        CheckConstraint("confidence_mean IS NULL OR confidence_mean BETWEEN 1 AND 5", name="confidence_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("evaluation_versions.id"), index=True)
    point: Mapped[str] = mapped_column(String(10), index=True)
    answered_at: Mapped[datetime] = mapped_column(default=now_utc)
    knowledge_right: Mapped[int]
    knowledge_asked: Mapped[int]
    knowledge_score: Mapped[float | None] = mapped_column(Float)  # right / asked, 0 to 1
    confidence_mean: Mapped[float | None] = mapped_column(Float)  # 1 to 5
    # Each answer: question id (as text) -> the option index chosen, or the point on the scale (1-5). Erasure clears
    # it and keeps the scores, so the programme's figures keep counting the person without anything about them.
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    version: Mapped[CheckVersion] = relationship()
    champion = relationship("Champion")


# How a merge of two champions treats this feature's tables (core/merging.py): one answer per point; the earlier stays.
MERGES: merging.Declarations = {}
MERGES.update(merging.on_conflict("champions", "evaluation_responses.champion_id", merging.keep_earlier("answered_at")))
