"""Where champions are and what they do: by borough (with workshops, organisations and grants), by topic, and
the programme's totals of activities and engagement."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select

from champions.activities.models import Activity
from champions.core.models import Borough, Topic
from champions.dashboards.settings import current_settings
from champions.extensions import db
from champions.grants.models import Application, application_boroughs
from champions.grants.services.lifecycle import AWARDED
from champions.profiles.models import LIVE, Champion, Stage, champion_topics
from champions.workshops.figures import FIGURE_ORDER, engagement_figures


def engagement(today: date) -> dict[str, Any]:
    """Workshops, organisations and individuals engaged, and workshop yield, over the whole programme."""

    figures = engagement_figures(current_settings().start_date - timedelta(days=3650), today)
    return {
        "total": {key: figures.total.figures[key] for key in FIGURE_ORDER},
        "by_borough": {row.borough_code: {key: row.figures[key] for key in FIGURE_ORDER} for row in figures.rows},
    }


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
    following: dict[str, int] = dict(
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


def activity_totals() -> dict[str, Any]:
    n, people = db.session.execute(select(func.count(), func.coalesce(func.sum(Activity.people_reached), 0))).one()
    return {"activities": n, "people_reached": int(people)}
