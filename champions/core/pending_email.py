"""One-off emails that survive a dead worker: a grant decision, an invitation, a verification or reset link.

Queueing one writes a ``pending_emails`` row (its kind and record ids) in the transaction of the change that
calls for it, and queues ``send_pending_email`` once that commits. The task holds the row's lease while it
builds and sends the email, and marks the row done in the commit that follows sending, only where it was not
done: a repeat message finds it done (or its lease held) and sends nothing. A message lost with its worker
(on the embedded broker a message taken is never handed out again) leaves the row undone and its lease
running out; the periodic sweep queues it again.

One table for every kind, rather than a sweep per feature selecting by its own state: a verification, reset or
sign-up notice has no row recording that it is due, and a feature's ``*_sent_at`` column cannot tell "not yet
queued" from "queued and lost". A feature's builder may still set its own column (``Outgoing.also``), in the
same commit as the mark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Update, delete, update

from champions.core.db import after_commit, now_utc
from champions.core.email import TEMPORARY_ERRORS, email_task, send_once
from champions.core.models import PendingEmail
from champions.core.work import NO_SYNC, LeasedRun, requeue_stale, sweep
from champions.extensions import db

KEPT_DAYS = 7  # a done row is kept this long, to see what went, then deleted (it holds ids only)


@dataclass(frozen=True)
class Outgoing:
    """What a builder returns: the message (None: nothing to send, e.g. no address) and the record's own mark."""

    msg: EmailMessage | None
    also: Update | None = None  # e.g. an invitation's ``sent_at``, set in the commit that marks the row done


Builder = Callable[..., Outgoing | None]  # (*ids) -> None when the email is no longer needed (row gone...)


@dataclass(frozen=True)
class OneOffEmail:
    kind: str
    build: Builder

    def queue(self, *ids: int) -> PendingEmail:
        """Record the email as due in the current transaction; its task is queued once that commits."""
        pending = PendingEmail(kind=self.kind, ids=list(ids))
        db.session.add(pending)
        db.session.flush()
        after_commit(db.session(), send_pending_email.delay, pending.id)
        return pending


KINDS: dict[str, OneOffEmail] = {}


def one_off_email(kind: str) -> Callable[[Builder], OneOffEmail]:
    """Register a builder of one kind of email: ``@one_off_email("grant_decision")``; queue it with ``.queue(id)``.

    The builder reads the records afresh when the email is sent and returns None if it is no longer due.
    """

    def register(build: Builder) -> OneOffEmail:
        known = KINDS.get(kind)
        if known is not None and known.build.__qualname__ != build.__qualname__:
            raise ValueError(f"two one-off emails are called {kind!r}")
        KINDS[kind] = email = OneOffEmail(kind, build)
        return email

    return register


@email_task(bind=True)
def send_pending_email(self, pending_id: int) -> str:
    pending = db.session.get(PendingEmail, pending_id)
    if pending is None or pending.done_at is not None:
        db.session.rollback()
        return "already done"
    # One step, so the run never hands on to a fresh task; errors worth retrying give the lease back uncounted.
    return LeasedRun(PendingEmail, pending_id, self, TEMPORARY_ERRORS)(_steps, batches=2)


def _steps(pending: PendingEmail) -> Iterator[None]:
    pending_id, kind, ids = pending.id, pending.kind, list(pending.ids)
    yield  # the lease renewed and committed: this task still holds it, and no lock is held while sending
    _send(pending_id, KINDS[kind].build(*ids))


def _send(pending_id: int, outgoing: Outgoing | None) -> None:
    mark = update(PendingEmail).where(PendingEmail.id == pending_id, PendingEmail.done_at.is_(None))
    if outgoing is None:
        _mark(mark, "not needed")
        return
    outcome = "sent" if outgoing.msg is not None else "not needed"
    refused = mark.values(done_at=now_utc(), outcome="refused")
    send_once(outgoing.msg, mark.values(done_at=now_utc(), outcome=outcome), outgoing.also, refused=refused)


def _mark(mark: Update, outcome: str) -> None:
    db.session.execute(mark.values(done_at=now_utc(), outcome=outcome), execution_options=NO_SYNC)
    db.session.commit()


@sweep
def _sweep_pending_emails(now: datetime) -> int:
    """Queue again the emails whose task never finished (its worker died, or its message was lost); fail one
    whose worker died or whose task failed too often. Done rows past ``KEPT_DAYS`` are deleted meanwhile."""

    def fail(pending: PendingEmail) -> None:
        pending.done_at, pending.outcome = now, "failed"

    db.session.execute(
        delete(PendingEmail).where(PendingEmail.done_at < now - timedelta(days=KEPT_DAYS)), execution_options=NO_SYNC
    )
    return requeue_stale(PendingEmail, PendingEmail.done_at.is_(None), now, lambda pending: send_pending_email, fail)
