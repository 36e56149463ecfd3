"""The network analysis on a network small enough to work out by hand: ties from recruitment, a workshop and an
organisation, each champion's measures, the roles, R by cohort with its interval, chains, flows and homophily."""

from __future__ import annotations

from datetime import datetime, timedelta

import igraph
import pytest
from sqlalchemy import func, insert, select

from champions.core.db import now_utc
from champions.organisations.models import organisation_affiliations
from champions.privacy.services import erase
from champions.spread import graph, services
from champions.spread.figures import interval
from champions.spread.models import ChampionRole, SpreadRun
from champions.workshops.models import WorkshopSignup
from tests.spread.helpers import measure_network
from tests.workshops.helpers import make_org, make_workshop


def _joined(db, champion, when: datetime) -> None:
    champion.created_at = when
    db.session.commit()


def test_ties_come_from_recruitment_workshops_and_organisations_and_leavers_leave(db, make, clock):
    clock.set(datetime(2026, 6, 1, 12, 0))
    a = make.champion(borough_code="bolton")
    b = make.champion(borough_code="bolton", recruited_by_id=a.id)
    c = make.champion(borough_code="wigan")
    d = make.champion(borough_code="bury")
    gone = make.champion(borough_code="bury", recruited_by_id=a.id)
    workshop = make_workshop(db, borough="bolton", starts=now_utc() - timedelta(days=3))
    for champion, present in ((b, True), (c, True), (d, False), (gone, True)):
        db.session.add(
            WorkshopSignup(
                workshop_id=workshop.id, champion_id=champion.id, checked_in_at=now_utc() if present else None
            )
        )
    organisation = make_org(db)
    db.session.execute(
        insert(organisation_affiliations), [{"organisation_id": organisation.id, "champion_id": x.id} for x in (c, d)]
    )
    erase(gone.user)
    db.session.commit()
    network = graph.load()
    assert set(network.ids) == {a.id, b.id, c.id, d.id}
    at = {champion_id: i for i, champion_id in enumerate(network.ids)}
    pairs = {tuple(sorted((network.ids[x], network.ids[y]))): w for (x, y), w in network.strength.items()}
    assert pairs == {(a.id, b.id): 1, (b.id, c.id): 1, (c.id, d.id): 1}  # d was not checked in; gone was erased
    assert network.kinds == {"recruitment": 1, "workshop": 1, "organisation": 1}
    run = measure_network(db)
    role = {r.champion_id: r for r in db.session.scalars(select(ChampionRole))}
    assert [role[x.id].ties for x in (a, b, c, d)] == [1, 2, 2, 1]
    # A path a-b-c-d: b and c each lie on the shortest paths of two pairs of others.
    assert [role[x.id].betweenness for x in (a, b, c, d)] == [0, 2, 2, 0]
    assert [role[x.id].reach_2 for x in (a, b, c, d)] == [2, 3, 3, 2]
    assert [role[x.id].reach_3 for x in (a, b, c, d)] == [3, 3, 3, 3]
    assert role[b.id].boroughs_crossed == 1  # c is in Wigan
    assert role[b.id].organisations_crossed == 1 and role[c.id].organisations_crossed == 0  # d's is c's own
    assert run.champions == 4 and run.ties == 3 and run.method == "exact" and run.finished_at is not None
    assert at  # every one of them is a node


def test_r_counts_recruits_within_90_days_by_cohort_with_its_interval(db, make, clock):
    clock.set(datetime(2026, 9, 30, 12, 0))
    march = [make.champion(borough_code="bolton") for _ in range(4)]
    for champion in march:
        _joined(db, champion, datetime(2026, 3, 10, 12, 0))
    early = make.champion(borough_code="bolton", recruited_by_id=march[0].id)
    _joined(db, early, datetime(2026, 4, 1, 12, 0))  # 22 days after: counts
    late = make.champion(borough_code="wigan", recruited_by_id=march[1].id)
    _joined(db, late, datetime(2026, 7, 1, 12, 0))  # 113 days after: does not
    young = make.champion(borough_code="bolton", recruited_by_id=march[2].id)  # today: late, and a cohort not complete
    run = measure_network(db)
    r = run.figures["r"]
    rows = {row["cohort"]: row for row in r["by_cohort"]}
    assert rows["2026-03"]["champions"] == 4 and rows["2026-03"]["recruits"] == 1  # only the one within 90 days
    assert rows["2026-03"]["r"] == 0.25 and rows["2026-03"]["complete"] is True
    assert rows["2026-09"]["champions"] == 1 and rows["2026-09"]["complete"] is False
    # Complete cohorts: March (4 people, 1 recruit), April (1, 0) and July (1, 0); September's is too young.
    assert (r["champions"], r["recruits"], r["r"]) == (6, 1, 0.17)
    assert (r["low"], r["high"]) == interval(1, 6)
    assert "not self-sustaining" in r["sentence"]
    assert young.id not in [champion.id for champion in march]
    flows = run.figures["flows"]
    bolton = next(row for row in flows["rows"] if row["from"] == "Bolton")
    assert bolton["total"] == 3 and flows["across"] == 1  # a Bolton champion recruited the Wigan one
    assert run.figures["chains"]["by_depth"] == [{"depth": 0, "champions": 4}, {"depth": 1, "champions": 3}]


