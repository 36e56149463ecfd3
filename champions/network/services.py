"""Who recruited whom, counted set-based: one query per degree, whatever the size of the network."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

import qrcode
import qrcode.image.svg
from sqlalchemy import Select, func, select

from champions.accounts.models import User
from champions.activities.models import Activity
from champions.core.email import external_url
from champions.extensions import db
from champions.profiles.models import Champion

DEGREES = 3
MILESTONES = (1, 5, 10, 25, 50, 100)


def _recruits_at_each_degree(champion_id: int, degrees: int) -> Iterator[Select]:
    """The ids of the people who joined through this champion, one degree at a time, each as a subquery."""
    frontier = select(Champion.id).where(Champion.recruited_by_id == champion_id)
    for _ in range(degrees):
        yield frontier
        frontier = select(Champion.id).where(Champion.recruited_by_id.in_(frontier))


def recruits_by_degree(champion_id: int, degrees: int = DEGREES) -> list[int]:
    """How many people joined through this champion at each degree: friends, their friends, and theirs."""
    return [
        db.session.scalar(select(func.count()).select_from(frontier.subquery())) or 0
        for frontier in _recruits_at_each_degree(champion_id, degrees)
    ]


LEFT = "A champion who has left"


class Recruit(NamedTuple):
    name: str  # as one champion is shown another: first name and initial, or LEFT once they have been erased
    joined_at: datetime


def direct_recruits(champion_id: int) -> list[Recruit]:
    query = (
        select(Champion.first_name, Champion.last_name, Champion.created_at, User.erased_at)
        .join(User, User.id == Champion.user_id)
        .where(Champion.recruited_by_id == champion_id)
        .order_by(Champion.created_at.desc())
    )
    return [
        Recruit(LEFT if erased_at else f"{first} {last[:1]}".strip(), joined)
        for first, last, joined, erased_at in db.session.execute(query)
    ]


def milestones(direct: int) -> list[tuple[int, bool]]:
    return [(m, direct >= m) for m in MILESTONES]


def qr_svg(url: str) -> bytes:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def referral_url(code: str) -> str:
    """The link a champion shares: it opens the sign-up form with their code filled in."""
    return external_url("network.join", code=code)


def people_reached_by_degree(champion_id: int, degrees: int = DEGREES) -> list[int]:
    """The people reached (the head-counts of activities) by this champion's own activities, then by their recruits
    at each degree: one query for their own and one per degree, whatever the size of the network."""

    def reached(champions) -> int:
        total = select(func.coalesce(func.sum(Activity.people_reached), 0)).where(Activity.champion_id.in_(champions))
        return int(db.session.scalar(total) or 0)

    own = reached(select(Champion.id).where(Champion.id == champion_id))
    return [own, *(reached(frontier) for frontier in _recruits_at_each_degree(champion_id, degrees))]
