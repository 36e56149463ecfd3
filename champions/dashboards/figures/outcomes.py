"""What came of champions' activities: the people they signposted, by kind of outcome, topic, type of activity,
borough (per 10,000 residents) and month, and the path from the people reached to those who did act.

Every figure adds up cells of one grouped pass over activity_outcomes, each with a copy of its activity's type, date,
borough and topic. "Did act" is known only where a champion found out, so each figure keeps beside it how many people
that answer covers: a did-act rate is read against those who said they would act in the rows that have an answer,
never against everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from champions.activities.models import OUTCOME_TYPES, TYPE_LABELS, Activity, ActivityOutcome, OutcomeKind
from champions.core.models import Borough, Topic
from champions.extensions import db

OUTCOME_TYPE_VALUES = [t.value for t in OUTCOME_TYPES]


def _sums() -> list[ColumnElement[Any]]:
    """signposted, said they would act, did act, and the people said-would-act in rows whose did-act is known."""
    known = ActivityOutcome.did_act.is_not(None)
    return [
        func.coalesce(func.sum(ActivityOutcome.signposted), 0),
        func.coalesce(func.sum(ActivityOutcome.said_would_act), 0),
        func.coalesce(func.sum(ActivityOutcome.did_act), 0),
        func.coalesce(func.sum(case((known, ActivityOutcome.said_would_act), else_=0)), 0),
    ]


Sums = tuple[int, int, int, int]
#: The four sums for each (kind of outcome, topic of the activity, type, borough, month the activity took place).
Cube = dict[tuple[str, str, str, str, str], Sums]


def _month(column: Any) -> ColumnElement[str]:
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _cube() -> Cube:
    """The four sums by everything a table below groups by, in one grouped pass over the outcomes (with their copies
    of their activities' columns): each table is then a sum of its cells, not another pass over millions of rows."""
    keys = (
        ActivityOutcome.outcome_code,
        ActivityOutcome.activity_topic_code,
        ActivityOutcome.activity_type,
        ActivityOutcome.activity_borough_code,
        _month(ActivityOutcome.activity_occurred_on),  # one expression in both places: PostgreSQL must see them alike
    )
    # The outcomes alone: each keeps a copy of the columns of its activity's grouped by here (ACTIVITY_COPIES).
    query = select(*keys, *_sums()).group_by(*keys)
    return {
        (k, t, y, b, m): (int(s), int(w), int(d), int(a)) for k, t, y, b, m, s, w, d, a in db.session.execute(query)
    }


def _grouped(key: Callable[[tuple[str, str, str, str, str]], Any], cube: Cube | None) -> dict[Any, Sums]:
    """The cube's sums added up by ``key`` of each cell (the cube made here when none is given)."""
    found: dict[Any, list[int]] = {}
    for cell, sums in (_cube() if cube is None else cube).items():
        total = found.setdefault(key(cell), [0, 0, 0, 0])
        for i, value in enumerate(sums):
            total[i] += value
    return {k: (v[0], v[1], v[2], v[3]) for k, v in found.items()}


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _figures(sums: tuple[int, int, int, int]) -> dict[str, Any]:
    signposted, said, did, said_answered = sums
    return {
        "signposted": signposted,
        "said_would_act": said,
        "said_pct": _pct(said, signposted),
        "did_act": did,
        "said_with_answer": said_answered,
        "did_pct": _pct(did, said_answered),
    }


def by_kind(cube: Cube | None = None) -> list[dict[str, Any]]:
    """Each kind of outcome, retired ones too while they have outcomes recorded against them."""
    found = _grouped(lambda cell: cell[0], cube)
    kinds = db.session.scalars(select(OutcomeKind).order_by(OutcomeKind.position, OutcomeKind.name))
    return [
        {"code": k.code, "name": k.name, **_figures(found.get(k.code, (0, 0, 0, 0)))}
        for k in kinds
        if k.retired_at is None or k.code in found
    ]


def by_topic(cube: Cube | None = None) -> list[dict[str, Any]]:
    """By topic: the kind's own topic (bowel screening counts under screening whatever the talk was about), else the
    topic of the activity it came from."""
    topic_of_kind = dict(db.session.execute(select(OutcomeKind.code, OutcomeKind.topic_code)).all())
    found = _grouped(lambda cell: topic_of_kind.get(cell[0]) or cell[1], cube)
    topics = db.session.scalars(select(Topic).order_by(Topic.name))
    return [{"code": t.code, "name": t.name, **_figures(found.get(t.code, (0, 0, 0, 0)))} for t in topics]


def reached_by_type() -> dict[str, tuple[int, int]]:
    """For each type of activity that records outcomes: how many there were and the people they reached (one pass
    over the activities, shared by the table by type and the path)."""
    return {
        kind: (n, int(people))
        for kind, n, people in db.session.execute(
            select(Activity.type, func.count(), func.coalesce(func.sum(Activity.people_reached), 0))
            .where(Activity.type.in_(OUTCOME_TYPE_VALUES))
            .group_by(Activity.type)
        ).all()
    }


def by_type(reached: dict[str, tuple[int, int]] | None = None, cube: Cube | None = None) -> list[dict[str, Any]]:
    """Each type of activity whose outcomes are recorded: how many there were, the people they reached, how many
    recorded an outcome, and what came of them."""
    reached = reached_by_type() if reached is None else reached
    with_outcomes = dict(
        db.session.execute(
            select(ActivityOutcome.activity_type, func.count(func.distinct(ActivityOutcome.activity_id))).group_by(
                ActivityOutcome.activity_type
            )
        ).all()
    )
    found = _grouped(lambda cell: cell[2], cube)
    return [
        {
            "type": kind,
            "name": TYPE_LABELS[kind],
            "activities": reached.get(kind, (0, 0))[0],
            "people_reached": reached.get(kind, (0, 0))[1],
            "with_outcomes": with_outcomes.get(kind, 0),
            **_figures(found.get(kind, (0, 0, 0, 0))),
        }
        for kind in OUTCOME_TYPE_VALUES
    ]


def by_borough(cube: Cube | None = None) -> list[dict[str, Any]]:
    """By the borough of the activity, with the people signposted per 10,000 residents."""
    found = _grouped(lambda cell: cell[3], cube)
    rows = []
    for borough in db.session.scalars(select(Borough).order_by(Borough.name)):
        figures = _figures(found.get(borough.code, (0, 0, 0, 0)))
        population = borough.population
        per_10k = round(10_000 * figures["signposted"] / population, 2) if population else None
        rows.append({"code": borough.code, "name": borough.name, "population": population, **figures})
        rows[-1]["signposted_per_10k"] = per_10k
    return rows


def by_month(cube: Cube | None = None) -> list[dict[str, Any]]:
    """By the month the activity took place, earliest first."""
    found = _grouped(lambda cell: cell[4], cube)
    return [{"month": month, **_figures(found[month])} for month in sorted(found)]


def path(reached: dict[str, tuple[int, int]] | None = None, cube: Cube | None = None) -> dict[str, Any]:
    """From the people reached by conversations, stalls, talks and signposting to those who did act."""
    reached = reached_by_type() if reached is None else reached
    activities = sum(n for n, _ in reached.values())
    people = sum(p for _, p in reached.values())
    signposted, said, did, said_answered = _grouped(lambda cell: "all", cube).get("all", (0, 0, 0, 0))
    steps = [  # (the step, a short name for the chart's axis, people, people at the step before)
        ("Reached by conversations, stalls, talks and signposting", "Reached", int(people), None),
        ("Signposted to a service (once for each service)", "Signposted", int(signposted), int(people)),
        ("Said they would act", "Said they would", int(said), int(signposted)),
        ("Of those, a champion knows whether they acted", "Known", int(said_answered), int(said)),
        ("Did act (where known)", "Did act", int(did), int(said_answered)),
    ]
    return {
        "activities": activities,
        "steps": [
            {"step": label, "short": short, "people": n, "pct_of_previous": _pct(n, before or 0)}
            for label, short, n, before in steps
        ],
    }


def outcomes() -> dict[str, Any]:
    reached, cube = reached_by_type(), _cube()
    return {
        "by_kind": by_kind(cube),
        "by_topic": by_topic(cube),
        "by_type": by_type(reached, cube),
        "by_borough": by_borough(cube),
        "by_month": by_month(cube),
        "path": path(reached, cube),
    }