def test_the_interval_matches_the_exact_poisson_interval_closely():
    # Exact 95% Poisson limits for 10 events: 4.795 and 18.39 (Garwood); Byar's approximation is within 1%.
    low, high = interval(10, 1)
    assert low == pytest.approx(4.80, abs=0.05) and high == pytest.approx(18.39, abs=0.1)
    assert interval(0, 10) == (0.0, 0.37)
    assert interval(3, 0) == (None, None)


def test_sampled_betweenness_with_every_starting_point_equals_the_exact_one(monkeypatch):
    g = igraph.Graph.Erdos_Renyi(n=60, m=150)
    exact = g.betweenness(directed=False)
    monkeypatch.setattr(graph, "EXACT_UP_TO", 10)
    monkeypatch.setattr(graph, "SAMPLE_SOURCES", 60)
    monkeypatch.setattr(graph.random, "Random", lambda seed: _Whole())
    values, method, sources, error = graph._betweenness(g)
    assert method == "sampled" and sources == 60
    # Each half alone is an estimate; their mean over both halves (all 60 sources) is the exact value.
    assert values == pytest.approx([x for x in exact], rel=1e-9)
    assert error is not None and error >= 0


class _Whole:
    def sample(self, population, k):
        return list(population)[:k]


def test_roles_follow_the_thresholds_the_run_states(db, make):
    hub = make.champion(borough_code="bolton")
    spokes = [
        make.champion(borough_code=b, recruited_by_id=hub.id)
        for b in ("bury", "wigan", "oldham", "salford", "bury", "bolton")
    ]
    far = make.champion(borough_code="bolton", recruited_by_id=spokes[0].id)
    run = measure_network(db)
    role = {r.champion_id: r for r in db.session.scalars(select(ChampionRole))}
    assert (
        run.thresholds["hub_ties"] == 6 and role[hub.id].hub
    )  # the top 5% (one person), at least 5 and not role[spokes[0].id].hub
    assert role[hub.id].gatekeeper and role[hub.id].spanner
    assert role[far.id].pulsetaker is False or role[far.id].ties <= 3
    assert run.figures["roles"]["hub"] == 1


def test_the_scheduled_task_measures_the_network_once_and_a_requested_run_shows_its_progress(db, make):
    from champions.spread.tasks import compute_spread
    from tests.conftest import run_task

    recruiter = make.champion()
    make.champion(recruited_by_id=recruiter.id)
    scheduled = run_task(compute_spread)
    asked = SpreadRun(requested_by_id=make.user(role="staff").id)
    db.session.add(asked)
    db.session.commit()
    assert run_task(compute_spread, asked.id) == asked.id
    assert run_task(compute_spread, asked.id) is None  # finished: not measured again
    db.session.expire_all()
    runs = db.session.scalars(select(SpreadRun).order_by(SpreadRun.id)).all()
    assert [r.id for r in runs] == [scheduled, asked.id]
    assert (asked.done_steps, asked.total_steps) == (4, 4) and asked.champions == 2 and asked.ties == 1
    assert services.latest().id == asked.id
    assert db.session.scalar(select(func.count()).select_from(ChampionRole)) == 2


def _roles(db) -> dict[int, ChampionRole]:
    return {r.champion_id: r for r in db.session.scalars(select(ChampionRole))}


def test_a_star_a_bridge_between_two_clusters_and_ties_across_boroughs_worked_out_by_hand(db, make):
    # Two triangles of recruits ({a, b, c} and {e, f, g}) joined through one bridge person d, who recruited c and e:
    #   a - b, a - c, b - c (a recruited b and c; b and c met at a workshop), d - c, d - e, e - f, e - g, f - g.
    a = make.champion(borough_code="bolton")
    b = make.champion(borough_code="bolton", recruited_by_id=a.id)
    d = make.champion(borough_code="bury")
    c = make.champion(borough_code="bolton", recruited_by_id=a.id)
    e = make.champion(borough_code="wigan", recruited_by_id=d.id)
    f = make.champion(borough_code="wigan", recruited_by_id=e.id)
    g = make.champion(borough_code="wigan", recruited_by_id=e.id)
    c.recruited_by_id = d.id  # c was recruited by d; a and c met at a workshop instead
    db.session.commit()
    past = now_utc() - timedelta(days=2)
    for pair in ((a, c), (b, c), (f, g)):
        workshop = make_workshop(db, starts=past)
        db.session.add_all(WorkshopSignup(workshop_id=workshop.id, champion_id=x.id, checked_in_at=past) for x in pair)
    db.session.commit()
    run = measure_network(db)
    role = _roles(db)
    # Shortest paths between the two sides (3 × 3 pairs) all pass through d; c and e each carry their side's two
    # others to the four people beyond them (2 × 4 = 8); everyone else lies on no path between others.
    assert {x: role[p.id].betweenness for x, p in zip("abcdefg", (a, b, c, d, e, f, g), strict=True)} == {
        "a": 0,
        "b": 0,
        "c": 8,
        "d": 9,
        "e": 8,
        "f": 0,
        "g": 0,
    }
    assert role[d.id].gatekeeper and not role[c.id].gatekeeper and run.thresholds["gate_betweenness"] == 9
    assert [role[p.id].ties for p in (a, b, c, d, e, f, g)] == [2, 2, 3, 2, 3, 2, 2]
    assert role[a.id].reach_2 == 3 and role[a.id].reach_3 == 4  # b, c; then d; then e
    # d (Bury) is tied to Bolton and Wigan; c (Bolton) to Bury; f (Wigan) to no other borough.
    assert [role[p.id].boroughs_crossed for p in (d, c, f)] == [2, 1, 0]
    flows = {row["from"]: row["total"] for row in run.figures["flows"]["rows"]}
    assert flows["Bury"] == 2 and flows["Bolton"] == 1 and flows["Wigan"] == 2
    assert run.figures["flows"]["across"] == 2  # d's two recruits are in Bolton and Wigan
    # Recruitment inside one borough: a-b, e-f, e-g of the five ties (60%). Chance, pairing the same recruiters
    # (Bolton, Bury, Bury, Wigan, Wigan) with the same recruits (Bolton, Bolton, Wigan, Wigan, Wigan) at random:
    # (1 × 2/5 + 2 × 0 + 2 × 3/5) / 5 = 32%.
    borough = run.figures["homophily"]["borough"]
    assert borough["observed"] == 60.0 and borough["chance"] == 32.0 and borough["ratio"] == 1.88


