"""A signed-in person changes the address they sign in with. Services flush; the request commits.

Asking (with their password) records the request and emails a link to the new address; nothing else changes until
that link is followed, by the same person signed in. Then the address is replaced and the old one is told. Asking
again replaces the request (its link stops working), as does cancelling. Audit events say what happened, never
either address: they outlive an erasure.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from champions.accounts import signals
from champions.accounts.models import CANCELLED, CONFIRMED, PENDING, REPLACED, EmailChange, User
from champions.accounts.services import (
    VERIFY_EMAILS_BY_ACCOUNT,
    check_own_password,
    find_user,
    normalise_email,
    send_new_verification_link,
)
from champions.accounts.tasks import (
    email_change_link,
    email_changed_by_staff,
    email_changed_by_staff_old,
    email_changed_notice,
)
from champions.accounts.tokens import EMAIL_CHANGE_MAX_AGE, TokenProblem, fingerprint, read_email_change_token
from champions.core import audit
from champions.core.db import as_utc, now_utc
from champions.core.errors import Refused
from champions.core.throttle import refuse_if_over
from champions.extensions import db

TAKEN = "This email address is already used by another account. Use a different address."


class WrongPassword(Exception):
    """The password given with a request is not the account's."""


class AddressTaken(Refused):
    """The new address belongs to another account (when asked, or by the time the link is followed)."""

    def __init__(self) -> None:
        super().__init__(TAKEN)


def _count_request(user: User) -> None:
    """A request or a resend is counted with the emails that confirm an address (its own count, per account): past
    the limit it is refused (``Throttled``), so the "already used" answer cannot be used to test many addresses."""
    refuse_if_over(VERIFY_EMAILS_BY_ACCOUNT.hit(f"email-change:{user.id}"))


def _lock(user: User) -> None:
    """Two requests at once from one account are taken one after the other (on PostgreSQL; SQLite writes one
    transaction at a time anyway), so only one stays pending."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def request_email_change(user: User, new_email: str, password: str) -> EmailChange:
    """Record a request to sign in with ``new_email`` and email it the link; the caller commits, whatever is raised
    (a wrong password and the request stay counted). Raises ``WrongPassword``, ``Throttled`` or ``AddressTaken``."""
    if not check_own_password(user, password):
        raise WrongPassword
    _count_request(user)
    new_email = normalise_email(new_email)
    taken = find_user(new_email)
    if taken is not None and taken.id != user.id:
        raise AddressTaken
    _lock(user)
    replaced = _end_pending(user, REPLACED)
    change = EmailChange(user_id=user.id, new_email=new_email)
    db.session.add(change)
    db.session.flush()
    replacing = {"replaced": replaced} if replaced is not None else {}
    audit.record("email.change_requested", user, actor_id=user.id, change=change.id, **replacing)
    email_change_link.queue(change.id)
    db.session.expire(user, ["pending_email_change"])
    return change


def _end_pending(user: User, status: str) -> int | None:
    """End the user's pending request with ``status``; its id, or None when there was none."""
    pending = db.session.scalar(
        select(EmailChange).where(EmailChange.user_id == user.id, EmailChange.status == PENDING).with_for_update()
    )
    if pending is None:
        return None
    pending.status, pending.ended_at = status, now_utc()
    db.session.flush()
    return pending.id


def cancel_email_change(user: User) -> bool:
    """Cancel the pending request (its link stops working); False when there was none."""
    cancelled = _end_pending(user, CANCELLED)
    if cancelled is not None:
        audit.record("email.change_cancelled", user, actor_id=user.id, change=cancelled)
    db.session.expire(user, ["pending_email_change"])
    return cancelled is not None


def resend_email_change(user: User) -> EmailChange | None:
    """Send the pending request's link again (a fresh one, working for another ``EMAIL_CHANGE_MAX_AGE``); None when
    nothing is pending. Counted with the requests (``Throttled`` past the limit)."""
    change = user.pending_email_change
    if change is None:
        return None
    _count_request(user)
    change.link_sent_at = now_utc()
    email_change_link.queue(change.id)
    return change


