"""Account emails, sent by Celery after the request that caused them has committed."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import OperationalError

from champions.accounts import log
from champions.accounts.models import User
from champions.core.db import now_utc
from champions.core.email import external_url, send_template
from champions.extensions import db


@shared_task(
    autoretry_for=(OSError, OperationalError),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def send_welcome_email(user_id: int) -> str:
    """Send the welcome email once; a retry after success, or a deleted user, sends nothing."""
    user = db.session.get(User, user_id)
    if user is None:
        return "gone"
    if user.welcome_sent_at is not None:
        return "already sent"
    champion = user.champion
    send_template(
        user.email,
        "welcome",
        first_name=champion.first_name if champion else "",
        home_url=external_url("accounts.home"),
        referral_code=champion.referral_code if champion else None,
    )
    user.welcome_sent_at = now_utc()
    db.session.commit()
    log.info("welcome email sent to user %s", user_id)
    return "sent"
