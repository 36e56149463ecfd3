"""Every figure on the programme dashboard, each from one set-based query (or a few), as plain JSON."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, text

from champions.activities.models import Activity
from champions.core.db import as_utc
from champions.core.models import Borough, Topic
from champions.dashboards.models import ProgrammeSettings
from champions.extensions import db
from champions.grants.models import Application, application_boroughs
from champions.grants.services import AWARDED
from champions.nudges.effect import rule_effects
from champions.nudges.models import NudgeRule
from champions.profiles.models import LIVE, Champion, Stage, StageChange, champion_topics
from champions.workshops.figures import FIGURE_ORDER, engagement_figures

FUNNEL = [Stage.REGISTERED, Stage.VERIFIED, Stage.TRAINED, Stage.ACTIVE]
RECENT_WEEKS = 8
Z_95 = 1.96


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def settings() -> ProgrammeSettings:
    return db.session.get(ProgrammeSettings, 1)


def headline(today: date) -> dict[str, Any]:
    s = settings()
    rows = dict(db.session.execute(select(Champion.stage, func.count()).where(LIVE).group_by(Champion.stage)).all())
    by_stage = {stage.value: rows.get(stage.value, 0) for stage in Stage}
    champions = sum(n for stage, n in by_stage.items() if stage != Stage.WITHDRAWN.value)
    return {
        "champions": champions,
        "by_stage": by_stage,
        "target": s.target,
        "target_date": s.target_date.isoformat(),
        "percent_of_target": round(100 * champions / s.target, 1) if s.target else None,
        "milestone": {
            "label": s.milestone_label,
            "target": s.milestone_target,
            "date": s.milestone_date.isoformat(),
            "percent": round(100 * champions / s.milestone_target, 1) if s.milestone_target else None,
            "passed": s.milestone_date < today,
            "met": champions >= s.milestone_target,
        },
        "leaders": db.session.scalar(select(func.count()).where(Champion.is_leader, LIVE)) or 0,
    }


def trajectory(today: date, current: int) -> dict[str, Any]:
    """Cumulative sign-ups by week, the recent weekly rate, and a projection to the target date."""
    s = settings()
    days = db.session.execute(
        select(func.date(Champion.created_at), func.count()).where(LIVE).group_by(func.date(Champion.created_at))
    ).all()
    weekly: dict[date, int] = defaultdict(int)
    for day, n in days:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        weekly[_monday(day)] += n
    if not weekly:
        return {"weeks": [], "empty": True}
    first, this_week = min(weekly), _monday(today)
    weeks, cumulative, total = [], [], 0
    week = first
    while week <= this_week:
        total += weekly.get(week, 0)
        weeks.append(week.isoformat())
        cumulative.append(total)
        week += timedelta(days=7)
    # The rate from the last full weeks (this week is not over yet).
    recent = [weekly.get(this_week - timedelta(days=7 * k), 0) for k in range(1, RECENT_WEEKS + 1)]
    rate = statistics.mean(recent)
    spread = statistics.stdev(recent) if len(recent) > 1 else 0.0
    result: dict[str, Any] = {
        "weeks": weeks,
        "cumulative": cumulative,
        "recent_weekly_rate": round(rate, 1),
        "weekly_rate_sd": round(spread, 1),
        "empty": False,
    }
    weeks_left = (s.target_date - today).days / 7
    remaining = max(s.target - current, 0)
    result["target_date_passed"] = weeks_left <= 0
    result["needed_weekly_rate"] = round(remaining / weeks_left, 1) if weeks_left > 0 else None
    result["projected_date"] = (
        (today + timedelta(days=7 * remaining / rate)).isoformat()
        if rate > 0 and remaining
        else (today.isoformat() if not remaining else None)
    )
    projection = []
    horizon = max(int(math.ceil(weeks_left)), 0)
    for k in range(0, horizon + 1, max(horizon // 52, 1)):
        middle = current + rate * k
        band = Z_95 * spread * math.sqrt(k)  # weekly counts vary independently: the spread grows with √weeks
        projection.append(
            {
                "week": (this_week + timedelta(days=7 * k)).isoformat(),
                "projected": round(middle),
                "low": round(max(current, middle - band)),
                "high": round(middle + band),
            }
        )
    result["projection"] = projection
    result["projected_at_target_date"] = projection[-1]["projected"] if projection else None
    return result


def weekly_rows(trajectory: dict[str, Any]) -> list[dict[str, Any]]:
    """The trajectory as table rows: week and cumulative sign-ups (for the page's table and its CSV)."""
    return [
        {"week": week, "cumulative_sign_ups": total}
        for week, total in zip(trajectory.get("weeks", []), trajectory.get("cumulative", []), strict=True)
    ]


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
    steps = []
    for i, stage in enumerate(FUNNEL):
        count = sum(1 for r in reached.values() if stage.value in r)
        step = {"stage": stage.value, "count": count}
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
    now_in = dict(
        db.session.execute(
            select(Champion.stage, func.count())
            .where(Champion.stage.in_(["lapsed", "withdrawn"]), LIVE)
            .group_by(Champion.stage)
        ).all()
    )
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


def _grants_by_borough() -> dict[str, tuple[int, int]]:
    """Small Sparks grants awarded for work in each borough (a grant can serve several), and their sum."""

    rows = db.session.execute(
        select(
            application_boroughs.c.borough_code,
            func.count(Application.id),
            func.coalesce(func.sum(Application.award_pence), 0),
        )
        .join(Application, Application.id == application_boroughs.c.application_id)
        .where(AWARDED)
        .group_by(application_boroughs.c.borough_code)
    ).all()
    return {code: (n, int(pence)) for code, n, pence in rows}


def by_borough(engagement: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    counted = and_(Champion.stage != Stage.WITHDRAWN.value, LIVE)
    champions = dict(
        db.session.execute(
            select(Champion.borough_code, func.count()).where(counted).group_by(Champion.borough_code)
        ).all()
    )
    leaders = dict(
        db.session.execute(
            select(Champion.borough_code, func.count()).where(Champion.is_leader, LIVE).group_by(Champion.borough_code)
        ).all()
    )
    activity = {
        code: (n, people)
        for code, n, people in db.session.execute(
            select(Activity.borough_code, func.count(), func.coalesce(func.sum(Activity.people_reached), 0)).group_by(
                Activity.borough_code
            )
        ).all()
    }
    grants = _grants_by_borough()
    rows = []
    for borough in db.session.scalars(select(Borough).order_by(Borough.name)):
        n = champions.get(borough.code, 0)
        acts, people = activity.get(borough.code, (0, 0))
        rows.append(
            {
                "code": borough.code,
                "name": borough.name,
                "population": borough.population,
                "champions": n,
                "per_10k": round(10_000 * n / borough.population, 2) if borough.population else None,
                "leaders": leaders.get(borough.code, 0),
                "activities": acts,
                "people_reached": int(people),
                "people_per_10k": round(10_000 * people / borough.population, 1) if borough.population else None,
                "workshops": (engagement or {}).get(borough.code, {}).get("workshops_held", 0),
                "organisations": (engagement or {}).get(borough.code, {}).get("organisations_engaged", 0),
                "grants": grants.get(borough.code, (0, 0))[0],
                "grants_awarded_pounds": grants.get(borough.code, (0, 0))[1] // 100,
            }
        )
    return rows


def by_topic() -> list[dict[str, Any]]:
    following = dict(
        db.session.execute(
            select(champion_topics.c.topic_code, func.count()).group_by(champion_topics.c.topic_code)
        ).all()
    )
    activity = {
        code: (n, people)
        for code, n, people in db.session.execute(
            select(Activity.topic_code, func.count(), func.coalesce(func.sum(Activity.people_reached), 0)).group_by(
                Activity.topic_code
            )
        ).all()
    }
    return [
        {
            "code": t.code,
            "name": t.name,
            "champions_following": following.get(t.code, 0),
            "activities": activity.get(t.code, (0, 0))[0],
            "people_reached": int(activity.get(t.code, (0, 0))[1]),
        }
        for t in db.session.scalars(select(Topic).order_by(Topic.name))
    ]


def network() -> dict[str, Any]:
    total, recruited = db.session.execute(select(func.count(), func.count(Champion.recruited_by_id)).where(LIVE)).one()
    depth = db.session.scalar(
        text(
            "WITH RECURSIVE chain(id, depth) AS ("
            " SELECT id, 0 FROM champions WHERE recruited_by_id IS NULL AND merged_into_id IS NULL"
            " UNION ALL SELECT c.id, chain.depth + 1 FROM champions c JOIN chain ON c.recruited_by_id = chain.id"
            " WHERE c.merged_into_id IS NULL"
            ") SELECT coalesce(max(depth), 0) FROM chain"
        )
    )
    recruits = func.count(Champion.id).label("recruits")
    recruiter = Champion.__table__.alias("recruiter")
    top = db.session.execute(
        select(recruiter.c.id, recruiter.c.first_name, recruiter.c.last_name, Borough.name, recruits)
        .join(Champion, Champion.recruited_by_id == recruiter.c.id)
        .where(LIVE, recruiter.c.merged_into_id.is_(None))
        .outerjoin(Borough, Borough.code == recruiter.c.borough_code)
        .group_by(recruiter.c.id, recruiter.c.first_name, recruiter.c.last_name, Borough.name)
        .order_by(recruits.desc(), recruiter.c.id)
        .limit(10)
    ).all()
    return {
        "champions": total,
        "recruited": recruited,
        "share_recruited": round(100 * recruited / total, 1) if total else None,
        "mean_recruits": round(recruited / total, 2) if total else None,
        "longest_chain": int(depth or 0),
        "top_recruiters": [
            {"id": i, "name": f"{first} {last}", "borough": borough, "recruits": n}
            for i, first, last, borough, n in top
        ],
    }


def activity_totals() -> dict[str, Any]:
    n, people = db.session.execute(select(func.count(), func.coalesce(func.sum(Activity.people_reached), 0))).one()
    return {"activities": n, "people_reached": int(people)}


def nudge_effects() -> list[dict[str, Any]]:

    rows = []
    rules = list(db.session.scalars(select(NudgeRule).order_by(NudgeRule.id)))
    effects = rule_effects(rules)
    for rule in rules:
        e = effects[rule.id]
        rows.append(
            {
                "rule": rule.name,
                "nudged": e.nudged,
                "nudged_rate": _pct(e.nudged_rate),
                "held_out": e.held_out,
                "held_out_rate": _pct(e.held_out_rate),
                "difference": _pct(e.difference),
                "low": _pct(e.interval[0]) if e.interval else None,
                "high": _pct(e.interval[1]) if e.interval else None,
            }
        )
    return rows


def engagement(today: date) -> dict[str, Any]:
    """Workshops, organisations and individuals engaged, and workshop yield, over the whole programme."""

    figures = engagement_figures(settings().start_date - timedelta(days=3650), today)
    return {
        "total": {key: figures.total.figures[key] for key in FIGURE_ORDER},
        "by_borough": {row.borough_code: {key: row.figures[key] for key in FIGURE_ORDER} for row in figures.rows},
    }


def _pct(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None
