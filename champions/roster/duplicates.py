"""Likely duplicate champions (same normalised email, same name and postcode, same phone) and merging them.

Services flush; the request commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import event, func, select
from sqlalchemy.orm import aliased, selectinload

from champions.accounts.models import User
from champions.accounts.sessions import end_every_session
from champions.core import audit, merging, tombstones
from champions.core.db import now_utc
from champions.core.merging import MergeRefused
from champions.extensions import db
from champions.profiles.models import Champion
from champions.training import onboarding

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def email_key(email: str | None) -> str | None:
    """One key for the ways people write the same address: case, spaces, +tags, Gmail's dots."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def phone_key(phone: str | None) -> str | None:
    """UK numbers as digits with a leading 0: '+44 (0)7700 900123' and '07700900123' match."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("440"):
        digits = digits[2:]
    elif digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits if 9 <= len(digits) <= 13 else None


def postcode_key(postcode: str | None) -> str:
    return re.sub(r"\s+", "", postcode or "").upper()


def follow_email_change(user: User) -> None:
    """The duplicate checks' email key follows a changed sign-in address (``accounts.signals.email_changed``)."""
    if user.champion is not None:
        user.champion.email_key = email_key(user.email)


@event.listens_for(Champion, "before_insert")
def _fill_email_key(mapper: object, connection: object, target: Champion) -> None:
    if target.email_key is None:
        email = target.user.email if target.user is not None else None
        if email is None and target.user_id is not None:
            email = connection.scalar(select(User.email).where(User.id == target.user_id))  # type: ignore[attr-defined]
        target.email_key = email_key(email)


# ---------------------------------------------------------------------------------------------- finding pairs


@dataclass
class Pair:
    first: Champion
    second: Champion
    reasons: list[str] = field(default_factory=list)


def _pairs_by(key, reason: str, limit: int) -> list[tuple[int, int, str]]:
    """Pairs of live champions sharing ``key``; one aggregate query per kind of match."""
    a, b = aliased(Champion), aliased(Champion)
    query = (
        select(a.id, b.id)
        .join(b, (key(a) == key(b)) & (a.id < b.id))
        .where(key(a).is_not(None), a.merged_into_id.is_(None), b.merged_into_id.is_(None))
        .order_by(a.id, b.id)
        .limit(limit)
    )
    return [(x, y, reason) for x, y in db.session.execute(query)]


def _name_postcode(c):
    return (
        func.lower(c.first_name) + "|" + func.lower(c.last_name) + "|" + func.upper(func.replace(c.postcode, " ", ""))
    )


def likely_duplicates(limit: int = 200) -> list[Pair]:
    found: dict[tuple[int, int], list[str]] = {}
    for key, reason in (
        (lambda c: c.email_key, "Same email address"),
        (_name_postcode, "Same name and postcode"),
        (lambda c: c.phone, "Same phone number"),
    ):
        for x, y, why in _pairs_by(key, reason, limit):
            found.setdefault((x, y), []).append(why)
    ids = {i for pair in found for i in pair}
    query = select(Champion).where(Champion.id.in_(ids)).options(selectinload(Champion.user))  # the list shows emails
    champions = {c.id: c for c in db.session.scalars(query)}
    return [Pair(champions[x], champions[y], reasons) for (x, y), reasons in sorted(found.items())][:limit]


# ---------------------------------------------------------------------------------------------------- merging
# Every row that refers to the merged-away champion or their login moves to the kept one, found from the
# schema's foreign keys (core/merging.py); the features owning tables with unique rules say how duplicates are
# reconciled, and the earlier record wins.

# Names people use for a few references; the rest are named after their table.
LABELS = {
    "champions.recruited_by_id": "Recruits",
    "champions.merged_into_id": "Records merged into this one before",
    "champion_topics.champion_id": "Topics",
    "organisation_contacts.champion_id": "Organisation contacts linked to them",
    "invitations.user_id": "Invitations",
}


@dataclass
class MergePlan:
    keep: Champion
    remove: Champion
    moves: dict[str, int]  # kind of record -> how many refer to the merged-away champion (the preview)
    fingerprint: str  # of both records as previewed: the merge refuses if they have changed since


