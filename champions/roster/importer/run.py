"""The dry run and the import: every checked row compared with the roster a batch at a time, its outcome
recorded for the report, and (not in the dry run) the roster changed.

The dry run and the import share one path (``process``), so the dry run's counts are the import's counts.
``process`` is a generator that flushes a batch and yields; its caller (the Celery task or the CLI) commits,
so progress shows while a large file is imported. Services never commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from sqlalchemy import ARRAY, String, any_, func, literal, select, text
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import bulk_insert, now_utc
from champions.core.models import Topic
from champions.extensions import db
from champions.profiles.models import Champion
from champions.roster.duplicates import postcode_key
from champions.roster.importer.new_champions import create_champions
from champions.roster.importer.row_checks import Row, check_row
from champions.roster.importer.upload import rows
from champions.roster.models import ImportJob, ImportRow, JobStatus

BATCH = 500
REPORT_HEADER = ["line", "outcome", "possible duplicate", "email", "why", "warning"]
REPORT_FILTERS = ("rejected", "warned")
COUNTS = ("new", "updated", "duplicate", "rejected", "blank", "flagged", "warned")


class _Pending(Enum):
    NEW = "new"  # marks a row whose champion is created with the rest of its batch


NEW: Final = _Pending.NEW


def start_check(job: ImportJob, mapping: dict[str, str]) -> bool:
    """Mark the job for its dry run with this mapping; False if it is past checking. The caller queues the task."""
    if job.status not in (JobStatus.WAITING.value, JobStatus.CHECKED.value):
        return False
    # Shown as "checking" from now on, also while the job waits for a worker.
    job.mapping, job.status, job.processed_rows = mapping, JobStatus.CHECKING.value, 0
    db.session.flush()
    return True


def start_import(job: ImportJob) -> bool:
    """Mark a checked job for its import; False if it is not checked (or imported already). The caller queues it."""
    if job.status != JobStatus.CHECKED.value:
        return False
    job.status, job.processed_rows = JobStatus.RUNNING.value, 0
    audit.record("import.started", job, source=job.source, lawful_basis=job.lawful_basis)
    db.session.flush()
    return True


@dataclass
class Run:
    job: ImportJob
    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    seen: dict[str, int] = field(default_factory=dict)  # email key -> first line with it
    topics: dict[str, Topic] = field(default_factory=dict)


@dataclass
class Result:
    """What happens to one line; ``champion`` is NEW until its batch's new champions are written."""

    line: int
    outcome: str
    message: str | None
    flagged: bool = False
    email: str | None = None
    warning: str | None = None
    champion: Champion | _Pending | None = None
    row: Row | None = None


def process(job: ImportJob, dry_run: bool) -> Iterator[int]:
    """Check (dry run) or import every row of ``job``, a batch at a time; yields the rows done so far.

    Resumable: each batch is committed with ``processed_rows`` and the counts, so a run stopped between
    batches (a dead worker, a task handing on) carries on after the last committed row. Start with
    ``processed_rows`` at 0 for a fresh run.
    """
    run = Run(job=job, dry_run=dry_run, topics={t.code: t for t in db.session.scalars(select(Topic))})
    resume_after = job.processed_rows
    if resume_after:
        run.counts.update(job.dry_run_counts if dry_run else job.counts)
    else:
        db.session.query(ImportRow).filter_by(job_id=job.id, dry_run=dry_run).delete()
    index = {name: job.headers.index(header) for name, header in job.mapping.items() if header in job.headers}
    batch: list = []
    done = 0
    for line, cells in rows(job.content):
        done += 1
        blank = not any(c.strip() for c in cells)
        values = {} if blank else _values(cells, index)
        checked = None if blank else check_row(line, values)
        if done <= resume_after:
            if isinstance(checked, Row):
                run.seen.setdefault(checked.key, checked.line)  # so later repeats in the file are still caught
        elif checked is None:
            run.counts["blank"] += 1
        else:
            # A rejected row keeps the address as typed, so the report says whose row it was.
            batch.append(checked if isinstance(checked, Row) else (line, checked, values.get("email", "").strip()))
        if len(batch) >= BATCH:
            _process_batch(run, batch)
            batch = []
            yield _progress(job, run, done)
    if batch:
        _process_batch(run, batch)
    yield _progress(job, run, done)
    _finish(job, run)


