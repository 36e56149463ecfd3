"""Signing up as a champion."""

from __future__ import annotations

from sqlalchemy import select

from champions.accounts.consent import EMAIL_CONSENT_VERSION, record_consent
from champions.accounts.models import User
from champions.accounts.services import EmailTaken, create_user, find_user, referral_code
from champions.accounts.tasks import welcome_email
from champions.core import audit
from champions.core.permissions import Role
from champions.extensions import db
from champions.profiles.models import Champion
from champions.profiles.services import create_champion


def find_champion_by_referral(code: str | None):
    code = referral_code(code)
    if code is None:
        return None
    return db.session.scalar(select(Champion).where(Champion.referral_code == code))


def recruiter_for(code: str | None) -> Champion | None:
    """The champion whose code this is, if they are taking part: a withdrawn champion's link recruits nobody (the
    person signing up still can, with nobody recorded as their recruiter)."""
    champion = find_champion_by_referral(code)
    return champion if champion is not None and not champion.withdrawn else None


def register_champion(
    data: dict, *, consent_version: str, referral_code: str | None = None, source: str = "web"
) -> User:
    """Create a champion account from validated sign-up data; the welcome email goes after commit. Without a
    ``password`` in ``data`` the account has none until its owner chooses one from the welcome email's link.
    ``source`` is where the consents were given ("web": the sign-up form; "api": a partner's form)."""
    if find_user(data["email"]) is not None:
        raise EmailTaken(data["email"])
    user = create_user(data["email"], data.get("password"), Role.CHAMPION)
    recruiter = recruiter_for(referral_code)
    champion = create_champion(
        user.id,
        first_name=data["first_name"],
        last_name=data["last_name"],
        borough_code=data["borough"],
        postcode=data["postcode"],
        topic_codes=data.get("topics") or [],
        recruited_by_id=recruiter.id if recruiter else None,
    )
    if data.get("heard_via") == "organisation" and data.get("organisation_id"):
        champion.heard_via_organisation_id = int(data["organisation_id"])
    elif data.get("heard_via") == "other":
        champion.heard_via_other = data.get("heard_other") or None
    record_consent(user.id, "privacy_notice", True, consent_version, source=source)
    record_consent(user.id, "email_contact", bool(data.get("email_consent")), EMAIL_CONSENT_VERSION, source=source)
    audit.record("champion.registered", champion, actor_id=user.id)
    welcome_email.queue(user.id)
    return user
