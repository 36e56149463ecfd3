"""Onboarding: verify email -> complete the core training -> accept the pledge -> log a first activity.

Stages move forward by themselves as steps are done, one recorded step at a time,
and never backward (a core resource added later does not demote anyone).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select

from champions.activities.models import Activity
from champions.extensions import db
from champions.profiles.models import Champion, Stage
from champions.profiles.services import change_stage
from champions.training.models import (
    PLEDGE_NEWEST_FIRST,
    Pledge,
    PledgeAcceptance,
    TrainingCompletion,
    TrainingResource,
)

ONBOARDING_ORDER = [Stage.REGISTERED, Stage.VERIFIED, Stage.TRAINED, Stage.ACTIVE]
REASONS = {
    Stage.VERIFIED: "Confirmed their email address",
    Stage.TRAINED: "Completed the core training",
    Stage.ACTIVE: "Accepted the pledge and logged a first activity",
}


@dataclass
class Progress:
    verified: bool
    core_done: int
    core_total: int
    pledged: bool
    has_activity: bool

    @property
    def trained(self) -> bool:
        return self.core_done >= self.core_total

    @property
    def steps(self) -> list[tuple[str, bool]]:
        return [
            ("Confirm your email address", self.verified),
            ("Complete the core training", self.trained),
            ("Accept the champion pledge", self.pledged),
            ("Log your first activity", self.has_activity),
        ]

    @property
    def done_count(self) -> int:
        return sum(done for _, done in self.steps)

    def reached(self) -> Stage:
        if self.verified and self.trained and self.pledged and self.has_activity:
            return Stage.ACTIVE
        if self.verified and self.trained:
            return Stage.TRAINED
        return Stage.VERIFIED if self.verified else Stage.REGISTERED


def core_resource_ids() -> list[int]:
    query = select(TrainingResource.id).where(TrainingResource.is_core, TrainingResource.retired_at.is_(None))
    return list(db.session.scalars(query))


def pledge_accepted(champion: Champion) -> bool:
    """Has the champion made the pledge? Any version counts, unless staff published a version champions must accept:
    then that version or a later one. (Nobody is moved back a stage for it: the checklist shows the step to do.)"""
    query = select(PledgeAcceptance.id).where(PledgeAcceptance.champion_id == champion.id)
    required = db.session.scalar(select(Pledge).where(Pledge.must_accept).order_by(*PLEDGE_NEWEST_FIRST).limit(1))
    if required is not None:
        query = query.join(Pledge, Pledge.id == PledgeAcceptance.pledge_id).where(
            or_(
                Pledge.published_at > required.published_at,
                and_(Pledge.published_at == required.published_at, Pledge.id >= required.id),
            )
        )
    return bool(db.session.scalar(select(query.exists())))


def progress(champion: Champion) -> Progress:
    core = core_resource_ids()
    core_done = db.session.scalar(
        select(func.count())
        .select_from(TrainingCompletion)
        .where(TrainingCompletion.champion_id == champion.id, TrainingCompletion.resource_id.in_(core))
    )
    has_activity = db.session.scalar(select(exists().where(Activity.champion_id == champion.id)))
    return Progress(
        verified=champion.user.email_verified_at is not None,
        core_done=core_done or 0,
        core_total=len(core),
        pledged=pledge_accepted(champion),
        has_activity=bool(has_activity),
    )


def advance(
    champion: Champion, done: Progress | None = None, *, reason: str | None = None, by_user_id: int | None = None
) -> None:
    """Move the champion forward through every onboarding stage they have now reached (``done``, when the
    caller knows more than the champion's own rows, as a merge does)."""
    if champion.stage not in [s.value for s in ONBOARDING_ORDER]:
        return  # lapsed and withdrawn champions move only by their own or staff action
    current = ONBOARDING_ORDER.index(Stage(champion.stage))
    reached = ONBOARDING_ORDER.index((done or progress(champion)).reached())
    for stage in ONBOARDING_ORDER[current + 1 : reached + 1]:
        why = f"{REASONS[stage]} ({reason})" if reason else REASONS[stage]
        change_stage(champion, stage, why, by_user_id=by_user_id)


def on_email_verified(user) -> None:
    """A champion who confirms their address moves on (``accounts.signals.email_verified``)."""
    if user.champion is not None:
        advance(user.champion)


def on_activity_logged(champion: Champion) -> None:
    """A first activity may complete onboarding (``activities.signals.activity_logged``)."""
    advance(champion)
