"""Headline counts against the target, and sign-ups week by week with a projection to the target date."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from champions.dashboards.settings import current_settings
from champions.extensions import db
from champions.profiles.models import LIVE, Champion, Stage

RECENT_WEEKS = 8
Z_95 = 1.96


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def headline(today: date) -> dict[str, Any]:
    s = current_settings()
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
    s = current_settings()
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
