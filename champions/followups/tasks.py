"""The daily email to each member of staff of their tasks due that day or overdue.

Exactly once per person and day: the periodic job writes a ``followup_digests`` row (unique per person and day) and
the pending email that sends it (core.pending_email) in one commit, so a second run, or beat firing twice, finds
the row and queues nothing, and a worker killed before that commit leaves nothing behind for the next run to
trip over; a worker killed while sending leaves the pending email undone, and its sweep sends it again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from champions.accounts.models import User
from champions.core.clock import UK, now_utc
from champions.core.email import email_task, external_url, template_message
from champions.core.locks import job_lock
from champions.core.pending_email import Outgoing, one_off_email
from champions.extensions import db
from champions.followups import log
from champions.followups.models import Digest, Preference, Task
from champions.followups.services import is_owner_choice, may_own, wants_digest

DIGEST_FROM_HOUR = 7  # UK time: the email comes in the morning, not at midnight


def _due(user_id, today: date):
    return (Task.assignee_id == user_id, Task.done_at.is_(None), Task.due_on <= today)


def digests_due(today: date) -> list[int]:
    """The staff who have open tasks due by ``today``, want the email, and have not had one for ``today``."""
    opted_out = exists().where(Preference.user_id == User.id, Preference.daily_digest.is_(False))
    had = exists().where(Digest.user_id == User.id, Digest.day == today)
    query = select(User.id).where(exists().where(*_due(User.id, today)), may_own(), ~opted_out, ~had)
    return list(db.session.scalars(query.order_by(User.id)))


@email_task
def queue_task_digests(now_iso: str | None = None) -> int:
    """Periodic (hourly): from the morning on, record and queue today's email of each person's tasks, once."""
    now = datetime.fromisoformat(now_iso) if now_iso else now_utc()
    local = now.astimezone(UK)
    if local.hour < DIGEST_FROM_HOUR:
        return 0
    with job_lock("queue_task_digests") as held:
        if not held:
            log.info("task digests already being queued; skipping")
            return 0
        queued = sum(_queue_one(user_id, local.date()) for user_id in digests_due(local.date()))
        db.session.commit()
    log.info("task digests queued: %s", queued)
    return queued


def _queue_one(user_id: int, day: date) -> int:
    """The day's digest row and its pending email, unless another run wrote that row first (then nothing)."""
    try:
        with db.session.begin_nested():
            digest = Digest(user_id=user_id, day=day)
            db.session.add(digest)
            db.session.flush()
    except IntegrityError:
        return 0
    task_digest_email.queue(digest.id)
    return 1


@one_off_email("followup_task_digest")
def task_digest_email(digest_id: int) -> Outgoing | None:
    """The email of one digest row, built when it is sent: the tasks still open and due by its day, if any."""
    digest = db.session.get(Digest, digest_id)
    if digest is None or digest.sent_at is not None:
        return None
    user = db.session.get(User, digest.user_id)
    if not is_owner_choice(user) or not wants_digest(digest.user_id):
        return None
    tasks = list(db.session.scalars(select(Task).where(*_due(user.id, digest.day)).order_by(Task.due_on, Task.id)))
    if not tasks:
        return None  # done since the row was written: nothing to remind them of
    msg = template_message(
        user.email,
        "followup_task_digest",
        account_id=user.id,
        tasks=tasks,
        day=digest.day,
        overdue=sum(1 for task in tasks if task.due_on < digest.day),
        tasks_url=external_url("followups.task_list"),
        settings_url=external_url("followups.digest_settings"),
    )
    mark = update(Digest).where(Digest.id == digest_id, Digest.sent_at.is_(None)).values(sent_at=now_utc())
    return Outgoing(msg, mark)
