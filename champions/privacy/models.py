from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from champions.core import merging
from champions.core.db import now_utc
from champions.extensions import Model


class EqualityAnswers(Model):
    """Special-category equality-monitoring answers: optional, kept apart, with their own consent.

    Staff see these only in aggregate; an admin opening one person's answers is audited.
    """

    __tablename__ = "equality_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    age_band: Mapped[str | None] = mapped_column(String(40))
    sex: Mapped[str | None] = mapped_column(String(40))
    gender_identity: Mapped[str | None] = mapped_column(String(40))
    ethnicity: Mapped[str | None] = mapped_column(String(80))
    disability: Mapped[str | None] = mapped_column(String(40))
    answered_at: Mapped[datetime] = mapped_column(default=now_utc)


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# Merging champions (core/merging.py): one set of equality answers per person; the earlier stays.
MERGES.update(merging.on_conflict("users", "equality_answers.user_id", merging.keep_earlier("answered_at")))
