"""Accounts: password hashing, sign-in and champion sign-up. Services flush; the request commits."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from champions.accounts.models import User
from champions.core import audit
from champions.core.celery import enqueue
from champions.core.db import now_utc
from champions.core.permissions import Role
from champions.extensions import db

# argon2-cffi's PasswordHasher is Argon2id with RFC 9106 low-memory parameters.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, used to even out timing")

PASSWORD_MIN, PASSWORD_MAX = 8, 128


class EmailTaken(Exception):
    """The email address already belongs to an account."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password; an unknown user costs the same time as a wrong password."""
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


@cache
def common_passwords() -> frozenset[str]:
    text = files("champions.accounts").joinpath("data/common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"Password must be {PASSWORD_MIN} characters or more"
    if len(password) > PASSWORD_MAX:
        return f"Password must be {PASSWORD_MAX} characters or fewer"
    if password.lower() in common_passwords():
        return "This password is too common and easy to guess. Choose a different one"
    return None


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user when the email and password match an active account, else None (one answer for every failure)."""
    user = find_user(email)
    if not verify_password(user, password) or user is None or not user.active:
        return None
    user.last_login_at = now_utc()
    audit.record("login", user, actor_id=user.id)
    return user


def find_champion_by_referral(code: str | None):
    from champions.roster.models import Champion

    if not code:
        return None
    return db.session.scalar(select(Champion).where(Champion.referral_code == code.strip().upper()))


def create_user(email: str, password: str, role: Role) -> User:
    """Add a user, or raise EmailTaken, also when a concurrent request took the email first."""
    user = User(email=normalise_email(email), password_hash=hash_password(password), role=role.value)
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise EmailTaken(email) from None
    return user


def register_champion(data: dict, *, consent_version: str, referral_code: str | None = None) -> User:
    """Create a champion account from validated sign-up data and queue the welcome email after commit."""
    from champions.accounts.tasks import send_welcome_email
    from champions.privacy.services import record_consent
    from champions.roster.services import create_champion

    if find_user(data["email"]) is not None:
        raise EmailTaken(data["email"])
    user = create_user(data["email"], data["password"], Role.CHAMPION)
    recruiter = find_champion_by_referral(referral_code)
    champion = create_champion(
        user.id,
        first_name=data["first_name"],
        last_name=data["last_name"],
        borough_code=data["borough"],
        postcode=data["postcode"],
        recruited_by_id=recruiter.id if recruiter else None,
    )
    record_consent(user.id, "privacy_notice", True, consent_version)
    audit.record("champion.registered", champion, actor_id=user.id)
    enqueue(send_welcome_email, user.id)
    return user
