"""What the grants tests share."""

from __future__ import annotations

from tests.factories import PASSWORD


def login(client, user) -> None:
    """Sign ``user`` in, signing out whoever was signed in before."""
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
