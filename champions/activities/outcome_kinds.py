"""Staff changes to the kinds of outcome (reference data): add, rename, change topic or place, retire and bring back,
each recorded in the audit log. A kind's code is made once from its first name and never changes, so the outcomes
recorded against it, and the figures built on them, keep pointing at it whatever it is called later.

Services flush; the request commits.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select

from champions.activities.models import ActivityOutcome, OutcomeKind
from champions.core import audit
from champions.core.db import now_utc
from champions.core.models import AuditEvent
from champions.extensions import db

CODE_LENGTH = 32  # outcome_kinds.code


def all_kinds() -> list[tuple[OutcomeKind, int]]:
    """Every kind, in the order champions see them, with how many outcomes were recorded against each."""
    used = (
        select(ActivityOutcome.outcome_code, func.count().label("n")).group_by(ActivityOutcome.outcome_code).subquery()
    )
    query = (
        select(OutcomeKind, func.coalesce(used.c.n, 0))
        .outerjoin(used, used.c.outcome_code == OutcomeKind.code)
        .order_by(OutcomeKind.position, OutcomeKind.name)
    )
    return [(kind, int(n)) for kind, n in db.session.execute(query)]


def name_taken(name: str, but: OutcomeKind | None = None) -> bool:
    """Another kind is called ``name``, whatever the case."""
    query = select(OutcomeKind.code).where(func.lower(OutcomeKind.name) == name.lower())
    if but is not None:
        query = query.where(OutcomeKind.code != but.code)
    return db.session.scalar(query) is not None


def code_for(name: str) -> str:
    """A new code from ``name``: lower-case ASCII letters and digits joined by "_", unique ("lung_health_check_2")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:CODE_LENGTH].strip("_") or "outcome"
    taken = set(db.session.scalars(select(OutcomeKind.code).where(OutcomeKind.code.like(f"{base[:24]}%"))))
    code, n = base, 1
    while code in taken:
        n += 1
        suffix = f"_{n}"
        code = base[: CODE_LENGTH - len(suffix)] + suffix
    return code


def add_kind(name: str, topic_code: str | None, position: int | None) -> OutcomeKind:
    """A new kind, offered to champions from now on; without a position, it goes last."""
    if position is None:
        position = (db.session.scalar(select(func.max(OutcomeKind.position))) or 0) + 1
    kind = OutcomeKind(code=code_for(name), name=name, topic_code=topic_code, position=position)
    db.session.add(kind)
    db.session.flush()
    _keyed(audit.record("outcome_kind.created", None, name=name), kind)
    return kind


def change_kind(kind: OutcomeKind, name: str, topic_code: str | None, position: int) -> list[str]:
    """Save the changes; the audit event names the fields that changed (none changed: nothing is recorded)."""
    changed = audit.assign(kind, {"name": name, "topic_code": topic_code, "position": position})
    if changed:
        _keyed(audit.record("outcome_kind.changed", None, name=kind.name, fields=changed), kind)
    db.session.flush()
    return changed


def retire_or_restore(kind: OutcomeKind) -> None:
    """Retire a kind (no longer offered; the outcomes already recorded keep it), or bring a retired one back."""
    kind.retired_at = None if kind.retired_at else now_utc()
    action = audit.record("outcome_kind.retired" if kind.retired_at else "outcome_kind.restored", None, name=kind.name)
    _keyed(action, kind)
    db.session.flush()


def _keyed(event: AuditEvent, kind: OutcomeKind) -> None:
    event.target_type, event.target_id = "OutcomeKind", kind.code  # its key is its code, not a number
