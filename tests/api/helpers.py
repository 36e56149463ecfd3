"""Making API tokens in tests, and calling the API with one."""

from __future__ import annotations

from datetime import timedelta

from champions.api.tokens import WRITE, create_token, resources_for
from champions.core.clock import now_utc


def token_for(db, user, scopes: dict[str, str] | None = None, days: int = 30) -> str:
    """A live token of ``user``'s: with ``scopes``, or every scope their role may give (write where it may)."""
    if scopes is None:
        offered = resources_for(user.role)
        scopes = {name: (WRITE if WRITE in levels else "read") for name, levels in offered.items()}
    _, secret = create_token(user, "Test", scopes, now_utc() + timedelta(days=days))
    db.session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
