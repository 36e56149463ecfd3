"""Did a nudge work? The share who did the target action within N days, nudged against held out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, case, func, literal, select, union_all

from champions.core.db import now_utc
from champions.extensions import db
from champions.nudges.conditions import CONDITIONS, target_done
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule

Z_95 = 1.959964


@dataclass
class Effect:
    nudged: int
    nudged_acted: int
    held_out: int
    held_out_acted: int

    @property
    def nudged_rate(self) -> float | None:
        return self.nudged_acted / self.nudged if self.nudged else None

    @property
    def held_out_rate(self) -> float | None:
        return self.held_out_acted / self.held_out if self.held_out else None

    @property
    def difference(self) -> float | None:
        if self.nudged_rate is None or self.held_out_rate is None:
            return None
        return self.nudged_rate - self.held_out_rate

    @property
    def interval(self) -> tuple[float, float] | None:
        """A 95% confidence interval for the difference of two proportions (Wald)."""
        p1, p2 = self.nudged_rate, self.held_out_rate
        if p1 is None or p2 is None:
            return None
        margin = Z_95 * math.sqrt(p1 * (1 - p1) / self.nudged + p2 * (1 - p2) / self.held_out)
        return p1 - p2 - margin, p1 - p2 + margin


def rule_effect(rule: NudgeRule) -> Effect:
    return rule_effects([rule])[rule.id]


def rule_effects(rules: list[NudgeRule]) -> dict[int, Effect]:
    """Each rule's effect, from one aggregate query (a UNION ALL of one grouped count per rule)."""
    if not rules:
        return {}
    parts = [_effect_counts(rule) for rule in rules]
    counts: dict[int, dict[str, tuple[int, int]]] = {rule.id: {} for rule in rules}
    for rule_id, status, n, done in db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)):
        counts[rule_id][status] = (n, int(done or 0))
    return {rule_id: _effect(found) for rule_id, found in counts.items()}


def _effect(counts: dict[str, tuple[int, int]]) -> Effect:
    sent = counts.get(MessageStatus.SENT.value, (0, 0))
    held = counts.get(MessageStatus.HOLDOUT.value, (0, 0))
    return Effect(nudged=sent[0], nudged_acted=sent[1], held_out=held[0], held_out_acted=held[1])


def _effect_counts(rule: NudgeRule) -> Select[int, str, int, int]:
    """The messages whose measuring window has closed, by status, and how many of them acted."""
    window = timedelta(days=rule.effect_days)
    acted = target_done(
        CONDITIONS[rule.condition].target,
        NudgeMessage.user_id,
        NudgeMessage.created_at,
        NudgeMessage.created_at + window
        if db.engine.dialect.name == "postgresql"
        else func.datetime(NudgeMessage.created_at, f"+{rule.effect_days} days"),
    )
    return (
        select(literal(rule.id), NudgeMessage.status, func.count(), func.sum(case((acted, 1), else_=0)))
        .where(
            NudgeMessage.rule_id == rule.id,
            NudgeMessage.status.in_([MessageStatus.SENT.value, MessageStatus.HOLDOUT.value]),
            NudgeMessage.created_at <= now_utc() - window,
        )
        .group_by(NudgeMessage.status)
    )
