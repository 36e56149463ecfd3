"""Compute a run of the network analysis and read the newest one."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import delete, select

from champions.core.clock import today_uk
from champions.core.db import bulk_insert, now_utc
from champions.extensions import db
from champions.spread import figures, graph, roles
from champions.spread.models import ROLES, ChampionRole, SpreadRun

STEPS = 4  # loaded; reach measured; brokerage measured; figures worked out (then stored in one commit)


def compute(run: SpreadRun, progress: Callable[[int, int], None] = lambda done, total: None) -> SpreadRun:
    """Measure the network, replace every champion's measures and store the run's figures; flushes, never commits
    (the task commits once, so the roles and the run that explains them change together)."""
    started, today = time.perf_counter(), today_uk()
    step = iter(range(1, STEPS + 1))
    network = graph.load()
    progress(next(step), STEPS)
    measures = graph.measure(network, lambda: progress(next(step), STEPS))
    limits = roles.thresholds(measures)
    flags = roles.assign(measures, limits)
    reached = figures.people_reached(network)
    computed = {
        "r": figures.reproduction(network, today),
        "chains": figures.chains(network),
        "sources": figures.growth_sources(network),
        "homophily": figures.homophily(network),
        "flows": figures.flows(network),
        "roles": {key: sum(f[key] for f in flags) for key in ROLES},
        "ties_by_kind": dict(network.kinds),
        "overview": figures.overview(network),
        "connected": sum(1 for t in measures.ties if t),
        "error": measures.error,
        "sources_sampled": measures.sources,
        "as_of": today.isoformat(),
    }
    progress(next(step), STEPS)  # the last commit before the roles are replaced: they and the run change together
    now = now_utc()
    db.session.execute(delete(ChampionRole))
    rows = [
        {
            "champion_id": champion_id,
            "computed_at": now,
            "ties": measures.ties[i],
            "strength": measures.strength[i],
            "betweenness": measures.betweenness[i],
            "reach_2": measures.reach_2[i],
            "reach_3": measures.reach_3[i],
            "boroughs_crossed": measures.boroughs_crossed[i],
            "organisations_crossed": measures.organisations_crossed[i],
            "people_reached_3": reached[i],
            **flags[i],
        }
        for i, champion_id in enumerate(network.ids)
    ]
    bulk_insert(db.session, ChampionRole.__table__, rows)  # COPY on PostgreSQL
    run.figures = computed
    run.done_steps = run.total_steps = STEPS
    run.thresholds = limits
    run.champions, run.ties, run.method = network.size, len(network.strength), measures.method
    run.finished_at = now_utc()
    run.duration_ms = round(1000 * (time.perf_counter() - started))
    db.session.flush()
    return run


def latest() -> SpreadRun | None:
    """The newest finished run, or None."""
    return db.session.scalar(
        select(SpreadRun)
        .where(SpreadRun.finished_at.is_not(None), SpreadRun.error.is_(None))
        .order_by(SpreadRun.finished_at.desc(), SpreadRun.id.desc())
        .limit(1)
    )


def role_of(champion_id: int) -> ChampionRole | None:
    return db.session.get(ChampionRole, champion_id)
