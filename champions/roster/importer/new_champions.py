"""Writing an import's new champions: each with an account, a first stage, topics and any consent the file
recorded, a batch at a time in a handful of multi-row inserts (COPY on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from champions.accounts.models import ConsentRecord, User
from champions.core.db import bulk_insert, now_utc
from champions.core.permissions import Role
from champions.extensions import db
from champions.profiles.models import Champion, Stage, StageChange, champion_topics
from champions.profiles.services import new_referral_code
from champions.roster.importer.row_checks import Row
from champions.roster.models import ImportJob

# No password: the account cannot be signed in to until the champion sets one (argon2 rejects this hash).
NO_PASSWORD = "!imported"
EMAIL_CONSENT = "email_contact"  # the same purpose sign-up records, so nudges and emails respect it


def create_champions(job: ImportJob, rows: list[Row]) -> list[int]:
    """Create the batch's new champions with a handful of multi-row inserts; returns their ids in order."""
    if not rows:
        return []
    # The file's date of registration, where it gave one, at noon UTC: the same day in UK time, summer or winter.
    whens = [datetime.combine(r.registered_on, time(12), tzinfo=UTC) if r.registered_on else now_utc() for r in rows]
    user_ids = _insert_users(rows, whens)
    champion_ids = _insert_champions(job, rows, user_ids, whens)
    _insert_first_stages(job, champion_ids, whens)
    _insert_topics(rows, champion_ids)
    _insert_consents(job, rows, user_ids)
    return champion_ids


def _insert_users(rows: list[Row], whens: list[datetime]) -> list[int]:
    users = [
        {"email": r.email, "password_hash": NO_PASSWORD, "role": Role.CHAMPION.value, "created_at": w}
        for r, w in zip(rows, whens, strict=True)
    ]
    return bulk_insert(db.session, User.__table__, users, return_ids=True)


def _insert_champions(job: ImportJob, rows: list[Row], user_ids: list[int], whens: list[datetime]) -> list[int]:
    detail = f"{job.source} (import #{job.id})"[:200]
    champions = [
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
            "lawful_basis": job.lawful_basis,
            "email_key": r.key,
            "created_at": w,
            "updated_at": w,
        }
        for r, uid, w in zip(rows, user_ids, whens, strict=True)
    ]
    return bulk_insert(db.session, Champion.__table__, champions, return_ids=True)


def _insert_first_stages(job: ImportJob, champion_ids: list[int], whens: list[datetime]) -> None:
    reason = f"Imported from {job.source}"[:500]
    changes = [
        {"champion_id": cid, "from_stage": None, "to_stage": Stage.REGISTERED.value, "reason": reason, "changed_at": w}
        for cid, w in zip(champion_ids, whens, strict=True)
    ]
    bulk_insert(db.session, StageChange.__table__, changes)


def _insert_topics(rows: list[Row], champion_ids: list[int]) -> None:
    topics = [
        {"champion_id": cid, "topic_code": code}
        for r, cid in zip(rows, champion_ids, strict=True)
        for code in dict.fromkeys(r.topics)
    ]
    bulk_insert(db.session, champion_topics, topics)


def _insert_consents(job: ImportJob, rows: list[Row], user_ids: list[int]) -> None:
    """Only where the file said yes or no: a blank records nothing."""
    consents = [
        {
            "user_id": uid,
            "purpose": EMAIL_CONSENT,
            "granted": r.consent_email,
            "wording_version": f"import-{job.id}",
            "source": "import",
            "recorded_at": now_utc(),
        }
        for r, uid in zip(rows, user_ids, strict=True)
        if r.consent_email is not None
    ]
    bulk_insert(db.session, ConsentRecord.__table__, consents)
