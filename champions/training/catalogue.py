"""Staff changes to the training catalogue and to the pledge, each one recorded in the audit log.

Services flush; the request commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from champions.core import audit
from champions.core.db import now_utc
from champions.extensions import db
from champions.training.models import Pledge, TrainingResource


def add_resource(**fields: Any) -> TrainingResource:
    """A new resource, placed last in the catalogue."""
    last = db.session.scalar(select(func.max(TrainingResource.position))) or 0
    resource = TrainingResource(position=last + 1, **fields)
    db.session.add(resource)
    db.session.flush()
    audit.record("training.resource_created", resource, title=resource.title)
    return resource


def edit_resource(resource: TrainingResource, **fields: Any) -> None:
    """Save the changes; the audit event names the fields that changed (none changed: nothing is recorded)."""
    changed = audit.assign(resource, fields)
    if changed:
        audit.record("training.resource_edited", resource, title=resource.title, fields=changed)
    db.session.flush()


def retire_or_restore(resource: TrainingResource) -> None:
    """Retire a resource (champions no longer see it), or bring a retired one back."""
    resource.retired_at = None if resource.retired_at else now_utc()
    audit.record("training.resource_retired" if resource.retired_at else "training.resource_restored", resource)
    db.session.flush()


def pledge_version_taken(version: str) -> bool:
    return db.session.scalar(select(Pledge.id).where(Pledge.version == version)) is not None


def publish_pledge(version: str, text: str, summary: str | None = None, must_accept: bool = False) -> Pledge:
    """A new version of the pledge: champions see its text from now on, and those who accepted an earlier one are
    shown what changed. With ``must_accept``, the pledge step of onboarding is to do again until they accept it."""
    pledge = Pledge(
        version=version, text=text, summary=summary or None, must_accept=must_accept, published_at=now_utc()
    )
    db.session.add(pledge)
    db.session.flush()
    audit.record("training.pledge_published", pledge, version=pledge.version, must_accept=must_accept)
    return pledge
