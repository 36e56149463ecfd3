"""Staff correct a champion's details at the person's request: what the champion can change themselves (name,
postcode, borough, phone), and their topics and the address they sign in with. Services flush; the request commits.

The page carries the version of the record it showed (``details_version``); if the record has changed since, the
correction is refused rather than silently undoing the other change. One audit event names the fields that
changed, never their values (it outlives an erasure).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select

from champions.accounts.email_change import AddressTaken, address_taken, staff_change_email
from champions.accounts.services import normalise_email
from champions.core import audit, merging
from champions.core.errors import Refused
from champions.core.models import Topic
from champions.extensions import db
from champions.profiles.details import Details, apply_details
from champions.profiles.models import Champion
from champions.profiles.services import ensure_live
from champions.roster.models import ChampionNote

STALE = (
    "Someone else changed this champion's details after you opened this page. Their change is shown below; what "
    "you typed is kept. Check it and save again to replace their change."
)
STALE_NOTE = (
    "Someone else changed this note after you opened this page. Their text is shown below; what you typed is kept. "
    "Check it and save again to replace their text."
)


class StaleDetails(Refused):
    """The record changed after the page was opened."""

    def __init__(self, message: str = STALE) -> None:
        super().__init__(message)


class ErasedRecord(Refused):
    """The person's data was erased: there is nothing left to correct."""

    def __init__(self) -> None:
        super().__init__("This person's data was erased, so their record can no longer be changed.")


@dataclass(frozen=True)
class Correction:
    """What staff may correct, already checked and normalised by the form."""

    details: Details
    topic_codes: tuple[str, ...]
    email: str


def ensure_editable(champion: Champion) -> None:
    """Refuse a change to a merged-away (``MergedRecord``) or erased (``ErasedRecord``) record."""
    ensure_live(champion)
    if champion.user.erased_at is not None:
        raise ErasedRecord


def details_version(champion: Champion) -> str:
    """A short fingerprint of everything the page edits, as the record holds it now."""
    values = [
        champion.first_name,
        champion.last_name,
        champion.postcode,
        champion.borough_code,
        champion.phone,
        sorted(t.code for t in champion.topics),
        champion.user.email,
    ]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:20]


def correct_details(champion: Champion, correction: Correction, *, version: str | None, by_user_id: int) -> list[str]:
    """Save ``correction``; the names of the fields that changed (none: nothing is written or audited).

    Raises ``StaleDetails`` when the record no longer matches ``version``, ``AddressTaken`` when the new address
    belongs to another account, ``MergedRecord`` or ``ErasedRecord``; then nothing has changed."""
    merging.lock(Champion, [champion.id])
    db.session.refresh(champion)
    ensure_editable(champion)
    if version != details_version(champion):
        raise StaleDetails
    new_email = normalise_email(correction.email)
    email_changes = new_email != champion.user.email
    if email_changes and address_taken(champion.user, new_email):
        raise AddressTaken
    changed = apply_details(champion, correction.details)
    if sorted(correction.topic_codes) != sorted(t.code for t in champion.topics):
        codes = set(correction.topic_codes)
        champion.topics = list(db.session.scalars(select(Topic).where(Topic.code.in_(codes)))) if codes else []
        changed.append("topics")
    if email_changes:
        staff_change_email(champion.user, new_email, by_user_id=by_user_id)
        changed.append("email")
    if changed:
        db.session.flush()
        audit.record("champion.details_corrected", champion, actor_id=by_user_id, fields=changed)
    return changed


def note_version(note: ChampionNote) -> str:
    """A short fingerprint of a note's text as the page showed it."""
    return hashlib.sha256(note.body.encode()).hexdigest()[:20]


def correct_note(note: ChampionNote, body: str, *, version: str | None, by_user_id: int) -> bool:
    """Replace a note's text; False when it was already that (nothing is written or audited). The audit event names
    the note, not its text. ``StaleDetails`` when the note changed after the page was opened; ``MergedRecord`` or
    ``ErasedRecord`` for a record that can no longer change."""
    merging.lock(ChampionNote, [note.id])
    db.session.refresh(note)
    champion = db.session.get(Champion, note.champion_id)
    assert champion is not None  # a note is deleted with its champion
    ensure_editable(champion)
    if version != note_version(note):
        raise StaleDetails(STALE_NOTE)
    body = body.strip()
    if body == note.body:
        return False
    note.body = body
    db.session.flush()
    audit.record("champion.note_corrected", champion, actor_id=by_user_id, note_id=note.id, fields=["body"])
    return True
