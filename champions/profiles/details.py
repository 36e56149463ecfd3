"""A champion corrects their own details (UK GDPR Article 16). Services flush; the request commits."""

from __future__ import annotations

from dataclasses import dataclass

from champions.core import audit
from champions.extensions import db
from champions.profiles.models import Champion
from champions.profiles.services import ensure_live


@dataclass(frozen=True)
class Details:
    """What a champion may correct themselves, already checked and normalised by the form (the postcode as
    "M1 1AE", the phone number as the digits duplicate checks compare, or None)."""

    first_name: str
    last_name: str
    postcode: str
    borough_code: str
    phone: str | None


FIELDS = ("first_name", "last_name", "postcode", "borough_code", "phone")


def change_details(champion: Champion, details: Details, *, by_user_id: int) -> list[str]:
    """Save ``details``; the names of the fields that changed (none: nothing is written or audited). The audit
    event names the fields, not their values: it outlives an erasure."""
    ensure_live(champion)
    changed = apply_details(champion, details)
    if changed:
        db.session.flush()
        audit.record("champion.details_changed", champion, actor_id=by_user_id, fields=changed)
    return changed


def apply_details(champion: Champion, details: Details) -> list[str]:
    """Set ``details`` on the record; the names of the fields that changed. The caller audits them."""
    changed = [name for name in FIELDS if getattr(champion, name) != getattr(details, name)]
    for name in changed:
        setattr(champion, name, getattr(details, name))
    return changed
