"""Demo outcomes: what came of the demo champions' conversations, stalls, talks and signposting, and of the groups'
Small Sparks projects, so that "What came of it" and the funder dashboard have realistic figures on the first start.

About a third of the activities where someone can be signposted record an outcome, mostly to screening and the
stop-smoking service; 50 to 70% of those signposted say they will act; for about 30% of the rows the champion later
learns whether they did (and about 55% of those who said so did). Each reporting group signposted 5 to 25% of the
people it reached to one to three services. The figures draw on their own random numbers, so adding them leaves the
rest of the demo as it was.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from champions.activities.models import ACTIVITY_COPIES, OUTCOME_TYPES, Activity, ActivityOutcome
from champions.core.db import now_utc
from champions.extensions import db
from champions.grants.models import GrantReport, GrantReportOutcome

# Where people are signposted, and how often, in the demo.
WEIGHTS = {
    "bowel_screening": 24,
    "breast_screening": 14,
    "cervical_screening": 14,
    "stop_smoking": 22,
    "lung_health_check": 7,
    "nhs_health_check": 7,
    "gp_symptom": 6,
    "hpv_vaccination": 3,
    "other": 3,
}
SHARE_WITH_OUTCOMES = 1 / 3
DID_KNOWN = 0.3


def seed_report_outcomes(rng_seed: int = 3032) -> int:
    """Who the demo's reporting groups signposted, and where to (before the fund's figures are computed)."""
    rng = random.Random(rng_seed)
    reports = list(db.session.execute(select(GrantReport.id, GrantReport.people_reached).order_by(GrantReport.id)))
    rows = [row for report in reports for row in _report_outcomes(rng, report)]
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


def seed_outcomes(rng_seed: int = 3031) -> int:
    """Outcomes on the demo activities: returns how many rows were added."""
    rng = random.Random(rng_seed)
    _logged_when_they_happened()
    activities = list(
        db.session.execute(
            select(
                Activity.id,
                Activity.champion_id,
                Activity.people_reached,
                *(getattr(Activity, column).label(copy) for copy, column in ACTIVITY_COPIES.items()),
            )
            .where(Activity.type.in_([t.value for t in OUTCOME_TYPES]), Activity.people_reached > 0)
            .order_by(Activity.id)
        )
    )
    rows = [
        row
        for activity in activities
        if rng.random() < SHARE_WITH_OUTCOMES
        for row in _activity_outcomes(rng, activity)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


def _logged_when_they_happened() -> None:
    """The demo's activities were all written at once; each is dated as logged on the day it happened, as a champion
    would have, so that what came after a nudge is measured in its window. It runs before any outcome exists: an
    outcome copies its activity's time, type, date, borough and topic when it is added (``ACTIVITY_COPIES``), and
    this bulk UPDATE would not change those copies."""
    db.session.flush()
    now = now_utc()
    logged = [
        {"id": activity_id, "created_at": min(now, datetime.combine(day, time(18), tzinfo=UTC))}
        for activity_id, day in db.session.execute(select(Activity.id, Activity.occurred_on)).all()
    ]
    if logged:  # one statement run for every row (an UPDATE by primary key, executemany)
        db.session.execute(update(Activity), logged)


def _kinds(rng: random.Random, n: int) -> list[str]:
    chosen: list[str] = []
    while len(chosen) < n:
        kind = rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
        if kind not in chosen:
            chosen.append(kind)
    return chosen


def _counts(rng: random.Random, signposted: int) -> tuple[int, int, int | None]:
    said = round(signposted * rng.uniform(0.5, 0.7))
    did = round(said * rng.uniform(0.45, 0.65)) if rng.random() < DID_KNOWN else None
    return signposted, said, did


def _activity_outcomes(rng: random.Random, activity) -> list[ActivityOutcome]:
    people = activity.people_reached
    copies = {copy: getattr(activity, copy) for copy in ACTIVITY_COPIES}  # the outcome's copies of the activity
    recorded = min(now_utc(), datetime.combine(copies["activity_occurred_on"], time(19), tzinfo=UTC))
    rows = []
    for code in _kinds(rng, 1 if people < 5 or rng.random() < 0.7 else 2):
        signposted, said, did = _counts(rng, max(1, round(people * rng.uniform(0.2, 0.7))))
        rows.append(
            ActivityOutcome(
                activity_id=activity.id,
                champion_id=activity.champion_id,
                **copies,
                outcome_code=code,
                signposted=signposted,
                said_would_act=said,
                did_act=did,
                created_at=recorded,
                updated_at=min(now_utc(), recorded + timedelta(days=21)) if did is not None else recorded,
            )
        )
    return rows


def _report_outcomes(rng: random.Random, report) -> list[GrantReportOutcome]:
    report_id, people = report
    rows = []
    for code in _kinds(rng, rng.choice([1, 2, 2, 3])):
        signposted, said, did = _counts(rng, max(1, round(people * rng.uniform(0.05, 0.25))))
        rows.append(
            GrantReportOutcome(
                report_id=report_id, outcome_code=code, signposted=signposted, said_would_act=said, did_act=did
            )
        )
    return rows
