"""Importing champions from a partner's CSV: read the file, map its columns, check every row, then import.

The dry run and the import share one path (``process``), so the dry run's counts are the import's counts.
``process`` is a generator that flushes a batch and yields; its caller (the Celery task or the CLI) commits,
so progress shows while a large file is imported. Services never commit.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import ARRAY, String, any_, func, literal, select, text
from sqlalchemy.orm import selectinload

from champions.accounts.models import ConsentRecord, User
from champions.core import audit
from champions.core.clock import today_uk
from champions.core.db import bulk_insert, now_utc
from champions.core.models import BOROUGHS, TOPICS, Topic
from champions.core.permissions import Role
from champions.core.places import POSTCODE_RE, normalise_postcode
from champions.extensions import db
from champions.profiles.models import Champion, Stage, StageChange, champion_topics
from champions.profiles.services import new_referral_code
from champions.roster.duplicates import email_key, phone_key, postcode_key
from champions.roster.models import ImportJob, ImportRow, JobStatus

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
LIMIT_TEXT = "5 MB and 50,000 rows"
BATCH = 500
NEW = object()  # marks a row whose champion is created with the rest of its batch
# No password: the account cannot be signed in to until the champion sets one (argon2 rejects this hash).
NO_PASSWORD = "!imported"
EMAIL_CONSENT = "email_contact"  # the same purpose sign-up records, so nudges and emails respect it

LAWFUL_BASES = {
    "consent": "Consent (the person agreed to join)",
    "legitimate_interests": "Legitimate interests",
    "public_task": "Public task",
}

# (field, label, required, the header names we recognise without being told)
FIELDS: list[tuple[str, str, bool, tuple[str, ...]]] = [
    ("email", "Email address", True, ("email", "email address", "e-mail", "e-mail address", "mail")),
    ("first_name", "First name", True, ("first name", "firstname", "forename", "given name", "first")),
    ("last_name", "Last name", True, ("last name", "lastname", "surname", "family name", "last")),
    ("postcode", "Postcode", True, ("postcode", "post code", "postal code", "zip")),
    ("borough", "Borough", True, ("borough", "area", "local authority", "district")),
    ("phone", "Phone number", False, ("phone", "phone number", "telephone", "mobile", "tel")),
    ("topics", "Topics", False, ("topics", "topic", "interests")),
    ("registered_on", "Date registered", False, ("registered", "registered on", "date registered", "joined")),
    ("consent_email", "Consent to email", False, ("consent email", "email consent", "consent to email", "consent")),
]
FIELD_LABELS = {name: label for name, label, _, _ in FIELDS}
REQUIRED = [name for name, _, required, _ in FIELDS if required]

EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[a-z]{2,}$")
YES = {"yes", "y", "true", "1", "agreed", "opted in"}
NO = {"no", "n", "false", "0", "declined", "opted out"}


class ImportProblem(Exception):
    """The whole file cannot be used; the message says why and what to do."""


# ------------------------------------------------------------------------------------------ reading the file


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with, or ImportProblem with a clear reason."""
    if len(data) > MAX_BYTES:
        raise ImportProblem(f"The file is too large. The limit is {LIMIT_TEXT}: split it into smaller files.")
    if not data.strip():
        raise ImportProblem("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        raise ImportProblem("This is a spreadsheet or zip file, not CSV. Save it as 'CSV (comma delimited)' first.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = data.decode("utf-16"), "utf-16"
    elif b"\x00" in data:
        raise ImportProblem("This file is not a CSV text file. Save it as 'CSV UTF-8' and try again.")
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportProblem("We could not read the characters in this file. Save it as 'CSV UTF-8' and try again.")
    return text.removeprefix("\ufeff"), "utf-8" if encoding == "utf-8-sig" else encoding


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every record after the header, including blank ones."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        next(reader, None)
        start = reader.line_num + 1
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportProblem(f"The file is not valid CSV near line {reader.line_num}: {error}.") from None


def read_headers(text: str) -> list[str]:
    try:
        reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
        headers = [h.strip() for h in next(reader, [])]
    except csv.Error as error:
        raise ImportProblem(f"The file is not valid CSV: {error}.") from None
    if not any(headers):
        raise ImportProblem("The file has no header row: the first line must name the columns.")
    return headers


def _squash(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """field -> header, for the headers we recognise."""
    squashed = {_squash(h): h for h in headers if h}
    mapping = {}
    for name, _, _, aliases in FIELDS:
        for alias in aliases:
            if _squash(alias) in squashed:
                mapping[name] = squashed[_squash(alias)]
                break
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str]) -> list[str]:
    problems = [
        f"Choose the column that holds the {FIELD_LABELS[name].lower()}" for name in REQUIRED if not mapping.get(name)
    ]
    chosen = [h for h in mapping.values() if h]
    if len(chosen) != len(set(chosen)):
        problems.append("Each column can be used for one field only")
    if any(h not in headers for h in chosen):
        problems.append("Choose columns that are in the file")
    return problems


