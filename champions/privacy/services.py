"""Consent, equality monitoring, subject access export, erasure and retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, func, select, update

from champions.accounts.consent import EQUALITY_CONSENT_VERSION, has_consent, record_consent, set_consent
from champions.accounts.models import User
from champions.core import audit, features, tombstones
from champions.core.db import now_utc, rowcount
from champions.core.disclosure import OneWay, one_way
from champions.core.errors import Refused
from champions.core.models import OutboxMessage
from champions.core.personal_data import Holding
from champions.extensions import db
from champions.privacy.forms import AGE_BANDS, DISABILITY, ETHNICITIES, GENDER_IDENTITY, SEXES
from champions.privacy.models import EqualityAnswers
from champions.profiles.models import Champion, Stage, StageChange
from champions.profiles.services import change_stage, ensure_live
from champions.training import onboarding

# --- Equality monitoring ------------------------------------------------------------------------

EQUALITY_FIELDS = ("age_band", "sex", "gender_identity", "ethnicity", "disability")


def save_equality_answers(user_id: int, answers: dict[str, str | None]) -> EqualityAnswers:
    row = db.session.scalar(select(EqualityAnswers).where(EqualityAnswers.user_id == user_id))
    if row is None:
        row = EqualityAnswers(user_id=user_id)
        db.session.add(row)
    for name in EQUALITY_FIELDS:
        setattr(row, name, answers.get(name) or None)
    row.answered_at = now_utc()
    if not has_consent(user_id, "equality_monitoring"):
        record_consent(user_id, "equality_monitoring", True, EQUALITY_CONSENT_VERSION)
    db.session.flush()
    return row


def delete_equality_answers(user_id: int) -> None:
    db.session.execute(delete(EqualityAnswers).where(EqualityAnswers.user_id == user_id))
    set_consent(user_id, "equality_monitoring", False)


def equality_answers_seen_by_admin(user: User) -> EqualityAnswers | None:
    """One person's own answers, for an admin; every look at them is recorded."""
    answers = db.session.scalar(select(EqualityAnswers).where(EqualityAnswers.user_id == user.id))
    if answers is not None:
        audit.record("equality.viewed", user)
    return answers


# Each question's column, its title on the summary, and the answers' labels.
EQUALITY_QUESTIONS = (
    ("age_band", "Age", AGE_BANDS),
    ("sex", "Sex", SEXES),
    ("gender_identity", "Gender identity the same as sex registered at birth", GENDER_IDENTITY),
    ("ethnicity", "Ethnic group", ETHNICITIES),
    ("disability", "Condition or illness limiting day-to-day activities", DISABILITY),
)
NOT_ANSWERED = "Not answered"


def equality_summary() -> tuple[int, list[tuple[str, OneWay]]]:
    """How many people have answered, and each question's answers as a table in which no one can be recognised
    (core/disclosure.py). Special-category data, even in aggregate: every look is recorded."""
    respondents = db.session.scalar(select(func.count()).select_from(EqualityAnswers)) or 0
    tables = []
    for name, title, choices in EQUALITY_QUESTIONS:
        column = getattr(EqualityAnswers, name)
        labels = dict(choices)
        counts = {
            NOT_ANSWERED if code is None else labels.get(code, code): n
            for code, n in db.session.execute(select(column, func.count()).group_by(column)).all()
        }
        tables.append((title, one_way(counts, respondents=respondents)))
    audit.record("equality.summary_viewed", None, respondents=respondents)
    return respondents, tables


# --- What we hold about a person: erasure (the export is export.py) ---------------------------


def _rows_for(holding: Holding, user, champion) -> tuple[Table, Any]:
    table = db.metadata.tables[holding.table]
    return table, holding.rows_of(table, user, champion)


ERASED_PROFILE = {
    "first_name": "Erased",
    "last_name": "champion",
    "postcode": "",
    "heard_via_other": None,
    "phone": None,
    "email_key": None,
    "source_detail": None,
}
FILES_KEPT_DAYS = 7


def clear_finished_files(older_than_days: int | None = None) -> int:
    """Drop the content of finished imports and exports (all of them, or those older than N days)."""
    cleared = 0
    for name in features.registry().stored_files:
        table = db.metadata.tables[name]
        where: list[ColumnElement[bool]] = [table.c.finished_at.is_not(None), table.c.content.is_not(None)]
        if older_than_days is not None:
            where.append(table.c.finished_at < now_utc() - timedelta(days=older_than_days))
        blank = "" if not table.c.content.nullable else None
        cleared += rowcount(db.session.execute(update(table).where(*where).values(content=blank)))
    return cleared


