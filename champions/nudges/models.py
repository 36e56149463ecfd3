from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, case
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.extensions import Model


class MessageStatus(StrEnum):
    PENDING = "pending"  # due to be sent (maybe deferred past quiet hours or the weekly cap)
    SENT = "sent"
    HOLDOUT = "holdout"  # in the audience but deliberately not sent, to measure the effect
    FAILED = "failed"  # could not be rendered or delivered; the reason is kept
    SKIPPED = "skipped"  # consent withdrawn or account erased before sending


STATUS_VALUES = ", ".join(f"'{s.value}'" for s in MessageStatus)


class NudgeRule(Model):
    __tablename__ = "nudge_rules"
    __table_args__ = (
        CheckConstraint("holdout_percent BETWEEN 0 AND 50", name="holdout_range"),
        CheckConstraint("period_days BETWEEN 1 AND 366", name="period_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    condition: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    period_days: Mapped[int] = mapped_column(default=30)
    enabled: Mapped[bool] = mapped_column(default=True)
    holdout_percent: Mapped[int] = mapped_column(default=10)
    effect_days: Mapped[int] = mapped_column(default=14)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)


class NudgeMessage(Model):
    """One nudge for one person under one rule in one period; the unique key makes evaluation idempotent."""

    __tablename__ = "nudge_messages"
    __table_args__ = (
        UniqueConstraint("rule_id", "user_id", "period", name="uq_nudge_messages_rule_user_period"),
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="status_known"),
        Index("ix_nudge_messages_status_due", "status", "due_at"),
        Index("ix_nudge_messages_user_sent", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("nudge_rules.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[int]
    context_id: Mapped[int | None]  # e.g. the moment or resource the nudge is about
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    due_at: Mapped[datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(500))

    rule: Mapped[NudgeRule] = relationship()
    user = relationship("User")


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging people (core/merging.py): one message per rule and period. A message already sent or held out wins over
# a pending one (so nobody is nudged twice in a period), then the earlier.
MERGES.update(
    merging.on_conflict(
        "users",
        "nudge_messages.user_id",
        merging.keep_earlier(lambda t: [case((t.c.status == MessageStatus.PENDING.value, 1), else_=0), t.c.created_at]),
    )
)
