"""Evaluate rules into message rows (idempotent), then deliver due messages in batches."""

from __future__ import annotations

import smtplib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import lru_cache
from typing import Any

from flask import current_app
from jinja2 import TemplateError
from sqlalchemy import BigInteger, DateTime, Integer, and_, case, cast, func, literal, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, selectinload

from champions.accounts.models import ConsentRecord, User
from champions.accounts.services import verification_token
from champions.core.clock import UK, now_utc, today_uk
from champions.core.email import build_message, external_url, mail_sender
from champions.extensions import db
from champions.grants.models import Application
from champions.moments.models import Moment
from champions.moments.services import upcoming_moments
from champions.nudges import log, sandbox
from champions.nudges.conditions import CONDITIONS, audience
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule
from champions.nudges.tokens import unsubscribe_token
from champions.profiles.models import Champion, Stage

# Temporary SMTP trouble: retry later. Anything else about one message: record it and move on.
TEMPORARY = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError)


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


APPLICANT_CONDITIONS = {"grant_report_due"}


def may_email(rule_key: str, condition: str | None = None):
    """Consent to email, not unsubscribed from this kind of nudge, not erased, not withdrawn.

    A grant holder's report reminder is part of their grant agreement rather than marketing, so it
    needs no champion consent to email; they can still unsubscribe from it.
    """
    if condition in APPLICANT_CONDITIONS:
        return and_(
            User.active.is_(True),
            User.erased_at.is_(None),
            func.coalesce(_latest_consent(f"nudge:{rule_key}"), True).is_(True),
        )
    return and_(
        User.active.is_(True),
        User.erased_at.is_(None),
        _latest_consent("email_contact").is_(True),
        func.coalesce(_latest_consent(f"nudge:{rule_key}"), True).is_(True),
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


def _audience_count(rule: NudgeRule, now: datetime):
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


# --- Rendering -----------------------------------------------------------------------------------


def unsubscribe_links(user_id: int, rule_key: str) -> dict[str, str]:

    return {
        "unsubscribe_url": external_url("nudges.unsubscribe", token=unsubscribe_token(user_id, rule_key)),
        "unsubscribe_all_url": external_url("nudges.unsubscribe", token=unsubscribe_token(user_id, "all")),
    }


def _verify_url(user: User) -> str:

    return external_url("accounts.verify", token=verification_token(user))


@lru_cache(maxsize=8)
def _moment_summaries(days: int, today) -> dict[int, dict[str, str]]:
    """Upcoming moments as plain text, looked up once per batch (deliver_due clears this cache)."""

    return {
        o.moment.id: {
            "moment_name": o.moment.name,
            "moment_starts": o.starts_on.strftime("%-d %B"),
            "moment_actions": o.moment.suggested_actions or "",
        }
        for o in upcoming_moments(days, today)
    }


def _moment_context(rule: NudgeRule, context_id: int | None, today) -> dict[str, str]:
    """The moment a moment nudge is about: its name, when it starts, and what a champion could do."""
    empty = {"moment_name": "", "moment_starts": "", "moment_actions": ""}
    if rule.condition != "moment_upcoming" or context_id is None:
        return empty
    found = _moment_summaries(int(rule.params.get("days", 14)), today).get(context_id)
    if found:
        return found

    moment = db.session.get(Moment, context_id)  # no longer upcoming: name it without a date
    return {**empty, "moment_name": moment.name, "moment_actions": moment.suggested_actions or ""} if moment else empty


def _grant_context(rule: NudgeRule, context_id: int | None) -> dict[str, str]:
    if rule.condition != "grant_report_due" or context_id is None:
        return {"report_due": "", "report_url": "", "group_name": ""}

    application = db.session.get(Application, context_id)
    return {
        "report_due": application.report_due_on.strftime("%-d %B %Y") if application.report_due_on else "",
        "report_url": external_url("grants.report", application_id=application.id),
        "group_name": application.organisation.name if application.organisation else "",
        "first_name": (application.contact_name or "").split(" ")[0],
    }


def context_for(message_user: User, rule: NudgeRule, context_id: int | None) -> dict[str, Any]:
    champion = message_user.champion
    grant = _grant_context(rule, context_id)
    return {
        **grant,
        **_moment_context(rule, context_id, today_uk()),
        "first_name": champion.first_name if champion else grant.get("first_name", ""),
        "home_url": external_url("accounts.home"),
        "training_url": external_url("training.catalogue"),
        "log_url": external_url("activities.activity_new"),
        "network_url": external_url("network.my_network"),
        "verify_url": _verify_url(message_user),
        "days": rule.params.get("days", CONDITIONS[rule.condition].default_days),
        "context_id": context_id,
        **unsubscribe_links(message_user.id, rule.key),
    }


def render(rule: NudgeRule, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML; raises TemplateError when the template does not fit this person."""
    subject = sandbox.render(rule.subject, context).strip()
    text = sandbox.render(rule.body_text, context)
    html = sandbox.render(rule.body_html, context, html=True)
    footer = (
        f"\n\n--\nStop these emails: {context['unsubscribe_url']}\nStop all emails: {context['unsubscribe_all_url']}\n"
    )
    html_footer = (
        f'<hr><p style="font-size:14px"><a href="{context["unsubscribe_url"]}">Stop these emails</a> · '
        f'<a href="{context["unsubscribe_all_url"]}">Stop all emails from Champions</a></p>'
    )
    return subject, text + footer, html + html_footer


# --- Delivery ------------------------------------------------------------------------------------


def in_quiet_hours(now: datetime) -> bool:
    hour = now.astimezone(UK).hour
    return hour >= current_app.config["NUDGE_QUIET_FROM"] or hour < current_app.config["NUDGE_QUIET_UNTIL"]


def next_morning(now: datetime) -> datetime:
    local = now.astimezone(UK)
    morning = local.replace(hour=current_app.config["NUDGE_QUIET_UNTIL"], minute=0, second=0, microsecond=0)
    if local.hour >= current_app.config["NUDGE_QUIET_UNTIL"]:
        morning += timedelta(days=1)
    return morning.astimezone(UTC)


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    quiet: bool = False


def _sent_this_week(user_ids: list[int], now: datetime) -> dict[int, int]:
    rows = db.session.execute(
        select(NudgeMessage.user_id, func.count())
        .where(
            NudgeMessage.user_id.in_(user_ids),
            NudgeMessage.status == MessageStatus.SENT.value,
            NudgeMessage.sent_at >= now - timedelta(days=7),
        )
        .group_by(NudgeMessage.user_id)
    ).all()
    return dict(rows)


def _allowed(due: list[NudgeMessage]) -> set[tuple[int, int]]:
    """(rule, person) pairs that may still be emailed: one query per rule in the batch, not one per message."""
    allowed: set[tuple[int, int]] = set()
    for rule in {m.rule for m in due}:
        users = [m.user_id for m in due if m.rule_id == rule.id]
        query = select(User.id).where(User.id.in_(users), may_email(rule.key, rule.condition))
        allowed.update((rule.id, user_id) for user_id in db.session.scalars(query))
    return allowed


@dataclass
class Prepared:
    message_id: int
    user_id: int
    email: EmailMessage | None = None
    skipped: bool = False
    error: str | None = None


def _prepare(due: list[NudgeMessage], allowed: set[tuple[int, int]]) -> list[Prepared]:
    """Check consent and render every message of the batch before any is sent."""
    prepared = []
    for message in due:
        item = Prepared(message.id, message.user_id)
        if (message.rule_id, message.user_id) not in allowed:
            item.skipped = True
            item.error = "No consent to email (withdrawn, unsubscribed or erased) by the time of sending"
        else:
            try:
                subject, text, html = render(message.rule, context_for(message.user, message.rule, message.context_id))
            except TemplateError as error:
                item.error = f"Template could not be rendered: {error}"[:500]
                log.warning("nudge %s not rendered for user %s: %s", message.id, message.user_id, error)
            else:
                links = unsubscribe_links(message.user_id, message.rule.key)
                headers = {
                    "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "X-Champions-Nudge": str(message.id),
                }
                item.email = build_message(message.user.email, subject, text, html, headers)
        prepared.append(item)
    return prepared


def _mark(message_id: int, **values: Any) -> None:
    """Record one message's outcome in its own commit."""
    db.session.execute(update(NudgeMessage).where(NudgeMessage.id == message_id).values(**values))
    db.session.commit()


def deliver_due(batch: int | None = None, now: datetime | None = None, stop_after: float | None = None) -> Delivery:
    """Send up to ``batch`` due messages over one mail connection, committing each as it is sent.

    A message is marked sent in its own commit straight after the mail server accepts it, so a
    worker killed mid-batch loses nothing and resends nothing it had marked sent. The one window:
    killed after the server accepted a message and before that commit, that one message is sent
    again on the next run.
    """
    now = now or now_utc()
    result = Delivery()
    if in_quiet_hours(now):
        result.quiet = True
        return result
    batch = batch or current_app.config["NUDGE_BATCH_SIZE"]
    due = list(
        db.session.scalars(
            select(NudgeMessage)
            .options(selectinload(NudgeMessage.rule), selectinload(NudgeMessage.user).selectinload(User.champion))
            .where(NudgeMessage.status == MessageStatus.PENDING.value, NudgeMessage.due_at <= now)
            .order_by(NudgeMessage.id)
            .limit(batch)
        )
    )
    if not due:
        return result
    _moment_summaries.cache_clear()
    prepared = _prepare(due, _allowed(due))
    counts = _sent_this_week([m.user_id for m in due], now)
    db.session.commit()  # end the read transaction before the (slow) sending starts
    cap = current_app.config["NUDGE_WEEKLY_CAP"]
    started = time.monotonic()
    with mail_sender() as send:
        for item in prepared:
            if stop_after is not None and time.monotonic() - started > stop_after:
                break  # stay well inside the lease, so two deliveries never overlap
            _deliver_one(item, send, counts, cap, now, result)
    return result


def _deliver_one(item: Prepared, send, counts: dict[int, int], cap: int, now: datetime, result: Delivery) -> None:
    if item.skipped:
        _mark(item.message_id, status=MessageStatus.SKIPPED.value, error=item.error)
        result.skipped += 1
    elif item.email is None:
        _mark(item.message_id, status=MessageStatus.FAILED.value, error=item.error)
        result.failed += 1
    elif counts.get(item.user_id, 0) >= cap:
        _mark(item.message_id, due_at=now + timedelta(days=1))  # the weekly cap: try again tomorrow
        result.deferred += 1
    else:
        send(item.email)
        _mark(
            item.message_id,
            status=MessageStatus.SENT.value,
            sent_at=now_utc(),
            error=None,
            attempts=NudgeMessage.attempts + 1,
        )
        counts[item.user_id] = counts.get(item.user_id, 0) + 1
        result.sent += 1


def record_attempt_failure(error: Exception) -> None:
    """After a temporary failure, count the attempt against messages still pending (for the logs)."""
    db.session.rollback()
    db.session.execute(
        update(NudgeMessage)
        .where(NudgeMessage.status == MessageStatus.PENDING.value, NudgeMessage.due_at <= now_utc())
        .values(error=f"Temporary delivery failure, will retry: {error}"[:500])
    )
    db.session.commit()
