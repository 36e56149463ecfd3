"""What each nudge rule achieved: the active rate of those nudged against those held out, with its interval."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from champions.extensions import db
from champions.nudges.effect import rule_effects
from champions.nudges.models import NudgeRule


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


def _pct(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None
