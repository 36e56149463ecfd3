"""Accounts: password hashing, sign-in and champion sign-up. Services flush; the request commits."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta
from functools import cache
from importlib.resources import files

import argon2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from champions.accounts import signals, tokens
from champions.accounts.consent import record_consent
from champions.accounts.models import NO_PASSWORD, User
from champions.accounts.sessions import end_every_session, key_hash
from champions.accounts.tasks import password_reset_email, sign_up_notice, verification_email
from champions.accounts.tokens import TokenProblem, fingerprint, read_token
from champions.core import audit
from champions.core.db import now_utc, rowcount
from champions.core.permissions import Role
from champions.core.throttle import Throttle, refuse_if_over
from champions.extensions import db


@cache
def _hasher_with(time_cost: int, memory_cost: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """An Argon2id hasher with these parameters, and a hash of nothing that evens out the time of unknown users."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher, hasher.hash("not a real password, used to even out timing")


def _hasher() -> tuple[PasswordHasher, str]:
    """argon2-cffi's PasswordHasher: Argon2id with RFC 9106 low-memory parameters, unless PASSWORD_HASH_COST says
    otherwise (the tests' cheapest, so that hundreds of sign-ins do not take minutes)."""
    cost = current_app.config["PASSWORD_HASH_COST"] or {}
    return _hasher_with(
        cost.get("time_cost", argon2.DEFAULT_TIME_COST),
        cost.get("memory_cost", argon2.DEFAULT_MEMORY_COST),
        cost.get("parallelism", argon2.DEFAULT_PARALLELISM),
    )


PASSWORD_MIN, PASSWORD_MAX = 8, 128
_REFERRAL_CODE = re.compile(r"[A-Z0-9]{1,16}")  # as long as the column; the codes made are shorter
SIGN_UP_NOTICE_GAP = timedelta(hours=1)  # at most one "someone tried to sign up with your address" email an hour


_RESET_LINK = ("Reset your password", "accounts.reset_request")
_SHARED = "It may be shared with other people, for example at an event or on public Wi-Fi."

# Counted per email address typed, whether or not it has an account, so a refusal tells nothing about one.
SIGN_IN_BY_ACCOUNT = Throttle(
    "sign-in-account",
    "SIGN_IN_FAILURES_PER_ACCOUNT_RATE",
    "Signing in is paused for this email address",
    "There have been several unsuccessful attempts to sign in with this email address, so we have paused "
    "signing in with it for a short while to keep the account safe.",
    _RESET_LINK,
)
SIGN_IN_BY_ADDRESS = Throttle(
    "sign-in-address",
    "SIGN_IN_FAILURES_PER_ADDRESS_RATE",
    "Signing in is paused on this internet connection",
    "There have been a lot of unsuccessful attempts to sign in from this internet connection, so we have paused "
    f"signing in from it for a short while. {_SHARED}",
    _RESET_LINK,
)
SIGN_UPS_BY_ADDRESS = Throttle(
    "sign-up-address",
    "SIGN_UPS_PER_ADDRESS_RATE",
    "Signing up is paused on this internet connection",
    "A lot of accounts have been created from this internet connection in the last hour, so to prevent misuse "
    f"we have paused signing up from it for a short while. {_SHARED}",
)
RESETS_BY_ADDRESS = Throttle(
    "reset-address",
    "RESET_REQUESTS_PER_ADDRESS_RATE",
    "Password resets are paused on this internet connection",
    "There have been a lot of requests to reset passwords from this internet connection, so to prevent misuse "
    f"we have paused them for a short while. {_SHARED}",
)
RESET_EMAILS_BY_ACCOUNT = Throttle(
    "reset-account",
    "RESET_EMAILS_PER_ACCOUNT_RATE",
    "Password reset emails are paused for this email address",
    "",  # never shown: past its limit the answer stays the same and no more email is sent
)
VERIFY_EMAILS_BY_ACCOUNT = Throttle(
    "verify-account",
    "VERIFY_EMAILS_PER_ACCOUNT_RATE",
    "We have already sent you several emails",
    "We have sent several emails to confirm your address in the last hour. The link in the most recent one "
    "works: check your inbox and your spam or junk folder.",
)


