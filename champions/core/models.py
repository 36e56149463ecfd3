"""Reference data and cross-cutting tables: boroughs, topics, audit events, the email outbox, job locks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from champions.core import merging
from champions.core.db import now_utc
from champions.core.work import Leased
from champions.extensions import Model

# Census 2021 usual residents, to the nearest hundred.
BOROUGHS: tuple[tuple[str, str, int], ...] = (
    ("bolton", "Bolton", 296_000),
    ("bury", "Bury", 193_800),
    ("manchester", "Manchester", 551_900),
    ("oldham", "Oldham", 242_100),
    ("rochdale", "Rochdale", 223_800),
    ("salford", "Salford", 270_800),
    ("stockport", "Stockport", 294_800),
    ("tameside", "Tameside", 231_100),
    ("trafford", "Trafford", 235_100),
    ("wigan", "Wigan", 329_300),
)

BOROUGH_NAMES = {code: name for code, name, _ in BOROUGHS}

TOPICS: tuple[tuple[str, str], ...] = (
    ("smoking", "Smoking"),
    ("alcohol", "Alcohol"),
    ("diet", "Diet and healthy weight"),
    ("physical_activity", "Physical activity"),
    ("sun_safety", "Sun safety"),
    ("screening", "Screening (bowel, breast, cervical)"),
    ("early_diagnosis", "Early diagnosis and symptom awareness"),
    ("hpv", "HPV vaccination"),
)

#: The boroughs and the topics as (code, name), by name, as forms list them. Reference data: the foundation migration
#: loads these very rows and nothing changes them, so a form's choices need no query (tests/test_migrations.py
#: checks the tables against them).
BOROUGH_CHOICES: tuple[tuple[str, str], ...] = tuple(sorted(((c, name) for c, name, _ in BOROUGHS), key=lambda b: b[1]))
TOPIC_CHOICES: tuple[tuple[str, str], ...] = tuple(sorted(TOPICS, key=lambda t: t[1]))


class Borough(Model):
    __tablename__ = "boroughs"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    population: Mapped[int | None]


class Topic(Model):
    __tablename__ = "topics"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class AuditEvent(Model):
    """Append-only record of who did what to which record, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper: object, connection: object, target: AuditEvent) -> None:
    raise RuntimeError("Audit events are append-only")


class OutboxMessage(Model):
    """An email as it was sent; the development outbox, readable by staff in the app."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    # The account whose address it was sent to, when it was one: the email stays theirs after they change address.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class PendingEmail(Leased, Model):
    """A one-off email that must go (a grant decision, an invitation, a reset link), written in the same
    transaction as the change that calls for it; see core/pending_email.py.

    Only the kind and record ids are kept: the address, the text and any link (a reset token) are built from
    the records when it is sent, so no secret waits here.
    """

    __tablename__ = "pending_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    ids: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    done_at: Mapped[datetime | None] = mapped_column(index=True)  # sent, not needed, refused or failed
    outcome: Mapped[str | None] = mapped_column(String(16))


class TaskLock(Model):
    """A lease that stops two runs of the same periodic job from overlapping."""

    __tablename__ = "task_locks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    locked_until: Mapped[datetime]


# How a merge of two champions, users or organisations treats this feature's tables (core/merging.py).
MERGES: merging.Declarations = {}
# The audit log records who acted, as it happened: a merge never rewrites it (core/merging.py).
MERGES.update(merging.stays("users", "audit_events.actor_id", "the audit log records who acted, as it happened"))
# The emails sent to a merged-away account are the kept person's.
MERGES.update(merging.moves("users", "outbox_messages.user_id"))


class DashboardSnapshot(Model):
    """Figures computed by a background job (the programme's, each fund's); pages read the newest of each kind."""

    __tablename__ = "dashboard_snapshots"
    __table_args__ = (Index("ix_dashboard_snapshots_kind_computed", "kind", "computed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(default=now_utc)
    duration_ms: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Tombstone(Model):
    """A record that is gone, or no longer stands on its own (erased, merged into another, deleted), so that a
    copy kept elsewhere (a partner syncing through the API) can follow. Ids and kind only: no personal data.
    Written by core/tombstones.py."""

    __tablename__ = "tombstones"
    __table_args__ = (Index("ix_tombstones_at_id", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    record_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # "erased", "merged" or "deleted"
    merged_into_id: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(default=now_utc)