def _values(cells: list[str], index: dict[str, int]) -> dict[str, str]:
    return {name: cells[i] if i < len(cells) else "" for name, i in index.items()}


def _process_batch(run: Run, batch: list[Row | tuple[int, list[str], str]]) -> None:
    good = [r for r in batch if isinstance(r, Row)]
    found = _existing(good) if good else ({}, set(), {})
    results = [_result(run, item, found) for item in batch]
    db.session.flush()
    champion_ids = _champion_ids(run, results)
    for result in results:
        run.counts[result.outcome] += 1
        run.counts["flagged"] += int(result.flagged)
        run.counts["warned"] += int(result.warning is not None)
    report = [_report_row(run, result, cid) for result, cid in zip(results, champion_ids, strict=True)]
    bulk_insert(db.session, ImportRow.__table__, report)


def _result(run: Run, item: Row | tuple[int, list[str], str], found) -> Result:
    if not isinstance(item, Row):
        line, problems, typed_email = item
        typed_email = "".join(ch for ch in typed_email if ch.isprintable())[:254]  # no NUL or control characters
        return Result(line, "rejected", "; ".join(problems)[:500], email=typed_email or None)
    outcome, message, flagged, champion = _outcome(run, item, found)
    # A warning is about what is imported: a row skipped as a duplicate changes nothing to check.
    warning = "; ".join(item.warnings)[:500] if item.warnings and outcome in ("new", "updated") else None
    return Result(item.line, outcome, message, flagged, item.email, warning, champion, item)


def _champion_ids(run: Run, results: list[Result]) -> list[int | None]:
    """Each line's champion id: new champions are written together first, then their ids fill in the report."""
    new_ids = iter(create_champions(run.job, [r.row for r in results if r.champion is NEW and r.row is not None]))
    return [
        next(new_ids) if r.champion is NEW else (r.champion.id if isinstance(r.champion, Champion) else None)
        for r in results
    ]


def _report_row(run: Run, result: Result, champion_id: int | None) -> dict:
    return {
        "job_id": run.job.id,
        "dry_run": run.dry_run,
        "line_number": result.line,
        "outcome": result.outcome,
        "message": result.message,
        "flagged": result.flagged,
        "warning": result.warning,
        "email": result.email,
        "champion_id": champion_id if result.outcome in ("new", "updated") else None,
    }


def _one_of(column, values: set[str]):
    """``column IN (...)``; on PostgreSQL ``column = ANY(array)``, one parameter instead of hundreds to send."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(sorted(values), ARRAY(String)))
    return column.in_(values)


def _existing(batch: list[Row]) -> tuple[dict[str, Champion], set[str], dict[tuple[str, str, str], int]]:
    """Set-based look-ups for one batch: champions by email key, emails of other accounts, name+postcode.

    Merged records are left out here rather than in SQL: with ``merged_into_id IS NULL`` in the WHERE clause,
    a roster without statistics yet (a first large import) is read through that index, row by row.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # The driver prepares a statement it has run five times, and PostgreSQL may then keep one plan for it.
        # A plan made while the roster was empty (a dry run, the first batches) is a scan of every row once
        # the import has filled it, so plan each batch's look-ups afresh: one planning is cheap.
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    keys = {r.key for r in batch}
    by_key = {
        c.email_key: c
        for c in db.session.scalars(
            select(Champion).where(_one_of(Champion.email_key, keys)).options(selectinload(Champion.topics))
        )
        if c.merged_into_id is None and c.email_key is not None  # (never None: the query matched it)
    }
    emails = {r.email for r in batch}
    taken = set(db.session.scalars(select(User.email).where(_one_of(User.email, emails))))
    return by_key, taken, _same_name_and_postcode([r for r in batch if r.key not in by_key])


