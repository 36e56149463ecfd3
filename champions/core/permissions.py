"""Who may use which route: one table, enforced before every request.

A route missing from ACCESS is refused for everyone, and a test walks every
route in ``app.url_map`` for every role so a missing rule fails the build.
"""

from __future__ import annotations

from enum import StrEnum

from flask import abort, request
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

ACCESS: dict[str, str | frozenset[Role]] = {
    # Assets, health and public pages
    "static": PUBLIC,
    "core.assets": PUBLIC,
    "core.healthz": PUBLIC,
    "core.readyz": PUBLIC,
    "core.index": PUBLIC,
    "core.privacy": PUBLIC,
    # Accounts
    "accounts.register": PUBLIC,
    "accounts.login": PUBLIC,
    "accounts.logout": SIGNED_IN,
    "accounts.home": SIGNED_IN,
    "accounts.account": SIGNED_IN,
    # Champions
    "roster.champion_home": CHAMPION,
    # Staff
    "dashboards.staff_home": STAFF,
    "dashboards.recompute": STAFF,
    "core.outbox": STAFF,
    "core.outbox_message": STAFF,
    # Small Sparks grants: public rounds and applicant sign-up; applicants; reviewers; staff; funders.
    # Applicants see only their own applications, reviewers only their assignments, funders only
    # the funds they are linked to: checked in grants/views.py.
    "grants.rounds": PUBLIC,
    "grants.applicant_register": PUBLIC,
    "grants.my_applications": APPLICANT,
    "grants.apply": APPLICANT,
    "grants.edit_application": APPLICANT,
    "grants.my_application": APPLICANT,
    "grants.report": APPLICANT,
    "grants.reviews": REVIEWER,
    "grants.review": REVIEWER,
    "grants.staff_funds": STAFF,
    "grants.fund": STAFF,
    "grants.round_new": STAFF,
    "grants.round_detail": STAFF,
    "grants.round_csv": STAFF,
    "grants.panel": STAFF,
    "grants.application": STAFF,
    "grants.act": STAFF,
    "grants.funder_recompute": STAFF,
    "grants.funder_home": FUNDER | STAFF,
    "grants.funder_dashboard": FUNDER | STAFF,
    "grants.funder_csv": FUNDER | STAFF,
}


def rule_for(endpoint: str | None) -> str | frozenset[Role] | None:
    return ACCESS.get(endpoint or "")


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
