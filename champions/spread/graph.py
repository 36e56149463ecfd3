"""The network of champions and each one's measures in it.

Ties come from what the app already knows: recruitment (who recruited whom), attending the same workshop (checked
in), and belonging to the same organisation (its affiliated champions). A pair's strength is how many of these they
share (a recruitment, each workshop, each organisation). Withdrawn and erased people leave the analysis, and a merged
record counts once (its rows moved to the record kept). Ties are read set-based, one query for each kind; the
measures are computed with igraph (C), which benchmarks/graph_libraries.py measured against networkx and rustworkx.

Paths count steps, not strength: a tie is a tie for reach and brokerage; strength is shown beside them.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph
from sqlalchemy import and_, func, or_, select

from champions.accounts.models import User
from champions.core.db import driver_rows
from champions.extensions import db
from champions.organisations.models import organisation_affiliations
from champions.profiles.models import LIVE, Champion, Stage
from champions.workshops.models import WorkshopSignup

# Exact betweenness costs about (people × ties); above this many people it is estimated from a random sample of
# SAMPLE_SOURCES starting points, and its error is stated (benchmarks/graph_libraries.py: exact takes about a minute
# at 20,000 people, the programme's target, on two cores).
EXACT_UP_TO = 25_000
SAMPLE_SOURCES = 800
SEED = 20_000  # sampling is seeded, so the same network gives the same figures


@dataclass
class Network:
    ids: list[int]  # champion ids, in node order
    borough: list[str]
    recruited_by: list[int | None]  # node index of the recruiter, if they are in the analysis
    joined: list[object]  # created_at of each
    organisations: list[set[int]]
    strength: dict[tuple[int, int], int] = field(default_factory=dict)  # (i, j), i < j -> shared ties
    kinds: Counter[str] = field(default_factory=Counter)  # ties by where they came from

    @property
    def size(self) -> int:
        return len(self.ids)


def in_analysis():
    """Champions the network counts: live records of people who have not withdrawn nor been erased."""
    return (
        select(Champion.id, Champion.borough_code, Champion.recruited_by_id, Champion.created_at)
        .join(User, User.id == Champion.user_id)
        .where(LIVE, User.erased_at.is_(None), Champion.stage != Stage.WITHDRAWN.value)
    )


def _network_of(rows: Sequence[Any]) -> tuple[Network, dict[int, int]]:
    """The network's people from rows of ``in_analysis`` (in id order), with no ties yet, and each id's node."""
    index = {row.id: i for i, row in enumerate(rows)}
    network = Network(
        ids=[row.id for row in rows],
        borough=[row.borough_code for row in rows],
        recruited_by=[index.get(row.recruited_by_id) if row.recruited_by_id else None for row in rows],
        joined=[row.created_at for row in rows],
        organisations=[set() for _ in rows],
    )
    return network, index


def load() -> Network:
    network, index = _network_of(db.session.execute(in_analysis().order_by(Champion.id)).all())

    def tie(a: int | None, b: int | None, kind: str, weight: int = 1) -> None:
        if a is None or b is None or a == b:
            return
        key = (a, b) if a < b else (b, a)
        network.strength[key] = network.strength.get(key, 0) + weight
        network.kinds[kind] += weight

    for i, recruiter in enumerate(network.recruited_by):
        tie(i, recruiter, "recruitment")
    mine, theirs = WorkshopSignup.__table__.alias("mine"), WorkshopSignup.__table__.alias("theirs")
    shared_workshops = (
        select(mine.c.champion_id, theirs.c.champion_id, func.count())
        .join(theirs, and_(theirs.c.workshop_id == mine.c.workshop_id, theirs.c.champion_id > mine.c.champion_id))
        .where(mine.c.checked_in_at.is_not(None), theirs.c.checked_in_at.is_not(None))
        .group_by(mine.c.champion_id, theirs.c.champion_id)
    )
    # Fetched whole, as the driver's tuples: a few hundred thousand pairs at national scale (building a SQLAlchemy
    # row for each took longer than the query).
    for a, b, shared in driver_rows(db.session, shared_workshops):
        tie(index.get(a), index.get(b), "workshop", shared)
    affiliations = organisation_affiliations
    for organisation_id, champion_id in driver_rows(
        db.session, select(affiliations.c.organisation_id, affiliations.c.champion_id)
    ):
        if (node := index.get(champion_id)) is not None:
            network.organisations[node].add(organisation_id)
    members: dict[int, list[int]] = defaultdict(list)
    for i, organisations in enumerate(network.organisations):
        for organisation_id in organisations:
            members[organisation_id].append(i)
    for people in members.values():
        for x, a in enumerate(people):
            for b in people[x + 1 :]:
                tie(a, b, "organisation")
    return network


CHUNK = 5_000  # ids in one IN list


def around(champion_id: int, degrees: int = 3) -> Network:
    """The part of the network within ``degrees`` steps of one champion, read a step at a time, so that a page can
    draw it without loading the whole network: every tie of the people fewer than ``degrees`` steps away (so each
    person's distance is exact), and the people at ``degrees`` steps with the ties that reach them."""
    rows = {row.id: row for row in db.session.execute(in_analysis().where(Champion.id == champion_id)).all()}
    found: dict[tuple[int, int], int] = {}
    kinds: Counter[str] = Counter()
    frontier = set(rows)
    for _ in range(degrees):
        ties = _ties_of(frontier)
        new = {x for pair in ties for x in pair} - set(rows)
        for chunk in _chunks(new):
            rows.update((row.id, row) for row in db.session.execute(in_analysis().where(Champion.id.in_(chunk))).all())
        for pair, (kind, weight) in ties.items():
            if pair not in found and pair[0] in rows and pair[1] in rows:  # not one found a step nearer
                found[pair] = found.get(pair, 0) + weight
                kinds[kind] += weight
        frontier = new & set(rows)
    network, index = _network_of(sorted(rows.values(), key=lambda row: row.id))
    network.kinds = kinds
    network.strength = {(index[a], index[b]): weight for (a, b), weight in found.items()}
    return network


def _chunks(ids: set[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def _ties_of(people: set[int]) -> dict[tuple[int, int], tuple[str, int]]:
    """Every tie of these people, by champion ids (smaller first): (kind, strength), by recruitment, shared
    workshops and shared organisations (a pair tied in more than one way counts each)."""
    ties: dict[tuple[int, int], tuple[str, int]] = {}

    def add(a: int, b: int, kind: str, weight: int) -> None:
        if a != b:
            pair = (a, b) if a < b else (b, a)
            old = ties.get(pair)
            ties[pair] = (old[0] if old else kind, (old[1] if old else 0) + weight)

    mine, theirs = WorkshopSignup.__table__.alias("mine"), WorkshopSignup.__table__.alias("theirs")
    ours, others = organisation_affiliations.alias("ours"), organisation_affiliations.alias("others")
    for chunk in _chunks(people):
        recruitment = select(Champion.id, Champion.recruited_by_id).where(
            Champion.recruited_by_id.is_not(None), or_(Champion.id.in_(chunk), Champion.recruited_by_id.in_(chunk))
        )
        for a, b in db.session.execute(recruitment).all():
            if b is not None:
                add(a, b, "recruitment", 1)
        workshops = (
            select(mine.c.champion_id, theirs.c.champion_id, func.count())
            .join(theirs, and_(theirs.c.workshop_id == mine.c.workshop_id, theirs.c.champion_id != mine.c.champion_id))
            .where(
                mine.c.champion_id.in_(chunk), mine.c.checked_in_at.is_not(None), theirs.c.checked_in_at.is_not(None)
            )
            .group_by(mine.c.champion_id, theirs.c.champion_id)
        )
        organisations = (
            select(ours.c.champion_id, others.c.champion_id, func.count())
            .join(
                others,
                and_(others.c.organisation_id == ours.c.organisation_id, others.c.champion_id != ours.c.champion_id),
            )
            .where(ours.c.champion_id.in_(chunk))
            .group_by(ours.c.champion_id, others.c.champion_id)
        )
        # A pair inside the chunk is found from both ends: count it from its smaller id's side only.
        inside = set(chunk)
        for kind, query in (("workshop", workshops), ("organisation", organisations)):
            for a, b, shared in db.session.execute(query).all():
                if not (b in inside and b < a):
                    add(a, b, kind, shared)
    return ties


@dataclass
class Measures:
    ties: list[int]
    strength: list[int]
    betweenness: list[float]
    reach_2: list[int]
    reach_3: list[int]
    boroughs_crossed: list[int]
    organisations_crossed: list[int]
    method: str  # "exact" or "sampled"
    sources: int | None  # how many starting points a sampled betweenness used
    error: float | None  # sampled: the median relative difference between two halves of the sample (top 5%)


def measure(network: Network, progress: Callable[[], None] = lambda: None) -> Measures:
    n = network.size
    graph = igraph.Graph(n=n, edges=list(network.strength))
    ties = graph.degree()
    strength = [0] * n
    for (a, b), weight in network.strength.items():
        strength[a] += weight
        strength[b] += weight
    reach_2 = [size - 1 for size in graph.neighborhood_size(order=2)] if n else []
    reach_3 = [size - 1 for size in graph.neighborhood_size(order=3)] if n else []
    progress()
    betweenness, method, sources, error = _betweenness(graph)
    progress()
    borough, organisations = network.borough, network.organisations
    boroughs_crossed, organisations_crossed = [], []
    for i, near in enumerate(graph.get_adjlist()):
        boroughs_crossed.append(len({borough[j] for j in near} - {borough[i]}))
        # Most people belong to no organisation: only the neighbours who do are read.
        theirs = [organisations[j] for j in near if organisations[j]]
        organisations_crossed.append(len(set().union(*theirs) - organisations[i]) if theirs else 0)
    return Measures(
        ties, strength, betweenness, reach_2, reach_3, boroughs_crossed, organisations_crossed, method, sources, error
    )


def _betweenness(graph: igraph.Graph) -> tuple[list[float], str, int | None, float | None]:
    """Each person's betweenness (pairs of others counted once): exact, or estimated from a seeded random sample of
    starting points, scaled up, with the error measured by comparing the two halves of the sample."""
    n = graph.vcount()
    if n <= EXACT_UP_TO:
        return [float(x) for x in graph.betweenness(directed=False)] if n else [], "exact", None, None
    picked = random.Random(SEED).sample(range(n), SAMPLE_SOURCES)
    halves = [picked[: SAMPLE_SOURCES // 2], picked[SAMPLE_SOURCES // 2 :]]
    # Betweenness over the paths from a set of sources is, on average, the share of sources sampled times the whole
    # (with every person as a source it is the exact value: tests/spread), so it is scaled up by n / sources.
    estimates = [[x * n / len(half) for x in graph.betweenness(directed=False, sources=half)] for half in halves]
    combined = [(a + b) / 2 for a, b in zip(*estimates, strict=True)]
    top = sorted(range(n), key=lambda i: -combined[i])[: max(1, n // 20)]
    differences = sorted(abs(estimates[0][i] - estimates[1][i]) / combined[i] for i in top if combined[i] > 0)
    error = differences[len(differences) // 2] / 2 if differences else None  # the halves' gap, for the whole sample
    return combined, "sampled", SAMPLE_SOURCES, error