def _same_name_and_postcode(batch: list[Row]) -> dict[tuple[str, str, str], int]:
    """(first, last, postcode) -> the first live champion with them, for rows that would be new.

    Their postcodes are looked up (indexed) with their last names, so only plausible matches come back; the
    names are matched here.
    """
    wanted = {(r.first_name.lower(), r.last_name.lower(), postcode_key(r.postcode)) for r in batch}
    if not wanted:
        return {}
    found = db.session.execute(
        select(Champion.id, Champion.first_name, Champion.last_name, Champion.postcode, Champion.merged_into_id)
        .where(
            _one_of(Champion.postcode, {r.postcode for r in batch}),
            _one_of(func.lower(Champion.last_name), {last for _, last, _ in wanted}),
        )
        .order_by(Champion.id)
    )
    name_postcode: dict[tuple[str, str, str], int] = {}
    for cid, first, last, pc, merged_into in found:
        triple = (first.lower(), last.lower(), postcode_key(pc))
        if merged_into is None and triple in wanted:
            name_postcode.setdefault(triple, cid)
    return name_postcode


def _update(run: Run, row: Row, champion: Champion) -> list[str]:
    """Fill in what the roster lacks; never overwrite what a champion or staff entered."""
    changes = []
    if row.phone and not champion.phone:
        changes.append("phone number")
        if not run.dry_run:
            champion.phone = row.phone
    have = {t.code for t in champion.topics}
    extra = [code for code in row.topics if code not in have]
    if extra:
        changes.append("topics")
        if not run.dry_run:
            champion.topics = [*champion.topics, *(run.topics[code] for code in extra)]
    return changes


def _outcome(run: Run, row: Row, found) -> tuple[str, str | None, bool, Champion | _Pending | None]:
    by_key, taken, name_postcode = found
    if row.key in run.seen:
        return "duplicate", f"Same email address as line {run.seen[row.key]} of this file", False, None
    run.seen[row.key] = row.line
    existing = by_key.get(row.key)
    if existing is not None:
        changes = _update(run, row, existing)
        if changes:
            return "updated", f"Added {' and '.join(changes)} to champion #{existing.id}", False, existing
        return "duplicate", f"Already on the roster as champion #{existing.id}; nothing to change", False, existing
    if row.email in taken:
        return "rejected", "This email address belongs to a staff or other account, not a champion", False, None
    match = name_postcode.get((row.first_name.lower(), row.last_name.lower(), postcode_key(row.postcode)))
    message = f"Same name and postcode as champion #{match}: check the duplicates page" if match else None
    return "new", message, match is not None, None if run.dry_run else NEW


def _progress(job: ImportJob, run: Run, done: int) -> int:
    job.processed_rows = done
    if run.dry_run:
        job.dry_run_counts = dict(run.counts)
    else:
        job.counts = dict(run.counts)
    db.session.flush()
    return done


def _finish(job: ImportJob, run: Run) -> None:
    job.status = JobStatus.CHECKED.value if run.dry_run else JobStatus.DONE.value
    if not run.dry_run:
        job.finished_at = now_utc()
        audit.record("import.completed", job, actor_id=job.created_by_id, source=job.source, **run.counts)
    db.session.flush()


# ---- The report ---------------------------------------------------------------------------------


def report_rows(job: ImportJob, dry_run: bool, outcome: str | None = None) -> Iterator[ImportRow]:
    """The report's rows in line order; only those with ``outcome`` when it is given ("warned": rows with a warning)."""
    query = select(ImportRow).where(ImportRow.job_id == job.id, ImportRow.dry_run == dry_run)
    if outcome == "warned":
        query = query.where(ImportRow.warning.is_not(None))
    elif outcome is not None:
        query = query.where(ImportRow.outcome == outcome)
    return iter(db.session.scalars(query.order_by(ImportRow.line_number).execution_options(yield_per=1000)))


def report_download(job: ImportJob, dry_run: bool, outcome: str | None = None) -> list[list]:
    """The report as CSV rows under REPORT_HEADER. It names people, so every download is audited."""
    lines = [
        [
            row.line_number,
            row.outcome,
            "yes" if row.flagged else "",
            row.email or "",
            row.message or "",
            row.warning or "",
        ]
        for row in report_rows(job, dry_run, outcome=outcome)
    ]
    audit.record("import.report_downloaded", job, dry_run=dry_run)
    return lines