def erase(user, *, reason: str = "Erased at their request", by_user_id: int | None = None) -> None:
    """Remove or anonymise everything held about this person; recruits keep their accounts."""

    champion = user.champion
    for holding in features.registry().holdings:
        if holding.erase == "keep" or holding.table in ("users", "champions"):
            continue
        if holding.owner == "champion" and champion is None:
            continue
        table, where = _rows_for(holding, user, champion)
        if holding.erase == "delete":
            tombstones.bury_where(table, where, "erased")
            db.session.execute(delete(table).where(where))
        else:
            db.session.execute(update(table).where(where).values(**holding.anonymise))
    if champion is not None:
        tombstones.bury("champions", [champion.id], "erased")
        for name, value in ERASED_PROFILE.items():
            setattr(champion, name, value)
        champion.last_activity_on = None
        change_stage(champion, Stage.WITHDRAWN, reason, by_user_id=by_user_id)
    clear_finished_files()  # a stored import or export might hold this person's details
    user.email = f"erased-{user.id}@erased.invalid"
    user.password_hash = "!erased"
    user.active = False
    user.session_version += 1
    user.erased_at = now_utc()
    db.session.flush()
    audit.record("person.erased", user, actor_id=by_user_id, reason=reason)


def withdraw(champion: Champion) -> None:
    """The champion leaves the programme at their own request: no more contact from us."""
    change_stage(champion, Stage.WITHDRAWN, "Withdrew from the programme", by_user_id=champion.user_id)
    set_consent(champion.user_id, "email_contact", False)
    audit.record("champion.withdrew", champion)


def rejoin(champion: Champion) -> Stage:
    """A withdrawn champion comes back, in one step, to the stage their own progress reaches (their training, pledge
    and activities were kept). Email consent stays as they left it: they turn it back on in their preferences."""
    if champion.user.erased_at is not None:
        raise Refused(
            "This account was erased, so it cannot rejoin. You are welcome to sign up again as a new champion."
        )
    ensure_live(champion)
    if champion.stage != Stage.WITHDRAWN.value:
        raise Refused("You are already taking part in the programme: there is nothing to rejoin.")
    stage = onboarding.progress(champion).reached()
    change_stage(champion, stage, "Rejoined the programme", by_user_id=champion.user_id)
    audit.record("champion.rejoined", champion, stage=stage.value)
    return stage


# --- Retention ---------------------------------------------------------------------------------


def _held_rows(user_ids: list[int]) -> dict[Table, list[int]]:
    """The ids of every row held about these people, by table (those with a single integer key)."""
    champion_ids = db.session.scalars(select(Champion.id).where(Champion.user_id.in_(user_ids))).all()
    held: dict[Table, list[int]] = {}
    for holding in features.registry().holdings:
        table = db.metadata.tables[holding.table]
        key, owners = tombstones.single_key(table), user_ids if holding.owner == "user" else champion_ids
        if key is not None and holding.owner != "email" and holding.table != "users" and owners:
            held[table] = list(db.session.scalars(select(key).where(table.c[holding.column].in_(owners))))
    return held


def _bury_gone(held: dict[Table, list[int]]) -> None:
    """A tombstone for each row of ``held`` that deleting its person took with them (not one kept or unlinked)."""
    for table, ids in held.items():
        key = tombstones.single_key(table)
        left = set(db.session.scalars(select(key).where(key.in_(ids)))) if ids and key is not None else set()
        tombstones.bury(table.name, [i for i in ids if i not in left], "erased")


def apply_retention(unverified_days: int, withdrawn_days: int, files_days: int = FILES_KEPT_DAYS) -> dict[str, int]:
    """Delete sign-ups never verified, anonymise champions withdrawn long ago. Returns the counts."""

    now = now_utc()
    # An abandoned sign-up is a self-service sign-up that never confirmed its address and holds nothing else: still
    # "registered". A partner's import (no confirmation asked of them) and a record that has moved on (a merge
    # counts a confirmed merged-away login, and brings its training) are people, not abandoned sign-ups.
    stale = (
        select(User.id, User.email)
        .join(Champion, Champion.user_id == User.id)
        .where(
            User.role == "champion",
            User.email_verified_at.is_(None),
            User.erased_at.is_(None),
            User.created_at < now - timedelta(days=unverified_days),
            Champion.source == "sign_up",
            Champion.stage == Stage.REGISTERED.value,
        )
    )
    stale_rows = db.session.execute(stale).all()
    if stale_rows:
        user_ids = [i for i, _ in stale_rows]
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.to_address.in_([e for _, e in stale_rows])))
        held = _held_rows(user_ids)
        db.session.execute(delete(User).where(User.id.in_(user_ids)))
        _bury_gone(held)
    withdrawn_at = (
        select(StageChange.champion_id, func.max(StageChange.changed_at).label("at"))
        .where(StageChange.to_stage == Stage.WITHDRAWN.value)
        .group_by(StageChange.champion_id)
        .subquery()
    )
    long_gone = db.session.scalars(
        select(User)
        .join(Champion, Champion.user_id == User.id)
        .join(withdrawn_at, withdrawn_at.c.champion_id == Champion.id)
        .where(
            and_(
                Champion.stage == Stage.WITHDRAWN.value,
                User.erased_at.is_(None),
                withdrawn_at.c.at < now - timedelta(days=withdrawn_days),
            )
        )
    ).all()
    for user in long_gone:
        erase(user, reason=f"Withdrawn more than {withdrawn_days} days ago (retention)")
    counts = {
        "unverified_deleted": len(stale_rows),
        "withdrawn_anonymised": len(long_gone),
        "files_cleared": clear_finished_files(files_days),
    }
    audit.record("retention.run", None, **counts)
    return counts
