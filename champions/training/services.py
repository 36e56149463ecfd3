"""Training completions and the pledge. Services flush; the request commits."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.core import audit
from champions.core.errors import Refused
from champions.core.templating import uk_time
from champions.extensions import db
from champions.profiles.models import Champion
from champions.training.models import (
    PLEDGE_NEWEST_FIRST,
    Pledge,
    PledgeAcceptance,
    TrainingCompletion,
    TrainingResource,
)
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
    return db.session.scalar(select(Pledge).order_by(*PLEDGE_NEWEST_FIRST).limit(1))


def last_accepted_pledge(champion: Champion) -> Pledge | None:
    """The newest version of the pledge this champion accepted, if any."""
    query = select(Pledge).join(PledgeAcceptance, PledgeAcceptance.pledge_id == Pledge.id)
    return db.session.scalar(
        query.where(PledgeAcceptance.champion_id == champion.id).order_by(*PLEDGE_NEWEST_FIRST).limit(1)
    )


@dataclass(frozen=True)
class PledgeUpdate:
    """A version published since the one a champion accepted: what changed, and the words old and new."""

    current: Pledge
    previous: Pledge
    changes: list[tuple[str, str]]  # ("same" | "removed" | "added", words), in reading order


def word_changes(old: str, new: str) -> list[tuple[str, str]]:
    """The new text against the old, word by word: runs of words kept, removed and added."""
    before, after = old.split(), new.split()
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(("same", " ".join(before[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("removed", " ".join(before[i1:i2])))
        if j2 > j1:
            runs.append(("added", " ".join(after[j1:j2])))
    return runs


def pledge_update(champion: Champion) -> PledgeUpdate | None:
    """The current pledge, when this champion accepted an earlier version and not this one (someone who never
    pledged is asked by onboarding instead)."""
    current = current_pledge()
    if current is None or accepted(champion, current) is not None:
        return None
    previous = last_accepted_pledge(champion)
    if previous is None:
        return None
    return PledgeUpdate(current, previous, word_changes(previous.text, current.text))


def accepted(champion: Champion, pledge: Pledge) -> PledgeAcceptance | None:
    return db.session.scalar(
        select(PledgeAcceptance).where(
            PledgeAcceptance.champion_id == champion.id, PledgeAcceptance.pledge_id == pledge.id
        )
    )


class NotCurrentPledge(Refused):
    """An acceptance of a pledge version that is no longer the current one."""


def accept_pledge(champion: Champion, pledge: Pledge) -> PledgeAcceptance:
    """Accept the current version of the pledge (only the current one: nobody accepts words since replaced)."""
    current = current_pledge()
    if current is None or current.id != pledge.id:
        raise NotCurrentPledge(
            f"Pledge version {pledge.version} was replaced by a newer one. Read the current pledge, then accept it."
        )
    acceptance = accepted(champion, pledge)
    if acceptance is None:
        acceptance = PledgeAcceptance(champion_id=champion.id, pledge_id=pledge.id)
        db.session.add(acceptance)
        db.session.flush()
        audit.record("pledge.accepted", champion, version=pledge.version)
    advance(champion)
    return acceptance


def pledge_choices(user, champion) -> list[tuple[str, str]]:
    """Each version of the pledge a champion accepted, for their data export (the wording is in its own file)."""
    if champion is None:
        return []
    rows = db.session.execute(
        select(Pledge.published_at, PledgeAcceptance.accepted_at)
        .join(PledgeAcceptance, PledgeAcceptance.pledge_id == Pledge.id)
        .where(PledgeAcceptance.champion_id == champion.id)
        .order_by(PledgeAcceptance.accepted_at, PledgeAcceptance.id)
    ).all()
    if not rows:
        return [("The champion pledge", "Not accepted yet")]
    return [
        (
            "The champion pledge",
            f"You accepted the pledge as published on {uk_time(published, '%-d %B %Y')}, on {uk_time(at, '%-d %B %Y')}",
        )
        for published, at in rows
    ]