def open_file(filename: str, data: bytes) -> tuple[str, str, list[str]]:
    """Check an upload before anything is saved: its text, encoding and headers, or ImportProblem."""
    text, encoding = decode(data)
    headers = read_headers(text)
    if not guess_mapping(headers).get("email"):
        raise ImportProblem("The file has no email address column. Add a column headed 'Email' and try again.")
    count = sum(1 for _, cells in rows(text) if any(c.strip() for c in cells))
    if count == 0:
        raise ImportProblem("The file has a header row but no champions in it.")
    if count > MAX_ROWS:
        raise ImportProblem(f"The file has {count:,} rows. The limit is {LIMIT_TEXT}: split it into smaller files.")
    return text, encoding, headers


def create_job(filename: str, data: bytes, *, source: str, lawful_basis: str, by_user_id: int | None) -> ImportJob:
    text, encoding, headers = open_file(filename, data)
    job = ImportJob(
        filename=filename[:255],
        content=text,
        encoding=encoding,
        headers=headers,
        mapping=guess_mapping(headers),
        source=source,
        lawful_basis=lawful_basis,
        created_by_id=by_user_id,
        total_rows=sum(1 for _ in rows(text)),
    )
    db.session.add(job)
    db.session.flush()
    audit.record("import.uploaded", job, actor_id=by_user_id, filename=job.filename, rows=job.total_rows)
    return job


# ------------------------------------------------------------------------------------------ checking one row


@dataclass
class Row:
    line: int
    email: str
    key: str
    first_name: str
    last_name: str
    postcode: str
    borough: str
    phone: str | None = None
    topics: list[str] = field(default_factory=list)
    registered_on: date | None = None
    consent_email: bool | None = None


BOROUGH_LOOKUP = {**{code: code for code, _, _ in BOROUGHS}, **{name.lower(): code for code, name, _ in BOROUGHS}}
TOPIC_LOOKUP = {**{code: code for code, _ in TOPICS}, **{name.lower(): code for code, name in TOPICS}}


def _name(value: str, label: str, problems: list[str]) -> str:
    value = " ".join(value.split())
    if not value:
        problems.append(f"{label} is missing")
    elif len(value) > 100:
        problems.append(f"{label} is longer than 100 characters")
    return value


def _date(value: str, problems: list[str]) -> date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if parsed > today_uk():
            problems.append(f"Date registered '{value}' is in the future")
        return parsed
    problems.append(f"Date registered '{value}' is not a date like 31/01/2025 or 2025-01-31")
    return None


def _consent(value: str, problems: list[str]) -> bool | None:
    value = value.lower()
    if not value:
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    problems.append(f"Consent to email '{value}' must be yes, no or blank")
    return None


def _topics(value: str, problems: list[str]) -> list[str]:
    codes = []
    for part in re.split(r"[;|,]", value):
        part = part.strip().lower()
        if part and part not in TOPIC_LOOKUP:
            problems.append(f"Topic '{part}' is not one we know")
        elif part:
            codes.append(TOPIC_LOOKUP[part])
    return sorted(set(codes))


