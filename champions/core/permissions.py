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
    # Staff CRM (issue 4): the roster, one champion, exports, imports, duplicates and merging
    "roster.staff_roster": STAFF,
    "roster.staff_champion": STAFF,
    "roster.staff_add_note": STAFF,
    "roster.staff_change_stage": STAFF,
    "roster.staff_set_leader": STAFF,
    "roster.staff_equality": ADMIN,  # special-category answers of one person: admins only, audited
    "roster.staff_export_start": STAFF,
    "roster.staff_export": STAFF,
    "roster.staff_export_status": STAFF,
    "roster.staff_export_download": STAFF,
    "roster.staff_imports": STAFF,
    "roster.staff_import": STAFF,
    "roster.staff_import_run": STAFF,
    "roster.staff_import_status": STAFF,
    "roster.staff_import_report": STAFF,
    "roster.staff_duplicates": STAFF,
    "roster.staff_merge": STAFF,
    # Staff CRM: the training catalogue and pledge versions
    "training.staff_catalogue": STAFF,
    "training.staff_resource_new": STAFF,
    "training.staff_resource_edit": STAFF,
    "training.staff_resource_move": STAFF,
    "training.staff_resource_retire": STAFF,
    "training.staff_pledge_new": STAFF,
    # Staff CRM: user administration, invitations and the audit log
    "accounts.admin_users": ADMIN,
    "accounts.admin_invite": ADMIN,
    "accounts.admin_user": ADMIN,
    "accounts.admin_change_role": ADMIN,
    "accounts.admin_set_active": ADMIN,
    "accounts.accept_invitation": PUBLIC,
    "core.audit_log": ADMIN,
    "core.audit_log_csv": ADMIN,
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