def _tables():
    return db.metadata.tables["champions"], db.metadata.tables["users"]


def _check(keep: Champion, remove: Champion) -> None:
    if keep.id == remove.id:
        raise MergeRefused("A champion cannot be merged with themselves.")
    for champion in (keep, remove):
        if champion.merged_into_id is not None:
            raise MergeRefused(f"{champion.full_name} (#{champion.id}) has already been merged into another record.")


def _fingerprint(keep: Champion, remove: Champion) -> str:
    """Both records' own versions and the rows that refer to them or their logins."""
    champions, users = _tables()
    logins = merging.fingerprint(users, [keep.user_id, remove.user_id])
    versions = [(c.updated_at, c.stage, c.merged_into_id) for c in (keep, remove)]
    return merging.fingerprint(champions, [keep.id, remove.id], logins, *versions)


def plan_merge(keep: Champion, remove: Champion) -> MergePlan:
    """What a merge would move, without moving anything (the preview)."""
    _check(keep, remove)
    champions, users = _tables()
    steps = [*merging.plan(champions, keep.id, remove.id), *merging.plan(users, keep.user_id, remove.user_id)]
    return MergePlan(keep, remove, merging.preview_counts(steps, LABELS), _fingerprint(keep, remove))


def merge(keep: Champion, remove: Champion, by_user_id: int | None, *, fingerprint: str | None = None) -> MergePlan:
    """Keep one champion; move everything of the other to it; mark the other merged and close its login.

    ``fingerprint`` is the preview's: if either record has changed since, nothing is done. All of it happens in
    one savepoint, so a failure half way leaves both records exactly as they were. Both records and both logins
    are locked before they are checked, so a merge running at the same time waits and is then refused.
    """
    champions, users = _tables()
    with db.session.begin_nested():
        merging.lock(Champion, [keep.id, remove.id])
        merging.lock(User, [keep.user_id, remove.user_id])
        plan = plan_merge(keep, remove)
        merging.refuse_if_stale(fingerprint, plan.fingerprint, "records")
        moved = merging.move(champions, keep.id, remove.id) | merging.move(users, keep.user_id, remove.user_id)
        _combine_profiles(keep, remove)
        _close(keep, remove)
        db.session.flush()
        db.session.expire_all()
        _recompute_stage(keep, remove, by_user_id)
        details = {"kept": keep.id, "removed": remove.id, "moved": plan.moves, "rows": moved}
        audit.record("champion.merged", keep, actor_id=by_user_id, **details)
        audit.record("champion.merged_away", remove, actor_id=by_user_id, **details)
        tombstones.bury("champions", [remove.id], "merged", merged_into_id=keep.id)
        db.session.flush()
    return plan


def _combine_profiles(keep: Champion, remove: Champion) -> None:
    """The kept record's own details win; it takes what only the merged-away one had."""
    keep.is_leader = keep.is_leader or remove.is_leader
    keep.phone = keep.phone or remove.phone
    keep.heard_via_other = keep.heard_via_other or remove.heard_via_other
    keep.owner_id = keep.owner_id or remove.owner_id
    if keep.recruited_by_id is None and remove.recruited_by_id not in (None, keep.id):
        keep.recruited_by_id = remove.recruited_by_id
    if keep.heard_via_organisation_id is None:
        keep.heard_via_organisation_id = remove.heard_via_organisation_id
    if remove.last_activity_on and (keep.last_activity_on is None or remove.last_activity_on > keep.last_activity_on):
        keep.last_activity_on = remove.last_activity_on


def _close(keep: Champion, remove: Champion) -> None:
    remove.merged_into_id = keep.id
    remove.merged_at = now_utc()
    remove.user.active = False
    end_every_session(remove.user)  # signed out everywhere: its sessions stay with it and are deleted


def _recompute_stage(keep: Champion, remove: Champion, by_user_id: int | None) -> None:
    """The kept record's stage from everything it now holds: the training, pledge and activities moved to it, and
    an email address confirmed on either login (the same person confirmed it)."""
    reached = onboarding.progress(keep)
    reached.verified = reached.verified or remove.user.email_verified_at is not None
    onboarding.advance(keep, reached, reason=f"Merged with champion #{remove.id}", by_user_id=by_user_id)
