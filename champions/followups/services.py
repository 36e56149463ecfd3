"""Owners and follow-up tasks. Services flush, never commit: the request (or the task) commits once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from champions.accounts.models import User
from champions.core import audit
from champions.core.errors import Refused
from champions.core.permissions import Role
from champions.extensions import db
from champions.grants.models import Application
from champions.organisations.models import Organisation
from champions.profiles.models import Champion

# The kinds of record that have an owner and tasks, by the name callers use.
KINDS: dict[str, Any] = {"champion": Champion, "organisation": Organisation, "application": Application}
STAFF_ROLES = (Role.STAFF.value, Role.ADMIN.value)
_CHUNK = 500  # ids per statement: well under every database's limit of bound parameters


class FollowUpRefused(Refused):
    """The change cannot be made; the message says why, and nothing was changed."""


def owner_choices() -> list[User]:
    """Who may own a record or be given a task: staff and administrators who can sign in, by email address."""
    query = select(User).where(User.role.in_(STAFF_ROLES), User.active.is_(True), User.erased_at.is_(None))
    return list(db.session.scalars(query.order_by(User.email)))


def is_owner_choice(user: User | None) -> bool:
    return user is not None and user.role in STAFF_ROLES and user.active and user.erased_at is None


def model_for(kind: str) -> Any:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"Unknown kind of record: {kind!r}") from None


def set_owner(kind: str, ids: Sequence[int], owner: User | None, actor: User) -> int:
    """Make ``owner`` (or nobody, for None) the owner of the ``kind`` records with ``ids``; returns how many changed.

    All or nothing: if the owner is not a member of staff who can sign in, or any record is missing or was merged
    into another, nothing changes and ``FollowUpRefused`` says why. Each record whose owner changes gets one audit
    event; a record that already had that owner is left alone and not counted.
    """
    model = model_for(kind)
    if not actor.is_staff:
        raise FollowUpRefused("Only the programme team can choose who owns a record. Nothing was changed.")
    if owner is not None and not is_owner_choice(owner):
        raise FollowUpRefused("An owner must be a member of staff who can sign in. Nothing was changed.")
    wanted = sorted(set(ids))
    records = _lock(model, wanted)
    missing = len(wanted) - len(records)
    if missing:
        raise FollowUpRefused(f"{_count_words(missing, kind)} could not be found. Nothing was changed.")
    if merged := sum(1 for r in records if getattr(r, "merged_into_id", None) is not None):
        were = "was" if merged == 1 else "were"
        raise FollowUpRefused(f"{_count_words(merged, kind)} {were} merged into another record. Nothing was changed.")
    new_id = owner.id if owner is not None else None
    changed = 0
    for record in records:
        if record.owner_id == new_id:
            continue
        audit.record("owner.changed", record, actor_id=actor.id, owner_id=new_id, previous_owner_id=record.owner_id)
        record.owner_id = new_id
        changed += 1
    db.session.flush()
    return changed


def _lock(model: Any, ids: list[int]) -> list[Any]:
    """The records, locked until the request commits, so two changes of owner at once do not both count a row."""
    found: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = select(model).where(model.id.in_(chunk)).order_by(model.id).with_for_update(key_share=True)
        found += db.session.scalars(query.execution_options(populate_existing=True))
    return found


def _count_words(n: int, kind: str) -> str:
    noun = {"champion": "champion", "organisation": "organisation", "application": "grant application"}[kind]
    return f"1 {noun}" if n == 1 else f"{n:,} {noun}s"