def check_row(line: int, values: dict[str, str]) -> Row | list[str]:
    """A clean Row, or the list of what is wrong with it."""
    problems: list[str] = []
    email = values.get("email", "").strip().lower()
    if not email:
        problems.append("Email address is missing")
    elif len(email) > 254 or not EMAIL_RE.match(email):
        problems.append(f"Email address '{email}' is not a real email address")
    first = _name(values.get("first_name", ""), "First name", problems)
    last = _name(values.get("last_name", ""), "Last name", problems)
    postcode = values.get("postcode", "").strip()
    if not POSTCODE_RE.match(postcode_key(postcode)):
        problems.append(f"Postcode '{postcode}' is not a real UK postcode" if postcode else "Postcode is missing")
    borough = values.get("borough", "").strip()
    if borough.lower() not in BOROUGH_LOOKUP:
        problems.append(f"Borough '{borough}' is not a Greater Manchester borough" if borough else "Borough is missing")
    phone = values.get("phone", "").strip()
    if phone and phone_key(phone) is None:
        problems.append(f"Phone number '{phone}' is not a real phone number")
    registered = _date(values.get("registered_on", "").strip(), problems)
    consent = _consent(values.get("consent_email", "").strip(), problems)
    topics = _topics(values.get("topics", ""), problems)
    if problems:
        return problems
    return Row(
        line=line,
        email=email,
        key=email_key(email) or email,
        first_name=first,
        last_name=last,
        postcode=normalise_postcode(postcode),
        borough=BOROUGH_LOOKUP[borough.lower()],
        phone=phone_key(phone),
        topics=topics,
        registered_on=registered,
        consent_email=consent,
    )


# ------------------------------------------------------------------------------------------ running


@dataclass
class Run:
    job: ImportJob
    dry_run: bool
    counts: dict[str, int] = field(
        default_factory=lambda: {"new": 0, "updated": 0, "duplicate": 0, "rejected": 0, "blank": 0, "flagged": 0}
    )
    seen: dict[str, int] = field(default_factory=dict)  # email key -> first line with it
    topics: dict[str, Topic] = field(default_factory=dict)


def _values(cells: list[str], index: dict[str, int]) -> dict[str, str]:
    return {name: cells[i] if i < len(cells) else "" for name, i in index.items()}


def _one_of(column, values: set[str]):
    """``column IN (...)``; on PostgreSQL ``column = ANY(array)``, one parameter instead of hundreds to send."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(sorted(values), ARRAY(String)))
    return column.in_(values)


def _existing(batch: list[Row]) -> tuple[dict[str, Champion], set[str], dict[str, int]]:
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
        if c.merged_into_id is None
    }
    emails = {r.email for r in batch}
    taken = set(db.session.scalars(select(User.email).where(_one_of(User.email, emails))))
    # Name and postcode only matter for rows that would be new: look up their postcodes (indexed), match names here.
    wanted = {
        (r.first_name.lower(), r.last_name.lower(), postcode_key(r.postcode)) for r in batch if r.key not in by_key
    }
    name_postcode = {}
    if wanted:
        postcodes = {r.postcode for r in batch if r.key not in by_key}
        last_names = {last for _, last, _ in wanted}
        found = db.session.execute(
            select(Champion.id, Champion.first_name, Champion.last_name, Champion.postcode, Champion.merged_into_id)
            .where(
                _one_of(Champion.postcode, postcodes),
                _one_of(func.lower(Champion.last_name), last_names),  # only plausible matches come back
            )
            .order_by(Champion.id)
        )
        for cid, first, last, pc, merged_into in found:
            triple = (first.lower(), last.lower(), postcode_key(pc))
            if merged_into is None and triple in wanted:
                name_postcode.setdefault(triple, cid)
    return by_key, taken, name_postcode


def _create_all(run: Run, rows: list[Row]) -> list[int]:
    """Create the batch's new champions with a handful of multi-row inserts; returns their ids in order."""
    if not rows:
        return []
    whens = [datetime.combine(r.registered_on, time(12), tzinfo=UTC) if r.registered_on else now_utc() for r in rows]
    user_ids = bulk_insert(
        db.session,
        User.__table__,
        [
            {"email": r.email, "password_hash": NO_PASSWORD, "role": Role.CHAMPION.value, "created_at": w}
            for r, w in zip(rows, whens, strict=True)
        ],
        return_ids=True,
    )
    detail = f"{run.job.source} (import #{run.job.id})"[:200]
    champion_ids = bulk_insert(
        db.session,
        Champion.__table__,
        [
            {
                "user_id": uid,
                "first_name": r.first_name,
                "last_name": r.last_name,
                "borough_code": r.borough,
                "postcode": r.postcode,
                "phone": r.phone,
                "stage": Stage.REGISTERED.value,
                "referral_code": new_referral_code(10),
                "source": "import",
                "source_detail": detail,
                "lawful_basis": run.job.lawful_basis,
                "email_key": r.key,
                "created_at": w,
                "updated_at": w,
            }
            for r, uid, w in zip(rows, user_ids, whens, strict=True)
        ],
        return_ids=True,
    )
    reason = f"Imported from {run.job.source}"[:500]
    bulk_insert(
        db.session,
        StageChange.__table__,
        [
            {
                "champion_id": cid,
                "from_stage": None,
                "to_stage": Stage.REGISTERED.value,
                "reason": reason,
                "changed_at": w,
            }
            for cid, w in zip(champion_ids, whens, strict=True)
        ],
    )
    topics = [
        {"champion_id": cid, "topic_code": code}
        for r, cid in zip(rows, champion_ids, strict=True)
        for code in dict.fromkeys(r.topics)
    ]
    bulk_insert(db.session, champion_topics, topics)
    consents = [
        {
            "user_id": uid,
            "purpose": EMAIL_CONSENT,
            "granted": r.consent_email,
            "wording_version": f"import-{run.job.id}",
            "source": "import",
            "recorded_at": now_utc(),
        }
        for r, uid in zip(rows, user_ids, strict=True)
        if r.consent_email is not None
    ]
    bulk_insert(db.session, ConsentRecord.__table__, consents)
    return champion_ids


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


