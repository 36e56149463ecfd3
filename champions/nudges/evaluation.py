"""Choosing who is due a nudge: each rule's audience, less those we may not email, written as one message row per
person and period (idempotent), a stable share of them held out to measure the effect."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, Select, and_, case, cast, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from champions.accounts.models import ConsentRecord, User
from champions.core.clock import now_utc
from champions.extensions import db
from champions.nudges.conditions import APPLICANT_CONDITIONS, CONDITIONS, audience, kind_purpose
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule
from champions.profiles.models import Champion, Stage


def period_of(now: datetime, period_days: int) -> int:
    """The number of the period a moment falls in: a rule sends at most once per person per period."""
    return (now.astimezone(UTC).date() - datetime(1970, 1, 1).date()).days // period_days


def _latest_consent(purpose: str):
    """The person's latest decision for ``purpose`` (NULL when they never made one), correlated to User."""
    inner = aliased(ConsentRecord)
    latest_id = (
        select(func.max(inner.id))
        .where(inner.user_id == User.id, inner.purpose == purpose)
        .correlate(User)
        .scalar_subquery()
    )
    return select(ConsentRecord.granted).where(ConsentRecord.id == latest_id).correlate(User).scalar_subquery()


def _not_refused(purpose: str):
    return func.coalesce(_latest_consent(purpose), True).is_(True)


def may_email(rule_key: str, condition: str | None = None):
    """Consent to email, not unsubscribed from this rule nor turned off its kind of reminder (so a new rule of a
    kind someone turned off does not reach them either), not erased, not withdrawn.

    A grant holder's report reminder is part of their grant agreement rather than marketing, so it
    needs no champion consent to email; they can still unsubscribe from it.
    """
    refused = [_not_refused(f"nudge:{rule_key}")]
    if condition in CONDITIONS:
        refused.append(_not_refused(kind_purpose(CONDITIONS[condition].kind)))
    if condition in APPLICANT_CONDITIONS:
        return and_(User.active.is_(True), User.erased_at.is_(None), *refused)
    return and_(
        User.active.is_(True),
        User.erased_at.is_(None),
        _latest_consent("email_contact").is_(True),
        *refused,
        select(Champion.id).where(Champion.user_id == User.id, Champion.stage != Stage.WITHDRAWN.value).exists(),
    )


# Knuth's multiplicative hash, salted per rule: the same numbers in SQL and in Python.
_MULTIPLIER, _RULE_SALT, _MODULUS = 2654435761, 40503, 4294967296


def holdout_bucket(user_id_col, rule_id: int):
    """A stable pseudo-random number 0-99 for this person and rule, as a SQL expression."""
    mixed = cast(user_id_col, BigInteger) * literal(_MULTIPLIER, BigInteger) + literal(rule_id * _RULE_SALT, BigInteger)
    return (mixed % literal(_MODULUS, BigInteger)) % 100


def holdout_bucket_of(user_id: int, rule_id: int) -> int:
    """The same number as ``holdout_bucket``, for one person in Python (demo data, benchmarks)."""
    return (user_id * _MULTIPLIER + rule_id * _RULE_SALT) % _MODULUS % 100


def _insert():
    dialect = db.engine.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(NudgeMessage.__table__)


def evaluate_rule(rule: NudgeRule, now: datetime) -> int:
    """Write one message row per person in the audience for this period; returns how many were new."""
    who = audience(rule.condition, rule.params, now).subquery()
    status = case(
        (holdout_bucket(who.c.user_id, rule.id) < rule.holdout_percent, MessageStatus.HOLDOUT.value),
        else_=MessageStatus.PENDING.value,
    )
    rows = (
        select(
            literal(rule.id, Integer),
            who.c.user_id,
            literal(period_of(now, rule.period_days), Integer),
            who.c.context_id,
            status,
            literal(now, DateTime(timezone=True)),
            literal(now, DateTime(timezone=True)),
            literal(0, Integer),
        )
        .join(User, User.id == who.c.user_id)
        .where(may_email(rule.key, rule.condition))
    )
    columns = ["rule_id", "user_id", "period", "context_id", "status", "created_at", "due_at", "attempts"]
    statement = (
        _insert().from_select(columns, rows).on_conflict_do_nothing(index_elements=["rule_id", "user_id", "period"])
    )
    # RETURNING counts the new rows on every database (a driver may not report rowcount here).
    return len(db.session.execute(statement.returning(NudgeMessage.__table__.c.id)).all())


def evaluate_all(now: datetime | None = None) -> dict[str, int]:
    now = now or now_utc()
    created = {}
    for rule in db.session.scalars(select(NudgeRule).where(NudgeRule.enabled).order_by(NudgeRule.id)).all():
        created[rule.key] = evaluate_rule(rule, now)
        db.session.commit()
    return created


def _audience_count(rule: NudgeRule, now: datetime) -> Select[int, int]:
    who = audience(rule.condition, rule.params, now).subquery()
    return (
        select(func.count(), literal(rule.id))
        .select_from(who)
        .join(User, User.id == who.c.user_id)
        .where(may_email(rule.key, rule.condition))
    )


def audience_size(rule: NudgeRule, now: datetime | None = None) -> int:
    return audience_sizes([rule], now).get(rule.id, 0)


def audience_sizes(rules: list[NudgeRule], now: datetime | None = None) -> dict[int, int]:
    """Each rule's audience today, counted in one query (a UNION ALL of one count per rule)."""
    if not rules:
        return {}
    now = now or now_utc()
    counts = [_audience_count(rule, now) for rule in rules]
    query = counts[0] if len(counts) == 1 else union_all(*counts)
    return {rule_id: n or 0 for n, rule_id in db.session.execute(query)}
