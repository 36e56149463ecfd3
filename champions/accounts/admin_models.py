"""Invitations: an admin asks someone to join with a role; they set their own password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.extensions import Model


class Invitation(Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    invited_by = relationship("User", foreign_keys=[invited_by_id])


# How a merge treats invitations (core/merging.py): they follow the login that sent or accepted them.
MERGES: merging.Declarations = merging.moves("users", "invitations.invited_by_id", "invitations.user_id")