class EmailTaken(Exception):
    """The email address already belongs to an account."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password; an unknown user costs the same time as a wrong password."""
    hasher, dummy = _hasher()
    try:
        hasher.verify(user.password_hash if user else dummy, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
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


def sign_in_attempt(email: str, password: str, address: str) -> User | None:
    """``authenticate``, counted: after too many failures for this email address or from this client address,
    even the right password is refused (``Throttled``) until the window has passed. A success is not counted."""
    counts = (SIGN_IN_BY_ACCOUNT.hit(normalise_email(email)), SIGN_IN_BY_ADDRESS.hit(address))
    refuse_if_over(*counts)
    user = authenticate(email, password)
    if user is not None:
        for count in counts:
            count.undo()
    return user


def count_sign_up(address: str) -> None:
    """Count a sign-up from ``address``, or refuse it (``Throttled``) past the limit."""
    refuse_if_over(SIGN_UPS_BY_ADDRESS.hit(address))


def referral_code(text: str | None) -> str | None:
    """A referral code as typed or carried in a link, upper-cased; None unless it could be one (letters and
    digits only), so nothing else (a NUL, which PostgreSQL refuses) reaches a query."""
    code = (text or "").strip().upper()
    return code if _REFERRAL_CODE.fullmatch(code) else None


def create_user(email: str, password: str | None, role: Role) -> User:
    """Add a user, or raise EmailTaken, also when a concurrent request took the email first. Without a password
    (``None``) nobody can sign in to the account until its owner sets one (``User.has_password``)."""
    password_hash = hash_password(password) if password is not None else NO_PASSWORD + secrets.token_urlsafe(32)
    user = User(email=normalise_email(email), password_hash=password_hash, role=role.value)
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise EmailTaken(email) from None
    return user


def register_applicant(email: str, password: str, *, consent_version: str) -> User:
    """Create a grant applicant's account; the email with the link to confirm it goes after commit. A taken
    address raises EmailTaken before any hashing, so that answering it costs one hash, as a new account does."""

    if find_user(email) is not None:
        raise EmailTaken(email)
    user = create_user(email, password, Role.APPLICANT)
    record_consent(user.id, "privacy_notice", True, consent_version)
    audit.record("grant.applicant_registered", user, actor_id=user.id)
    verification_email.queue(user.id)  # its link signs them in, to their applications
    return user


def answer_taken_sign_up(email: str, password: str) -> None:
    """A sign-up with an address that already has an account: the person is answered exactly as a new one is, and
    nothing changes, except that the owner is told (at most once an hour, so sign-up cannot be used to spam them)."""
    hash_password(password)  # discarded: the work a new account costs, so the time taken does not give it away
    user = find_user(email)
    if user is not None and user.active and user.erased_at is None:
        notify_owner_of_sign_up(user)


def notify_owner_of_sign_up(user: User) -> None:
    """Queue the "someone tried to sign up" email unless one went in the last hour. The claim is one conditional
    update, so two sign-ups at once send one email."""

    now = now_utc()
    claimed = rowcount(
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .where(or_(User.sign_up_notice_at.is_(None), User.sign_up_notice_at <= now - SIGN_UP_NOTICE_GAP))
            .values(sign_up_notice_at=now),
            execution_options={"synchronize_session": False},
        )
    )
    if claimed:
        sign_up_notice.queue(user.id)


def sign_up_marker(user: User | None) -> str:
    """The random marker a sign-up leaves in its browser's session, in place of the address (the session cookie
    is signed, not encrypted). A new account keeps a hash of it: its emailed link signs the person in on this
    browser only, and 'send the email again' finds it. For an address that already has an account it is kept
    nowhere, and looks just the same."""
    marker = secrets.token_urlsafe(32)
    if user is not None:
        user.sign_up_marker_hash = key_hash(marker)
    return marker


