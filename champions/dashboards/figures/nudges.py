"""What each nudge rule achieved: the active rate of those nudged against those held out, with its interval; and
what came of it in the same window, the share who signposted anyone and the people signposted per person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from champions.extensions import db
from champions.nudges.effect import Effect, rule_effects
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
                **_outcomes(e),
            }
        )
    return rows


def _outcomes(e: Effect) -> dict[str, Any]:
    share, means = e.signposting, e.signposted
    return {
        "nudged_signposting": _pct(share.nudged_rate),
        "held_out_signposting": _pct(share.held_out_rate),
        "signposting_difference": _pct(share.difference),
        "signposting_low": _pct(share.interval[0]) if share.interval else None,
        "signposting_high": _pct(share.interval[1]) if share.interval else None,
        "nudged_signposted_each": _round(means.nudged_mean) if means else None,
        "held_out_signposted_each": _round(means.held_out_mean) if means else None,
        "signposted_each_difference": _round(means.difference) if means else None,
        "signposted_each_low": _round(means.interval[0]) if means and means.interval else None,
        "signposted_each_high": _round(means.interval[1]) if means and means.interval else None,
    }


def _round(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _pct(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None
