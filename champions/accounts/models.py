from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, String, func, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.core import merging
from champions.core.db import now_utc
from champions.core.permissions import Role
from champions.extensions import Model

ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)
# The states of a change of email address (EmailChange.status).
PENDING, CONFIRMED, CANCELLED, REPLACED = "pending", "confirmed", "cancelled", "replaced"
EMAIL_CHANGE_STATUS_VALUES = ", ".join(f"'{s}'" for s in (PENDING, CONFIRMED, CANCELLED, REPLACED))
# An account made for someone else (a partner's sign-up through the API) has no password until its owner chooses
# one from the emailed link: its hash is this marker and random text, which no password matches.
NO_PASSWORD = "!"


def email_local_reversed(email) -> ColumnElement[str]:
    """An address's part before the "@", backwards (PostgreSQL only): text that ends the local part begins this, so a
    search for "…name@example.org" is a range of one ordinary index rather than trigrams every address shares."""
    # The "@" and the 1 are written into the SQL, not sent as parameters: the index's expression is matched as text
    # when a plan is made, and a prepared statement's plan made for any parameters would not match it.
    return func.reverse(func.split_part(email, literal_column("'@'"), literal_column("1")))


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),
        # The roster's search for part of an email: a trigram index on PostgreSQL, which LIKE '%part%' can use.
        Index("ix_users_email_search", "email", postgresql_using="gin", postgresql_ops={"email": "gin_trgm_ops"}),
        # And a search for an address, or the end of its local part and more (roster.staff_services._email_part).
        Index(
            "ix_users_email_local_reversed",
            email_local_reversed(text("email")).label("local_reversed"),
            postgresql_ops={"local_reversed": "text_pattern_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored trimmed and lower-cased, so the unique constraint holds regardless of case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.CHAMPION.value)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of this user at once (password change, role change, deactivation, erasure).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    last_login_at: Mapped[datetime | None]
    welcome_sent_at: Mapped[datetime | None]
    # The mail server refused the welcome for good (a 5xx reply to the address): it is not tried again.
    welcome_failed_at: Mapped[datetime | None]
    email_verified_at: Mapped[datetime | None]
    # When this address's owner was last told that someone tried to sign up with it: at most one such email an hour.
    sign_up_notice_at: Mapped[datetime | None]
    # A hash of the random marker the sign-up left in its browser's session: the emailed link signs the person in
    # on that browser only, and once (then this is cleared). Also how "send the email again" finds the account.
    sign_up_marker_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Named in every email-confirmation link: "send the link again" draws a new one, so only the newest link works.
    verify_link_key: Mapped[str | None] = mapped_column(String(32))
    # Set when the account is erased: the row stays (recruits and counts keep their links) but holds nothing personal.
    erased_at: Mapped[datetime | None]
    # The change of address waiting for its link to be followed, if any: at most one (a new request replaces it).
    pending_email_change: Mapped[EmailChange | None] = relationship(
        primaryjoin=f"and_(User.id == EmailChange.user_id, EmailChange.status == '{PENDING}')",
        viewonly=True,
        uselist=False,
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    # The key of the signed-in session this object was loaded for (not a column): see accounts/sessions.py.
    # Declared for the type checker only: the ORM would take an annotation in the class body for a column.
    if TYPE_CHECKING:
        session_key: str | None
    session_key = None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}:{self.session_key or ''}"

    @property
    def has_password(self) -> bool:
        return not self.password_hash.startswith(NO_PASSWORD)

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(Model):
    """One signed-in browser. The session cookie carries its key; signing out deletes the row, so a copy of the
    cookie kept from before is worth nothing."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only a hash of the key is stored, so a copy of this table cannot be turned back into cookies.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class ConsentRecord(Model):
    """One decision (given or withdrawn) about one purpose, with the exact wording version shown."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool]
    wording_version: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(default=now_utc)
    source: Mapped[str] = mapped_column(String(40), default="web")

    user = relationship("User")


# How a merge treats the accounts tables (core/merging.py). Logins are merged only as part of a champion merge
# (roster/duplicates.py). Sessions never pass to another login: the closed login's are ended instead. Consent
# given by either login stays on record, on the kept one.
MERGES: merging.Declarations = {
    **merging.stays("users", "user_sessions.user_id", "the merged-away login's sessions are ended when it is closed"),
    **merging.moves("users", "consent_records.user_id"),
}


class EmailChange(Model):
    """A signed-in person's request to sign in with a new address. The address changes only when the link sent to
    it is followed; a newer request replaces an older one, whose link then stops working."""

    __tablename__ = "email_changes"
    __table_args__ = (CheckConstraint(f"status IN ({EMAIL_CHANGE_STATUS_VALUES})", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    new_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    requested_at: Mapped[datetime] = mapped_column(default=now_utc)
    # When the newest link went (asking again sends a fresh one): the page says when it has expired.
    link_sent_at: Mapped[datetime] = mapped_column(default=now_utc)
    ended_at: Mapped[datetime | None]  # confirmed, cancelled or replaced
    # The address it replaced, kept only until its owner has been told of the change.
    old_email: Mapped[str | None] = mapped_column(String(254))

    user = relationship("User")


# A request belongs to the login it was made for: a champion merge closes the merged-away login, and its pending
# link stops working with it (a closed login confirms nothing).
MERGES.update(
    merging.stays("users", "email_changes.user_id", "a change of address belongs to the login it was asked for")
)
