"""Did a nudge work? The share who did the target action within N days, nudged against held out; and what came of
it: the share who signposted anyone to a service in those days, and the people signposted per person."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from champions.accounts.models import User
from champions.activities.models import ActivityOutcome
from champions.core import stats
from champions.core.db import in_index_order, now_utc
from champions.core.stats import Z_95
from champions.extensions import db
from champions.nudges.conditions import CONDITIONS, target_done
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule
from champions.profiles.models import Champion


@dataclass
class Means:
    """Signpostings per person, nudged against held out: from each group's count, sum and sum of squares."""

    nudged: int
    nudged_sum: int
    nudged_squares: int
    held_out: int
    held_out_sum: int
    held_out_squares: int

    @property
    def nudged_mean(self) -> float | None:
        return self.nudged_sum / self.nudged if self.nudged else None

    @property
    def held_out_mean(self) -> float | None:
        return self.held_out_sum / self.held_out if self.held_out else None

    @property
    def difference(self) -> float | None:
        if self.nudged_mean is None or self.held_out_mean is None:
            return None
        return self.nudged_mean - self.held_out_mean

    @property
    def interval(self) -> tuple[float, float] | None:
        """A 95% confidence interval for the difference of two means (normal approximation, each group's own
        variance)."""
        difference = self.difference
        if difference is None or self.nudged < 2 or self.held_out < 2:
            return None
        margin = Z_95 * math.sqrt(
            _variance(self.nudged, self.nudged_sum, self.nudged_squares) / self.nudged
            + _variance(self.held_out, self.held_out_sum, self.held_out_squares) / self.held_out
        )
        return difference - margin, difference + margin


def _variance(n: int, total: int, squares: int) -> float:
    """The sample variance from a count, a sum and a sum of squares (never below 0 through rounding)."""
    return max(0.0, (squares - total * total / n) / (n - 1))


@dataclass
class Effect:
    nudged: int
    nudged_acted: int
    held_out: int
    held_out_acted: int
    # What came of it within the window: people who signposted anyone, and people signposted (sum, squares).
    nudged_signposting: int = 0
    held_out_signposting: int = 0
    signposted: Means | None = None

    @property
    def signposting(self) -> Effect:
        """The share who signposted anyone, as an effect of its own (the same rates, difference and interval)."""
        return Effect(self.nudged, self.nudged_signposting, self.held_out, self.held_out_signposting)

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
        """A 95% confidence interval for the difference of the two shares (Newcombe's, from the two Wilson
        intervals: it stays honest where a share is 0 or 100%, where the Wald interval shrinks to nothing)."""
        if not self.nudged or not self.held_out:
            return None
        return stats.newcombe(self.nudged_acted, self.nudged, self.held_out_acted, self.held_out)


def rule_effect(rule: NudgeRule) -> Effect:
    return rule_effects([rule])[rule.id]


#: The two groups compared, in the order each rule's row of figures gives them.
GROUPS = (MessageStatus.SENT.value, MessageStatus.HOLDOUT.value)


def rule_effects(rules: list[NudgeRule]) -> dict[int, Effect]:
    """Each rule's effect, from one aggregate query (a UNION ALL of one row of figures per rule), joined by merging
    (``in_index_order``)."""
    if not rules:
        return {}
    parts = [_effect_counts(rule) for rule in rules]
    with in_index_order(db.session):
        rows = list(db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)))
    return {rule_id: _effect(tuple(int(v or 0) for v in figures)) for rule_id, *figures in rows}


def _effect(figures: tuple[int, ...]) -> Effect:
    n, acted, signposting, people, squares, n2, acted2, signposting2, people2, squares2 = figures
    return Effect(
        nudged=n,
        nudged_acted=acted,
        held_out=n2,
        held_out_acted=acted2,
        nudged_signposting=signposting,
        held_out_signposting=signposting2,
        signposted=Means(n, people, squares, n2, people2, squares2),
    )


def _effect_counts(rule: NudgeRule) -> Select[*tuple[Any, ...]]:
    """One row for the rule: of its messages whose measuring window has closed, for each of the GROUPS (sent, held
    out): how many, how many of them acted, how many signposted anyone within the window, and the people they
    signposted (the sum and the sum of squares). Each group's figures are sums over the rows of its status, not
    a GROUP BY: at a million messages grouping sorted them all (on disk) to make two groups."""
    window = timedelta(days=rule.effect_days)
    until = (
        NudgeMessage.created_at + window
        if db.engine.dialect.name == "postgresql"
        else func.datetime(NudgeMessage.created_at, f"+{rule.effect_days} days")
    )
    # Each message's champion (none for an applicant who is not one), joined once for all the messages rather than
    # looked up for each: at a million champions a look-up a message was most of the snapshot's time.
    champion = aliased(Champion, name="nudged_champion")
    target = CONDITIONS[rule.condition].target
    # So is the account, for a rule whose target is on it (verifying the email address: a million messages).
    account = aliased(User, name="nudged_account") if target == "verified" else None
    acted = target_done(
        target,
        NudgeMessage.user_id,
        NudgeMessage.created_at,
        until,
        champion.id,
        verified_at_col=account.email_verified_at if account is not None else None,
    )
    query = (
        select(
            NudgeMessage.status.label("status"),
            case((acted, 1), else_=0).label("acted"),
            _signposted(champion.id, NudgeMessage.created_at, until).label("people"),
        )
        .select_from(NudgeMessage)
        .outerjoin(champion, champion.user_id == NudgeMessage.user_id)
    )
    if account is not None:
        query = query.outerjoin(account, account.id == NudgeMessage.user_id)
    each = (
        query.where(
            NudgeMessage.rule_id == rule.id,
            NudgeMessage.status.in_(GROUPS),
            NudgeMessage.created_at <= now_utc() - window,
        )
        # OFFSET 0 keeps PostgreSQL from merging this into the query below, which would work out each person's
        # signposting once for every aggregate that uses it (four times a message) rather than once.
        .offset(0)
        .subquery()
    )
    figures = []
    for status in GROUPS:
        mine = each.c.status == status
        figures += [
            func.sum(case((mine, 1), else_=0)),
            func.sum(case((mine, each.c.acted), else_=0)),
            func.sum(case((and_(mine, each.c.people > 0), 1), else_=0)),
            func.sum(case((mine, each.c.people), else_=0)),
            func.sum(case((mine, each.c.people * each.c.people), else_=0)),
        ]
    return select(literal(rule.id), *figures)


def _signposted(champion_id_col, since_col, until_col):
    """The people this champion signposted to any service through the activities they logged between the two
    times (0 for no champion): from the outcomes alone, which keep their activity's time
    (``ix_activity_outcomes_champion_activity_time``), rather than reading each activity."""
    return func.coalesce(
        select(func.sum(ActivityOutcome.signposted))
        .where(
            ActivityOutcome.champion_id == champion_id_col,
            ActivityOutcome.activity_created_at >= since_col,
            ActivityOutcome.activity_created_at < until_col,
        )
        .scalar_subquery(),
        0,
    )
