"""Signed, expiring links: confirming an email address, resetting a password, accepting an invitation, changing
one's email address.

A verification link stops working once the email is verified; a reset link
carries a fingerprint of the password hash, so it stops working once used.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from champions.accounts.admin_models import Invitation
from champions.accounts.models import EmailChange, User

VERIFY_MAX_AGE = 60 * 60 * 24 * 3
RESET_MAX_AGE = 60 * 60
INVITATION_DAYS = 7


class TokenProblem(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"champions.{purpose}")


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def make_token(purpose: str, payload: dict) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict:
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenProblem("expired") from None
    except BadSignature:
        raise TokenProblem("invalid") from None


def verification_token(user: User) -> str:
    """Names the account's current link key too: a link sent before "send the link again" stops working."""
    return make_token("verify", {"uid": user.id, "email": fingerprint(user.email), "key": user.verify_link_key})


def reset_token(user: User) -> str:
    return make_token("reset", {"uid": user.id, "pw": fingerprint(user.password_hash)})


def invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation")


def invitation_token(invitation: Invitation) -> str:
    return invitation_serializer().dumps({"id": invitation.id, "email": invitation.email})


# --- Changing one's email address ------------------------------------------------------------------------------

EMAIL_CHANGE_MAX_AGE = 60 * 60 * 24


def email_change_token(change: EmailChange) -> str:
    """The link sent to a new address. It names the request and the address it was sent to, so it stops working
    once the request is confirmed, cancelled or replaced by a newer one (the request's state is checked)."""
    return make_token("email-change", {"id": change.id, "uid": change.user_id, "email": fingerprint(change.new_email)})


def read_email_change_token(token: str) -> dict:
    """The link's payload; ``TokenProblem`` when it is tampered with or older than ``EMAIL_CHANGE_MAX_AGE``."""
    return read_token("email-change", token, EMAIL_CHANGE_MAX_AGE)
