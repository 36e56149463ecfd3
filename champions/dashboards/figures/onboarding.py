"""The onboarding funnel (who reached each stage, and how fast) and monthly cohorts' staying power."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from champions.core.db import as_utc, in_index_order
from champions.extensions import db
from champions.profiles.models import LIVE, Champion, Stage, StageChange

FUNNEL = [Stage.REGISTERED, Stage.VERIFIED, Stage.TRAINED, Stage.ACTIVE]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


FUNNEL_SQL_POSTGRES = """
WITH firsts AS (
  SELECT champion_id,
         min(changed_at) FILTER (WHERE to_stage = 'registered') AS s0,
         min(changed_at) FILTER (WHERE to_stage = 'verified') AS s1,
         min(changed_at) FILTER (WHERE to_stage = 'trained') AS s2,
         min(changed_at) FILTER (WHERE to_stage = 'active') AS s3
  FROM stage_changes GROUP BY champion_id
)
SELECT count(s0), count(s1), count(s2), count(s3),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s1 - s0) / 86400),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s2 - s1) / 86400),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s3 - s2) / 86400)
FROM firsts
"""


def _funnel_postgres() -> list[dict[str, Any]]:
    with in_index_order(db.session):  # each champion's changes grouped as the index gives them
        row = db.session.execute(text(FUNNEL_SQL_POSTGRES)).one()
    counts, medians = row[:4], row[4:]
    steps = [{"stage": FUNNEL[0].value, "count": counts[0]}]
    for i in range(1, 4):
        steps.append(
            {
                "stage": FUNNEL[i].value,
                "count": counts[i],
                "conversion": round(100 * counts[i] / counts[i - 1], 1) if counts[i - 1] else None,
                "median_days": round(float(medians[i - 1]), 1) if medians[i - 1] is not None else None,
            }
        )
    return steps


def _lapsed_withdrawn() -> dict[str, int]:
    return dict(
        db.session.execute(
            select(Champion.stage, func.count())
            .where(Champion.stage.in_(["lapsed", "withdrawn"]), LIVE)
            .group_by(Champion.stage)
        ).all()
    )


def funnel() -> dict[str, Any]:
    """Champions who ever reached each onboarding stage, the conversion between steps, the median days."""
    if db.engine.dialect.name == "postgresql":
        now_in = _lapsed_withdrawn()
        return {"steps": _funnel_postgres(), "lapsed": now_in.get("lapsed", 0), "withdrawn": now_in.get("withdrawn", 0)}
    rows = db.session.execute(
        select(StageChange.champion_id, StageChange.to_stage, func.min(StageChange.changed_at))
        .where(StageChange.to_stage.in_([s.value for s in FUNNEL]))
        .group_by(StageChange.champion_id, StageChange.to_stage)
    ).all()
    reached: dict[int, dict[str, datetime]] = defaultdict(dict)
    for champion_id, stage, at in rows:
        reached[champion_id][stage] = as_utc(at)
    steps: list[dict[str, Any]] = []
    for i, stage in enumerate(FUNNEL):
        count = sum(1 for r in reached.values() if stage.value in r)
        step: dict[str, Any] = {"stage": stage.value, "count": count}
        if i:
            before = FUNNEL[i - 1].value
            prior = steps[-1]["count"]
            step["conversion"] = round(100 * count / prior, 1) if prior else None
            gaps = [
                (r[stage.value] - r[before]).total_seconds() / 86400
                for r in reached.values()
                if stage.value in r and before in r
            ]
            step["median_days"] = _median(gaps)
        steps.append(step)
    now_in = _lapsed_withdrawn()
    return {"steps": steps, "lapsed": now_in.get("lapsed", 0), "withdrawn": now_in.get("withdrawn", 0)}


COHORTS_SQL_POSTGRES = """
SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*) AS joined,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 30 <= :today) AS eligible_1,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 30 <= :today
                   AND last_activity_on >= (created_at AT TIME ZONE 'UTC')::date + 30) AS active_1,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 90 <= :today) AS eligible_3,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 90 <= :today
                   AND last_activity_on >= (created_at AT TIME ZONE 'UTC')::date + 90) AS active_3,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 180 <= :today) AS eligible_6,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 180 <= :today
                   AND last_activity_on >= (created_at AT TIME ZONE 'UTC')::date + 180) AS active_6
FROM champions WHERE merged_into_id IS NULL GROUP BY 1 ORDER BY 1
"""


def _cohort_row(month: str, joined: int, counts) -> dict[str, Any]:
    entry: dict[str, Any] = {"month": month, "joined": joined}
    for months in (1, 3, 6):
        eligible = counts[f"eligible_{months}"]
        entry[f"active_after_{months}"] = round(100 * counts[f"active_{months}"] / eligible, 1) if eligible else None
    return entry


def cohorts(today: date) -> list[dict[str, Any]]:
    """Of those who joined each month, the share still active (an activity logged) 1, 3 and 6 months later."""
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(text(COHORTS_SQL_POSTGRES), {"today": today}).mappings()
        return [_cohort_row(r["month"], r["joined"], r) for r in rows]
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for created, last in db.session.execute(select(Champion.created_at, Champion.last_activity_on).where(LIVE)):
        joined = as_utc(created).date()
        key = joined.strftime("%Y-%m")
        table[key]["joined"] += 1
        for months in (1, 3, 6):
            due = joined + timedelta(days=30 * months)
            if due <= today:
                table[key][f"eligible_{months}"] += 1
                if last and last >= due:
                    table[key][f"active_{months}"] += 1
    return [_cohort_row(key, table[key]["joined"], table[key]) for key in sorted(table)]