def test_a_star_is_a_hub_with_every_path_through_it(db, make):
    centre = make.champion(borough_code="bolton")
    spokes = [make.champion(borough_code="bolton", recruited_by_id=centre.id) for _ in range(6)]
    run = measure_network(db)
    role = _roles(db)
    assert role[centre.id].ties == 6 and role[centre.id].betweenness == 15  # every pair of the six spokes
    assert role[centre.id].hub and not any(role[s.id].hub for s in spokes)
    assert all(role[s.id].reach_2 == 6 and role[s.id].ties == 1 for s in spokes)
    assert run.figures["chains"] == {
        "longest": 1,
        "by_depth": [{"depth": 0, "champions": 1}, {"depth": 1, "champions": 6}],
    }
    # Three degrees of influence: the centre's own head-counts and each recruit's.
    make.activity(centre, people_reached=5)
    make.activity(spokes[0], people_reached=7)
    measure_network(db)
    assert _roles(db)[centre.id].people_reached_3 == 12 and _roles(db)[spokes[0].id].people_reached_3 == 7


def test_people_reached_counts_own_activities_and_recruits_to_three_degrees_not_four(db, make):
    chain = [make.champion()]
    for _ in range(4):
        chain.append(make.champion(recruited_by_id=chain[-1].id))
    for champion, people in zip(chain, (1, 2, 4, 8, 16), strict=True):
        make.activity(champion, people_reached=people)
    measure_network(db)
    role = _roles(db)
    assert [role[c.id].people_reached_3 for c in chain] == [1 + 2 + 4 + 8, 2 + 4 + 8 + 16, 4 + 8 + 16, 8 + 16, 16]


def test_the_network_read_around_one_champion_gives_the_same_rings_as_the_whole(db, make):
    from champions.spread.drawing import ego

    hub = make.champion(borough_code="bolton")
    spokes = [make.champion(borough_code="bury", recruited_by_id=hub.id) for _ in range(3)]
    far = make.champion(borough_code="wigan", recruited_by_id=spokes[0].id)
    further = make.champion(borough_code="wigan", recruited_by_id=far.id)
    beyond = make.champion(borough_code="wigan", recruited_by_id=further.id)  # four steps from the hub
    past = now_utc() - timedelta(days=1)
    workshop = make_workshop(db, starts=past)
    db.session.add_all(
        WorkshopSignup(workshop_id=workshop.id, champion_id=x.id, checked_in_at=past) for x in (spokes[1], spokes[2])
    )
    organisation = make_org(db)
    db.session.execute(
        insert(organisation_affiliations),
        [{"organisation_id": organisation.id, "champion_id": x.id} for x in (spokes[2], far)],
    )
    db.session.commit()
    measure_network(db)
    whole, part = ego(graph.load(), hub.id), ego(graph.around(hub.id), hub.id)
    assert [(p.champion_id, p.degree, p.ties) for p in part.people] == [
        (p.champion_id, p.degree, p.ties) for p in whole.people
    ]
    assert beyond.id not in {p.champion_id for p in part.people}
    assert {p.champion_id: p.degree for p in part.people}[further.id] == 3
    around = graph.around(hub.id)
    at = {champion_id: i for i, champion_id in enumerate(around.ids)}
    # Every tie of the people within two steps, counted once, with its strength.
    assert around.strength[tuple(sorted((at[spokes[1].id], at[spokes[2].id])))] == 1
    assert around.strength[tuple(sorted((at[spokes[2].id], at[far.id])))] == 1
    assert len(around.strength) == 7  # hub-3 spokes, spoke-far, far-further, spoke1-spoke2, spoke2-far