def link_expired(change: EmailChange) -> bool:
    """Whether the newest link sent for ``change`` no longer works."""
    return (now_utc() - as_utc(change.link_sent_at)).total_seconds() > EMAIL_CHANGE_MAX_AGE


def change_for_link(user: User, token: str) -> EmailChange:
    """The pending request ``token`` confirms, made by ``user``: ``TokenProblem`` ("expired" or "invalid": tampered
    with, someone else's, or for a request since confirmed, cancelled or replaced)."""
    data = read_email_change_token(token)
    change = db.session.get(EmailChange, data.get("id"))
    if (
        change is None
        or change.user_id != user.id
        or data.get("uid") != user.id
        or change.status != PENDING
        or data.get("email") != fingerprint(change.new_email)
    ):
        raise TokenProblem("invalid")
    return change


def confirm_email_change(user: User, token: str) -> EmailChange:
    """Follow the link: the account signs in with the new address from now on, the address counts as confirmed, and
    the old address is told. ``TokenProblem`` for a link that does not work; ``AddressTaken`` when another account
    has taken the address since it was asked for (then nothing changes)."""
    _lock(user)
    change = change_for_link(user, token)
    if not user.active or user.erased_at is not None:
        raise TokenProblem("invalid")
    taken = find_user(change.new_email)
    if taken is not None and taken.id != user.id:
        raise AddressTaken
    old_email = user.email
    _replace_address(user, change.new_email)
    change.status, change.ended_at, change.old_email = CONFIRMED, now_utc(), old_email
    audit.record("email.changed", user, actor_id=user.id, change=change.id, fields=["email"])
    _mark_confirmed(user)
    signals.email_changed.send(user)
    email_changed_notice.queue(change.id)
    db.session.expire(user, ["pending_email_change"])
    return change


def _mark_confirmed(user: User) -> None:
    """Following the link proves the new inbox is theirs: an account not yet confirmed now is."""
    if user.email_verified_at is None:
        user.email_verified_at = now_utc()
        audit.record("email.verified", user, actor_id=user.id)
        signals.email_verified.send(user)


def _replace_address(user: User, new_email: str) -> None:
    """Sign in with ``new_email`` from now on; ``AddressTaken`` (nothing changed) when another account has it."""
    try:
        with db.session.begin_nested():
            user.email = new_email
            db.session.flush()
    except IntegrityError:  # another account has this address now (the unique constraint on users.email)
        db.session.refresh(user)
        raise AddressTaken from None


def address_taken(user: User, new_email: str) -> bool:
    """Whether ``new_email`` belongs to an account other than ``user``'s."""
    taken = find_user(normalise_email(new_email))
    return taken is not None and taken.id != user.id


def staff_change_email(user: User, new_email: str, *, by_user_id: int) -> EmailChange:
    """Staff change the address a person signs in with, at their request: it applies at once, with no link to
    follow. Any change the person had asked for themselves is replaced (its link stops working). The old address
    is told (the new one masked) and the new one is told who changed it and how to reach the programme.

    Nothing proves the new inbox, so the change never marks the account confirmed, as only following a link does;
    it does not undo a confirmation either (the person proved who they are when they confirmed, and staff act on
    their word). An account not yet confirmed is sent a fresh confirmation link at its new address (the old
    address's link stops working, as it names that address). ``AddressTaken`` when another account has it."""
    new_email = normalise_email(new_email)
    if address_taken(user, new_email):
        raise AddressTaken
    _lock(user)
    replaced = _end_pending(user, REPLACED)
    old_email = user.email
    _replace_address(user, new_email)
    now = now_utc()
    change = EmailChange(
        user_id=user.id,
        new_email=new_email,
        status=CONFIRMED,
        requested_at=now,
        link_sent_at=now,
        ended_at=now,
        old_email=old_email,
    )
    db.session.add(change)
    db.session.flush()
    replacing = {"replaced": replaced} if replaced is not None else {}
    audit.record("email.changed_by_staff", user, actor_id=by_user_id, change=change.id, fields=["email"], **replacing)
    signals.email_changed.send(user)
    email_changed_by_staff_old.queue(change.id)
    email_changed_by_staff.queue(change.id)
    if user.email_verified_at is None:
        send_new_verification_link(user)
    db.session.expire(user, ["pending_email_change"])
    return change
