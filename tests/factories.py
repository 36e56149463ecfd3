"""Factories for test data, with the same services the app uses."""

from __future__ import annotations

import itertools
from functools import cache

from champions.accounts.models import User
from champions.accounts.services import hash_password, normalise_email
from champions.core.permissions import Role
from champions.roster.services import create_champion

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


class Factory:
    def __init__(self, db):
        self.db = db

    def user(self, role: str = "staff", email: str | None = None, password: str = PASSWORD, **profile):
        n = next(_counter)
        # Hashing is slow on purpose; tests reuse one hash per password.
        user = User(
            email=normalise_email(email or f"user{n}@example.org"), password_hash=_hash(password), role=Role(role).value
        )
        self.db.session.add(user)
        self.db.session.flush()
        if role == Role.CHAMPION:
            self.champion_profile(user, **profile)
        self.db.session.commit()
        return user

    def champion_profile(self, user, **profile):
        defaults = {
            "first_name": "Alex",
            "last_name": f"Tester{user.id}",
            "borough_code": "bolton",
            "postcode": "BL1 1AA",
        }
        defaults.update(profile)
        return create_champion(user.id, **defaults)

    def champion(self, **profile):
        user = self.user(role="champion", **profile)
        return user.champion


@cache
def _hash(password: str) -> str:
    return hash_password(password)
