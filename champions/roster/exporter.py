"""Exporting the roster's current filter to CSV, as a background job with progress. Every export is audited."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import as_utc, now_utc
from champions.core.downloads import SafeWriter
from champions.extensions import db
from champions.privacy.models import EqualityAnswers
from champions.profiles.models import Champion
from champions.roster.models import ExportJob, JobStatus
from champions.roster.staff_services import RosterFilters, filtered, parse_filters, tags_of
from champions.spread.models import ChampionRole
from champions.spread.queries import measures_of, roles_held

BATCH = 1000
COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "postcode",
    "borough",
    "stage",
    "leader",
    "topics",
    "tags",
    "recruited_by",
    "registered_at",
    "last_activity_on",
    "source",
    "lawful_basis",
    # From the newest network run (empty where there has been none, or the champion was not in it).
    "ties",
    "reach_3_steps",
    "people_reached_3_degrees",
    "network_roles",
]
# Special-category data: only when an admin ticks the option on purpose, and that choice is audited.
SPECIAL_COLUMNS = ["age_band", "sex", "gender_identity", "ethnicity", "disability"]


def start_export(filters: RosterFilters, *, include_special: bool, by_user) -> ExportJob:
    """A job row for an export of ``filters``; special-category answers only for an admin who asked."""
    if include_special and by_user.role != "admin":
        include_special = False
    job = ExportJob(created_by_id=by_user.id, filters=filters.as_args(), include_special=include_special)
    db.session.add(job)
    db.session.flush()
    audit.record("export.requested", job, actor_id=by_user.id, filters=job.filters, include_special=include_special)
    if include_special:
        audit.record("special_category.exported", job, actor_id=by_user.id, filters=job.filters)
    return job


def _network(measures: ChampionRole | None) -> list:
    if measures is None:
        return ["", "", "", ""]
    return [measures.ties, measures.reach_3, measures.people_reached_3, "; ".join(roles_held(measures))]


def _row(
    champion: Champion,
    answers: EqualityAnswers | None,
    include_special: bool,
    tags: Sequence[Any],  # rows with a ``name`` (staff_services.tags_of)
    measures: ChampionRole | None = None,
) -> list:
    row = [
        champion.id,
        champion.first_name,
        champion.last_name,
        champion.user.email,
        champion.phone or "",
        champion.postcode,
        champion.borough.name,
        champion.stage,
        "yes" if champion.is_leader else "no",
        "; ".join(t.code for t in champion.topics),
        "; ".join(t.name for t in tags),
        champion.recruited_by.referral_code if champion.recruited_by else "",
        as_utc(champion.created_at).isoformat(),  # in UTC, saying so, on SQLite too (which keeps no offset)
        champion.last_activity_on.isoformat() if champion.last_activity_on else "",
        champion.source,
        champion.lawful_basis,
        *_network(measures),
    ]
    if include_special:
        row += [getattr(answers, name, "") or "" for name in SPECIAL_COLUMNS]
    return row


def build(job: ExportJob) -> Iterator[int]:
    """Write the CSV into the job a batch at a time (key-set by id); yields rows done so the caller commits."""
    filters = parse_filters(job.filters)
    base = filtered(filters)
    job.total_rows = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    job.status = JobStatus.RUNNING.value
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(COLUMNS + (SPECIAL_COLUMNS if job.include_special else []))
    last_id, done = 0, 0
    while True:
        batch = list(
            db.session.scalars(
                base.where(Champion.id > last_id)
                .options(
                    selectinload(Champion.topics),
                    selectinload(Champion.user),
                    selectinload(Champion.borough),
                    selectinload(Champion.recruited_by),
                )
                .order_by(Champion.id)
                .limit(BATCH)
            )
        )
        if not batch:
            break
        answers = _answers(batch) if job.include_special else {}
        tags = tags_of([c.id for c in batch])
        network = measures_of([c.id for c in batch])
        for c in batch:
            writer.writerow(_row(c, answers.get(c.user_id), job.include_special, tags.get(c.id, []), network.get(c.id)))
        last_id, done = batch[-1].id, done + len(batch)
        job.processed_rows = done
        db.session.flush()
        yield done
    job.content = out.getvalue()
    job.status = JobStatus.DONE.value
    job.finished_at = now_utc()
    db.session.flush()
    yield done


def _answers(batch: list[Champion]) -> dict[int, EqualityAnswers]:
    ids = [c.user_id for c in batch]
    return {a.user_id: a for a in db.session.scalars(select(EqualityAnswers).where(EqualityAnswers.user_id.in_(ids)))}


def user_can_download(job: ExportJob, user: User) -> bool:
    """Staff download their own exports; admins any. An export with special-category data: its admin only."""
    if job.include_special:
        return job.created_by_id == user.id
    return job.created_by_id == user.id or user.role == "admin"


def download(job: ExportJob) -> str:
    """The finished CSV, for its download; every download is audited."""
    audit.record("export.downloaded", job, rows=job.total_rows, include_special=job.include_special)
    return job.content or ""