def signed_up_here(user: User, marker: str | None) -> bool:
    """Whether ``marker`` (from this browser's session) is the one ``user``'s sign-up left, not yet used."""
    if not isinstance(marker, str) or not marker or user.sign_up_marker_hash is None:
        return False
    return hmac.compare_digest(user.sign_up_marker_hash, key_hash(marker))


def user_for_sign_up_marker(marker: str | None) -> User | None:
    if not isinstance(marker, str) or not marker:
        return None
    return db.session.scalar(select(User).where(User.sign_up_marker_hash == key_hash(marker)))


def resend_sign_up_email(marker: str | None) -> None:
    """'Send the email again' after a sign-up: the link to confirm the account this browser made, while it is
    unconfirmed (an address that already had an account was answered at sign-up). Past the limit nothing more
    is sent, and the person is answered the same whatever happened."""

    user = user_for_sign_up_marker(marker)
    if user is None or not user.active or user.erased_at is not None or user.email_verified_at is not None:
        return
    if not VERIFY_EMAILS_BY_ACCOUNT.hit(str(user.id)).over:
        send_new_verification_link(user)


def send_new_verification_link(user: User) -> None:
    """Email a new link to confirm the address; every link sent before it stops working (a new key)."""
    user.verify_link_key = secrets.token_hex(16)
    verification_email.queue(user.id)


# --- Email verification, password reset and change -------------------------------------------


def verify_email(token: str) -> User:
    """Mark the email verified; raises TokenProblem for a tampered, expired or stale link."""
    data = read_token("verify", token, tokens.VERIFY_MAX_AGE)
    user = db.session.get(User, data.get("uid"))
    if user is None or user.erased_at is not None or data.get("email") != fingerprint(user.email):
        raise TokenProblem("invalid")
    if data.get("key") != user.verify_link_key:
        raise TokenProblem("invalid")  # replaced by a newer link
    if user.email_verified_at is None:
        user.email_verified_at = now_utc()
        audit.record("email.verified", user, actor_id=user.id)
        signals.email_verified.send(user)
    return user


def request_password_reset(email: str, address: str) -> None:
    """Queue a reset email when the account exists; the caller answers the same either way.

    Too many requests from ``address`` are refused (``Throttled``); past the limit for one email address, the
    answer is the same but no more email goes to that inbox until the window has passed.
    """

    refuse_if_over(RESETS_BY_ADDRESS.hit(address))
    if RESET_EMAILS_BY_ACCOUNT.hit(normalise_email(email)).over:
        return
    user = find_user(email)
    if user is not None and user.active and user.erased_at is None:
        password_reset_email.queue(user.id)


def user_for_reset(token: str) -> User:
    data = read_token("reset", token, tokens.RESET_MAX_AGE)
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or data.get("pw") != fingerprint(user.password_hash):
        raise TokenProblem("invalid")
    return user


def set_password(user: User, password: str, reason: str) -> None:
    """Set a new password and end every other session of this user. Any pause on signing in with the address
    ends too: whoever guessed at the old password cannot keep the owner out once they have reset it."""
    user.password_hash = hash_password(password)
    end_every_session(user)
    SIGN_IN_BY_ACCOUNT.clear(user.email)
    audit.record(f"password.{reason}", user, actor_id=user.id)


def check_own_password(user: User, password: str) -> bool:
    """A signed-in person's password, asked again before a change that matters (a new password, erasure). A wrong
    one counts as a failed sign-in with their address, and past that limit even the right one is refused
    (``Throttled``): an unattended session cannot be used to guess the password. The caller commits either way."""
    count = SIGN_IN_BY_ACCOUNT.hit(normalise_email(user.email))
    refuse_if_over(count)
    if not verify_password(user, password):
        return False
    count.undo()
    return True


def change_password(user: User, current: str, new: str) -> bool:
    if not check_own_password(user, current):
        return False
    set_password(user, new, "changed")
    return True
