"""Signed-in sessions that end on the server.

Flask's session is a signed cookie: clearing it on sign-out does nothing to a copy kept elsewhere. So each
sign-in gets a row in ``user_sessions`` and a random key; the cookie carries ``user id : session version : key``
and is honoured only while the row exists, the account is active and its version is unchanged.

- Signing out deletes this browser's row only: signing out on a shared computer leaves the phone signed in
  (and the calendar link, which is signed with the session version, keeps working).
- Ending every session (password change, role change, deactivation, erasure) bumps ``session_version``
  and deletes the rows; a password change then starts a new session for the browser that made it.
- A sign-in lasts at most ``PERMANENT_SESSION_LIFETIME`` however often its cookie is refreshed.

There are no "remember me" cookies; if one is added, it carries the same id (Flask-Login stores ``get_id()``),
so it ends with its session too.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app, session
from flask_login import login_user
from sqlalchemy import delete, select

from champions.accounts.models import User, UserSession
from champions.core.db import now_utc
from champions.extensions import db


def key_hash(key: str) -> str:
    """What is stored of a random key kept in a browser (a session's, a sign-up's marker): a copy of the table
    cannot be turned back into the key."""
    return hashlib.sha256(key.encode()).hexdigest()


def _oldest_allowed():
    return now_utc() - current_app.config["PERMANENT_SESSION_LIFETIME"]


def sign_in(user: User) -> None:
    """Start a new session for ``user`` in this browser; the caller commits."""
    session.clear()  # a fresh session on sign-in: no fixation
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < _oldest_allowed())
    )
    user.session_key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=key_hash(user.session_key)))
    db.session.flush()
    login_user(user)


def load(session_id: str) -> User | None:
    """The user of a live session named by the cookie's id, else None."""
    user_id, version, key = (session_id.split(":") + ["", ""])[:3]
    if not (user_id.isdecimal() and version.isdecimal() and key):
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(user_id), UserSession.key_hash == key_hash(key))
        .where(UserSession.created_at >= _oldest_allowed())
    )
    if user is None or not user.active or user.session_version != int(version):
        return None
    user.session_key = key
    return user


def end_this_session(user: Any) -> None:
    """Sign-out: this browser's session ends; the person's other sessions carry on. The caller commits."""
    if key := getattr(user, "session_key", None):
        db.session.execute(delete(UserSession).where(UserSession.key_hash == key_hash(key)))


def end_every_session(user: User) -> None:
    """Every session of ``user`` ends at its next request. The caller commits."""
    user.session_version += 1
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
