"""Account emails, sent by Celery after the request that caused them has committed."""

from __future__ import annotations

from champions.accounts import log
from champions.accounts.models import User
from champions.core.db import now_utc
from champions.core.email import email_task, external_url, send_template
from champions.extensions import db


def _verify_url(user: User) -> str:
    from champions.accounts.services import verification_token

    return external_url("accounts.verify", token=verification_token(user))


@email_task
def send_welcome_email(user_id: int) -> str:
    """Send the welcome email, with the verification link, once; a retry after success sends nothing."""
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None:
        return "gone"
    if user.welcome_sent_at is not None:
        return "already sent"
    champion = user.champion
    send_template(
        user.email,
        "welcome",
        first_name=champion.first_name if champion else "",
        home_url=external_url("accounts.home"),
        verify_url=_verify_url(user),
        referral_code=champion.referral_code if champion else None,
    )
    user.welcome_sent_at = now_utc()
    db.session.commit()
    log.info("welcome email sent to user %s", user_id)
    return "sent"


@email_task
def send_verification_email(user_id: int) -> str:
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None or user.email_verified_at is not None:
        return "not needed"
    send_template(user.email, "verify", verify_url=_verify_url(user))
    db.session.commit()
    return "sent"


@email_task
def send_password_reset_email(user_id: int) -> str:
    from champions.accounts.services import reset_token

    user = db.session.get(User, user_id)
    if user is None or not user.active or user.erased_at is not None:
        return "gone"
    send_template(user.email, "password_reset", reset_url=external_url("accounts.reset", token=reset_token(user)))
    db.session.commit()
    return "sent"


@email_task
def send_sign_up_notice(user_id: int) -> str:
    """Tell an account's owner that someone tried to sign up with their address (the sign-up page says nothing)."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.erased_at is not None:
        return "gone"
    send_template(
        user.email,
        "sign_up_attempt",
        sign_in_url=external_url("accounts.login"),
        reset_url=external_url("accounts.reset_request"),
    )
    db.session.commit()
    return "sent"
