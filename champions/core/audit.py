"""Write audit events. Callers flush; the request commits."""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from flask import after_this_request, has_request_context, request
from flask_login import current_user

from champions.core.models import AuditEvent
from champions.extensions import db

_signals = Namespace()

detail_words = _signals.signal(
    "audit-detail-words",
    doc="One detail of an audit event in words, for the person's data export: sent with the detail's name (such as "
    "'stage') and its value as ``value``; the feature whose value it is answers with its words, the others with None.",
)


def record(action: str, target: Any = None, *, actor_id: int | None = None, **details: Any) -> AuditEvent:
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        ip=request.remote_addr if has_request_context() else None,
        details=details,
    )
    db.session.add(event)
    return event


def viewed(action: str, target: Any, *, subject_user_ids: tuple[int | None, ...] = (), **details: Any) -> None:
    """Record that the signed-in person looked at ``target``'s personal data, as ``action`` (such as
    'champion.viewed').

    One INSERT, committed once the page has been made (a page that shows data changes nothing else, so nothing
    else commits it; the commit after rendering expires nothing the page still reads). Nothing is recorded when
    the viewer is one of ``subject_user_ids`` (the people whose data it is): looking at your own record is not an
    access to audit.
    ``details`` name what chose a list (its filters), never free text typed into it.
    """
    if not (has_request_context() and current_user.is_authenticated):
        return
    if current_user.id in subject_user_ids:
        return
    record(action, target, **details)

    @after_this_request
    def commit(response):
        # A page that refuses its request (a bad filter) writes nothing, as every refused request does.
        if response.status_code < 400:
            db.session.commit()
        return response


def assign(target: Any, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``target``; the names of those that changed, for an audit event that names the fields a
    correction changed, never their old or new values (it outlives an erasure)."""
    changed = [name for name, value in values.items() if getattr(target, name) != value]
    for name in changed:
        setattr(target, name, values[name])
    return changed
