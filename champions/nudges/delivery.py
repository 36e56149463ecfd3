"""Delivering due nudges in batches over one mail connection: outside quiet hours, within the weekly cap, and
only to people we may still email; each message marked sent in its own commit as soon as it is sent."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from jinja2 import TemplateError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core.clock import UK, now_utc
from champions.core.email import build_message, mail_sender
from champions.extensions import db
from champions.nudges import log
from champions.nudges.evaluation import may_email
from champions.nudges.models import MessageStatus, NudgeMessage
from champions.nudges.rendering import clear_moment_cache, context_for, render

NO_CONSENT = "No consent to email (withdrawn, unsubscribed or erased) by the time of sending"


def in_quiet_hours(now: datetime) -> bool:
    hour = now.astimezone(UK).hour
    return hour >= current_app.config["NUDGE_QUIET_FROM"] or hour < current_app.config["NUDGE_QUIET_UNTIL"]


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
            item.error = NO_CONSENT
        else:
            context = context_for(message.user, message.rule, message.context_id)
            try:
                subject, text, html = render(message.rule, context)
            except TemplateError as error:
                item.error = f"Template could not be rendered: {error}"[:500]
                log.warning("nudge %s not rendered for user %s: %s", message.id, message.user_id, error)
            else:
                headers = {
                    "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "X-Champions-Nudge": str(message.id),
                }
                item.email = build_message(message.user.email, subject, text, html, headers)
        prepared.append(item)
    return prepared


#: Marking one message sent: built once, run with the message's id and the time it went.
_SENT = (
    update(NudgeMessage)
    .where(NudgeMessage.id == bindparam("message_id"))
    .values(
        status=MessageStatus.SENT.value, sent_at=bindparam("sent_at"), error=None, attempts=NudgeMessage.attempts + 1
    )
)


@contextmanager
def _marker() -> Iterator[Callable[[int], None]]:
    """Yield the function that marks a message sent, in a commit of its own, as soon as the mail server accepts it.

    Over SMTP the mark is one statement on a connection of its own in autocommit mode: the UPDATE is its own
    transaction, so a mark costs one round trip to the database. On PostgreSQL that connection's commits do not
    wait for the disk (``synchronous_commit = off``, reset before the connection goes back to the pool): a mark
    is committed, and seen by every other worker, as soon as it returns, and a worker killed a moment later
    cannot undo it; only the database server itself crashing within its WAL writer's delay (a fraction of a
    second) could forget the last few marks, and those messages would be sent again. Waiting for the disk would
    cost each message more than sending it does.

    In the outbox backend a "sent" message is a row added to the session, so it commits with its mark there."""
    if current_app.config["MAIL_BACKEND"] != "smtp":

        def mark_in_session(message_id: int) -> None:
            db.session.execute(_SENT, {"message_id": message_id, "sent_at": now_utc()})
            db.session.commit()

        yield mark_in_session
        return
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            connection.exec_driver_sql("SET synchronous_commit = off")

        def mark(message_id: int) -> None:
            connection.execute(_SENT, {"message_id": message_id, "sent_at": now_utc()})

        try:
            yield mark
        finally:
            if postgresql:
                connection.exec_driver_sql("RESET synchronous_commit")


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
    clear_moment_cache()
    prepared = _prepare(due, _allowed(due))
    counts = _sent_this_week([m.user_id for m in due], now)
    # Its commit also ends the read transaction before the (slow) sending starts.
    to_send = _settle_unsendable(prepared, counts, current_app.config["NUDGE_WEEKLY_CAP"], now, result)
    started = time.monotonic()
    with mail_sender() as send, _marker() as mark:
        for message_id, email in to_send:
            if stop_after is not None and time.monotonic() - started > stop_after:
                break  # stay well inside the lease, so two deliveries never overlap
            send(email)
            mark(message_id)
            result.sent += 1
    return result


def _settle_unsendable(
    prepared: list[Prepared], counts: dict[int, int], cap: int, now: datetime, result: Delivery
) -> list[tuple[int, EmailMessage]]:
    """Mark, in one commit before anything is sent, the messages this batch will not send: skipped (no consent any
    more), failed (their template does not render) and deferred (the person has had ``cap`` nudges this week: due
    again tomorrow). Nothing is sent for them, so a worker killed meanwhile has nothing to repeat, and a batch of
    them costs one commit rather than one each. Returns the messages to send, in order."""
    to_send: list[tuple[int, EmailMessage]] = []
    settled: dict[str, list[int]] = {"skipped": [], "deferred": []}
    for item in prepared:
        if item.skipped:
            settled["skipped"].append(item.message_id)
        elif item.email is None:
            db.session.execute(
                update(NudgeMessage)
                .where(NudgeMessage.id == item.message_id)
                .values(status=MessageStatus.FAILED.value, error=item.error)
            )
            result.failed += 1
        elif counts.get(item.user_id, 0) >= cap:
            settled["deferred"].append(item.message_id)
        else:
            counts[item.user_id] = counts.get(item.user_id, 0) + 1
            to_send.append((item.message_id, item.email))
    if settled["skipped"]:
        db.session.execute(
            update(NudgeMessage)
            .where(NudgeMessage.id.in_(settled["skipped"]))
            .values(status=MessageStatus.SKIPPED.value, error=NO_CONSENT)
        )
    if settled["deferred"]:
        tomorrow = now + timedelta(days=1)  # the weekly cap: try again tomorrow
        db.session.execute(update(NudgeMessage).where(NudgeMessage.id.in_(settled["deferred"])).values(due_at=tomorrow))
    db.session.commit()
    result.skipped += len(settled["skipped"])
    result.deferred += len(settled["deferred"])
    return to_send


def record_attempt_failure(error: Exception) -> None:
    """After a temporary failure, count the attempt against messages still pending (for the logs)."""
    db.session.rollback()
    db.session.execute(
        update(NudgeMessage)
        .where(NudgeMessage.status == MessageStatus.PENDING.value, NudgeMessage.due_at <= now_utc())
        .values(error=f"Temporary delivery failure, will retry: {error}"[:500])
    )
    db.session.commit()