def _outcome(run: Run, row: Row, found) -> tuple[str, str | None, bool, Champion | None]:
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


def _process_batch(run: Run, batch: list[Row | tuple[int, list[str]]]) -> None:
    good = [r for r in batch if isinstance(r, Row)]
    found = _existing(good) if good else ({}, set(), {})
    results: list[tuple] = []
    good_items: list[Row | None] = []
    for item in batch:
        if isinstance(item, Row):
            outcome, message, flagged, champion = _outcome(run, item, found)
            results.append((item.line, outcome, message, flagged, item.email, champion))
            good_items.append(item)
        else:
            line, problems = item
            results.append((line, "rejected", "; ".join(problems)[:500], False, None, None))
            good_items.append(None)
    db.session.flush()
    # New champions are written together, then their ids fill in the report rows.
    new_rows = [item for item, result in zip(good_items, results, strict=True) if result[5] is NEW]
    new_ids = iter(_create_all(run, new_rows))
    results = [(*r[:5], next(new_ids) if r[5] is NEW else (r[5].id if r[5] is not None else None)) for r in results]
    report = []
    for line, outcome, message, flagged, email, champion_id in results:
        run.counts[outcome] += 1
        run.counts["flagged"] += int(flagged)
        report.append(
            {
                "job_id": run.job.id,
                "dry_run": run.dry_run,
                "line_number": line,
                "outcome": outcome,
                "message": message,
                "flagged": flagged,
                "email": email,
                "champion_id": champion_id if outcome in ("new", "updated") else None,
            }
        )
    bulk_insert(db.session, ImportRow.__table__, report)


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
        checked = None if blank else check_row(line, _values(cells, index))
        if done <= resume_after:
            if isinstance(checked, Row):
                run.seen.setdefault(checked.key, checked.line)  # so later repeats in the file are still caught
        elif checked is None:
            run.counts["blank"] += 1
        else:
            batch.append(checked if isinstance(checked, Row) else (line, checked))
        if len(batch) >= BATCH:
            _process_batch(run, batch)
            batch = []
            yield _progress(job, run, done)
    if batch:
        _process_batch(run, batch)
    yield _progress(job, run, done)
    _finish(job, run)


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


def report_rows(job: ImportJob, dry_run: bool, outcome: str | None = None) -> Iterator[ImportRow]:
    """The report's rows in line order; only those with ``outcome`` when it is given."""
    query = select(ImportRow).where(ImportRow.job_id == job.id, ImportRow.dry_run == dry_run)
    if outcome is not None:
        query = query.where(ImportRow.outcome == outcome)
    return iter(db.session.scalars(query.order_by(ImportRow.line_number).execution_options(yield_per=1000)))
