"""Account emails: one-off emails (core/pending_email.py), recorded as due by the request that caused them and
sent by Celery after it has committed. Each is built from the account when it is sent, links (and their
tokens) included."""

from __future__ import annotations

from sqlalchemy import update

from champions.accounts.models import CONFIRMED, PENDING, EmailChange, User
from champions.accounts.tokens import email_change_token, reset_token, verification_token
from champions.core.db import now_utc
from champions.core.email import external_url, template_message
from champions.core.pending_email import Outgoing, one_off_email
from champions.extensions import db


def _verify_url(user: User) -> str:
    return external_url("accounts.verify", token=verification_token(user))


def _reachable(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.erased_at is not None:
        return None
    return user


@one_off_email("welcome")
def welcome_email(user_id: int) -> Outgoing | None:
    """The welcome email, with the verification link, once: its mark is the account's ``welcome_sent_at``."""
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None or user.welcome_sent_at is not None:
        return None
    champion = user.champion
    msg = template_message(
        user.email,
        "welcome",
        first_name=champion.first_name if champion else "",
        verify_url=_verify_url(user),
        referral_code=champion.referral_code if champion else None,
        choose_password=not user.has_password,  # signed up by a partner: the link leads on to choosing one
    )
    return Outgoing(
        msg, update(User).where(User.id == user_id, User.welcome_sent_at.is_(None)).values(welcome_sent_at=now_utc())
    )


@one_off_email("verify_email")
def verification_email(user_id: int) -> Outgoing | None:
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None or user.email_verified_at is not None:
        return None
    return Outgoing(template_message(user.email, "verify", verify_url=_verify_url(user)))


@one_off_email("password_reset")
def password_reset_email(user_id: int) -> Outgoing | None:
    user = _reachable(user_id)
    if user is None:
        return None
    reset_url = external_url("accounts.reset", token=reset_token(user))
    return Outgoing(template_message(user.email, "password_reset", reset_url=reset_url))


@one_off_email("sign_up_notice")
def sign_up_notice(user_id: int) -> Outgoing | None:
    """Tell an account's owner that someone tried to sign up with their address (the sign-up page says nothing)."""
    user = _reachable(user_id)
    if user is None:
        return None
    msg = template_message(
        user.email,
        "sign_up_attempt",
        sign_in_url=external_url("accounts.login"),
        reset_url=external_url("accounts.reset_request"),
    )
    return Outgoing(msg)


def masked(email: str) -> str:
    """An address as the old inbox is shown it: enough to recognise (n***@example.org), not to copy."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


@one_off_email("email_change_link")
def email_change_link(change_id: int) -> Outgoing | None:
    """The link that confirms a new address, sent to that address while the request is waiting for it."""
    change = db.session.get(EmailChange, change_id)
    if change is None or change.status != PENDING or _reachable(change.user_id) is None:
        return None
    confirm_url = external_url("accounts.confirm_email_change", token=email_change_token(change))
    return Outgoing(template_message(change.new_email, "email_change_link", confirm_url=confirm_url))


@one_off_email("email_changed_notice")
def email_changed_notice(change_id: int) -> Outgoing | None:
    """Tell the old address that the account now signs in with another one. The old address is forgotten in the
    commit that marks this email sent."""
    return _tell_old_address(change_id, "email_changed")


@one_off_email("email_changed_by_staff_old")
def email_changed_by_staff_old(change_id: int) -> Outgoing | None:
    """Tell the old address that the programme team changed the address the account signs in with (the new one
    masked). The old address is forgotten in the commit that marks this email sent."""
    return _tell_old_address(change_id, "email_changed_by_staff_old")


def _tell_old_address(change_id: int, template: str) -> Outgoing | None:
    """The email ``template`` to a confirmed change's old address (the new one masked), which is forgotten in the
    commit that marks the email sent; nothing once it has been forgotten."""
    change = db.session.get(EmailChange, change_id)
    if change is None or change.status != CONFIRMED or change.old_email is None:
        return None
    msg = template_message(
        change.old_email,
        template,
        account_id=change.user_id,
        new_email=masked(change.new_email),
        changed_at=change.ended_at,
    )
    return Outgoing(msg, update(EmailChange).where(EmailChange.id == change_id).values(old_email=None))


@one_off_email("email_changed_by_staff")
def email_changed_by_staff(change_id: int) -> Outgoing | None:
    """Tell the new address that the programme team set it as the account's sign-in address, and how to reach
    them if that is a mistake. Not sent once the account signs in with another address (or is closed)."""
    change = db.session.get(EmailChange, change_id)
    user = _reachable(change.user_id) if change is not None else None
    if change is None or user is None or change.status != CONFIRMED or user.email != change.new_email:
        return None
    msg = template_message(
        change.new_email,
        "email_changed_by_staff",
        account_id=change.user_id,
        changed_at=change.ended_at,
        sign_in_url=external_url("accounts.login"),
    )
    return Outgoing(msg)
