"""The spread figures, from the network as loaded (graph.Network) and a few set-based queries.

- R, the reproduction number: recruits per champion within ``R_DAYS`` days of the recruiter joining, by monthly
  cohort of recruiters, with a 95% interval (Poisson, Byar's approximation); cohorts younger than ``R_DAYS`` days are
  shown as not complete and left out of the overall R and the boroughs' R.
- Chains: how many champions stand at each depth of a recruitment chain, and where growth came from.
- Homophily: the share of recruitment ties inside one borough and sharing a topic, against what chance would give
  (the same recruiters and recruits paired at random, worked out exactly).
- Flows: who recruited whom across borough lines.
- Three degrees of influence: the people reached (activities' head-counts) by a champion's own activities and by
  their recruits at degrees 1, 2 and 3.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from champions.activities.models import Activity
from champions.core.clock import uk_date
from champions.core.db import as_utc, driver_rows
from champions.core.models import BOROUGH_NAMES, BOROUGHS
from champions.extensions import db
from champions.profiles.models import Champion, champion_topics
from champions.spread.graph import Network
from champions.workshops.models import WorkshopRecruit

R_DAYS = 90
DEGREES = 3


def interval(events: int, people: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """A 95% interval for a rate of ``events`` per person over ``people`` people (Byar's approximation to the
    exact Poisson interval)."""
    if people <= 0:
        return None, None
    k = events
    low = 0.0 if k == 0 else k * (1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ** 3
    high = (k + 1) * (1 - 1 / (9 * (k + 1)) + z / (3 * math.sqrt(k + 1))) ** 3
    return round(low / people, 2), round(high / people, 2)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def reproduction(network: Network, today: date) -> dict[str, Any]:
    """R by monthly cohort of recruiters, overall (complete cohorts of the last 12 months) and by borough."""
    n = network.size
    joined = [uk_date(_aware(network.joined[i])) for i in range(n)]
    early = [0] * n  # recruits within R_DAYS of the recruiter joining
    for i, recruiter in enumerate(network.recruited_by):
        if recruiter is not None and 0 <= (joined[i] - joined[recruiter]).days <= R_DAYS:
            early[recruiter] += 1
    complete = [(today - joined[i]).days >= R_DAYS for i in range(n)]
    cohorts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 1])  # month -> people, recruits, complete
    for i in range(n):
        row = cohorts[_month(joined[i])]
        row[0] += 1
        row[1] += early[i]
        row[2] &= int(complete[i])
    by_cohort = []
    for month in sorted(cohorts):
        people, recruits, whole = cohorts[month]
        low, high = interval(recruits, people)
        by_cohort.append(
            {
                "cohort": month,
                "champions": people,
                "recruits": recruits,
                "r": round(recruits / people, 2),
                "low": low,
                "high": high,
                "complete": bool(whole),
            }
        )
    window = today - timedelta(days=365 + R_DAYS)
    counted = [i for i in range(n) if complete[i] and joined[i] >= window]
    total_recruits = sum(early[i] for i in counted)
    low, high = interval(total_recruits, len(counted))
    boroughs = []
    for code, name, _ in BOROUGHS:
        mine = [i for i in counted if network.borough[i] == code]
        recruits = sum(early[i] for i in mine)
        b_low, b_high = interval(recruits, len(mine))
        boroughs.append(
            {
                "borough": name,
                "champions": len(mine),
                "recruits": recruits,
                "r": round(recruits / len(mine), 2) if mine else None,
                "low": b_low,
                "high": b_high,
            }
        )
    r = round(total_recruits / len(counted), 2) if counted else None
    return {
        "days": R_DAYS,
        "r": r,
        "low": low,
        "high": high,
        "champions": len(counted),
        "recruits": total_recruits,
        "sentence": _sentence(r, low, high, boroughs),
        "by_cohort": by_cohort,
        "by_borough": boroughs,
    }


def _sentence(r: float | None, low: float | None, high: float | None, boroughs: list[dict[str, Any]]) -> str:
    if r is None:
        return "There are no complete cohorts yet, so R cannot be worked out."
    sustaining = [b["borough"] for b in boroughs if b["r"] is not None and b["r"] >= 1]
    where = (
        f" Boroughs where R is at least 1: {', '.join(sustaining)}."
        if sustaining
        else " In no borough is R at least 1 yet."
    )
    if low is not None and low >= 1:
        verdict = "The movement is self-sustaining: each champion brings in at least one more"
    elif r >= 1:
        verdict = "The movement may be self-sustaining: R is at least 1, but its interval reaches below 1"
    elif high is not None and high >= 1:
        verdict = "The movement is not yet clearly self-sustaining: R is below 1, though its interval reaches 1"
    else:
        verdict = "The movement is not self-sustaining yet: each champion brings in fewer than one more"
    return f"{verdict} (R = {r}, 95% interval {low} to {high}, within {R_DAYS} days of joining).{where}"


def chains(network: Network) -> dict[str, Any]:
    """How many champions stand at each depth (0: not recruited by anyone in the analysis) and the longest chain."""
    depth: list[int | None] = [None] * network.size

    def depth_of(i: int) -> int:
        path = []
        while depth[i] is None:
            recruiter = network.recruited_by[i]
            if recruiter is None or recruiter in path or recruiter == i:
                depth[i] = 0
                break
            path.append(i)
            i = recruiter
        base = depth[i] or 0
        for step, j in enumerate(reversed(path), start=1):
            depth[j] = base + step
        return base + len(path)

    counts = Counter(depth_of(i) for i in range(network.size))
    return {
        "longest": max(counts) if counts else 0,
        "by_depth": [{"depth": d, "champions": counts[d]} for d in sorted(counts)],
    }


def growth_sources(network: Network) -> list[dict[str, Any]]:
    """Where each champion in the analysis came from, each counted once, in this order: a referral (recruited by
    a champion), a workshop, an organisation (heard through one, or signed up by a partner's system), staff (an
    import), or on their own."""
    ids = set(network.ids)
    at_workshop = set(db.session.scalars(select(WorkshopRecruit.champion_id)))
    rows = db.session.execute(
        select(Champion.id, Champion.recruited_by_id, Champion.heard_via_organisation_id, Champion.source)
    ).all()
    counts: Counter[str] = Counter()
    for champion_id, recruited_by, organisation, source in rows:
        if champion_id not in ids:
            continue
        if recruited_by is not None:
            counts["Referral by a champion"] += 1
        elif champion_id in at_workshop:
            counts["A workshop"] += 1
        elif organisation is not None or source == "api":
            counts["An organisation"] += 1
        elif source == "import":
            counts["Staff (an import)"] += 1
        else:
            counts["On their own"] += 1
    total = sum(counts.values())
    order = ("Referral by a champion", "A workshop", "An organisation", "Staff (an import)", "On their own")
    return [
        {"source": s, "champions": counts[s], "share": round(100 * counts[s] / total, 1) if total else None}
        for s in order
    ]


def homophily(network: Network) -> dict[str, Any]:
    """Recruitment ties inside one borough and sharing a topic, against chance: what the same recruiters and the
    same recruits would give if they were paired at random (the expectation over every pairing, worked out exactly
    from how many recruiters and recruits each borough, or each combination of topics, has)."""
    topics: dict[int, set[str]] = defaultdict(set)
    every_topic = select(champion_topics.c.champion_id, champion_topics.c.topic_code)
    for champion_id, code in driver_rows(db.session, every_topic):  # 200,000 rows at 100,000 champions
        topics[champion_id].add(code)
    pairs = [(r, i) for i, r in enumerate(network.recruited_by) if r is not None]
    if not pairs:
        return {"ties": 0, "borough": None, "topic": None}
    ties = len(pairs)
    interests = [frozenset(topics.get(champion_id, ())) for champion_id in network.ids]
    same_borough = sum(network.borough[a] == network.borough[b] for a, b in pairs) / ties
    shared_topic = sum(bool(interests[a] & interests[b]) for a, b in pairs) / ties
    # At random, a recruiter from borough x meets a recruit from borough x with the recruits' share of x.
    recruiter_boroughs = Counter(network.borough[a] for a, _ in pairs)
    recruit_boroughs = Counter(network.borough[b] for _, b in pairs)
    borough_chance = sum(n * recruit_boroughs[x] for x, n in recruiter_boroughs.items()) / ties**2
    recruiter_topics = Counter(interests[a] for a, _ in pairs)
    recruit_topics = Counter(interests[b] for _, b in pairs)
    topic_chance = sum(n * m for x, n in recruiter_topics.items() for y, m in recruit_topics.items() if x & y) / ties**2

    def row(seen: float, expected: float) -> dict[str, Any]:
        return {
            "observed": round(100 * seen, 1),
            "chance": round(100 * expected, 1),
            "ratio": round(seen / expected, 2) if expected else None,
        }

    return {"ties": ties, "borough": row(same_borough, borough_chance), "topic": row(shared_topic, topic_chance)}


def flows(network: Network) -> dict[str, Any]:
    """Recruitment ties from each recruiter's borough (rows) to each recruit's (columns)."""
    counts: Counter[tuple[str, str]] = Counter(
        (network.borough[r], network.borough[i]) for i, r in enumerate(network.recruited_by) if r is not None
    )
    codes = [code for code, _, _ in BOROUGHS]
    rows = [
        {"from": BOROUGH_NAMES[a], "to": [counts[(a, b)] for b in codes], "total": sum(counts[(a, b)] for b in codes)}
        for a in codes
    ]
    across = sum(n for (a, b), n in counts.items() if a != b)
    total = sum(counts.values())
    return {
        "boroughs": [BOROUGH_NAMES[c] for c in codes],
        "rows": rows,
        "across": across,
        "share_across": round(100 * across / total, 1) if total else None,
    }


def overview(network: Network) -> dict[str, Any]:
    """The whole network by borough: champions in each, and ties inside each and between each pair."""
    people = Counter(network.borough)
    borough = network.borough
    links = Counter(
        (borough[a], borough[b]) if borough[a] <= borough[b] else (borough[b], borough[a]) for a, b in network.strength
    )
    codes = [code for code, _, _ in BOROUGHS]
    return {
        "boroughs": [{"code": c, "name": n, "champions": people[c], "inside": links[(c, c)]} for c, n, _ in BOROUGHS],
        "between": [
            {"from": a, "to": b, "ties": links[(a, b)]}
            for i, a in enumerate(codes)
            for b in codes[i + 1 :]
            if links[(a, b)]
        ],
    }


def people_reached(network: Network) -> list[int]:
    """For each champion, the head-counts of their own activities and of their recruits' to three degrees."""
    own = dict(
        db.session.execute(
            select(Activity.champion_id, func.coalesce(func.sum(Activity.people_reached), 0)).group_by(
                Activity.champion_id
            )
        ).all()
    )
    level = [int(own.get(champion_id, 0)) for champion_id in network.ids]  # degree 0: their own
    totals = list(level)
    links = [(i, recruiter) for i, recruiter in enumerate(network.recruited_by) if recruiter is not None]
    for _ in range(DEGREES):  # what each champion's recruits reached one degree further down, passed up
        below = [0] * network.size
        for recruit, recruiter in links:
            below[recruiter] += level[recruit]
        level = below
        totals = [t + b for t, b in zip(totals, below, strict=True)]
    return totals


def _aware(moment: object) -> datetime:
    assert isinstance(moment, datetime)
    return as_utc(moment)
