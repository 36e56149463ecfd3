"""What the shared route and table walks need of accounts (tests/feature_samples.py)."""

from __future__ import annotations

from champions.accounts.models import EmailChange


def route_args(db, make) -> dict[str, dict]:
    return {"accounts.confirm_email_change": {"token": "not-a-real-token"}}


def personal_rows(db, user, champion) -> None:
    """A request to change the sign-in address, still waiting for its link."""
    db.session.add(EmailChange(user_id=user.id, new_email="lena.new@example.org"))
