"""What other features ask of the newest run: who holds a network role (as a clause for their own set-based
queries), each champion's measures for a batch of ids, and the boroughs where R is below 1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, select

from champions.core.models import BOROUGHS
from champions.extensions import db
from champions.spread import services
from champions.spread.models import ROLES, ChampionRole
from champions.spread.roles import ROLE_NAMES

BOROUGH_CODES = {name: code for code, name, _ in BOROUGHS}


def role_choices() -> list[tuple[str, str]]:
    """(key, name) of each role, in the order the page lists them."""
    return [(key, ROLE_NAMES[key]) for key in ROLES]


def role_plural(role: str) -> str:
    """The role's name for many people, in words ("Boundary spanners")."""
    return f"{ROLE_NAMES[role]}s"


def has_role(role: str, champion_id: Any) -> ColumnElement[bool]:
    """True where the champion ``champion_id`` (a column of the caller's query) holds ``role`` in the newest run;
    an unknown role is true of no one."""
    if role not in ROLES:
        return false()
    return (
        select(ChampionRole.champion_id)
        .where(ChampionRole.champion_id == champion_id, getattr(ChampionRole, role).is_(True))
        .exists()
    )


def measures_of(champion_ids: Sequence[int]) -> dict[int, ChampionRole]:
    """Each champion's measures from the newest run, in one query (none: not in the analysis, or no run yet)."""
    if not champion_ids:
        return {}
    query = select(ChampionRole).where(ChampionRole.champion_id.in_(list(champion_ids)))
    return {row.champion_id: row for row in db.session.scalars(query)}


def roles_held(row: ChampionRole | None) -> list[str]:
    """The names of the roles a champion holds, in the page's order."""
    if row is None:
        return []
    return [ROLE_NAMES[key] for key in ROLES if getattr(row, key)]


@dataclass(frozen=True)
class BoroughR:
    """Where R is below 1 in the newest finished run (``computed_at`` None: no run has finished yet)."""

    computed_at: datetime | None
    below: list[tuple[str, str]]  # (code, name) of each borough whose R is below 1
    unknown: list[str]  # names of boroughs with no complete cohort, so no R

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.below]

    @property
    def names(self) -> list[str]:
        return [name for _, name in self.below]


def boroughs_below_one() -> BoroughR:
    """The boroughs whose R in the newest finished run is below 1 (one query)."""
    run = services.latest()
    if run is None:
        return BoroughR(None, [], [])
    rows = ((run.figures or {}).get("r") or {}).get("by_borough") or []
    below, unknown = [], []
    for row in rows:
        name, r = row.get("borough"), row.get("r")
        if name not in BOROUGH_CODES:
            continue
        if r is None:
            unknown.append(name)
        elif r < 1:
            below.append((BOROUGH_CODES[name], name))
    return BoroughR(run.finished_at, below, unknown)
