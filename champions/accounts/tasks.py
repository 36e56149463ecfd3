"""Account emails, sent by Celery after the request that caused them has committed."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import OperationalError

from champions.accounts import log
from champions.accounts.models import User
from champions.core.db import now_utc
from champions.core.email import external_url, send_template
from champions.extensions import db

RETRY = {
    "autoretry_for": (OSError, OperationalError),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def _verify_url(user: User) -> str:
    from champions.accounts.services import verification_token

    return external_url("accounts.verify", token=verification_token(user))


@shared_task(**RETRY)
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


@shared_task(**RETRY)
def send_verification_email(user_id: int) -> str:
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None or user.email_verified_at is not None:
        return "not needed"
    send_template(user.email, "verify", verify_url=_verify_url(user))
    db.session.commit()
    return "sent"


@shared_task(**RETRY)
def send_password_reset_email(user_id: int) -> str:
    from champions.accounts.services import reset_token

    user = db.session.get(User, user_id)
    if user is None or not user.active or user.erased_at is not None:
        return "gone"
    send_template(user.email, "password_reset", reset_url=external_url("accounts.reset", token=reset_token(user)))
    db.session.commit()
    return "sent"
