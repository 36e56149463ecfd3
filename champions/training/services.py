"""Training completions and the pledge. Services flush; the request commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.core import audit
from champions.extensions import db
from champions.profiles.models import Champion
from champions.training.models import Pledge, PledgeAcceptance, TrainingCompletion, TrainingResource
from champions.training.onboarding import advance


def live_resources() -> list[TrainingResource]:
    query = (
        select(TrainingResource)
        .where(TrainingResource.retired_at.is_(None))
        .options(selectinload(TrainingResource.topic))
    )
    return list(db.session.scalars(query.order_by(TrainingResource.is_core.desc(), TrainingResource.position)))


def completions(champion: Champion) -> dict[int, TrainingCompletion]:
    rows = db.session.scalars(select(TrainingCompletion).where(TrainingCompletion.champion_id == champion.id))
    return {c.resource_id: c for c in rows}


def complete(champion: Champion, resource: TrainingResource, reflection: str | None) -> TrainingCompletion:
    """Mark a resource complete (again: just update the reflection) and move the stage on."""
    done = db.session.scalar(
        select(TrainingCompletion).where(
            TrainingCompletion.champion_id == champion.id, TrainingCompletion.resource_id == resource.id
        )
    )
    if done is None:
        done = TrainingCompletion(champion_id=champion.id, resource_id=resource.id)
        db.session.add(done)
    done.reflection = reflection or None
    db.session.flush()
    advance(champion)
    return done


def current_pledge() -> Pledge | None:
    return db.session.scalar(select(Pledge).order_by(Pledge.published_at.desc(), Pledge.id.desc()).limit(1))


def accepted(champion: Champion, pledge: Pledge) -> PledgeAcceptance | None:
    return db.session.scalar(
        select(PledgeAcceptance).where(
            PledgeAcceptance.champion_id == champion.id, PledgeAcceptance.pledge_id == pledge.id
        )
    )


def accept_pledge(champion: Champion, pledge: Pledge) -> PledgeAcceptance:
    acceptance = accepted(champion, pledge)
    if acceptance is None:
        acceptance = PledgeAcceptance(champion_id=champion.id, pledge_id=pledge.id)
        db.session.add(acceptance)
        db.session.flush()
        audit.record("pledge.accepted", champion, version=pledge.version)
    advance(champion)
    return acceptance
