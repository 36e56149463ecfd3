"""A run of the network analysis (job, progress, figures and thresholds) and each champion's measures from the
newest run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from champions.core import merging
from champions.core.db import now_utc
from champions.core.work import Leased
from champions.extensions import Model


class SpreadRun(Leased, Model):
    """One computation of the network: asked for by staff or on schedule, with its progress; once finished, the
    figures, the thresholds the roles were given by, and how betweenness was measured."""

    __tablename__ = "spread_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(default=now_utc)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_steps: Mapped[int] = mapped_column(default=0)
    total_steps: Mapped[int] = mapped_column(default=1)
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    error: Mapped[str | None] = mapped_column(String(500))
    champions: Mapped[int | None]
    ties: Mapped[int | None]
    method: Mapped[str | None] = mapped_column(String(16))  # betweenness: "exact" or "sampled"
    duration_ms: Mapped[int | None]
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ChampionRole(Model):
    """A champion's place in the network at the newest finished run (the table is replaced by each run)."""

    __tablename__ = "champion_roles"

    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime]
    ties: Mapped[int]  # people tied to them directly (degree)
    strength: Mapped[int]  # the ties counted with how many shared workshops or organisations each holds
    betweenness: Mapped[float]  # shortest paths between others that pass through them
    reach_2: Mapped[int]  # people within two steps
    reach_3: Mapped[int]  # people within three steps
    boroughs_crossed: Mapped[int]  # boroughs other than their own that their ties reach
    organisations_crossed: Mapped[int]  # organisations other than their own that their ties reach
    people_reached_3: Mapped[int]  # head-counts of their own activities and their recruits' to three degrees
    hub: Mapped[bool] = mapped_column(default=False, index=True)
    gatekeeper: Mapped[bool] = mapped_column(default=False, index=True)
    pulsetaker: Mapped[bool] = mapped_column(default=False, index=True)
    spanner: Mapped[bool] = mapped_column(default=False, index=True)


ROLES = ("hub", "gatekeeper", "pulsetaker", "spanner")

# How a merge of two champions treats this feature's tables (core/merging.py): the measures are the newest run's and
# the next run measures the merged record afresh; until then the kept record keeps its own.
MERGES: merging.Declarations = {}
MERGES.update(merging.on_conflict("champions", "champion_roles.champion_id", merging.keep_one()))
MERGES.update(merging.moves("users", "spread_runs.requested_by_id"))
