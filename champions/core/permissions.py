"""Who may use which route: each feature declares its routes' rules (``Feature.access``), and they are enforced
before every request.

A route no feature declares is refused for everyone, and a test walks every route in ``app.url_map`` for every
role, so a missing rule fails the build.
"""

from __future__ import annotations

from enum import StrEnum

from flask import abort, current_app, request
from flask_login import current_user

from champions.extensions import login_manager


class Role(StrEnum):
    CHAMPION = "champion"
    STAFF = "staff"
    ADMIN = "admin"
    FUNDER = "funder"
    REVIEWER = "reviewer"
    APPLICANT = "applicant"


PUBLIC = "public"
SIGNED_IN = frozenset(Role)
STAFF = frozenset({Role.STAFF, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})
CHAMPION = frozenset({Role.CHAMPION})
APPLICANT = frozenset({Role.APPLICANT})
REVIEWER = frozenset({Role.REVIEWER})
FUNDER = frozenset({Role.FUNDER})

Rule = str | frozenset[Role]  # PUBLIC, or the roles that may use a route


def access_rules() -> dict[str, Rule]:
    """Every route's rule in the app in use: the union of what its features declare."""
    return current_app.extensions["features"].access


def rule_for(endpoint: str | None) -> Rule | None:
    """Who may use ``endpoint``, as the feature that owns it declared (``Feature.access``)."""
    return access_rules().get(endpoint or "")


def enforce_access() -> None:
    """before_request hook: refuse anything the table does not allow."""
    if request.endpoint is None:
        return  # no route matched: the 404 handler answers
    rule = rule_for(request.endpoint)
    if rule == PUBLIC:
        return
    if rule is None:
        abort(403)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in rule:
        abort(403)
    return None
