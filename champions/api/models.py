"""The API's tables: personal tokens, and the answers to POSTs sent with an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from champions.core import merging
from champions.core.clock import now_utc
from champions.extensions import Model


class ApiToken(Model):
    """A person's API token. The secret is shown once; only its SHA-256 is kept, found by its prefix.

    ``scopes`` maps a resource name (``champions``) to ``"read"`` or ``"write"`` (write includes read).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # the secret's first characters, to find it
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class IdempotentRequest(Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, per token, kept for a day: its status and the
    location of what it made (never the body, which would copy personal data), and a hash of the request."""

    __tablename__ = "api_idempotent_requests"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_api_idempotent_requests_token_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    location: Mapped[str] = mapped_column(String(255))  # the path of the record made, answered again on a repeat
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)


MERGES: merging.Declarations = merging.stays(
    "users", "api_tokens.user_id", "a token is its holder's: the merged-away login is closed, and its tokens with it"
)
